/**
 * A believable recent history of the plant for screenshots and the benchmark's cloud: per machine a
 * shift of states (running most of the time, setups, idle, small stops, a fault), counters, process
 * values that follow their simulated levels, and jobs in progress; and, at `now`, the situations the
 * twin must show: one machine in fault with its alarm, one starved, one whose pod went offline (no data).
 * Seeded: the same seed gives the same plant.
 */
import type { MachineMessage } from '@plant-twin/contracts';
import { messageId } from '@plant-twin/contracts';
import type { Machine, MachineState, Plant } from '@plant-twin/plant-model';
import { seededRandom } from '@plant-twin/runtime';

export interface SeedOptions {
  now: number;
  /** boot id in the message ids: histories of different runs must differ (the cloud deduplicates by id) */
  boot?: string;
  hours: number;
  seed?: number;
  /** seconds between process value samples */
  sampleS?: number;
  /** machine ids to leave at fault / starved / offline at the end */
  fault?: string;
  starved?: string;
  offline?: string;
}

/** A time on the last Tuesday-to-Friday before `now` in the plant's zone: inside a shift of the default calendar. */
export function lastWorkday(now: number, timeZone: string): number {
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' });
  for (let d = 1; ; d++) {
    const t = now - d * 86_400_000;
    if (['Tue', 'Wed', 'Thu', 'Fri'].includes(weekday.format(t))) return t;
  }
}

export function plantHistory(plant: Plant, o: SeedOptions): MachineMessage[] {
  const rnd = seededRandom(o.seed ?? 11);
  const out: MachineMessage[] = [];
  for (const m of plant.machines) out.push(...machineHistory(m, o, rnd));
  return out.sort((a, b) => a.ts - b.ts);
}

function machineHistory(m: Machine, o: SeedOptions, rnd: () => number): MachineMessage[] {
  const boot = o.boot ?? 'seed';
  let seq = 0;
  const env = (ts: number) => ({ v: 1 as const, id: messageId(m.id, boot, ++seq), machineId: m.id, ts, seq });
  const out: MachineMessage[] = [];
  const from = Math.round(o.now - o.hours * 3_600_000);
  const part = m.parts[0]!;
  const jobId = `J-${m.id.replace('-', '')}-1`;
  const quantity = 400 + Math.floor(rnd() * 8) * 100;
  let good = 0, scrap = 0, previous: MachineState | null = null;

  out.push({ ...env(from), kind: 'pod', status: 'online', machineConnected: true });
  out.push({ ...env(from), kind: 'job', jobId, event: 'started', partNumber: part.partNumber, quantity, good: 0, scrap: 0 });

  // a sequence of states: mostly running, broken by setups, small stops, idle and the odd fault
  const end = o.fault === m.id ? 'fault' : o.starved === m.id ? 'starved' : 'running';
  const endFrom = o.now - (end === 'running' ? 20 : 4) * 60_000;
  const states: { state: MachineState; from: number }[] = [];
  for (let t = from; t < endFrom; ) {
    const r = rnd();
    const state: MachineState = r < 0.62 ? 'running' : r < 0.72 ? 'idle' : r < 0.8 ? 'setup' : r < 0.88 ? 'starved' : r < 0.94 ? 'blocked' : 'fault';
    states.push({ state, from: t });
    t += Math.round((state === 'running' ? 15 + rnd() * 50 : 2 + rnd() * 14) * 60_000);
  }
  states.push({ state: end, from: endFrom });

  const levels = m.tags.filter((t) => t.sim);
  const sampleMs = (o.sampleS ?? 60) * 1000;
  const drift = new Map(levels.map((t) => [t.name, 0]));
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    const next = Math.min(states[i + 1]?.from ?? o.now, o.now);
    if (next <= s.from) continue;
    out.push({ ...env(s.from), kind: 'state', state: s.state, previous, quality: 'good', partNumber: part.partNumber, jobId });
    if (s.state === 'fault') {
      const a = m.alarms.find((x) => x.severity === 'fault') ?? m.alarms[0];
      if (a) {
        out.push({ ...env(s.from), kind: 'alarm', code: a.code, text: a.text, severity: a.severity, active: true });
        if (i < states.length - 1) out.push({ ...env(next - 1000), kind: 'alarm', code: a.code, text: a.text, severity: a.severity, active: false });
      }
    }
    previous = s.state;
    for (let t = s.from; t < next; t += sampleMs) {
      if (s.state === 'running') {
        const made = Math.max(1, Math.round(sampleMs / 1000 / part.idealCycleS * (0.85 + rnd() * 0.1)));
        const bad = rnd() < 0.15 ? 1 : 0;
        good += made - bad;
        scrap += bad;
        out.push({ ...env(t + 500), kind: 'counter', goodDelta: made - bad, scrapDelta: bad, goodTotal: good, scrapTotal: scrap, partNumber: part.partNumber, jobId });
      }
      const values = levels.map((tag) => {
        const sim = tag.sim!;
        const d = (drift.get(tag.name) ?? 0) + (rnd() - 0.5) * sim.noise * 0.2;
        drift.set(tag.name, d);
        const level = s.state === 'running' ? sim.running : (sim.idle ?? sim.running * 0.2);
        return { name: tag.name, value: Math.round((level + d + (rnd() - 0.5) * sim.noise) * 100) / 100, quality: 'good' as const, ts: t };
      });
      if (values.length) out.push({ ...env(t), kind: 'sample', values });
    }
  }
  out.push({ ...env(o.now - 30_000), kind: 'job', jobId, event: 'progress', partNumber: part.partNumber, quantity, good: Math.min(good, quantity), scrap });
  if (o.offline === m.id) out.push({ ...env(o.now - 12 * 60_000), kind: 'pod', status: 'offline', machineConnected: false });
  return out;
}
