import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlant, parseS7Address, type Machine, type S7Address } from '@plant-twin/plant-model';
import { S7Connection } from './connection.js';
import { decodeValue, encodeWrite } from './codec.js';
import { S7ConnectionError, S7Error, S7ItemError, S7PlcError, S7ProtocolError } from './errors.js';
import { planReads } from './planner.js';
import { readCpuIdentity } from './identity.js';
import { tpkt, dataFrame } from './protocol.js';
import { ChaosProxy } from './testing/chaos-proxy.js';
import { HostilePlc, ackData } from './testing/hostile-plc.js';
import { machineImage, startS7Server, type RunningS7Server } from './testing/snap7-server.js';

const plant = loadPlant();
const s7Machines = plant.machines.filter((m) => m.interface.type === 's7');

/** Reads every tag of the machine through the planner's requests and decodes it. */
async function readAll(conn: S7Connection, machine: Machine) {
  const plan = planReads(machine.tags, { pduSize: conn.pduSize });
  const buffers = plan.ranges.map((r) => Buffer.alloc(r.length));
  for (const req of plan.requests) {
    const data = await conn.read(req.items);
    req.items.forEach((it, i) => data[i]!.copy(buffers[it.range]!, it.start - plan.ranges[it.range]!.start));
  }
  const out = new Map<string, unknown>();
  for (const [name, slot] of plan.slots) out.set(name, decodeValue(slot.address, buffers[slot.range]!, slot.offset));
  return { values: out, requests: plan.requests.length };
}

const servers = new Map<string, RunningS7Server>();
const images = new Map<string, ReturnType<typeof machineImage>>();

beforeAll(async () => {
  for (const m of s7Machines) {
    const img = machineImage(m);
    images.set(m.id, img);
    servers.set(m.id, await startS7Server(img.dbs));
  }
});
afterAll(async () => {
  for (const s of servers.values()) await s.stop();
});

const connect = (port: number, extra: Partial<ConstructorParameters<typeof S7Connection>[0]> = {}) =>
  new S7Connection({ host: '127.0.0.1', port, backoffBaseMs: 50, backoffMaxMs: 400, connectTimeoutMs: 2000, requestTimeoutMs: 1500, ...extra }).start();

