/**
 * Live status of every machine: the hub's `snapshot` on connect, then `plant` events (state, counts,
 * alarm edges, pod, job, freshness) and `alarmAck` events; after every (re)connect a fresh
 * GET /machines (resync). One entry per machine of the plant: nothing here grows with time.
 */
import { api } from '../api/index.js';
import type {
  ActiveAlarm,
  AlarmAckEvent,
  LivePlantEvent,
  LiveSnapshot,
  MachineJob,
  MachineListItem,
  MachineStatus,
} from '../api/types.js';
import { clock } from '../clock.svelte.js';
import { machineCondition, type Condition } from '../freshness.js';
import { lookOf, worstSeverity } from '../states.js';
import type { LiveConnection } from './connection.svelte.js';

export interface MachineLive {
  id: string;
  status: MachineStatus | null;
  job: MachineJob | null;
  alarms: ActiveAlarm[];
}

const maxAlarmsPerMachine = 50;

const unknownStatus = (machineId: string): MachineStatus => ({
  machineId,
  state: null,
  quality: null,
  since: null,
  partNumber: null,
  jobId: null,
  pod: null,
  lastSeen: null,
  freshness: 'offline',
});

export class PlantLive {
  machines = $state<Record<string, MachineLive>>({});
  /** when state was last fetched or pushed as a whole (null: not yet) */
  syncedAt = $state<number | null>(null);
  error = $state<string | null>(null);

  constructor(
    private readonly conn: LiveConnection,
    private readonly fetchMachines: () => Promise<MachineListItem[]> = api.machines,
  ) {}

  /**
   * Subscribes to the hub and, with `rest`, registers a GET /machines on every (re)connect; returns the
   * function that undoes both. Without `rest` (the andon screen, which the edge serves without that
   * route) the snapshot the hub sends on every connect is the resynchronisation.
   */
  attach(opts: { rest: boolean } = { rest: true }): () => void {
    const offs = [
      this.conn.on<LiveSnapshot>('snapshot', (s) => this.applySnapshot(s)),
      this.conn.on<LivePlantEvent>('plant', (e) => this.applyPlantEvent(e)),
      this.conn.on<AlarmAckEvent>('alarmAck', (e) => this.applyAck(e)),
      ...(opts.rest ? [this.conn.onResync(() => this.resync())] : []),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Fetches every machine's picture over REST (after a reconnect: do not wait for events). */
  async resync(): Promise<void> {
    try {
      const list = await this.fetchMachines();
      this.replace(list.map((m) => ({ id: m.id, status: m.status, job: m.job, alarms: m.activeAlarms })));
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
    }
  }

  get(id: string): MachineLive | undefined {
    return this.machines[id];
  }

  /** The condition to draw for a machine (state, or no data since…), given the live connection. */
  condition(id: string): Condition {
    return machineCondition(this.machines[id]?.status, { status: this.conn.status, downSince: this.conn.downSince });
  }

  /** Counts for a summary line: running, needing attention, without data. */
  summary(): { running: number; abnormal: number; nodata: number } {
    let running = 0, abnormal = 0, nodata = 0;
    for (const id of Object.keys(this.machines)) {
      const c = this.condition(id);
      if (c.kind === 'nodata') nodata++;
      else if (c.state === 'running') running++;
      else if (lookOf(c.state).abnormal) abnormal++;
    }
    return { running, abnormal, nodata };
  }

  worstAlarm(id: string) {
    return worstSeverity((this.machines[id]?.alarms ?? []).map((a) => a.severity));
  }

  applySnapshot(s: LiveSnapshot): void {
    clock.sync(s.serverTime);
    this.replace(s.machines.map((m) => ({ id: m.machineId, status: m.status, job: m.job, alarms: m.activeAlarms })));
  }

  applyPlantEvent(e: LivePlantEvent): void {
    const m = (this.machines[e.machineId] ??= { id: e.machineId, status: null, job: null, alarms: [] });
    const st = m.status ?? unknownStatus(e.machineId);
    if (e.state && (st.since === null || e.state.ts >= st.since)) {
      if (st.state !== e.state.state || st.since === null) st.since = e.state.ts;
      st.state = e.state.state;
      st.quality = e.state.quality;
      st.partNumber = e.state.partNumber ?? st.partNumber;
      st.jobId = e.state.jobId ?? st.jobId;
    }
    if (e.pod) st.pod = e.pod;
    if (e.freshness) {
      st.freshness = e.freshness.freshness;
      if (e.freshness.staleSince === undefined) delete st.staleSince;
      else st.staleSince = e.freshness.staleSince;
    }
    const heard = Math.max(e.state?.ts ?? 0, e.counts?.ts ?? 0, e.pod?.ts ?? 0, ...e.alarms.map((a) => a.ts));
    if (heard > (st.lastSeen ?? 0)) st.lastSeen = heard;
    m.status = st;

    if (e.job) m.job = e.job;
    else if (e.counts && m.job) m.job = { ...m.job, good: m.job.good + e.counts.good, scrap: m.job.scrap + e.counts.scrap };

    for (const a of e.alarms) {
      const i = m.alarms.findIndex((x) => x.code === a.code);
      if (!a.active) {
        if (i >= 0) m.alarms.splice(i, 1);
      } else if (i < 0 && m.alarms.length < maxAlarmsPerMachine) {
        m.alarms.push({ code: a.code, text: a.text, severity: a.severity, raisedAt: a.ts, ack: null });
      }
    }
  }

  applyAck(e: AlarmAckEvent): void {
    const a = this.machines[e.machineId]?.alarms.find((x) => x.code === e.code && x.raisedAt === e.raisedAt);
    if (a) a.ack = e.ack;
  }

  private replace(list: MachineLive[]): void {
    const next: Record<string, MachineLive> = {};
    for (const m of list) next[m.id] = { ...m, alarms: m.alarms.slice(0, maxAlarmsPerMachine) };
    this.machines = next;
    this.syncedAt = clock.read();
  }
}
