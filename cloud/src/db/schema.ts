import type { Generated } from 'kysely';

/**
 * Tables of the cloud store. Times are bigint milliseconds since the epoch (UTC): the contract's
 * unit, cheap to bucket (`ts - ts % 60000`) and free of time-zone conversions in SQL.
 */
export interface CloudTables {
  edge_batch: { edge_id: string; seq: number; received_at: number; messages: number; stored: number };
  message_seen: { id: string; ts: number };
  sample: { machine_id: string; tag: string; ts: number; num: number | null; txt: string | null; quality: string };
  sample_1m: SampleRollup;
  sample_1h: SampleRollup;
  latest_value: { machine_id: string; tag: string; ts: number; num: number | null; txt: string | null; quality: string };
  state_event: {
    machine_id: string;
    ts: number;
    state: string;
    previous: string | null;
    quality: string;
    alarm_code: number | null;
    job_id: string | null;
    part_number: string | null;
  };
  counter_event: {
    machine_id: string;
    ts: number;
    good_delta: number;
    scrap_delta: number;
    good_total: number;
    scrap_total: number;
    job_id: string | null;
    part_number: string | null;
  };
  alarm_event: { machine_id: string; ts: number; code: number; text: string; severity: string; active: boolean };
  job_event: {
    machine_id: string;
    ts: number;
    job_id: string;
    event: string;
    part_number: string;
    quantity: number;
    good: number;
    scrap: number;
    message: string | null;
  };
  pod_event: { machine_id: string; ts: number; status: string; machine_connected: boolean; will_boot: string | null };
  boot_seen: { machine_id: string; boot: string; last_ts: number };
  machine_seen: { machine_id: string; last_ts: number };
  machine_arrival: { machine_id: string; edge_id: string; received_at: number };
  oee_hour: OeeHourRow;
  oee_rolled: { machine_id: string; bucket: number };
  oee_day: OeeHourRow;
  oee_day_rolled: { machine_id: string; bucket: number };
  meta: { key: string; value: string };
  quarantine: { id: string; received_at: number; edge_id: string; seq: number; machine_id: string; kind: string; ts: number; reason: string; message: string };
  app_user: {
    id: Generated<number>;
    username: string;
    password_hash: string;
    role: string;
    disabled: Generated<boolean>;
    created_at: number;
  };
  session: { token_hash: string; user_id: number; created_at: number; expires_at: number };
  audit_log: { id: Generated<number>; ts: number; username: string | null; action: string; target: string | null; detail: string | null };
}

export interface SampleRollup {
  machine_id: string;
  tag: string;
  bucket: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

/** One machine x hour x shift x part of OEE facts (milliseconds and quantities): additive across rows. */
export interface OeeHourRow {
  machine_id: string;
  bucket: number;
  shift: string;
  part: string;
  pbt_ms: number;
  nodata_ms: number;
  apt_ms: number;
  setup_ms: number;
  fault_ms: number;
  starved_ms: number;
  blocked_ms: number;
  idle_ms: number;
  off_ms: number;
  maint_ms: number;
  small_ms: number;
  small_n: number;
  produced: number;
  good: number;
  scrap: number;
  ideal_ms: number;
  ideal_good_ms: number;
  unknown_qty: number;
  nodata_qty: number;
}
