/**
 * The plant model (GET /plant): hall, machines with layout, tags with limits, parts, alarms, shift
 * calendar and the plant's time zone. Loaded once per page; every view reads it from here.
 */
import { api } from './api/index.js';
import type { PlantMachine, PlantView } from './api/types.js';
import { clock } from './clock.svelte.js';
import { plantFormat, type PlantClockFormat } from './time.js';

export class PlantStore {
  model = $state<PlantView | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  /** formats times in the plant's zone (UTC until the model is known) */
  format = $derived<PlantClockFormat>(plantFormat(this.model?.timezone ?? 'UTC'));
  private byId = $derived(new Map((this.model?.machines ?? []).map((m) => [m.id, m])));
  private pending: Promise<void> | null = null;

  constructor(private readonly fetchPlant: () => Promise<PlantView> = api.plant) {}

  machine(id: string): PlantMachine | undefined {
    return this.byId.get(id);
  }

  get machines(): PlantMachine[] {
    return this.model?.machines ?? [];
  }

  /** Loads the model once (concurrent callers share the request); `force` reloads it. */
  load(force = false): Promise<void> {
    if (this.model && !force) return Promise.resolve();
    this.pending ??= (async () => {
      this.loading = true;
      try {
        const m = await this.fetchPlant();
        clock.sync(m.serverTime);
        this.model = m;
        this.error = null;
      } catch (e) {
        this.error = e instanceof Error ? e.message : String(e);
      } finally {
        this.loading = false;
        this.pending = null;
      }
    })();
    return this.pending;
  }
}

export const plant = new PlantStore();
