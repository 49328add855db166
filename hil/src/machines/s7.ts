import { parseS7Address, mailboxSize, type Machine, type S7Address, type S7Interface } from '@plant-twin/plant-model';
import { S7Driver } from '@plant-twin/machine-pod';
import {
  S7Connection,
  S7ItemError,
  S7JobMailbox,
  S7PlcError,
  decodeValue,
  describeError,
  planReads,
  readCpuIdentity,
  type S7ConnectionOptions,
} from '@plant-twin/s7-driver';
import { failed, passed, skipped, type CaseLog } from '../cases.js';
import type { MachineUnderTest } from './types.js';
import { tcpCheck } from './tcp.js';

/**
 * S7 machines through @plant-twin/s7-driver's public API (the connection, planner and mailbox the pods
 * use) and, for polling, the pod's own S7Driver. Messages name the TIA Portal setting to change.
 */
const putGetFix = "in TIA Portal: CPU properties > Protection & Security > Connection mechanisms > enable 'Permit access with PUT/GET communication from remote partner', then download";
const optimizedFix = (db: number) => `in TIA Portal: right-click DB${db} > Properties > Attributes > clear 'Optimized block access', compile and download`;

function itf(m: Machine): S7Interface {
  if (m.interface.type !== 's7') throw new Error(`${m.id} is not an S7 machine`);
  return m.interface;
}

export function s7Connection(m: Machine, extra: Partial<S7ConnectionOptions> = {}): S7Connection {
  const i = itf(m);
  // ask for 960 whatever the CPU: an S7-1200 grants 240, an S7-1500 480-960 (reported)
  return new S7Connection({ host: i.host, port: i.port, rack: i.rack, slot: i.slot, label: m.id, pduSize: 960, connectTimeoutMs: 5000, ...extra });
}

async function withConnection<T>(m: Machine, fn: (c: S7Connection) => Promise<T>): Promise<T> {
  const c = s7Connection(m).start();
  try {
    await c.waitUp(8000);
    return await fn(c);
  } finally {
    await c.close();
  }
}

/** The fix for an S7 error, where the error names a known PLC setting. */
function fixOf(e: unknown): string | undefined {
  if (e instanceof S7PlcError && (e.code === 'plc-0x8104' || e.code === 'plc-0xD241')) return putGetFix;
  if (e instanceof S7ItemError) {
    if (e.returnCode === 0x03 || e.returnCode === 0x0a) return `${optimizedFix(e.item.db)}; and ${putGetFix}`;
    if (e.returnCode === 0x05) return `check the offsets in plant.yaml against DB${e.item.db}, or ${optimizedFix(e.item.db)}`;
  }
  return undefined;
}

async function connectivity(m: Machine, log: CaseLog): Promise<void> {
  const i = itf(m);
  const tcp = await log.check('TCP connect', () => tcpCheck(i.host, i.port, `the PLC (${i.plc})`));
  if (tcp.status === 'failed') {
    log.add('S7 handshake', skipped('no TCP connection'));
    log.add('CPU identity', skipped('no TCP connection'));
    return;
  }
  const c = s7Connection(m).start();
  try {
    await log.check(
      'S7 handshake (ISO connect, setup communication)',
      async () => {
        await c.waitUp(8000);
        const minPdu = i.plc === 'S7-1200' ? 240 : 480;
        const figures = { pdu_bytes: c.pduSize, parallel_jobs: c.parallel, rack: i.rack, slot: i.slot };
        if (c.pduSize < minPdu) return failed({ subject: `rack ${i.rack} slot ${i.slot}`, message: `negotiated PDU ${c.pduSize} bytes`, expected: `at least ${minPdu} bytes for an ${i.plc}`, seen: `${c.pduSize} bytes`, fix: `check that plant.yaml's plc (${i.plc}) is the CPU at this address`, figures });
        return passed({ subject: `rack ${i.rack} slot ${i.slot}`, message: `PDU ${c.pduSize} bytes, ${c.parallel} parallel jobs`, figures });
      },
      (e) => ({ subject: `rack ${i.rack} slot ${i.slot}`, expected: 'ISO connection and S7 setup accepted', seen: describeError(e), fix: `check rack ${i.rack} / slot ${i.slot} (S7-1200/1500: rack 0, slot 1) in the site file and that the CPU has a free connection` }),
    );
    if (!c.connected) return void log.add('CPU identity', skipped('not connected'));
    await log.check('CPU identity', async () => {
      const id = await readCpuIdentity(c);
      const figures = { order_number: id.orderNumber ?? null, module: id.moduleName ?? null, module_type: id.moduleTypeName ?? null, serial: id.serialNumber ?? null };
      if (!id.orderNumber && !id.moduleName) return skipped(`the CPU does not give its identity: ${id.unreadable.join('; ')}`, { figures });
      return passed({ message: [id.moduleName, id.orderNumber].filter(Boolean).join(', '), figures });
    });
  } finally {
    await c.close();
  }
}

