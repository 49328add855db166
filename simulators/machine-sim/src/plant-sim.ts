import type { Machine, Plant } from '@plant-twin/plant-model';
import { MachineSim } from './machine.js';
import { Prng } from './prng.js';
import { TruthRecorder } from './truth.js';

export interface PlantSimOptions {
  plant: Plant;
  /** the run's seed: same seed + same commands at the same simulated times => identical truth */
  seed: string | number;
  /** simulated time at start, ms since the epoch (default: the wall clock, rounded to the second) */
  startMs?: number;
  /** machine ids to simulate (default: all) */
  machines?: readonly string[];
}

/**
 * The behaviour model of a set of machines on one simulated clock. Time moves only through
 * `advance`/`advanceTo`: tests run virtual hours in milliseconds, the real-time driver calls
 * `advanceTo` from a timer.
 */
export class PlantSim {
  readonly machines = new Map<string, MachineSim>();
  readonly truth = new TruthRecorder();
  readonly startMs: number;
  private nowMs: number;
  private readonly root: Prng;

  constructor(opts: PlantSimOptions) {
    this.startMs = Math.floor(opts.startMs ?? Math.floor(Date.now() / 1000) * 1000);
    this.nowMs = this.startMs;
    const root = new Prng(String(opts.seed));
    this.root = root;
    const wanted = opts.machines ? new Set(opts.machines) : undefined;
    if (wanted) {
      const known = new Set(opts.plant.machines.map((m) => m.id));
      const unknown = [...wanted].filter((id) => !known.has(id));
      if (unknown.length) throw new Error(`unknown machine(s) ${unknown.join(', ')} (plant has ${[...known].join(', ')})`);
    }
    for (const m of opts.plant.machines) {
      if (wanted && !wanted.has(m.id)) continue;
      this.machines.set(m.id, new MachineSim(m, root.fork(`${m.id}/behaviour`), root.fork(`${m.id}/noise`), this.truth, this.startMs));
    }
  }

  /** A random stream of the run for a purpose outside the behaviour model (e.g. file fault injection). */
  stream(label: string): Prng {
    return this.root.fork(label);
  }

  now(): number {
    return this.nowMs;
  }

  advance(ms: number): void {
    this.advanceTo(this.nowMs + ms);
  }

  advanceTo(t: number): void {
    const to = Math.floor(t);
    if (to <= this.nowMs) return;
    // events of all machines in time order, so the truth reads the same however time is stepped
    for (;;) {
      let first: MachineSim | undefined;
      let at = Infinity;
      for (const m of this.machines.values()) {
        const n = m.nextEventAt();
        if (n < at) [first, at] = [m, n];
      }
      if (!first || at > to) break;
      first.advanceTo(at);
    }
    for (const m of this.machines.values()) m.advanceTo(to);
    this.nowMs = to;
  }

  machine(id: string): MachineSim {
    const m = this.machines.get(id);
    if (!m) throw new Error(`no simulated machine ${id} (simulating ${[...this.machines.keys()].join(', ')})`);
    return m;
  }

  models(): Machine[] {
    return [...this.machines.values()].map((m) => m.model);
  }
}
