import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMachineMessage, parseTopic, plantFilter, publisherClientId } from '@plant-twin/contracts';
import { createLightService, createLogger, type Logger } from '@plant-twin/runtime';
import { Counter, Gauge, Registry } from 'prom-client';
import { CloudClient } from './cloud-client.js';
import { DeadLetterFile } from './dead-letter.js';
import { DuplicateWindow } from './duplicate-window.js';
import { BatchJournal } from './journal.js';
import { SegmentLog } from './segment-log.js';
import { Sender } from './sender.js';
import { BrokerSubscriber } from './subscriber.js';

export interface PublisherConfig {
  mqttUrl: string;
  /** PEM to trust for an mqtts:// broker */
  mqttCa?: string | Buffer;
  /** the broker's credentials of the publisher (its client id must be the user name on the edge brokers) */
  mqttUsername?: string;
  mqttPassword?: string;
  plantId: string;
  /** machine ids of the plant: messages of any other machine are dead-lettered */
  machineIds: readonly string[];
  cloudUrl: string;
  edgeId: string;
  edgeToken: string;
  cloudCa?: string | Buffer;
  bufferDir: string;
  /** bound of the on-disk buffer (segment files); past it the publisher stops acknowledging the broker */
  bufferMaxBytes: number;
  /** alarm when the buffer passes this share of bufferMaxBytes */
  bufferAlarmRatio?: number;
  /** HTTP port of /health and /metrics; undefined: no HTTP server */
  port?: number;
  host?: string;
  /** bearer token of GET /metrics (default env METRICS_TOKEN; neither: /metrics refuses) */
  metricsToken?: string;
  /** MQTT client id of the persistent session; default `publisher-<edgeId>` */
  clientId?: string;
  /** fsync at most every this many ms (group commit) */
  commitIntervalMs?: number;
  batchMaxMessages?: number;
  batchMaxBytes?: number;
  batchLingerMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** how many recent message ids are remembered to drop broker redeliveries */
  duplicateWindow?: number;
  log?: Logger;
  /** a disk write failed: the buffer cannot be trusted in this process (default: exit 1 so it restarts and recovers) */
  onFatal?: (err: unknown) => void;
}

export interface PublisherStats {
  brokerConnected: boolean;
  cloudReachable: boolean;
  cloudError: string | null;
  backpressure: boolean;
  alarm: boolean;
  bufferBytes: number;
  bufferMaxBytes: number;
  /** messages on disk not yet acknowledged by the cloud */
  unsentMessages: number;
  ackedSeq: number;
  received: number;
  bad: number;
  duplicates: number;
  ackedMessages: number;
}

export interface Publisher {
  port: number | undefined;
  registry: Registry;
  stats(): PublisherStats;
  close(): Promise<void>;
}

/** segments small enough that deleting acknowledged ones frees space well before the bound */
function segmentBytesFor(maxBytes: number): number {
  return Math.max(16 * 1024, Math.min(16 * 1024 * 1024, Math.floor(maxBytes / 8)));
}

