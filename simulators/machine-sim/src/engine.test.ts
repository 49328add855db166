import { loadPlant, type Tag } from '@plant-twin/plant-model';
import { describe, expect, it } from 'vitest';
import { PlantSim } from './plant-sim.js';

const plant = loadPlant();
const start = Date.UTC(2026, 0, 5, 6, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;

function script(seed: number) {
  const sim = new PlantSim({ plant, seed, startMs: start });
  const prs = sim.machine('PRS-01');
  const cnc = sim.machine('CNC-01');
  sim.advance(5 * MIN);
  prs.load('J-1', 'BRK-4411', 300);
  prs.start();
  cnc.load('J-2', 'HUB-7001', 20);
  cnc.start();
  sim.advance(2 * HOUR);
  prs.clear();
  prs.load('J-3', 'RNF-2201', 200);
  prs.start();
  sim.advance(3 * HOUR);
  return sim;
}

function tag(machineId: string, name: string): Tag {
  return plant.machines.find((m) => m.id === machineId)!.tags.find((t) => t.name === name)!;
}

describe('behaviour model', () => {
  it('is deterministic under a seed and differs between seeds', () => {
    const a = script(7).truth;
    const b = script(7).truth;
    const c = script(8).truth;
    expect(a.cycles.length).toBeGreaterThan(100);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.cycles)).not.toBe(JSON.stringify(c.cycles));
  });

  it('reading process values does not change the ground truth', () => {
    const a = script(11);
    const sim = new PlantSim({ plant, seed: 11, startMs: start });
    const prs = sim.machine('PRS-01');
    const cnc = sim.machine('CNC-01');
    const readAll = () => { for (const m of sim.machines.values()) m.tagValues(); };
    for (let i = 0; i < 30; i++) { sim.advance(10_000); readAll(); }
    prs.load('J-1', 'BRK-4411', 300);
    prs.start();
    cnc.load('J-2', 'HUB-7001', 20);
    cnc.start();
    for (let i = 0; i < 120; i++) { sim.advance(MIN); readAll(); }
    prs.clear();
    prs.load('J-3', 'RNF-2201', 200);
    prs.start();
    sim.advance(3 * HOUR);
    expect(JSON.stringify(sim.truth)).toBe(JSON.stringify(a.truth));
  });

  it('completes a job with exactly the good quantity; counters match the truth', () => {
    const sim = new PlantSim({ plant, seed: 3, startMs: start });
    const m = sim.machine('IMM-01');
    expect(m.load('J-10', m.model.parts[0]!.partNumber, 400)).toBe('ok');
    expect(m.start()).toBe('ok');
    for (let i = 0; i < 48 && m.jobView()!.state !== 'completed'; i++) sim.advance(HOUR);
    const job = m.jobView()!;
    expect(job.state).toBe('completed');
    expect(job.good).toBe(400);
    const counts = sim.truth.counts({ machineId: 'IMM-01' });
    expect(counts.byJob['J-10']).toEqual({ good: 400, scrap: job.scrap });
    expect(job.scrap).toBeGreaterThan(0); // scrap rate 1.5 %: hundreds of cycles produce some
    expect(m.counters().good).toBe(counts.good);
    expect(m.counters().scrap).toBe(counts.scrap);
    expect(m.tagValue(tag('IMM-01', 'good_count'))).toBe(400);
    const rec = sim.truth.jobs.find((j) => j.jobId === 'J-10')!;
    expect(rec.outcome).toBe('completed');
    expect(rec.good).toBe(400);
    // the last cycle of the job is good and ends the job
    const cycles = sim.truth.cycles.filter((c) => c.jobId === 'J-10');
    expect(cycles.at(-1)!.result).toBe('good');
    expect(cycles.at(-1)!.at).toBe(rec.endedAt);
    expect(m.currentState).toBe('idle');
    // no production without a job
    const before = sim.truth.counts({ machineId: 'IMM-01' });
    sim.advance(HOUR);
    expect(sim.truth.counts({ machineId: 'IMM-01' })).toEqual(before);
  });

  it('changeover follows the part families', () => {
    const sim = new PlantSim({ plant, seed: 5, startMs: start });
    const m = sim.machine('PRS-02');
    const b = m.model.behaviour;
    const run = (jobId: string, part: string) => {
      expect(m.load(jobId, part, 5)).toBe('ok');
      expect(m.start()).toBe('ok');
      for (let i = 0; i < 100 && m.jobView()!.state !== 'completed'; i++) sim.advance(10 * MIN);
      expect(m.jobView()!.state).toBe('completed');
      expect(m.clear()).toBe('ok');
      const rec = sim.truth.jobs.find((j) => j.jobId === jobId)!;
      const setup = sim.truth.intervals.filter((i) => i.jobId === jobId && i.state === 'setup').reduce((s, i) => s + (i.to! - i.from), 0);
      expect(setup).toBe(rec.setupMs);
      return rec.setupMs;
    };
    expect(run('A', 'BRK-4411')).toBe(b.setupMin * MIN); // nothing set up yet
    expect(run('B', 'BRK-4411')).toBe(0); // same part
    expect(run('C', 'BRK-4412')).toBe(b.setupSameFamilyMin * MIN); // same family
    expect(run('D', 'RNF-2201')).toBe(b.setupMin * MIN); // other family
  });

  it('faults follow MTBF and MTTR over a long run', () => {
    const sim = new PlantSim({ plant, seed: 42, startMs: start, machines: ['CNC-01'] });
    const m = sim.machine('CNC-01');
    const b = m.model.behaviour;
    m.load('LONG', 'HUB-7001', 1_000_000);
    m.start();
    sim.advance(2000 * HOUR);
    const d = sim.truth.durations('CNC-01', sim.now());
    const runningMin = d.running! / MIN;
    const faults = sim.truth.intervals.filter((i) => i.state === 'fault');
    const expected = runningMin / b.mtbfMin;
    expect(expected).toBeGreaterThan(300);
    // Poisson: sd = sqrt(expected) ~ 4 %, bounds at +-20 %
    expect(faults.length).toBeGreaterThan(expected * 0.8);
    expect(faults.length).toBeLessThan(expected * 1.2);
    const meanRepairMin = faults.reduce((s, i) => s + (i.to! - i.from), 0) / faults.length / MIN;
    expect(meanRepairMin).toBeGreaterThan(b.mttrMin * 0.8);
    expect(meanRepairMin).toBeLessThan(b.mttrMin * 1.2);
    // every fault carries a fault alarm of the machine, raised and cleared with the stop
    const codes = new Set(m.model.alarms.filter((a) => a.severity === 'fault').map((a) => a.code));
    expect(faults.every((f) => codes.has(f.alarmCode))).toBe(true);
    const faultAlarms = sim.truth.alarms.filter((a) => a.severity === 'fault');
    expect(faultAlarms.length).toBe(faults.length);
    // micro-stops show as idle without alarm; starved/blocked episodes happen at their rates
    const micro = sim.truth.intervals.filter((i) => i.reason === 'microStop');
    expect(micro.every((i) => i.state === 'idle' && !codes.has(i.alarmCode))).toBe(true);
    const expMicro = (d.running! / HOUR) * b.microStopsPerHour;
    expect(micro.length).toBeGreaterThan(expMicro * 0.7);
    expect(micro.length).toBeLessThan(expMicro * 1.3);
    const starved = sim.truth.intervals.filter((i) => i.state === 'starved').length;
    const expStarved = (d.running! / HOUR) * b.starvedPerHour;
    expect(starved).toBeGreaterThan(expStarved * 0.7);
    expect(starved).toBeLessThan(expStarved * 1.3);
    // cycle times scatter around the ideal with the configured spread
    const cts = sim.truth.cycles.map((c) => c.cycleS);
    const mean = cts.reduce((s, x) => s + x, 0) / cts.length;
    expect(Math.abs(mean - 145) / 145).toBeLessThan(0.01);
    // intervals tile the run without gaps or overlaps
    const iv = sim.truth.intervals;
    for (let i = 1; i < iv.length; i++) expect(iv[i]!.from).toBe(iv[i - 1]!.to);
  });

  it('answers job commands with mailbox result names', () => {
    const sim = new PlantSim({ plant, seed: 1, startMs: start });
    const m = sim.machine('WLD-01');
    expect(m.start()).toBe('noJob');
    expect(m.hold()).toBe('noJob');
    expect(m.load('X', 'NOPE-1', 10)).toBe('unknownPart');
    expect(m.load('X', 'BRK-4411', 0)).toBe('badQuantity');
    expect(m.load('X', 'BRK-4411', 10)).toBe('ok');
    expect(m.load('Y', 'BRK-4411', 10)).toBe('busy');
    expect(m.resume()).toBe('badState');
    expect(m.clear()).toBe('badState');
    expect(m.start()).toBe('ok');
    expect(m.currentState).toBe('setup');
    expect(m.start()).toBe('badState');
    sim.advance(m.model.behaviour.setupMin * MIN + 60_000);
    expect(m.jobView()!.state).toBe('running');
    expect(m.hold()).toBe('ok');
    expect(m.currentState).toBe('idle');
    const held = m.jobView()!;
    sim.advance(30 * MIN);
    expect(m.jobView()).toEqual(held); // nothing produced while held
    expect(m.resume()).toBe('ok');
    expect(m.jobView()!.state).toBe('running');
    expect(m.cancel()).toBe('ok');
    expect(m.cancel()).toBe('badState');
    expect(m.jobView()!.state).toBe('cancelled');
    expect(m.currentState).toBe('idle');
    expect(m.clear()).toBe('ok');
    expect(m.jobView()).toBeNull();
    const cmds = sim.truth.commands.filter((c) => c.machineId === 'WLD-01').map((c) => `${c.command}:${c.result}`);
    expect(cmds).toContain('load:unknownPart');
    expect(sim.truth.jobs.find((j) => j.jobId === 'X')!.outcome).toBe('cancelled');
  });

  it('drives process values: heat-up, idle levels, wear and maintenance, power off', () => {
    const sim = new PlantSim({ plant, seed: 9, startMs: start });
    const m = sim.machine('PRS-01');
    const dieTemp = tag('PRS-01', 'die_temp');
    const tonnage = tag('PRS-01', 'tonnage');
    const t0 = m.tagValue(dieTemp) as number;
    expect(Math.abs(t0 - dieTemp.sim!.idle!)).toBeLessThan(3);
    m.load('J', 'BRK-4411', 100_000);
    m.start();
    sim.advance(m.model.behaviour.setupMin * MIN + 2 * HOUR);
    // faults interrupt, but after two hours of mostly running the die is warm
    const warm = m.tagValue(dieTemp) as number;
    expect(warm).toBeGreaterThan(dieTemp.sim!.idle! + 0.6 * (dieTemp.sim!.running - dieTemp.sim!.idle!));
    // tonnage drifts up with wear; maintenance resets the wear
    for (let i = 0; i < 20 && m.currentState !== 'running'; i++) sim.advance(MIN);
    expect(m.currentState).toBe('running');
    const wear = m.counters().wearCycles;
    expect(wear).toBeGreaterThan(1000);
    const samples = Array.from({ length: 200 }, () => m.tagValue(tonnage) as number);
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    const expected = tonnage.sim!.running + (tonnage.sim!.wear * wear) / 1000;
    expect(Math.abs(mean - expected)).toBeLessThan(10);
    expect(m.maintenance(30 * MIN)).toBe('ok');
    expect(m.currentState).toBe('maintenance');
    sim.advance(30 * MIN);
    expect(m.counters().wearCycles).toBe(0);
    expect(m.setPower(false)).toBe('ok');
    expect(m.currentState).toBe('off');
    expect(m.jobView()!.state).toBe('held');
    expect(m.tagValue(tag('PRS-01', 'state'))).toBe(0);
    sim.advance(6 * HOUR);
    expect(Math.abs((m.tagValue(dieTemp) as number) - 20)).toBeLessThan(2);
    m.setPower(true);
    expect(m.currentState).toBe('idle');
    expect(m.resume()).toBe('ok');
    expect(['running', 'setup']).toContain(m.currentState);
  });

  it('injected faults raise the alarm code and clear it after repair', () => {
    const sim = new PlantSim({ plant, seed: 2, startMs: start });
    const m = sim.machine('IMM-02');
    const code = m.model.alarms.find((a) => a.severity === 'fault')!.code;
    expect(m.injectFault(code, 5 * MIN)).toBe('ok');
    expect(m.currentState).toBe('fault');
    expect(m.alarmCode()).toBe(code);
    sim.advance(5 * MIN);
    expect(m.currentState).toBe('idle');
    expect(m.alarmCode()).toBe(0);
    const a = sim.truth.alarms.find((x) => x.machineId === 'IMM-02' && x.code === code)!;
    expect(a.clearedAt! - a.raisedAt).toBe(5 * MIN);
  });

  it('a CMM measures arriving parts without jobs and is starved in between', () => {
    const sim = new PlantSim({ plant, seed: 4, startMs: start, machines: ['CMM-01'] });
    sim.advance(24 * HOUR);
    const cycles = sim.truth.cycles;
    expect(cycles.length).toBeGreaterThan(24 * 60 / (7 + 8) * 0.6);
    expect(cycles.every((c) => c.jobId === null)).toBe(true);
    expect(new Set(cycles.map((c) => c.partNumber)).size).toBe(2);
    const d = sim.truth.durations('CMM-01', sim.now());
    expect(d.starved!).toBeGreaterThan(0.3 * 24 * HOUR);
    expect(d.running!).toBeGreaterThan(0.3 * 24 * HOUR);
    expect(sim.machine('CMM-01').load('J', 'HUB-7001', 1)).toBe('badState');
  });
});
