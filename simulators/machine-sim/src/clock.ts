/**
 * Wall-clock period of the simulation steps of a simulated plant program: every 100 ms of plant time
 * (a PLC updates its data blocks far more often), at most every 10 ms of wall time, so what pods read
 * is at most a step behind the plant. In-process test plants keep the driver's 100 ms default.
 */
export const plantStepMs = (speed: number) => Math.min(100, Math.max(10, Math.round(100 / speed)));

/**
 * Maps wall-clock time onto simulated time (`speed` simulated ms per real ms) and calls `step`
 * with the simulated time to reach, from a timer. The simulation itself never reads the wall
 * clock: tests skip this driver and advance virtual time directly.
 */
export class RealTimeDriver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wallStart = 0;
  private simStart = 0;

  constructor(
    private readonly step: (simTarget: number) => Promise<void> | void,
    private readonly opts: { speed: number; tickMs?: number; onError?: (err: unknown) => void },
  ) {
    if (!(opts.speed > 0)) throw new Error(`speed must be > 0 (got ${opts.speed})`);
  }

  get speed(): number {
    return this.opts.speed;
  }

  /** Starts stepping from simulated time `simNow`. */
  start(simNow: number): void {
    if (this.timer) return;
    this.wallStart = performance.now();
    this.simStart = simNow;
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 100);
  }

  /** The simulated time that corresponds to the wall clock now. */
  target(): number {
    return Math.floor(this.simStart + (performance.now() - this.wallStart) * this.opts.speed);
  }

  private async tick(): Promise<void> {
    if (this.running) return; // a slow step (e.g. a SQL face) delays the next one rather than piling up
    this.running = (async () => {
      try {
        await this.step(this.target());
      } catch (err) {
        this.opts.onError?.(err);
      }
    })();
    await this.running;
    this.running = undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