/** The DB's length in the PLC, by reading single bytes (binary search between a readable and an unreadable offset). */
async function dbLength(c: S7Connection, db: number, hint: number): Promise<number> {
  const readable = async (offset: number) => {
    const [r] = await c.readItems([{ db, start: offset, length: 1 }]);
    if (r instanceof S7ItemError) {
      if (r.returnCode === 0x05) return false;
      throw r;
    }
    return true;
  };
  if (!(await readable(0))) return 0;
  let lo = 1, hi = Math.max(2, hint); // length >= lo; find the first offset that is not readable
  while (await readable(hi - 1)) {
    lo = hi;
    if (hi >= 65536) return hi;
    hi = Math.min(65536, hi * 2);
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await readable(mid - 1)) lo = mid;
    else hi = mid;
  }
  return (await readable(hi - 1)) ? hi : lo;
}

const typeOk = (type: string, v: unknown) =>
  type === 'bool' ? typeof v === 'boolean' : type === 'string' || type === 'char' ? typeof v === 'string' : typeof v === 'number' && !Number.isNaN(v);

async function tagMap(m: Machine, log: CaseLog): Promise<void> {
  const i = itf(m);
  const c = s7Connection(m).start();
  try {
    try {
      await c.waitUp(8000);
    } catch (e) {
      log.add('S7 connection', failed({ message: describeError(e), expected: 'a connection to read the tag map', seen: describeError(e) }));
      return;
    }
    const addresses = m.tags.map((t) => ({ tag: t, a: parseS7Address(t.address) as S7Address }));
    const dbs = new Map<number, number>(); // db -> bytes the plant model needs
    for (const { a } of addresses) dbs.set(a.db, Math.max(dbs.get(a.db) ?? 0, a.offset + a.size));
    dbs.set(i.mailboxDb, Math.max(dbs.get(i.mailboxDb) ?? 0, mailboxSize));
    for (const db of Object.keys(i.dbSizes).map(Number)) if (!dbs.has(db)) dbs.set(db, 0);
    for (const [db, needed] of [...dbs].sort((x, y) => x[0] - y[0])) {
      const declared = i.dbSizes[String(db)];
      await log.check(
        `DB${db} length`,
        async () => {
          const actual = await dbLength(c, db, declared ?? needed);
          const figures = { declared_bytes: declared ?? null, needed_bytes: needed, plc_bytes: actual };
          const where = `plant.yaml machine ${m.id} interface.dbSizes['${db}']`;
          if (declared !== undefined && actual !== declared)
            return failed({
              subject: `DB${db}`,
              message: `DB${db} is ${actual} bytes in the PLC, the plant model declares ${declared}`,
              expected: `${declared} bytes (${where})`,
              seen: `${actual} bytes`,
              fix: actual < needed ? `extend DB${db} in the PLC program to ${needed} bytes or more, or correct the tag offsets and ${where} to the PLC's DB` : `set ${where} to ${actual} if the PLC program is right (the simulator allocates what the model declares), else correct DB${db} in TIA Portal`,
              figures,
            });
          if (actual < needed) return failed({ subject: `DB${db}`, message: `DB${db} is ${actual} bytes, the tag map reads up to byte ${needed - 1}`, expected: `at least ${needed} bytes`, seen: `${actual} bytes`, fix: `correct the offsets in plant.yaml or extend DB${db}`, figures });
          return passed({ subject: `DB${db}`, message: `${actual} bytes`, figures });
        },
        (e) => ({ subject: `DB${db}`, expected: `DB${db} readable with absolute addresses`, seen: describeError(e), ...(fixOf(e) ? { fix: fixOf(e) } : {}) }),
      );
    }
    const plan = planReads(addresses.map(({ tag, a }) => ({ name: tag.name, address: a })), { pduSize: c.pduSize });
    const buffers = plan.ranges.map((r) => Buffer.alloc(r.length));
    const rangeErrors = new Map<number, unknown>();
    for (const req of plan.requests) {
      try {
        const results = await c.readItems(req.items);
        results.forEach((r, k) => {
          const it = req.items[k]!;
          if (r instanceof S7ItemError) rangeErrors.set(it.range, r);
          else r.copy(buffers[it.range]!, it.start - plan.ranges[it.range]!.start);
        });
      } catch (e) {
        for (const it of req.items) rangeErrors.set(it.range, e);
      }
    }
    for (const { tag } of addresses) {
      const slot = plan.slots.get(tag.name)!;
      const err = rangeErrors.get(slot.range);
      const subject = `${tag.name} (${tag.address})`;
      if (err !== undefined) {
        log.add(`tag ${tag.name}`, failed({ subject, message: describeError(err), expected: `${tag.type} readable at ${tag.address}`, seen: describeError(err), ...(fixOf(err) ? { fix: fixOf(err) } : {}) }));
        continue;
      }
      const value = decodeValue(slot.address, buffers[slot.range]!, slot.offset);
      if (!typeOk(tag.type, value))
        log.add(`tag ${tag.name}`, failed({ subject, message: `reads as ${typeof value} ${String(value)}`, expected: tag.type, seen: `${typeof value} ${String(value)}`, fix: `check the address and type of ${tag.name} in plant.yaml against the DB in TIA Portal` }));
      else log.add(`tag ${tag.name}`, passed({ subject, figures: { value: typeof value === 'number' ? Math.round(value * 1e4) / 1e4 : String(value).slice(0, 40) } }));
    }
    await log.check(`${plan.requests.length} request PDU(s) for ${m.tags.length} tags`, async () =>
      passed({ figures: { pdus: plan.requests.length, lower_bound: plan.lowerBound, pdu_bytes: c.pduSize } }),
    );
  } finally {
    await c.close();
  }
}

