import { rename } from 'node:fs/promises';
import type { ReportCase } from '@plant-twin/contracts';
import type { Machine } from '@plant-twin/plant-model';
import type { MachineDriver } from '@plant-twin/machine-pod';
import { ChaosProxy } from '@plant-twin/s7-driver/testing';
import { CaseLog, failed, passed, skipped } from '../cases.js';
import { machineUnderTest, recordingContext, type DriverRecorder } from '../machines/index.js';
import { quietLog } from '../log.js';
import { machineOptions, type Suite, type SuiteContext } from './context.js';

/**
 * Fault drills against the simulated plant: a fault is injected while the pod's driver polls, held
 * for a while, and taken away. Each drill must show that the driver noticed (link reported down with
 * a reason that says what happened), and that it came back by itself (reconnected, polling again)
 * within its recovery time: the reconnect backoff's ceiling plus a margin.
 */
interface Drill {
  name: string;
  machine: Machine;
  /** where the driver connects instead of the machine (a proxy), if not directly */
  via?: () => Promise<{ host: string; port: number; close(): Promise<void> }>;
  inject(): Promise<void>;
  restore(): Promise<void>;
  /** the down reason must match */
  reason: RegExp;
  /** and must not match (e.g. a stale handshake stage) */
  notReason?: RegExp;
  detectWithinMs: number;
  recoverWithinMs: number;
}

const outageMs = 5_000;

async function runDrill(ctx: SuiteContext, d: Drill, log: CaseLog): Promise<void> {
  const mut = machineUnderTest(d.machine);
  const o = machineOptions(ctx, d.machine);
  const proxy = await d.via?.();
  const machine: Machine = proxy ? { ...d.machine, interface: { ...d.machine.interface, host: proxy.host, port: proxy.port } as Machine['interface'] } : d.machine;
  const rec: DriverRecorder = recordingContext(machine, quietLog());
  let driver: MachineDriver | undefined;
  const figures: Record<string, number | string | null> = { outage_ms: outageMs };
  const subject = d.name;
  await log.check(d.name, async () => {
    driver = await mut.driver(machine, rec, o);
    await driver.start();
    if (!(await rec.until(() => driver!.connected() && rec.polls.count > 0, 20_000))) return failed({ subject, message: 'the driver was not polling before the drill', expected: 'connected and polling', seen: rec.links.at(-1)?.reason ?? 'not connected' });
    const links = rec.links.length;
    const t0 = Date.now();
    await d.inject();
    const down = await rec.until(() => rec.links.slice(links).some((l) => !l.up), d.detectWithinMs);
    const downAt = rec.links.slice(links).find((l) => !l.up);
    figures.detect_ms = downAt ? downAt.at - t0 : null;
    figures.reason = downAt?.reason?.slice(0, 200) ?? null;
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + outageMs - Date.now())));
    const tr = Date.now();
    await d.restore();
    const pollsBefore = rec.polls.count;
    const up = await rec.until(() => driver!.connected() && rec.polls.count > pollsBefore, d.recoverWithinMs);
    figures.recover_ms = up ? Date.now() - tr : null;
    figures.recover_limit_ms = d.recoverWithinMs;
    if (!down) return failed({ subject, message: `the fault was not noticed within ${d.detectWithinMs} ms`, expected: 'the link reported down', seen: 'still up', fix: 'the driver must report a lost link (request timeouts, socket errors)', figures });
    if (!d.reason.test(downAt!.reason ?? '') || d.notReason?.test(downAt!.reason ?? ''))
      return failed({ subject, message: 'the link loss was reported with the wrong reason', expected: `a reason matching ${d.reason}${d.notReason ? ` and not ${d.notReason}` : ''}`, seen: downAt!.reason ?? '(none)', figures });
    if (!up) return failed({ subject, message: `not polling again within ${d.recoverWithinMs} ms of the fault's end`, expected: `reconnected within ${d.recoverWithinMs} ms`, seen: rec.links.at(-1)?.reason ?? 'still down', fix: 'the reconnect loop must go on forever with capped backoff', figures });
    return passed({ subject, message: `noticed in ${figures.detect_ms} ms (${String(figures.reason).slice(0, 80)}), polling again ${figures.recover_ms} ms after the fault ended`, figures });
  }).finally(async () => {
    await driver?.stop();
    rec.dispose();
    await proxy?.close();
  });
}

