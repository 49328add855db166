import type { MachineState, Tag } from '@plant-twin/plant-model';
import type { Prng } from './prng.js';

/** What a process value sees of the machine when it is read. */
export interface ProcessContext {
  state: MachineState;
  /** cycles since the last maintenance (tool wear) */
  wearCycles: number;
  /** machine cycles over the machine's life */
  cycles: number;
  /** 1-based index of the current part in the machine's part list (0: none) */
  partIndex: number;
}

const ambientC = 20;

/**
 * Process values of one machine. Each tag with a `sim` hint follows a first-order lag towards the
 * level of the current state (running level while running, idle level otherwise, ambient when off),
 * plus tool-wear drift while running. The lag is advanced exactly (closed form) whenever the state
 * changes and when a value is read, so the underlying curve does not depend on how often anyone
 * reads; measurement noise is added at read time from its own random stream.
 *
 * Non-REAL tags with a sim hint are not analog values: integer counters (DINT/DWORD) count machine
 * cycles, INT tags carry the tooling/program number of the current part, and an LREAL named
 * `energy` integrates the `power` tag (kWh). BOOL status bits are true while the machine is powered
 * and not in setup or maintenance (doors open, auto mode off). Setpoints (and any writable tag) hold what a client wrote.
 */
export class ProcessModel {
  private readonly level = new Map<string, number>();
  private readonly setpoints = new Map<string, number | string | boolean>();
  private energyKwh = 0;
  private lastT: number;
  private state: MachineState = 'idle';
  private wearCycles = 0;

  constructor(
    private readonly tags: readonly Tag[],
    private readonly noise: Prng,
    startMs: number,
  ) {
    this.lastT = startMs;
    for (const t of tags) {
      if (t.role === 'setpoint' || t.writable) this.setpoints.set(t.name, t.sim?.running ?? t.sim?.idle ?? (t.type === 'bool' ? false : t.type === 'string' ? '' : 0));
      else if (t.sim && t.type === 'real') this.level.set(t.name, this.targetOf(t, 'idle', 0));
    }
  }

  private targetOf(t: Tag, state: MachineState, wearCycles: number): number {
    const sim = t.sim!;
    if (state === 'off') return t.unit === '°C' ? ambientC : 0;
    if (state === 'running') return sim.running + (sim.wear * wearCycles) / 1000;
    return sim.idle ?? sim.running;
  }

  /** Advances the lag curves to time t under the state that held since the last call. */
  advance(t: number, ctx: Pick<ProcessContext, 'state' | 'wearCycles'>): void {
    const dt = (t - this.lastT) / 1000;
    if (dt > 0) {
      for (const tag of this.tags) {
        if (!this.level.has(tag.name)) continue;
        const target = this.targetOf(tag, this.state, this.wearCycles);
        const v = this.level.get(tag.name)!;
        this.level.set(tag.name, target + (v - target) * Math.exp(-dt / tag.sim!.tauS));
      }
      const power = this.level.get('power');
      if (power !== undefined) this.energyKwh += (power * dt) / 3600;
      this.lastT = t;
    }
    this.state = ctx.state;
    this.wearCycles = ctx.wearCycles;
  }

  /** The current value of a tag without a role (or a setpoint), noise included. */
  value(tag: Tag, ctx: ProcessContext): number | boolean | string {
    if (this.setpoints.has(tag.name)) return this.setpoints.get(tag.name)!;
    if (tag.type === 'bool') return ctx.state !== 'off' && ctx.state !== 'setup' && ctx.state !== 'maintenance';
    if (!tag.sim) return tag.type === 'string' ? '' : 0;
    if (tag.type === 'real') {
      const v = this.level.get(tag.name)! + (ctx.state === 'off' ? 0 : tag.sim.noise * this.noise.normal());
      return clamp(v, tag.min, tag.max);
    }
    if (tag.type === 'dint' || tag.type === 'dword') return ctx.cycles;
    if (tag.type === 'lreal' && tag.name === 'energy') return this.energyKwh;
    if (tag.type === 'int' || tag.type === 'word' || tag.type === 'byte') return ctx.partIndex;
    return tag.sim.running;
  }

  setSetpoint(name: string, value: number | string | boolean): void {
    if (!this.setpoints.has(name)) throw new Error(`${name} is not a setpoint`);
    this.setpoints.set(name, value);
  }

  setpoint(name: string): number | string | boolean | undefined {
    return this.setpoints.get(name);
  }
}

function clamp(v: number, min: number | undefined, max: number | undefined): number {
  if (min !== undefined && v < min) return min;
  if (max !== undefined && v > max) return max;
  return v;
}
