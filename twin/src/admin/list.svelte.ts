import { reasonOf } from '../lib/api/index.js';

/**
 * A list an admin section keeps: what the cloud last answered, why the last read failed, and why the
 * last change was refused. After every change the list is read again, refused or not, so the table
 * shows what the cloud holds rather than what the change hoped for.
 */
export class AdminList<T> {
  items = $state<T[] | null>(null);
  error = $state<string | null>(null);
  refused = $state<string | null>(null);

  constructor(private readonly read: () => Promise<T[]>) {}

  async load(): Promise<void> {
    try {
      this.items = await this.read();
      this.error = null;
    } catch (e) {
      this.error = reasonOf(e);
    }
  }

  async act(change: () => Promise<void>): Promise<void> {
    try {
      await change();
      this.refused = null;
    } catch (e) {
      this.refused = reasonOf(e);
    }
    await this.load();
  }
}
