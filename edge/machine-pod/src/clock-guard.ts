import type { TagValue } from '@plant-twin/contracts';
import type { MessageBody } from './publisher.js';

export interface ClockGuardOptions {
  /** plant ms per wall ms (POD_TIME_SCALE) */
  scale: number;
  /**
   * A simulated plant's clock: plant time `plantMs` at wall time `wallMs` (POD_CLOCK_ORIGIN). At
   * scale 1 without it, the pod's clock is the wall clock; faster than real time without it, the
   * pod has no clock of the plant's and the guard lets every time through.
   */
  origin?: { plantMs: number; wallMs: number };
  /** the machine's clock may be this far from the pod's, in wall seconds (× scale in plant time) */
  maxSkewS: number;
  /** machines that report their history (SQL rows, result files) may report this far back, in wall hours */
  maxAgeH: number;
  /** the machine's clock is read as it is now (the S7 clock tag): the bound holds both ways */
  live: boolean;
  /** the machine's clock went wrong (`skewMs`: machine minus pod) or right again */
  onChange?(wrong: boolean, skewMs: number): void;
  wall?: () => number;
}

/**
 * Time you can trust: compares each time a machine reports with the pod's own clock. A time beyond
 * the bound (a PLC whose clock battery died says 1970, one set an hour ahead, a cell controller's
 * row from next week) is replaced by the pod's time, and the message says so: `clock: 'pod'`
 * with the machine's `machineTs` (contracts, clockSources). Machines that report history may report
 * the past (rows and files written while the pod was away) up to maxAgeH; never the future.
 */
export class ClockGuard {
  private wrong = false;
  private readonly wall: () => number;
  /** machine minus pod at the last message, ms */
  skewMs = 0;

  constructor(private readonly o: ClockGuardOptions) {
    this.wall = o.wall ?? Date.now;
  }

  /** The pod's time in the plant's time base; undefined when it has none. */
  podNow(): number | undefined {
    const wall = this.wall();
    if (this.o.origin) return Math.round(this.o.origin.plantMs + (wall - this.o.origin.wallMs) * this.o.scale);
    return this.o.scale === 1 ? wall : undefined;
  }

  /** The message as it is published: unchanged when the machine's time is within the bounds. */
  stamp(body: MessageBody): MessageBody {
    if (body.kind === 'pod' || body.kind === 'job') return body;
    const now = this.podNow();
    if (now === undefined) return body;
    this.skewMs = body.ts - now;
    const wrong = this.outside(body.ts, now);
    if (wrong !== this.wrong) {
      this.wrong = wrong;
      this.o.onChange?.(wrong, this.skewMs);
    }
    if (!wrong) return body;
    const stamped = { ...body, ts: now, clock: 'pod' as const, machineTs: body.ts };
    if (stamped.kind === 'sample') stamped.values = stamped.values.map((v): TagValue => (this.outside(v.ts, now) ? { ...v, ts: now } : v));
    return stamped;
  }

  private outside(ts: number, now: number): boolean {
    const skew = this.o.maxSkewS * 1000 * this.o.scale;
    const age = this.o.live ? skew : Math.max(skew, this.o.maxAgeH * 3_600_000 * this.o.scale);
    return ts > now + skew || ts < now - age;
  }
}