describe('S7Connection against node-snap7', () => {
  it('reads every tag of every S7 machine with the right type and value', async () => {
    for (const m of s7Machines) {
      for (const pduSize of [240, 960]) {
        const conn = connect(servers.get(m.id)!.port, { pduSize, label: m.id });
        await conn.waitUp();
        expect(conn.pduSize).toBe(pduSize);
        const { values } = await readAll(conn, m);
        for (const t of m.tags) {
          const want = images.get(m.id)!.values.get(t.name);
          const got = values.get(t.name);
          expect(typeof got, `${m.id}.${t.name}`).toBe(t.type === 'bool' ? 'boolean' : t.type === 'string' || t.type === 'char' ? 'string' : 'number');
          expect(got, `${m.id}.${t.name} (${t.address}) @${pduSize}`).toEqual(want);
        }
        await conn.close();
      }
    }
  });

  it('follows the PDU size the PLC imposes (an S7-1200 answers 240 to a request for 960)', async () => {
    const m = s7Machines.find((x) => x.interface.type === 's7' && x.interface.plc === 'S7-1200')!;
    const img = machineImage(m);
    const small = await startS7Server(img.dbs, { pduSize: 240 });
    const conn = connect(small.port, { pduSize: 960 });
    await conn.waitUp();
    expect(conn.pduSize).toBe(240);
    const { values, requests } = await readAll(conn, m);
    expect(requests).toBe(planReads(m.tags, { pduSize: 240 }).requests.length);
    expect(requests).toBeGreaterThan(1);
    for (const t of m.tags) expect(values.get(t.name), t.name).toEqual(img.values.get(t.name));
    await conn.close();
    await small.stop();
  });

  it('writes bytes and single bits without touching neighbouring bits', async () => {
    const m = s7Machines[0]!;
    const conn = connect(servers.get(m.id)!.port);
    await conn.waitUp();
    const a = (s: string) => parseS7Address(s) as S7Address;
    const before = await conn.read([{ db: 1, start: 20, length: 1 }]);
    await conn.write([encodeWrite(a('DB20,REAL4'), 1234.5), encodeWrite(a('DB1,X20.5'), true), encodeWrite(a('DB1,S26.32'), 'JOB-42')]);
    const [real, bits, str] = await conn.read([{ db: 20, start: 4, length: 4 }, { db: 1, start: 20, length: 1 }, { db: 1, start: 26, length: 34 }]);
    expect(decodeValue(a('DB20,REAL4'), real!, 0)).toBe(1234.5);
    expect(bits![0]).toBe(before[0]![0]! | 0x20);
    expect(decodeValue(a('DB1,S26.32'), str!, 0)).toBe('JOB-42');
    await conn.write([encodeWrite(a('DB1,X20.5'), false)]);
    expect((await conn.read([{ db: 1, start: 20, length: 1 }]))[0]![0]).toBe(before[0]![0]);
    await conn.close();
  });

  it('names the TIA Portal fix when a DB does not exist or an address is out of range', async () => {
    const conn = connect(servers.get(s7Machines[0]!.id)!.port);
    await conn.waitUp();
    const [missing, outOfRange, fine] = await conn.readItems([{ db: 77, start: 0, length: 4 }, { db: 10, start: 250, length: 20 }, { db: 10, start: 0, length: 4 }]);
    expect(missing).toBeInstanceOf(S7ItemError);
    expect((missing as S7ItemError).message).toMatch(/DB77 does not exist.*'Optimized block access' for DB77.*PUT\/GET/);
    expect(outOfRange).toBeInstanceOf(S7ItemError);
    expect((outOfRange as S7ItemError).message).toMatch(/DB10 bytes 250\.\.269 is out of range.*disable 'Optimized block access' for DB10/);
    expect(fine).toBeInstanceOf(Buffer);
    await expect(conn.read(Array.from({ length: 25 }, (_, i) => ({ db: 10, start: i * 4, length: 2 })))).rejects.toThrow(/25 items in one request; the S7 limit is 20/);
    await expect(conn.read([{ db: 10, start: 0, length: 2000 }])).rejects.toThrow(/exceeds the negotiated PDU size/);
    expect(conn.connected).toBe(true);
    await conn.close();
  });

  it('reports a refused TCP connection and keeps retrying with backoff', async () => {
    const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(s7Machines[0]!.id)!.port }).listen();
    proxy.refuse(true);
    const conn = connect(proxy.port);
    const downs: S7Error[] = [];
    conn.on('down', (e: S7Error) => downs.push(e));
    await new Promise((r) => setTimeout(r, 700));
    expect(downs.length).toBeGreaterThanOrEqual(2);
    expect(downs[0]).toBeInstanceOf(S7ConnectionError);
    await expect(conn.read([{ db: 1, start: 0, length: 2 }])).rejects.toThrow(/not connected/);
    proxy.refuse(false);
    await conn.waitUp(3000);
    expect((await conn.read([{ db: 1, start: 0, length: 2 }]))[0]!.length).toBe(2);
    await conn.close();
    await proxy.close();
  });
});

describe('S7Connection through a bad network', () => {
  for (const [mode, options] of [
    ['split into 1-7-byte pieces', { split: true }],
    ['replies merged into one segment', { mergeMs: 15 }],
    ['split, merged and delayed', { split: true, mergeMs: 10, delayMs: 1 }],
  ] as const) {
    it(`reads stay correct: ${mode}`, async () => {
      const m = s7Machines[2]!;
      const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(m.id)!.port }, options).listen();
      const conn = connect(proxy.port, { pduSize: 240, parallel: 3, requestTimeoutMs: 4000 });
      await conn.waitUp(4000);
      // several polls at once so that replies are in flight together and can merge
      const polls = await Promise.all(Array.from({ length: 6 }, () => readAll(conn, m)));
      for (const { values } of polls) for (const t of m.tags) expect(values.get(t.name), t.name).toEqual(images.get(m.id)!.values.get(t.name));
      expect(conn.stats.reconnects).toBe(0);
      await conn.close();
      await proxy.close();
    });
  }

  it('after a drop, fails pending reads, reconnects and resumes', async () => {
    const m = s7Machines[0]!;
    const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(m.id)!.port }, { delayMs: 20 }).listen();
    const conn = connect(proxy.port);
    await conn.waitUp();
    const downs: unknown[] = [];
    conn.on('down', (e) => downs.push(e));
    const pending = conn.read([{ db: 1, start: 0, length: 20 }]);
    setTimeout(() => proxy.dropAll(), 5);
    await expect(pending).rejects.toBeInstanceOf(S7ConnectionError);
    expect(downs.length).toBe(1);
    await conn.waitUp(3000);
    expect(conn.stats.reconnects).toBe(1);
    const { values } = await readAll(conn, m);
    expect(values.get('good_count')).toEqual(images.get(m.id)!.values.get('good_count'));
    await conn.close();
    await proxy.close();
  });
});

