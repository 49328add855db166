import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password.js';

describe('passwordProblem', () => {
  it('asks for 10 characters and the same password twice', () => {
    expect(passwordProblem('short', 'short')).toBe('account.tooShort');
    expect(passwordProblem('long enough 1', 'long enough 2')).toBe('account.mismatch');
    expect(passwordProblem('long enough 1', 'long enough 1')).toBeNull();
  });
});
