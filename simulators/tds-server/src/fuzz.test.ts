import { connect, createServer, type Socket } from 'node:net';
import sql from 'mssql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { mssqlConfig, startServer } from './fixture.test-support.js';
import type { SqlDatabase } from './database.js';
import type { TdsServer } from './server.js';

/** small seeded PRNG, so that a failing run can be replayed */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(a: readonly T[]) => a[Math.floor(next() * a.length)]! };
}

/** Records what mssql sends on a clear session, split into TDS packets. */
async function recordClientPackets(port: number, encrypt = false): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const proxy = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyPort = (proxy.address() as { port: number }).port;
  const pool = await new sql.ConnectionPool(mssqlConfig(proxyPort, { pool: { max: 1, min: 0 }, options: { encrypt, trustServerCertificate: true } })).connect();
  await pool.request().query('SELECT TOP 2 CycleId, Result FROM CycleLog WHERE CycleId > 0 ORDER BY CycleId DESC');
  await pool.request().input('id', sql.BigInt, 1).input('r', sql.NVarChar(8), 'OK').input('t', sql.DateTime2(3), new Date()).query('SELECT * FROM CycleLog WHERE CycleId >= @id AND Result = @r AND CycleEnd < @t');
  await pool.request().input('j', sql.NVarChar(32), 'FUZZ-REC').query("UPDATE JobQueue SET Command = 'START' WHERE JobId = @j");
  await pool.close();
  await new Promise<void>((r) => proxy.close(() => r()));
  const stream = Buffer.concat(chunks);
  const packets: Buffer[] = [];
  for (let at = 0; at + 5 <= stream.length; ) {
    // TDS packets, and after a TLS handshake, bare TLS records
    const len = stream[at] === 0x17 || stream[at] === 0x15 ? 5 + stream.readUInt16BE(at + 3) : stream.readUInt16BE(at + 2);
    packets.push(stream.subarray(at, at + len));
    at += Math.max(len, 1);
  }
  return packets;
}

function mutate(p: Buffer, rnd: ReturnType<typeof prng>): Buffer {
  const b = Buffer.from(p);
  switch (rnd.int(9)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + rnd.int(8); i < n; i++) {
        const at = rnd.int(b.length);
        b[at] = b[at]! ^ (1 << rnd.int(8));
      }
      return b;
    case 1: // truncate, keeping the header's length claim
      return b.subarray(0, rnd.int(b.length));
    case 2: // a lying length field
      b.writeUInt16BE(rnd.pick([0, 1, 7, 8, 9, b.length - 1, b.length + 1, 0xffff, rnd.int(0x10000)]), 2);
      return b;
    case 3: // random garbage of the same length
      for (let i = 8; i < b.length; i++) b[i] = rnd.int(256);
      return b;
    case 4: // another packet type or status
      b[0] = rnd.int(256);
      b[1] = rnd.int(256);
      return b;
    case 5: // body bytes overwritten by 0x00/0xff runs (lengths, counts)
      for (let i = 8 + rnd.int(Math.max(1, b.length - 8)), n = rnd.int(16); n > 0 && i < b.length; n--, i++) b[i] = rnd.pick([0, 0xff, 0x7f, 0x80]);
      return b;
    case 6: // pure garbage
      return Buffer.from(Array.from({ length: rnd.int(600) }, () => rnd.int(256)));
    case 7: // a length field inside the body (LOGIN7 offsets, ALL_HEADERS, param lengths)
      if (b.length > 12) b.writeUInt16LE(rnd.int(0x10000), 8 + rnd.int(b.length - 10));
      return b;
    default: // valid packet
      return b;
  }
}

async function fuzzConnection(port: number, packets: Buffer[], rnd: ReturnType<typeof prng>): Promise<number> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', resolve);
  });
  let sent = 0;
  // the valid conversation, with mutations sprinkled in, written in random (often tiny) pieces
  const plan = packets.map((p) => (rnd.next() < 0.35 ? mutate(p, rnd) : p));
  if (rnd.next() < 0.2) plan.splice(rnd.int(plan.length), 0, mutate(rnd.pick(packets), rnd));
  for (const p of plan) {
    if (socket.destroyed) break;
    const tiny = rnd.next() < 0.3;
    for (let at = 0; at < p.length; ) {
      const n = tiny ? 1 + rnd.int(7) : 1 + rnd.int(p.length);
      socket.write(p.subarray(at, at + n));
      at += n;
      if (tiny && rnd.next() < 0.1) await new Promise((r) => setImmediate(r));
    }
    sent++;
    await new Promise((r) => setTimeout(r, rnd.int(3)));
  }
  await new Promise((r) => setTimeout(r, 5 + rnd.int(20)));
  socket.destroy();
  return sent;
}

