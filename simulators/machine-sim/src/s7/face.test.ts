import { loadPlant, mailboxAddress, MailboxCommand, MailboxJobState, MailboxResult, machineStateCode, parseS7Address, type S7Interface } from '@plant-twin/plant-model';
import { createLogger } from '@plant-twin/runtime';
import snap7 from 'node-snap7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../net.js';
import { PlantSim } from '../plant-sim.js';
import { decodeS7 } from './codec.js';
import { S7Face } from './face.js';
import { Nodes7Session } from './nodes7-session.js';

const plant = loadPlant();
const s7Machines = plant.machines.filter((m) => m.interface.type === 's7');
const log = createLogger('s7-face-test', {});
log.level = 'warn';

let sim: PlantSim;
const faces = new Map<string, S7Face>();
let timer: NodeJS.Timeout;
let paused = false;

beforeAll(async () => {
  sim = new PlantSim({ plant, seed: 21, startMs: Date.UTC(2026, 2, 2, 8) });
  for (const m of s7Machines) {
    const face = new S7Face(sim.machine(m.id), m.interface as S7Interface, { bindHost: '127.0.0.1', port: await freePort(), log });
    face.start();
    faces.set(m.id, face);
  }
  // 30 simulated seconds every 20 ms of wall time
  timer = setInterval(() => {
    if (paused) return;
    sim.advance(30_000);
    for (const f of faces.values()) f.sync();
  }, 20);
});

