import type { Plant } from '@plant-twin/plant-model';
import type { ScheduleProblemInput } from './problem.js';
import { Rng } from './rng.js';

export interface PlantInstanceOptions {
  jobs: number;
  seed: number;
  /** plan start, ms (default Monday 2026-03-02 06:00 in the plant's zone, approximated as UTC+1) */
  start?: number;
  /** replicate the plant's machines to this many (the large benchmark: 50) */
  machines?: number;
  /** due dates spread over this share of the estimated makespan (lower: tighter) */
  dueSpread?: number;
}

const hour = 3_600_000;

/**
 * A plant-shaped problem from the plant model: its machines (replicated when asked), parts, changeover
 * rules, shift calendar and time zone; jobs like the ERP simulator's orders (half an hour to three hours
 * of work in round lots, 15 % urgent), due dates spread over the estimated makespan, a fifth released
 * later, half the machines running a job, two planned maintenance windows. Seeded: same seed, same problem.
 */
export function plantInstance(plant: Plant, opts: PlantInstanceOptions): ScheduleProblemInput {
  const rng = new Rng(opts.seed);
  const start = opts.start ?? Date.UTC(2026, 2, 2, 5, 0);
  const base = plant.machines;
  const count = opts.machines ?? base.length;
  const machines = Array.from({ length: count }, (_, i) => {
    const src = base[i % base.length]!;
    const copy = Math.floor(i / base.length);
    return { src, id: copy === 0 ? src.id : `${src.id}-${copy + 1}` };
  });
  // the catalog: one operation per (machine kind, part), eligible on the machines of that kind that make it
  const catalog = new Map<string, { partNumber: string; eligible: string[]; slowestCycleS: number }>();
  for (const { src, id } of machines)
    for (const p of src.parts) {
      const key = `${src.kind}/${p.partNumber}`;
      const item = catalog.get(key) ?? { partNumber: p.partNumber, eligible: [], slowestCycleS: 0 };
      item.eligible.push(id);
      item.slowestCycleS = Math.max(item.slowestCycleS, p.idealCycleS);
      catalog.set(key, item);
    }
  const items = [...catalog.values()].sort((a, b) => a.partNumber.localeCompare(b.partNumber) || a.eligible[0]!.localeCompare(b.eligible[0]!));
  const raw = Array.from({ length: opts.jobs }, (_, j) => {
    const item = items[rng.int(items.length)]!;
    const hours = 0.5 + rng.next() * 2.5;
    const q = (hours * 3600) / item.slowestCycleS;
    const lot = q >= 100 ? 50 : q >= 20 ? 10 : 1;
    return { j, item, hours, quantity: Math.max(1, Math.round(q / lot) * lot) };
  });
  const workHours = raw.reduce((a, r) => a + r.hours, 0);
  // three shifts of 7.25 working hours on weekdays: about 5.2 working hours per wall hour... per machine
  const makespanHours = (workHours / count) * (24 / 22.75) * (7 / 5) * 1.15;
  const spread = opts.dueSpread ?? 1;
  const running = new Set<string>();
  const jobs = raw.map(({ j, item, quantity }) => {
    const urgent = rng.next() < 0.15;
    const due = start + (2 + rng.next() * makespanHours * spread) * hour;
    const late = rng.next() < 0.2;
    const job: NonNullable<ScheduleProblemInput['jobs']>[number] = {
      id: `J${String(j + 1).padStart(4, '0')}`,
      partNumber: item.partNumber,
      quantity,
      dueDate: Math.round(due),
      priority: urgent ? 1 + rng.int(3) : 4 + rng.int(6),
      eligibleMachines: [...item.eligible],
    };
    if (late) {
      job.releaseAt = Math.round(start + rng.next() * makespanHours * 0.4 * hour);
      job.dueDate = Math.max(job.dueDate as number, job.releaseAt + 6 * hour);
    }
    const on = item.eligible[rng.int(item.eligible.length)]!;
    if (!late && !running.has(on) && rng.next() < 0.15 && running.size < count / 2) {
      running.add(on);
      job.running = { machineId: on, remainingQuantity: Math.max(1, Math.round(quantity * (0.3 + 0.6 * rng.next()))) };
    }
    return job;
  });
  const maintained = new Set([machines[rng.int(count)]!.id, machines[rng.int(count)]!.id]);
  return {
    start,
    timezone: plant.plant.timezone,
    shifts: plant.shifts,
    machines: machines.map(({ src, id }) => ({
      id,
      parts: src.parts,
      setupMin: src.behaviour.setupMin,
      setupSameFamilyMin: src.behaviour.setupSameFamilyMin,
      performance: Math.round((0.85 + 0.15 * rng.next()) * 1000) / 1000,
      scrapRate: src.behaviour.scrapRate,
      currentPart: src.parts[rng.int(src.parts.length)]!.partNumber,
      downtime: maintained.has(id) ? [maintenance(start + (8 + rng.int(24)) * hour)] : [],
    })),
    jobs,
  };
}

function maintenance(from: number) {
  return { from, to: from + 2 * hour, reason: 'planned maintenance' };
}