describe('fuzz', () => {
  let server: TdsServer;
  let db: SqlDatabase;
  let packets: Buffer[];
  const events = new Map<string, number>();
  const internal: string[] = [];

  beforeAll(async () => {
    // count what the server logs: how far the fuzzers got, and any internal (non-SQL) error
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const e = JSON.parse(line) as { msg: string; err?: string; level: number };
          events.set(e.msg, (events.get(e.msg) ?? 0) + 1);
          if (e.level >= 50) internal.push(e.err ?? e.msg);
        }
        cb();
      },
    });
    ({ server, db } = await startServer({ tls: 'on', loginTimeoutMs: 2000, log: pino({ level: 'debug' }, sink) }));
    for (let i = 0; i < 20; i++) db.insert('CycleLog', { CycleEnd: new Date(Date.UTC(2026, 0, 1, 0, i)), Result: i % 3 ? 'OK' : 'NOK', CycleTimeS: i });
    packets = await recordClientPackets(server.port);
  });
  afterAll(() => server?.close());

  it('survives thousands of mutated packets while a good client keeps getting correct answers', async () => {
    expect(packets.length).toBeGreaterThanOrEqual(6);
    expect(packets[0]![0]).toBe(0x12); // PRELOGIN
    expect(packets[1]![0]).toBe(0x10); // LOGIN7
    const pool = await new sql.ConnectionPool(mssqlConfig(server.port, { pool: { max: 2, min: 1 } })).connect();
    let goodQueries = 0;
    let stop = false;
    const good = (async () => {
      while (!stop) {
        const r = await pool.request().input('r', sql.NVarChar(8), 'NOK').query('SELECT COUNT(*) AS n, MAX(CycleTimeS) AS m FROM CycleLog WHERE Result = @r');
        expect(r.recordset).toEqual([{ n: 7, m: 18 }]);
        goodQueries++;
      }
    })();
    const rnd = prng(0xc0ffee);
    let sent = 0;
    const connections = 480;
    const parallel = 16;
    for (let k = 0; k < connections; k += parallel) {
      const batch = Array.from({ length: Math.min(parallel, connections - k) }, () => fuzzConnection(server.port, packets, rnd));
      sent += (await Promise.all(batch)).reduce((a, b) => a + b, 0);
    }
    stop = true;
    await good;
    expect(sent).toBeGreaterThan(2500);
    expect(goodQueries).toBeGreaterThan(20);
    expect(internal).toEqual([]);
    // the mutations reach every stage: refused at framing, at login, and as SQL after login
    expect(events.get('closing connection')).toBeGreaterThan(100);
    expect(events.get('login')).toBeGreaterThan(100);
    if (process.env.TDS_FUZZ_STATS) console.log(Object.fromEntries(events), { sent, goodQueries });
    // afterwards: the fuzzers' connections are gone, the store is intact, new clients are served
    await expect.poll(() => [...server.connections].filter((c) => !c.user).length, { timeout: 5000 }).toBe(0);
    const after = await new sql.ConnectionPool(mssqlConfig(server.port, { pool: { max: 1, min: 0 } })).connect();
    expect((await after.request().query('SELECT COUNT(*) AS n FROM CycleLog')).recordset).toEqual([{ n: 20 }]);
    await after.close();
    await pool.close();
  });

  it('survives replayed and mutated TLS sessions (handshake inside PRELOGIN, then bare records)', async () => {
    const tlsPackets = await recordClientPackets(server.port, true);
    // PRELOGIN, handshake flights wrapped in PRELOGIN packets, then TLS application records
    expect(tlsPackets.filter((p) => p[0] === 0x12).length).toBeGreaterThanOrEqual(3);
    expect(tlsPackets.some((p) => p[0] === 0x17)).toBe(true);
    const before = events.get('closing connection') ?? 0;
    const rnd = prng(0x7151);
    let sent = 0;
    for (let k = 0; k < 180; k += 12) {
      sent += (await Promise.all(Array.from({ length: 12 }, () => fuzzConnection(server.port, tlsPackets, rnd)))).reduce((a, b) => a + b, 0);
    }
    expect(sent).toBeGreaterThan(400);
    expect(internal).toEqual([]);
    expect((events.get('closing connection') ?? 0) - before).toBeGreaterThan(50);
    await expect.poll(() => [...server.connections].filter((c) => !c.user).length, { timeout: 5000 }).toBe(0);
    const pool = await new sql.ConnectionPool(mssqlConfig(server.port, { pool: { max: 1, min: 0 }, options: { encrypt: true, trustServerCertificate: true } })).connect();
    expect((await pool.request().query('SELECT COUNT(*) AS n FROM CycleLog')).recordset).toEqual([{ n: 20 }]);
    await pool.close();
  });
});