afterAll(() => {
  clearInterval(timer);
  for (const f of faces.values()) f.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The mailbox handshake of plant-model s7-mailbox.ts, driven by one client abstraction. */
interface Io {
  read(addrs: string[]): Promise<Record<string, unknown>>;
  write(addrs: string[], values: unknown[]): Promise<void>;
}
async function mailboxCommand(io: Io, db: number, command: keyof typeof MailboxCommand, load?: { jobId: string; partNumber: string; quantity: number }) {
  const A = (f: Parameters<typeof mailboxAddress>[1]) => mailboxAddress(db, f);
  await until('req and ack clear', async () => {
    const v = await io.read([A('req'), A('ack')]);
    return !v[A('req')] && !v[A('ack')] ? true : undefined;
  });
  const seq = (((await io.read([A('seq')]))[A('seq')] as number) + 1) % 32768;
  if (load) await io.write([A('jobId'), A('partNumber'), A('quantity')], [load.jobId, load.partNumber, load.quantity]);
  await io.write([A('command'), A('seq')], [MailboxCommand[command], seq]);
  await io.write([A('req')], [true]);
  const v = await until('ack', async () => {
    const r = await io.read([A('ack'), A('result'), A('ackSeq')]);
    return r[A('ack')] ? r : undefined;
  });
  expect(v[A('ackSeq')]).toBe(seq);
  await io.write([A('req')], [false]);
  await until('ack cleared', async () => ((await io.read([A('ack')]))[A('ack')] ? undefined : true));
  const code = v[A('result')] as number;
  return Object.entries(MailboxResult).find(([, c]) => c === code)![0];
}

async function status(io: Io, db: number) {
  const A = (f: Parameters<typeof mailboxAddress>[1]) => mailboxAddress(db, f);
  const v = await io.read([A('jobState'), A('good'), A('scrap'), A('busy'), A('done')]);
  return { jobState: v[A('jobState')] as number, good: v[A('good')] as number, scrap: v[A('scrap')] as number, busy: v[A('busy')] as boolean, done: v[A('done')] as boolean };
}

function nodes7Io(s: Nodes7Session): Io {
  return { read: (a) => s.read(a, 10), write: (a, v) => s.write(a, v) };
}

/** node-snap7's own client: raw DB reads/writes decoded with the plant model's addresses. */
function snap7Io(c: InstanceType<typeof snap7.S7Client>): Io {
  return {
    async read(addrs) {
      const out: Record<string, unknown> = {};
      for (const addr of addrs) {
        const a = parseS7Address(addr);
        if (typeof a === 'string') throw new Error(a);
        const buf = await new Promise<Buffer>((res, rej) => c.DBRead(a.db, a.offset, a.size, (err, data) => (err ? rej(new Error(c.ErrorText(err))) : res(data))));
        out[addr] = decodeS7(buf, { ...a, offset: 0 });
      }
      return out;
    },
    async write(addrs, values) {
      for (const [i, addr] of addrs.entries()) {
        const a = parseS7Address(addr);
        if (typeof a === 'string') throw new Error(a);
        const v = values[i];
        let ok: boolean;
        if (a.type === 'bool') ok = c.WriteArea(c.S7AreaDB, a.db, a.offset * 8 + a.bit, 1, c.S7WLBit, Buffer.from([v ? 1 : 0]));
        else {
          const buf = Buffer.alloc(a.size);
          if (a.type === 'int') buf.writeInt16BE(v as number);
          else if (a.type === 'dint') buf.writeInt32BE(v as number);
          else if (a.type === 'string') {
            buf[0] = a.length;
            buf[1] = String(v).length;
            buf.write(String(v), 2, 'latin1');
          } else throw new Error(`test writes no ${a.type}`);
          ok = c.DBWrite(a.db, a.offset, a.size, buf);
        }
        if (!ok) throw new Error(`snap7 write ${addr}: ${c.ErrorText(c.LastError())}`);
      }
    },
  };
}

describe('S7 face', () => {
  it('nodes7 reads every tag of every S7 simulator as the model encodes it', async () => {
    for (const m of s7Machines) {
      const face = faces.get(m.id)!;
      const s = await Nodes7Session.connect('127.0.0.1', face.port);
      try {
        paused = true;
        await sleep(30); // let a running tick finish
        face.sync();
        const values = await s.read(m.tags.map((t) => t.address), 8);
        paused = false;
        for (const t of m.tags) {
          const a = parseS7Address(t.address);
          if (typeof a === 'string') throw new Error(a);
          const expected = decodeS7(face.snapshot(a.db), a);
          expect(values[t.address], `${m.id} ${t.name}`).toEqual(t.type === 'real' ? expect.closeTo(expected as number, 5) : expected);
          if (t.min !== undefined && typeof expected === 'number') expect(expected, `${m.id} ${t.name} >= min`).toBeGreaterThanOrEqual(t.min);
          if (t.max !== undefined && typeof expected === 'number') expect(expected, `${m.id} ${t.name} <= max`).toBeLessThanOrEqual(t.max);
        }
        const machine = sim.machine(m.id);
        const byRole = (role: string) => values[m.tags.find((t) => t.role === role)!.address];
        expect(byRole('state')).toBe(machineStateCode[machine.currentState]);
        expect(byRole('clock')).toBe(sim.now());
        expect(byRole('good_count')).toBe(machine.counters().good);
      } finally {
        paused = false;
        await s.close();
      }
    }
  });

  it('refuses reads of data blocks the PLC does not have', async () => {
    const face = faces.get('PRS-01')!;
    const c = new snap7.S7Client();
    c.SetParam(c.RemotePort, face.port);
    expect(c.ConnectTo('127.0.0.1', 0, 1)).toBe(true);
    expect(c.DBRead(1, 0, 4)).toBeInstanceOf(Buffer);
    expect(c.DBRead(77, 0, 4)).toBe(false);
    expect(c.ErrorText(c.LastError())).toMatch(/not available/i);
    expect(c.DBRead(1, 0, 4096)).toBe(false); // beyond the DB's declared size
    c.Disconnect();
  });

  it('runs the job handshake with nodes7: load, start, hold, resume, cancel, clear and error codes', async () => {
    const m = s7Machines.find((x) => x.id === 'IMM-01')!;
    const db = (m.interface as S7Interface).mailboxDb;
    const s = await Nodes7Session.connect('127.0.0.1', faces.get(m.id)!.port);
    const io = nodes7Io(s);
    try {
      expect(await mailboxCommand(io, db, 'start')).toBe('noJob');
      expect(await mailboxCommand(io, db, 'load', { jobId: 'JOB-N7-1', partNumber: 'NOPE-99', quantity: 10 })).toBe('unknownPart');
      expect(await mailboxCommand(io, db, 'load', { jobId: 'JOB-N7-1', partNumber: m.parts[0]!.partNumber, quantity: 0 })).toBe('badQuantity');
      expect(await mailboxCommand(io, db, 'load', { jobId: 'JOB-N7-1', partNumber: m.parts[0]!.partNumber, quantity: 40 })).toBe('ok');
      expect(await status(io, db)).toMatchObject({ jobState: MailboxJobState.loaded, busy: true, done: false });
      const jobTag = m.tags.find((t) => t.role === 'job_id')!.address;
      expect((await s.read([jobTag]))[jobTag]).toBe('JOB-N7-1');
      expect(await mailboxCommand(io, db, 'load', { jobId: 'JOB-N7-2', partNumber: m.parts[0]!.partNumber, quantity: 5 })).toBe('busy');
      expect(await mailboxCommand(io, db, 'start')).toBe('ok');
      await until('running', async () => ((await status(io, db)).jobState === MailboxJobState.running ? true : undefined));
      expect(await mailboxCommand(io, db, 'hold')).toBe('ok');
      expect((await status(io, db)).jobState).toBe(MailboxJobState.held);
      expect(await mailboxCommand(io, db, 'hold')).toBe('badState');
      expect(await mailboxCommand(io, db, 'resume')).toBe('ok');
      await until('some good parts', async () => ((await status(io, db)).good > 0 ? true : undefined));
      expect(await mailboxCommand(io, db, 'cancel')).toBe('ok');
      const st = await status(io, db);
      expect(st).toMatchObject({ jobState: MailboxJobState.cancelled, busy: false, done: false });
      const truthJob = sim.truth.jobs.find((j) => j.jobId === 'JOB-N7-1')!;
      expect(truthJob.outcome).toBe('cancelled');
      expect(st.good).toBe(truthJob.good);
      expect(await mailboxCommand(io, db, 'clear')).toBe('ok');
      expect((await status(io, db)).jobState).toBe(MailboxJobState.empty);
      // a complete small job: done bit and exact good count
      expect(await mailboxCommand(io, db, 'load', { jobId: 'JOB-N7-3', partNumber: m.parts[0]!.partNumber, quantity: 5 })).toBe('ok');
      expect(await mailboxCommand(io, db, 'start')).toBe('ok');
      const done = await until('done', async () => {
        const x = await status(io, db);
        return x.done ? x : undefined;
      }, 20_000);
      expect(done).toMatchObject({ jobState: MailboxJobState.completed, good: 5, busy: false });
      expect(sim.truth.jobs.find((j) => j.jobId === 'JOB-N7-3')!.good).toBe(5);
      expect(await mailboxCommand(io, db, 'clear')).toBe('ok');
    } finally {
      await s.close();
    }
  });

  it('runs the same handshake with node-snap7 S7Client and takes setpoint writes', async () => {
    const m = s7Machines.find((x) => x.id === 'WLD-01')!;
    const db = (m.interface as S7Interface).mailboxDb;
    const face = faces.get(m.id)!;
    const c = new snap7.S7Client();
    c.SetParam(c.RemotePort, face.port);
    expect(c.ConnectTo('127.0.0.1', 0, 1)).toBe(true);
    const io = snap7Io(c);
    try {
      expect(await mailboxCommand(io, db, 'hold')).toBe('noJob');
      expect(await mailboxCommand(io, db, 'load', { jobId: 'JOB-S7-1', partNumber: 'XX-1', quantity: 3 })).toBe('unknownPart');
      expect(await mailboxCommand(io, db, 'load', { jobId: 'JOB-S7-1', partNumber: m.parts[0]!.partNumber, quantity: 3 })).toBe('ok');
      expect(await mailboxCommand(io, db, 'load', { jobId: 'JOB-S7-2', partNumber: m.parts[0]!.partNumber, quantity: 3 })).toBe('busy');
      expect(await mailboxCommand(io, db, 'start')).toBe('ok');
      expect(await mailboxCommand(io, db, 'hold')).toBe('ok');
      expect(await mailboxCommand(io, db, 'resume')).toBe('ok');
      await until('completed', async () => ((await status(io, db)).done ? true : undefined), 20_000);
      expect((await status(io, db)).good).toBe(3);
      expect(await mailboxCommand(io, db, 'cancel')).toBe('badState');
      expect(await mailboxCommand(io, db, 'clear')).toBe('ok');
      // a setpoint written by a client reaches the model
      const sp = m.tags.find((t) => t.role === 'setpoint' && t.type === 'real')!;
      const a = parseS7Address(sp.address);
      if (typeof a === 'string') throw new Error(a);
      const buf = Buffer.alloc(4);
      buf.writeFloatBE(12.5);
      expect(c.DBWrite(a.db, a.offset, 4, buf)).toBe(true);
      await until('setpoint in the model', () => (sim.machine(m.id).tagValue(sp) === 12.5 ? true : undefined));
      // and stays: the simulator does not overwrite what a client wrote
      await sleep(100);
      expect(decodeS7(c.DBRead(a.db, a.offset, 4) as Buffer, { ...a, offset: 0 })).toBe(12.5);
    } finally {
      c.Disconnect();
    }
  });

  it('a stopped face refuses connections and serves again after start', async () => {
    const face = faces.get('PRS-02')!;
    face.stop();
    await expect(Nodes7Session.connect('127.0.0.1', face.port, 0, 1, 1500)).rejects.toThrow();
    face.start();
    const s = await Nodes7Session.connect('127.0.0.1', face.port);
    const addr = plant.machines.find((m) => m.id === 'PRS-02')!.tags.find((t) => t.role === 'clock')!.address;
    const t1 = (await s.read([addr]))[addr] as number;
    await until('clock moves', async () => (((await s.read([addr]))[addr] as number) > t1 ? true : undefined));
    await s.close();
  });
});