async function dryRun(m: Machine, log: CaseLog, o: { allowWrites: boolean; testMailboxDb?: number }): Promise<void> {
  const i = itf(m);
  await withConnection(m, async (c) => {
    await log.check(`job mailbox DB${i.mailboxDb} readable`, async () => {
      const box = await new S7JobMailbox(c, i.mailboxDb, { label: m.id }).status();
      const figures = { job_state: box.jobState, seq: box.seq, ack_seq: box.ackSeq, req: box.req, ack: box.ack };
      if (box.req && box.ack) return failed({ subject: `DB${i.mailboxDb}`, message: 'req and ack are both set: a handshake is stuck', expected: 'req and ack clear between commands', seen: 'req = ack = true', fix: "check the PLC program's mailbox handler: it must clear ack when req is cleared", figures });
      return passed({ subject: `DB${i.mailboxDb}`, message: `job state ${box.jobState}`, figures });
    });
    const db = o.testMailboxDb;
    if (!o.allowWrites) return void log.add('LOAD / CANCEL / CLEAR on the test mailbox', skipped('read-only run (the default on a site): pass --allow-writes to run the handshake on the test mailbox'));
    if (db === undefined) return void log.add('LOAD / CANCEL / CLEAR on the test mailbox', skipped(`no test mailbox for ${m.id} in the site file (hil.machines.${m.id}.testMailboxDb): the dry run never writes to the production mailbox`));
    const box = new S7JobMailbox(c, db, { label: m.id, ackTimeoutMs: 5000 });
    const jobId = `HIL-${Date.now().toString(36).toUpperCase()}`;
    const step = async (cmd: 'load' | 'cancel' | 'clear', state: string) => {
      await log.check(`${cmd.toUpperCase()} on DB${db}`, async () => {
        const t0 = performance.now();
        const result = await box.command(cmd, cmd === 'load' ? { jobId, partNumber: m.parts[0]!.partNumber, quantity: 1 } : {});
        const ms = Math.round((performance.now() - t0) * 10) / 10;
        const now = (await box.status()).jobState;
        if (result !== 'ok') return failed({ subject: `DB${db} ${jobId}`, message: `the PLC answered ${result}`, expected: 'ok', seen: result, fix: result === 'busy' ? 'the mailbox holds a job: run the dry run when the machine is idle, or on a test mailbox' : "check the PLC program's mailbox handler", figures: { handshake_ms: ms } });
        if (now !== state) return failed({ subject: `DB${db} ${jobId}`, message: `job state ${now} after ${cmd.toUpperCase()}`, expected: state, seen: now, figures: { handshake_ms: ms } });
        return passed({ subject: `DB${db} ${jobId}`, message: `ok, job state ${now}`, figures: { handshake_ms: ms } });
      });
    };
    // never START: the dry run loads a one-part job and takes it back
    await step('load', 'loaded');
    await step('cancel', 'cancelled');
    await step('clear', 'empty');
  }).catch((e) => log.add('job mailbox', failed({ message: describeError(e), expected: 'a connection to the PLC', seen: describeError(e) })));
}

export const s7Machine: MachineUnderTest = {
  connectivity,
  tagMap,
  dryRun: (m, log, o) => dryRun(m, log, { allowWrites: o.allowWrites, testMailboxDb: o.site?.testMailboxDb ?? (o.simulated ? itf(m).mailboxDb : undefined) }),
  driver: (_m, rec) => new S7Driver(rec.ctx),
  budgetMs: () => 100,
  gapMs: () => 2_000,
};
