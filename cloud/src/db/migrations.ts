import { sql, type Kysely, type Migration } from 'kysely';
import { scheduleTablesSql } from '../schedule/store.js';

// one statement per query: PGlite's extended protocol takes a single command at a time
const up = (text: string): Migration => ({
  up: async (db: Kysely<any>) => {
    for (const statement of text.split(/;\s*\n/).map((x) => x.trim()).filter(Boolean)) await sql.raw(statement).execute(db);
  },
});

/** Versioned schema; each entry runs once (packages/db migrate). Never edit an applied entry: add one. */
export const cloudMigrations: Record<string, Migration> = {
  '001_ingest': up(`
    create table edge_batch (edge_id text not null, seq integer not null, received_at bigint not null, messages integer not null, stored integer not null, primary key (edge_id, seq));
    create table message_seen (id text primary key, ts bigint not null);
    create index message_seen_ts on message_seen (ts);
    create table sample (machine_id text not null, tag text not null, ts bigint not null, num double precision, txt text, quality text not null);
    create index sample_key on sample (machine_id, tag, ts);
    create index sample_ts on sample (ts);
    create table sample_1m (machine_id text not null, tag text not null, bucket bigint not null, min double precision not null, max double precision not null, sum double precision not null, count bigint not null, primary key (machine_id, tag, bucket));
    create table sample_1h (machine_id text not null, tag text not null, bucket bigint not null, min double precision not null, max double precision not null, sum double precision not null, count bigint not null, primary key (machine_id, tag, bucket));
    create table latest_value (machine_id text not null, tag text not null, ts bigint not null, num double precision, txt text, quality text not null, primary key (machine_id, tag));
    create table state_event (machine_id text not null, ts bigint not null, state text not null, previous text, quality text not null, alarm_code integer, job_id text, part_number text);
    create index state_event_key on state_event (machine_id, ts);
    create table counter_event (machine_id text not null, ts bigint not null, good_delta integer not null, scrap_delta integer not null, good_total bigint not null, scrap_total bigint not null, job_id text, part_number text);
    create index counter_event_key on counter_event (machine_id, ts);
    create table alarm_event (machine_id text not null, ts bigint not null, code integer not null, text text not null, severity text not null, active boolean not null);
    create index alarm_event_key on alarm_event (machine_id, code, ts);
    create index alarm_event_ts on alarm_event (ts);
    create table job_event (machine_id text not null, ts bigint not null, job_id text not null, event text not null, part_number text not null, quantity integer not null, good integer not null, scrap integer not null, message text);
    create index job_event_key on job_event (machine_id, ts);
    create table pod_event (machine_id text not null, ts bigint not null, status text not null, machine_connected boolean not null);
    create index pod_event_key on pod_event (machine_id, ts);
    create table machine_seen (machine_id text primary key, last_ts bigint not null);
    create table oee_hour (machine_id text not null, bucket bigint not null, shift text not null, part text not null,
      pbt_ms double precision not null, nodata_ms double precision not null, apt_ms double precision not null, setup_ms double precision not null,
      fault_ms double precision not null, starved_ms double precision not null, blocked_ms double precision not null, idle_ms double precision not null,
      off_ms double precision not null, maint_ms double precision not null, small_ms double precision not null, small_n integer not null,
      produced bigint not null, good bigint not null, scrap bigint not null, ideal_ms double precision not null, ideal_good_ms double precision not null, unknown_qty bigint not null, nodata_qty bigint not null,
      primary key (machine_id, bucket, shift, part));
    create table oee_rolled (machine_id text not null, bucket bigint not null, primary key (machine_id, bucket));
    create table meta (key text primary key, value text not null);
  `),
  '002_users': up(`
    create table app_user (id serial primary key, username text not null unique, password_hash text not null, role text not null, disabled boolean not null default false, created_at bigint not null);
    create table session (token_hash text primary key, user_id integer not null references app_user (id) on delete cascade, created_at bigint not null, expires_at bigint not null);
    create table audit_log (id bigserial primary key, ts bigint not null, username text, action text not null, target text, detail text);
    create index audit_log_ts on audit_log (ts);
  `),
  '003_oee_day': up(`
    create table oee_day (like oee_hour including all);
    create table oee_day_rolled (like oee_rolled including all);
  `),
  // time only grows: a BRIN index serves retention deletes at a fraction of a B-tree's insert cost
  '004_brin': up(`
    drop index sample_ts;
    create index sample_ts on sample using brin (ts);
    drop index message_seen_ts;
    create index message_seen_ts on message_seen using brin (ts);
  `),
  // the last time seen from each pod boot: where that boot's last will (sent with its connect time) belongs;
  // a stored will keeps its boot, so the boot saying online again withdraws it
  '005_last_wills': up(`
    create table boot_seen (machine_id text not null, boot text not null, last_ts bigint not null, primary key (machine_id, boot));
    alter table pod_event add column will_boot text;
  `),
  // messages stamped outside the accepted time window, kept for an engineer to inspect (ingest/window.ts)
  '006_quarantine': up(`
    create table quarantine (id text primary key, received_at bigint not null, edge_id text not null, seq integer not null,
      machine_id text not null, kind text not null, ts bigint not null, reason text not null, message text not null);
    create index quarantine_received on quarantine (received_at);
    create index quarantine_machine on quarantine (machine_id, received_at);
  `),
  // the twin (cloud-api): browser and device sessions, known clients (login throttle), andon devices,
  // edge credentials made through the API, alarm acknowledgements, the job manager's mirror, commands
  '007_twin': up(`
    alter table session add column kind text not null default 'user';
    alter table session add column csrf text;
    alter table session alter column user_id drop not null;
    create table device (id serial primary key, name text not null, token_hash text not null unique, created_at bigint not null, created_by text, last_used_at bigint);
    alter table session add column device_id integer references device (id) on delete cascade;
    create index session_expires on session (expires_at);
    create table known_client (token_hash text primary key, user_id integer not null references app_user (id) on delete cascade, created_at bigint not null, last_used_at bigint not null);
    create index known_client_user on known_client (user_id, last_used_at);
    create table edge_credential (edge_id text primary key, token_hash text not null, created_at bigint not null, created_by text);
    create table alarm_ack (machine_id text not null, code integer not null, raised_at bigint not null, by_user text not null, at bigint not null, comment text not null, primary key (machine_id, code, raised_at));
    create table job_mirror (id text primary key, edge_id text not null, status text not null, machine_id text, part_number text not null, order_id text not null,
      eligible text[] not null, due_date bigint not null, updated_at bigint not null, received_at bigint not null, doc text not null);
    create index job_mirror_status on job_mirror (status, updated_at);
    create index job_mirror_machine on job_mirror (machine_id, status);
    create table job_event_mirror (edge_id text not null, id bigint not null, job_id text not null, at bigint not null, doc text not null, primary key (edge_id, id));
    create index job_event_mirror_job on job_event_mirror (job_id, id);
    create table job_queue (machine_id text primary key, edge_id text not null, job_ids text not null, sequencer text, as_of bigint not null);
    create table command (seq bigserial primary key, id text not null unique, edge_id text not null, type text not null, target text not null, args text not null,
      created_by text not null, created_at bigint not null, expires_at bigint not null, status text not null, reason text, before_doc text, after_doc text,
      delivered_at bigint, result_at bigint);
    create index command_open on command (edge_id, status, seq);
    create index command_target on command (target, seq);
    create index audit_log_action on audit_log (action, id);
  `),
  // production scheduling (schedule/): plans with their problems, planned maintenance windows
  '008_schedule': up(scheduleTablesSql),
  // when each machine's messages last arrived (cloud clock) and through which edge: freshness after a restart
  '009_machine_arrival': up(`
    create table machine_arrival (machine_id text primary key, edge_id text not null, received_at bigint not null);
  `),
};
