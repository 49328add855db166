/**
 * Live values of one machine: joins its hub room (again after every reconnect: the server forgets rooms
 * with the socket), takes `machine` events, and fetches GET /machines/:id/current once the hub has
 * answered the join: a value that changed before the join is in that answer, one after it comes as an
 * event (read before the join, a change in between was shown nowhere until the tag changed again).
 * One entry per tag of the machine; leaving the view unsubscribes.
 */
import { api } from '../api/index.js';
import type { CurrentValue, CurrentValuesAnswer, LiveMachineEvent } from '../api/types.js';
import type { LiveConnection } from './connection.svelte.js';

export class MachineValues {
  values = $state<Record<string, CurrentValue>>({});
  loaded = $state(false);
  error = $state<string | null>(null);

  constructor(
    private readonly conn: LiveConnection,
    readonly machineId: string,
    private readonly fetchCurrent: (id: string) => Promise<CurrentValuesAnswer> = api.current,
  ) {}

  attach(): () => void {
    const offs = [
      this.conn.onConnect((s) => void s.emit('subscribe', this.machineId, () => void this.resync())),
      this.conn.on<LiveMachineEvent>('machine', (e) => this.apply(e)),
    ];
    void this.resync();
    return () => {
      offs.forEach((off) => off());
      this.conn.emit('unsubscribe', this.machineId);
    };
  }

  async resync(): Promise<void> {
    try {
      const c = await this.fetchCurrent(this.machineId);
      const next: Record<string, CurrentValue> = {};
      for (const v of c.values) next[v.name] = v;
      this.values = next;
      this.loaded = true;
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  apply(e: LiveMachineEvent): void {
    if (e.machineId !== this.machineId) return;
    for (const [name, v] of Object.entries(e.values)) {
      const old = this.values[name];
      if (!old || old.ts <= v.ts) this.values[name] = { ...old, ...v, name } as CurrentValue;
    }
  }
}
