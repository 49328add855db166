import { describe, expect, it } from 'vitest';
import { hashSecret, verifySecret } from './secret-hash.js';

describe('secret hashing', () => {
  it('verifies the right secret only, with a fresh salt per hash', async () => {
    const h1 = await hashSecret('correct horse');
    const h2 = await hashSecret('correct horse');
    expect(h1).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(h1).not.toBe(h2);
    expect(await verifySecret('correct horse', h1)).toBe(true);
    expect(await verifySecret('correct horse!', h1)).toBe(false);
    expect(await verifySecret('correct horse', 'plain-text')).toBe(false);
    expect(await verifySecret('x', 'scrypt$16384$8$1$AAAA$AAAA')).toBe(false);
  });
});
