import { createHash, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { verifySecret } from '@plant-twin/runtime';

export const edgeCredentialsSchema = z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'edge id: lower-case letters, digits, "-"'), z.string().regex(/^scrypt\$/, 'must be a scrypt hash (node cloud/dist/hash-token.js <edgeId>)'));

/**
 * Edge credentials: one scrypt hash per edge id (EDGE_CREDENTIALS). scrypt is deliberately slow,
 * so after one successful check the SHA-256 of the token is remembered and later batches are
 * checked against that in constant time.
 */
export class EdgeAuth {
  private readonly verified = new Map<string, Buffer>();
  constructor(private readonly hashes: Readonly<Record<string, string>>) {}

  async check(edgeId: string, token: string): Promise<boolean> {
    const hash = this.hashes[edgeId];
    if (!hash) return false;
    const digest = createHash('sha256').update(token).digest();
    const known = this.verified.get(edgeId);
    if (known && timingSafeEqual(known, digest)) return true;
    if (!(await verifySecret(token, hash))) return false;
    this.verified.set(edgeId, digest);
    return true;
  }
}
