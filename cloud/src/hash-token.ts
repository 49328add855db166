#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { hashSecret } from '@plant-twin/runtime';

/**
 * Makes an edge credential: `node cloud/dist/hash-token.js <edgeId> [token]`. Without a token it
 * generates one. Prints the token (give it to the edge's publisher as EDGE_TOKEN) and the JSON entry
 * for the cloud's EDGE_CREDENTIALS; the cloud stores only the hash.
 */
const [edgeId, given] = process.argv.slice(2);
if (!edgeId || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(edgeId)) {
  process.stderr.write('usage: hash-token <edgeId> [token]   (edgeId: lower-case letters, digits, "-")\n');
  process.exit(2);
}
const token = given ?? randomBytes(32).toString('base64url');
const hash = await hashSecret(token);
process.stdout.write(`${JSON.stringify({ edgeId, token, edgeCredentials: { [edgeId]: hash } }, null, 2)}\n`);