export async function startPublisher(config: PublisherConfig): Promise<Publisher> {
  const logger = config.log ?? createLogger('publisher', { edgeId: config.edgeId });
  const commitIntervalMs = config.commitIntervalMs ?? 10;
  const alarmRatio = config.bufferAlarmRatio ?? 0.8;
  const segmentBytes = segmentBytesFor(config.bufferMaxBytes);
  const machines = new Set(config.machineIds);
  const onFatal =
    config.onFatal ??
    ((err: unknown) => {
      logger.fatal({ err }, 'buffer write failed; exiting so the restart recovers the buffer');
      process.exit(1);
    });

  await mkdir(config.bufferDir, { recursive: true });
  const { journal, truncatedBytes: journalCut } = await BatchJournal.open(config.bufferDir);
  const { log, recovery } = await SegmentLog.open(config.bufferDir, { segmentBytes, minNextIndex: journal.nextFrom });
  const deadLetter = await DeadLetterFile.open(config.bufferDir, 16 * 1024 * 1024);
  const rejectedBatches = await DeadLetterFile.open(config.bufferDir, 64 * 1024 * 1024, 'rejected-batches');
  const dupes = new DuplicateWindow(config.duplicateWindow ?? 20_000);
  const windowStart = Math.max(log.firstIndex, log.committedIndex - dupes.capacity);
  for (const r of await log.read(windowStart, dupes.capacity)) {
    const parsed = parseMachineMessage(r.payload);
    if (parsed.ok) dupes.add(parsed.value.id);
  }
  logger.info({ ...recovery, journalTruncatedBytes: journalCut, ackedSeq: journal.acked, unacknowledgedBatches: journal.unacked.length, nextIndex: log.nextIndex, segmentBytes }, 'buffer opened');

  const registry = new Registry();
  const counters = {
    received: new Counter({ name: 'publisher_messages_received_total', help: 'MQTT messages received, by result', labelNames: ['result'] as const, registers: [registry] }),
    bad: new Counter({ name: 'publisher_bad_messages_total', help: 'messages that failed validation (dead-lettered)', registers: [registry] }),
    ackedMessages: new Counter({ name: 'publisher_messages_sent_total', help: 'messages acknowledged by the cloud (rate() = send rate)', registers: [registry] }),
    batchesSent: new Counter({ name: 'publisher_batches_sent_total', help: 'batch POSTs to the cloud (first sends and resends)', registers: [registry] }),
    batchesAcked: new Counter({ name: 'publisher_batches_acked_total', help: 'batches acknowledged by the cloud', registers: [registry] }),
    batchesRejected: new Counter({ name: 'publisher_batches_rejected_total', help: 'batches the cloud refused as invalid (kept in rejected-batches.ndjson)', registers: [registry] }),
    batchesRetried: new Counter({ name: 'publisher_batches_retried_total', help: 'batch resends after a failed attempt', registers: [registry] }),
    commits: new Counter({ name: 'publisher_buffer_commits_total', help: 'group commits (fdatasync) of the buffer', registers: [registry] }),
  };
  let received = 0;
  let bad = 0;
  let duplicates = 0;
  let ackedMessages = 0;
  let backpressure = false;
  let alarm = false;
  let lastFullLogAt = 0;
  let lastBadLogAt = 0;
  let badAtLastLog = 0;

  const client = new CloudClient({ url: config.cloudUrl, edgeId: config.edgeId, token: config.edgeToken, ca: config.cloudCa });

  // ---- intake: validate, drop redeliveries, append, PUBACK after the group commit ----
  let releases: (() => void)[] = [];
  let commitTimer: NodeJS.Timeout | null = null;
  let committing: Promise<void> | null = null;
  let lastCommitAt = 0;
  let closing = false;

  const bufferBytes = () => log.bytesOnDisk + log.pendingByteCount;
  const updatePressure = () => {
    const bytes = bufferBytes();
    if (!backpressure && bytes >= config.bufferMaxBytes) {
      backpressure = true;
      subscriber.pause();
      // draining near the bound flips this often: one warning a minute
      const now = Date.now();
      const quiet = now - lastFullLogAt < 60_000;
      if (!quiet) lastFullLogAt = now;
      logger[quiet ? 'debug' : 'warn']({ bufferBytes: bytes, bufferMaxBytes: config.bufferMaxBytes }, 'buffer full: no longer acknowledging the broker (it keeps the messages) until the cloud takes some');
    } else if (backpressure && bytes + segmentBytes <= config.bufferMaxBytes) {
      backpressure = false;
      subscriber.resume();
      logger.debug({ bufferBytes: bytes }, 'buffer has room again: reading from the broker');
    }
    // hysteresis: the alarm clears 10 points below where it was raised
    const nowAlarm = bytes >= (alarm ? alarmRatio - 0.1 : alarmRatio) * config.bufferMaxBytes;
    if (nowAlarm !== alarm) {
      alarm = nowAlarm;
      if (alarm) logger.warn({ bufferBytes: bytes, threshold: Math.round(alarmRatio * config.bufferMaxBytes) }, 'BUFFER ALARM: buffer above threshold (cloud unreachable or too slow?)');
      else logger.info({ bufferBytes: bytes }, 'buffer alarm cleared');
    }
  };

  const scheduleCommit = () => {
    if (commitTimer || committing || closing) return;
    commitTimer = setTimeout(runCommit, Math.max(0, lastCommitAt + commitIntervalMs - Date.now()));
  };
  const runCommit = () => {
    commitTimer = null;
    const group = releases;
    releases = [];
    lastCommitAt = Date.now();
    committing = (async () => {
      await log.commit();
      await deadLetter.sync();
    })().then(
      () => {
        committing = null;
        counters.commits.inc();
        // PUBACKs in the order the PUBLISHes came, as MQTT requires
        for (const release of group) release();
        sender.notify();
        updatePressure();
        if (releases.length) scheduleCommit();
      },
      (err: unknown) => {
        committing = null;
        onFatal(err);
      },
    );
  };

  const onMessage = (topic: string, payload: Buffer, release: () => void) => {
    received++;
    const parsed = parseMachineMessage(payload);
    const parts = parseTopic(topic);
    let error: string | null = parsed.ok ? null : parsed.error;
    if (parsed.ok) {
      const m = parsed.value;
      if (!parts) error = `topic ${topic} is not a machine topic`;
      else if (parts.machineId !== m.machineId || parts.kind !== m.kind) error = `topic names ${parts.machineId}/${parts.kind} but the message is ${m.machineId}/${m.kind}`;
      else if (!machines.has(m.machineId)) error = `machine ${m.machineId} is not in plant ${config.plantId}`;
    }
    if (error !== null || !parsed.ok) {
      bad++;
      counters.bad.inc();
      counters.received.inc({ result: 'invalid' });
      deadLetter.add(topic, payload, error ?? 'invalid');
      // a pod publishing garbage must not flood the log: one line a second, with the count
      const now = Date.now();
      if (now - lastBadLogAt >= 1_000) {
        logger.warn({ topic, error, badSinceLastLine: bad - badAtLastLog }, 'bad message dead-lettered');
        lastBadLogAt = now;
        badAtLastLog = bad;
      }
    } else if (dupes.has(parsed.value.id)) {
      // a redelivery of a message already on disk (its PUBACK was lost with a connection)
      duplicates++;
      counters.received.inc({ result: 'duplicate' });
    } else {
      dupes.add(parsed.value.id);
      counters.received.inc({ result: 'valid' });
      log.append(Buffer.from(JSON.stringify(parsed.value)), Date.now());
    }
    releases.push(release);
    scheduleCommit();
    updatePressure();
  };

  const subscriber = new BrokerSubscriber({
    url: config.mqttUrl,
    clientId: config.clientId ?? publisherClientId(config.edgeId),
    filter: plantFilter(config.plantId),
    ca: config.mqttCa,
    ...(config.mqttUsername !== undefined ? { username: config.mqttUsername, password: config.mqttPassword } : {}),
    log: logger,
    onMessage,
  });

  const sender = new Sender({
    edgeId: config.edgeId,
    log,
    journal,
    client,
    logger,
    batchMaxMessages: config.batchMaxMessages ?? 5_000,
    batchMaxBytes: config.batchMaxBytes ?? 4 * 1024 * 1024,
    lingerMs: config.batchLingerMs ?? 20,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    onResult: (kind) => {
      if (kind === 'sent') counters.batchesSent.inc();
      else if (kind === 'acked') counters.batchesAcked.inc();
      else if (kind === 'rejected') counters.batchesRejected.inc();
      else counters.batchesRetried.inc();
    },
    onRejected: async (batch, payloads, error) => {
      rejectedBatches.addRecord({ seq: batch.seq, error, messages: payloads.map((p) => JSON.parse(p.toString('utf8')) as unknown) });
      await rejectedBatches.sync();
    },
    onAcked: async (_batch, messages) => {
      ackedMessages += messages;
      counters.ackedMessages.inc(messages);
      await log.dropBefore(journal.ackedTo);
      updatePressure();
    },
  });

  const stats = (): PublisherStats => ({
    brokerConnected: subscriber.ready,
    cloudReachable: sender.cloudReachable,
    cloudError: sender.lastError,
    backpressure,
    alarm,
    bufferBytes: bufferBytes(),
    bufferMaxBytes: config.bufferMaxBytes,
    unsentMessages: Math.max(0, log.nextIndex - journal.ackedTo),
    ackedSeq: journal.acked,
    received,
    bad,
    duplicates,
    ackedMessages,
  });

  new Gauge({ name: 'publisher_buffer_messages', help: 'messages in the buffer not yet acknowledged by the cloud', registers: [registry], collect() { this.set(stats().unsentMessages); } });
  new Gauge({ name: 'publisher_buffer_bytes', help: 'bytes of buffer segment files on disk', registers: [registry], collect() { this.set(bufferBytes()); } });
  new Gauge({ name: 'publisher_buffer_max_bytes', help: 'bound of the buffer (BUFFER_MAX_MB)', registers: [registry], collect() { this.set(config.bufferMaxBytes); } });
  new Gauge({ name: 'publisher_buffer_alarm', help: '1 while the buffer is above the alarm threshold', registers: [registry], collect() { this.set(alarm ? 1 : 0); } });
  new Gauge({ name: 'publisher_backpressure', help: '1 while the buffer is full and the broker is not read', registers: [registry], collect() { this.set(backpressure ? 1 : 0); } });
  new Gauge({ name: 'publisher_broker_connected', help: '1 while subscribed on the edge broker', registers: [registry], collect() { this.set(subscriber.ready ? 1 : 0); } });
  new Gauge({ name: 'publisher_cloud_reachable', help: '1 while the last cloud request got an answer', registers: [registry], collect() { this.set(sender.cloudReachable ? 1 : 0); } });
  new Gauge({ name: 'publisher_acked_seq', help: 'highest batch seq the cloud acknowledged', registers: [registry], collect() { this.set(journal.acked); } });
  new Gauge({
    name: 'publisher_oldest_unsent_age_seconds',
    help: 'age of the oldest message not yet acknowledged by the cloud (0 when none)',
    registers: [registry],
    async collect() {
      this.set(await oldestUnsentAgeS());
    },
  });

  async function oldestUnsentAgeS(): Promise<number> {
    const first = journal.unacked[0];
    if (first) return (Date.now() - first.firstReceivedAt) / 1000;
    const [r] = log.committedIndex > journal.nextFrom ? await log.read(journal.nextFrom, 1) : [];
    return r ? (Date.now() - r.receivedAt) / 1000 : 0;
  }

  let server: Server | undefined;
  if (config.port !== undefined) {
    // probes and metrics only: node:http, not express (its dependency tree costs ~8 MB resident)
    const service = createLightService({
      log: logger,
      registry,
      metricsToken: config.metricsToken,
      // an unreachable cloud is normal (outage): reported, not a reason to be taken out of service
      ready: () => {
        const s = stats();
        return { ready: s.brokerConnected, detail: { ...s, oldestUnsentReceivedAt: journal.unacked[0]?.firstReceivedAt ?? null } };
      },
    });
    server = await service.listen(config.port, config.host ?? '127.0.0.1');
  }

  subscriber.start();
  sender.start();
  updatePressure();

  return {
    port: server ? (server.address() as AddressInfo).port : undefined,
    registry,
    stats,
    close: async () => {
      closing = true;
      subscriber.pause();
      if (commitTimer) clearTimeout(commitTimer);
      commitTimer = null;
      await committing;
      // the last group: its PUBACKs go out before the DISCONNECT
      if (releases.length) {
        runCommit();
        await committing;
      }
      await subscriber.close();
      client.close();
      await sender.stop();
      server?.closeAllConnections();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      await log.close();
      await journal.close();
      await deadLetter.close();
      await rejectedBatches.close();
    },
  };
}
