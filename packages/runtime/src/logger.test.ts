import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('logger', () => {
  it('never writes a credential field, wherever it sits in the logged object', () => {
    const lines: string[] = [];
    const log = createLogger('t', {}, { write: (line: string) => void lines.push(line) });
    log.warn({ password: 'pw-1', opts: { token: 'tk-2', url: 'mqtt://broker' }, req: { headers: { authorization: 'Bearer tk-3', host: 'x' } } }, 'refused');
    const text = lines.join('');
    for (const s of ['pw-1', 'tk-2', 'tk-3']) expect(text).not.toContain(s);
    expect(JSON.parse(text)).toMatchObject({ msg: 'refused', password: '[redacted]', opts: { token: '[redacted]', url: 'mqtt://broker' }, req: { headers: { authorization: '[redacted]', host: 'x' } } });
  });
});
