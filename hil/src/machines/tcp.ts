import net from 'node:net';
import { failed, passed, type Outcome } from '../cases.js';

/** A plain TCP connect: does anything listen at the machine's address, and how long does the handshake take? */
export function tcpCheck(host: string, port: number, what: string, timeoutMs = 5000): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = net.connect({ host, port });
    const done = (o: Outcome) => {
      clearTimeout(timer);
      s.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done(failed({
      subject: `${host}:${port}`,
      message: `no TCP answer within ${timeoutMs} ms`,
      expected: `${what} accepting TCP connections`,
      seen: 'no answer (packets dropped: a firewall, a wrong VLAN or route, or the device is off)',
      fix: `check the address in the site file and that the network lets the edge node reach TCP ${port}`,
    })), timeoutMs);
    s.once('connect', () => done(passed({ subject: `${host}:${port}`, figures: { connect_ms: Math.round((performance.now() - t0) * 100) / 100 } })));
    s.once('error', (e: NodeJS.ErrnoException) => done(failed({
      subject: `${host}:${port}`,
      message: `TCP connect failed: ${e.code ?? e.message}`,
      expected: `${what} accepting TCP connections`,
      seen: e.code === 'ECONNREFUSED' ? 'connection refused: the host answers but nothing listens on the port' : `${e.code ?? ''} ${e.message}`.trim(),
      fix: e.code === 'ECONNREFUSED' ? `check that ${what} is running and listens on port ${port} (the site file's port)` : 'check the host name or address in the site file and the edge node\'s network',
    })));
  });
}
