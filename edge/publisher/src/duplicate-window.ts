/**
 * The ids of the last `capacity` messages taken into the buffer. A QoS 1 message whose PUBACK was
 * lost with a connection (or a producer's resend) comes again shortly after the first copy; dropping
 * it here keeps the cloud side free of duplicates without remembering every id ever seen.
 */
export class DuplicateWindow {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.ids.delete(evicted);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.ids.add(id);
  }
}