describe('S7Connection: what a lost link reads like', () => {
  // the handshake stage used to stick at "S7 setup communication" once connected, so every drop,
  // even after hours of polling, read as a failed handshake
  it('after a dropped link says the PLC closed it, without a handshake stage, however long it was up', async () => {
    const m = s7Machines[0]!;
    const proxy = await new ChaosProxy({ host: '127.0.0.1', port: servers.get(m.id)!.port }).listen();
    const conn = connect(proxy.port, { label: m.id });
    await conn.waitUp();
    for (let i = 0; i < 20; i++) await readAll(conn, m);
    const downs: Error[] = [];
    conn.on('down', (e: Error) => downs.push(e));
    proxy.refuse(true);
    proxy.dropAll();
    await new Promise((r) => setTimeout(r, 300));
    expect(downs[0]?.message).toMatch(/^PRS-01: (connection closed by the PLC|ECONNRESET)/);
    expect(downs[0]?.message).not.toMatch(/setup communication/);
    // the attempts that follow fail during the handshake, and say at which stage
    expect(downs.slice(1).some((e) => /connection closed by the PLC \(ISO \(COTP\) connect\)/.test(e.message))).toBe(true);
    proxy.refuse(false);
    await conn.waitUp(3000);
    proxy.dropAll();
    await new Promise((r) => setTimeout(r, 100));
    expect(downs.at(-1)?.message).not.toMatch(/\(ISO|\(S7 setup|\(TCP/);
    await conn.close();
    await proxy.close();
  });
});

describe('CPU identity (SZL)', () => {
  it('reads the order number and module name the CPU reports', async () => {
    const conn = connect(servers.get(s7Machines[0]!.id)!.port);
    await conn.waitUp();
    const id = await readCpuIdentity(conn);
    expect(id.unreadable).toEqual([]);
    // node-snap7's server answers as the CPU it emulates
    expect(id.orderNumber).toMatch(/^6ES7 /);
    expect(id.moduleName).toMatch(/CPU/);
    await conn.close();
  });

  it('says why when the CPU refuses the lists, and the connection stays usable', async () => {
    const plc = await new HostilePlc((req, ref) => {
      if (req.readUInt8(1) === 0x07) {
        const h = Buffer.alloc(10);
        h.writeUInt8(0x32, 0);
        h.writeUInt8(0x07, 1);
        h.writeUInt16BE(ref, 4);
        const param = Buffer.from([0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x00, 0x00, 0x00, 0xd4, 0x01]);
        const data = Buffer.from([0x0a, 0x00, 0x00, 0x00]);
        h.writeUInt16BE(param.length, 6);
        h.writeUInt16BE(data.length, 8);
        return dataFrame(Buffer.concat([h, param, data]));
      }
      return dataFrame(ackData(ref, Buffer.from([0x04, 0x01]), Buffer.from([0xff, 0x04, 0x00, 0x20, 1, 2, 3, 4])));
    }).listen();
    const conn = connect(plc.port);
    await conn.waitUp();
    const id = await readCpuIdentity(conn);
    expect(id.orderNumber).toBeUndefined();
    expect(id.unreadable).toEqual([expect.stringContaining('refused to read SZL 0x0011 (error 0xD401)'), expect.stringContaining('SZL 0x001c')]);
    expect(await conn.read([{ db: 1, start: 0, length: 4 }])).toEqual([Buffer.from([1, 2, 3, 4])]);
    expect(conn.stats.reconnects).toBe(0);
    await conn.close();
    await plc.close();
  });
});

describe('S7Connection against a hostile PLC', () => {
  const readReq = [{ db: 1, start: 0, length: 4 }];
  // the last flag: true where the stream itself is broken, so the driver must drop and reconnect;
  // false where the framing is intact and only the reply's content is wrong (that request fails, the link stays)
  const cases: [string, (req: Buffer, ref: number) => Buffer | 'silence' | 'close', RegExp, new (...a: never[]) => Error, boolean][] = [
    ['garbage bytes', () => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), /not a TPKT frame/, S7ProtocolError, true],
    ['an oversized TPKT frame', () => Buffer.from([0x03, 0x00, 0xff, 0xf0, 0x02, 0xf0, 0x80]), /exceeds the/, S7ProtocolError, true],
    ['a truncated reply', (_r, ref) => dataFrame(ackData(ref, Buffer.from([0x04, 0x01]), Buffer.from([0xff, 0x04, 0x00, 0x20, 1, 2, 3, 4]))).subarray(0, 20), /no reply within/, S7ConnectionError, true],
    ['S7 lengths that do not add up', (_r, ref) => { const p = ackData(ref, Buffer.from([0x04, 0x01]), Buffer.from([0xff, 0x04, 0x00, 0x20, 1, 2, 3, 4])); p.writeUInt16BE(500, 8); return dataFrame(p); }, /do not match/, S7ProtocolError, true],
    ['an item announcing more data than sent', (_r, ref) => dataFrame(ackData(ref, Buffer.from([0x04, 0x01]), Buffer.from([0xff, 0x04, 0x7f, 0xf8, 1, 2, 3, 4]))), /announced/, S7ProtocolError, false],
    ['an error reply to a 25-item request (nodes7 died on this)', (_r, ref) => dataFrame(ackData(ref, Buffer.from([0x04, 25]), Buffer.alloc(25 * 4, 0x05))), /carries 25 items, 1 were requested/, S7ProtocolError, false],
    ['a COTP disconnect', () => tpkt(Buffer.from([0x06, 0x80, 0x00, 0x01, 0x00, 0x01, 0x80])), /refused the ISO connection/, S7ConnectionError, true],
    ['a non-S7 payload', () => dataFrame(Buffer.from([0x72, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), /not an S7 PDU/, S7ProtocolError, true],
  ];
  for (const [name, answer, message, type, drops] of cases) {
    it(`survives ${name}, reports it and reconnects`, async () => {
      const plc = await new HostilePlc(answer).listen();
      const conn = connect(plc.port, { requestTimeoutMs: 300 });
      const downs: Error[] = [];
      conn.on('down', (e: Error) => downs.push(e));
      await conn.waitUp();
      const err = await conn.read(readReq).then(() => undefined, (e: Error) => e);
      expect(err).toBeInstanceOf(type);
      expect(err!.message).toMatch(message);
      if (drops) expect(downs[0]?.message).toMatch(message);
      else {
        expect(downs).toEqual([]);
        expect(conn.connected).toBe(true);
      }
      // back up again on its own: a well-behaved answer now reads fine
      plc.answer = (_r, ref) => dataFrame(ackData(ref, Buffer.from([0x04, 0x01]), Buffer.from([0xff, 0x04, 0x00, 0x20, 9, 8, 7, 6])));
      await conn.waitUp(3000);
      expect([...(await conn.read(readReq))[0]!]).toEqual([9, 8, 7, 6]);
      await conn.close();
      await plc.close();
    });
  }

  it('turns a header error into a TIA Portal instruction and stays connected', async () => {
    const plc = await new HostilePlc((_r, ref) => dataFrame(ackData(ref, Buffer.from([0x04, 0x00]), Buffer.alloc(0), 0x81, 0x04))).listen();
    const conn = connect(plc.port);
    await conn.waitUp();
    const err = await conn.read(readReq).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(S7PlcError);
    expect(err!.message).toMatch(/Permit access with PUT\/GET communication from remote partner/);
    expect(conn.connected).toBe(true);
    const accessDenied = new HostilePlc((_r, ref) => dataFrame(ackData(ref, Buffer.from([0x04, 0x01]), Buffer.from([0x03, 0x00, 0x00, 0x00]))));
    await accessDenied.listen();
    const c2 = connect(accessDenied.port);
    await c2.waitUp();
    const [r] = await c2.readItems([{ db: 10, start: 0, length: 4 }]);
    expect((r as Error).message).toBe(
      "DB10 is not accessible (DB10 bytes 0..3: access not allowed): in TIA Portal disable 'Optimized block access' for DB10 (right-click DB10 > Properties > Attributes), compile and download and enable 'Permit access with PUT/GET communication from remote partner' (CPU properties > Protection & Security > Connection mechanisms) and download the hardware configuration",
    );
    await Promise.all([conn.close(), c2.close(), plc.close(), accessDenied.close()]);
  });
});
