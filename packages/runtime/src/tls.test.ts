import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { selfSignedTls } from './tls.js';

describe('selfSignedTls', () => {
  it('serves TLS that a client pinning the certificate accepts for 127.0.0.1', async () => {
    const pair = await selfSignedTls();
    const server = createServer(pair, (s) => s.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const text = await new Promise<string>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port, ca: pair.cert }, () => undefined);
      let buf = '';
      c.on('data', (d) => (buf += d));
      c.on('end', () => resolve(buf));
      c.on('error', reject);
    });
    server.close();
    expect(text).toBe('hello');
  });
});
