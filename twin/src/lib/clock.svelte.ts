/**
 * The plant's "now" for ages and freshness: the browser's clock corrected by the offset to the cloud's
 * (every /plant reply and live snapshot carries serverTime), ticking once a second. One timer for the
 * whole app, so an andon screen running for days holds one interval, not one per tile.
 */
export class Clock {
  now = $state(Date.now());
  private offsetMs = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly tickMs = 1000) {}

  /** Aligns to the cloud's clock from a reply's serverTime (half the round trip is ignored: ages are whole seconds). */
  sync(serverTime: number | undefined): void {
    if (typeof serverTime !== 'number' || !Number.isFinite(serverTime)) return;
    this.offsetMs = serverTime - Date.now();
    this.now = this.read();
  }

  read(): number {
    return Date.now() + this.offsetMs;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => (this.now = this.read()), this.tickMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export const clock = new Clock();