/** A link cut between the driver and the machine: the driver goes through a user-space proxy that drops every connection and refuses new ones for the outage. */
function linkCut(name: string, machine: Machine, reason: RegExp, limits: { detectWithinMs: number; recoverWithinMs: number }, notReason?: RegExp): Drill {
  let proxy: ChaosProxy | undefined;
  const itf = machine.interface as { host: string; port: number };
  return {
    name,
    machine,
    via: async () => {
      proxy = await new ChaosProxy({ host: itf.host, port: itf.port }).listen();
      return { host: '127.0.0.1', port: proxy.port, close: () => proxy!.close() };
    },
    inject: async () => {
      proxy!.refuse(true);
      proxy!.dropAll();
    },
    restore: async () => proxy!.refuse(false),
    reason,
    ...(notReason ? { notReason } : {}),
    ...limits,
  };
}

function drills(ctx: SuiteContext): Drill[] {
  const sim = ctx.target.sim!;
  const of = (type: string) => ctx.machines.filter((m) => m.interface.type === type);
  const s7 = of('s7'), sql = of('sql'), files = of('file');
  const face = (m: Machine, action: 'stop' | 'start') => () => sim.post(`/machines/${m.id}/face/${action}`).then(() => undefined);
  const out: Drill[] = [];
  if (s7[0]) out.push({ name: 'PLC powered off', machine: s7[0], inject: face(s7[0], 'stop'), restore: face(s7[0], 'start'), reason: /ECONNREFUSED|closed|ECONNRESET|no reply/, detectWithinMs: 10_000, recoverWithinMs: 35_000 });
  const cut = s7[1] ?? s7[0];
  // a link that was up and is cut reads "closed by the PLC", never a handshake stage (fixed defect)
  if (cut) out.push(linkCut('S7 link cut (user-space proxy)', cut, /connection closed by the PLC$|ECONNRESET/, { detectWithinMs: 5_000, recoverWithinMs: 35_000 }, /setup communication/));
  if (sql[0]) out.push({ name: 'SQL Server stopped', machine: sql[0], inject: face(sql[0], 'stop'), restore: face(sql[0], 'start'), reason: /.+/, detectWithinMs: 15_000, recoverWithinMs: 20_000 });
  const sqlCut = sql[1] ?? sql[0];
  if (sqlCut) out.push(linkCut('SQL link cut (user-space proxy)', sqlCut, /.+/, { detectWithinMs: 15_000, recoverWithinMs: 20_000 }));
  const f = files[0];
  if (f && f.interface.type === 'file') {
    const share = f.interface.share;
    out.push({ name: 'share gone', machine: f, inject: () => rename(share, `${share}.gone`), restore: () => rename(`${share}.gone`, share), reason: /unreachable/, detectWithinMs: 10_000, recoverWithinMs: 10_000 });
  }
  return out;
}

export const drillsSuite: Suite = {
  name: 'fault-drills',
  title: 'Fault drills: PLC off, SQL Server stopped, share gone, link cut; recovery',
  applies: (ctx) => (ctx.target.sim ? true : 'fault drills run against the simulators only (--target sim)'),
  async run(ctx) {
    const cases: ReportCase[] = [];
    // one after another: each drill's recovery is timed on its own
    for (const d of drills(ctx)) {
      const log = new CaseLog(d.machine.id);
      await runDrill(ctx, d, log);
      const c = log.cases[0]!;
      ctx.progress(`  fault-drill  ${d.machine.id.padEnd(7)} ${d.name}: ${c.status}${c.message ? ` - ${c.message}` : ''}`.slice(0, 240));
      cases.push(...log.cases);
    }
    if (!cases.length) cases.push(new CaseLog('plant').add('fault drills', skipped('no machine of the drills\' kinds selected')));
    return cases;
  },
};
