import * as z from 'zod';
import { machineStates } from '@plant-twin/plant-model';

/**
 * The machine message contract, version 1: what machine pods publish on the edge broker, what the
 * data publisher forwards to the cloud and what the cloud stores. Every message carries the
 * machine, a source timestamp and a quality so stale or lost data is never shown as current.
 */
export const contractVersion = 1 as const;

export const qualities = ['good', 'stale', 'bad'] as const;
export type Quality = (typeof qualities)[number];

const machineId = z.string().regex(/^[A-Z]{2,4}-\d{2}$/);
const epochMs = z.number().int().min(0);

/**
 * Whose clock `ts` is. Absent (every v1 producer before this field) or `machine`: the machine's own
 * (PLC clock, SQL row time, result file time). `pod`: the machine's clock was off by more than the
 * pod's bound (a PLC whose clock battery died says 1970; one set an hour ahead), so the pod stamped
 * the message with its own time and keeps what the machine said in `machineTs`: show it as
 * "time from the edge, machine clock wrong".
 */
export const clockSources = ['machine', 'pod'] as const;
export type ClockSource = (typeof clockSources)[number];

/**
 * Largest machine message (its JSON text, bytes) a pod publishes; the edge brokers refuse larger
 * packets (maxMqttPacketBytes). The largest legitimate message is a full-refresh sample of every
 * sample tag of a machine: ~4 KB for the plant's largest tag map (IMM, 48 tags), ~370 bytes per value
 * at worst (48-character name, 254-character S7 string). 64 KiB holds more than 170 such values; a pod
 * splits a sample beyond it into several messages and cuts string values at maxStringValueChars.
 */
export const maxMessageBytes = 64 * 1024;
export const maxStringValueChars = 1024;
/** the broker's bound on one MQTT packet: a message plus its topic and headers */
export const maxMqttPacketBytes = maxMessageBytes + 1024;

const envelope = {
  v: z.literal(contractVersion),
  /** unique per message: `${machineId}/${podBootId}/${seq}`; the cloud deduplicates on it */
  id: z.string().min(1).max(128),
  machineId,
  /** source timestamp (machine time where the machine gives one), ms since epoch */
  ts: epochMs,
  /** per-pod-boot sequence number, strictly increasing */
  seq: z.number().int().min(0),
  /** whose clock `ts` is (absent: the machine's), see clockSources */
  clock: z.enum(clockSources).optional(),
  /** with clock `pod`: the time the machine said, ms since epoch (negative: before 1970) */
  machineTs: z.number().int().optional(),
};

export const tagValueSchema = z.strictObject({
  name: z.string().min(1).max(48),
  value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  quality: z.enum(qualities),
  ts: epochMs,
});
export type TagValue = z.infer<typeof tagValueSchema>;

export const sampleMessageSchema = z.strictObject({ ...envelope, kind: z.literal('sample'), values: z.array(tagValueSchema).min(1) });

export const stateMessageSchema = z.strictObject({
  ...envelope,
  kind: z.literal('state'),
  state: z.enum(machineStates),
  previous: z.enum(machineStates).nullable(),
  /** bad while the pod cannot reach the machine: the state is then unknown, not "off" */
  quality: z.enum(qualities),
  alarmCode: z.number().int().min(0).optional(),
  jobId: z.string().max(32).optional(),
  partNumber: z.string().max(24).optional(),
});

export const counterMessageSchema = z.strictObject({
  ...envelope,
  kind: z.literal('counter'),
  /** parts counted since the previous counter message of this machine (already reset/wrap corrected) */
  goodDelta: z.number().int().min(0),
  scrapDelta: z.number().int().min(0),
  /** the machine's own running totals as read, for audit */
  goodTotal: z.number().int().min(0),
  scrapTotal: z.number().int().min(0),
  jobId: z.string().max(32).optional(),
  partNumber: z.string().max(24).optional(),
});

export const alarmMessageSchema = z.strictObject({
  ...envelope,
  kind: z.literal('alarm'),
  code: z.number().int().min(0),
  text: z.string().max(128),
  severity: z.enum(['info', 'warn', 'fault']),
  active: z.boolean(),
});

export const jobEvents = ['dispatched', 'accepted', 'setup', 'started', 'progress', 'held', 'resumed', 'completed', 'cancelled', 'rejected', 'failed'] as const;
export type JobEvent = (typeof jobEvents)[number];
export const jobMessageSchema = z.strictObject({
  ...envelope,
  kind: z.literal('job'),
  jobId: z.string().min(1).max(32),
  event: z.enum(jobEvents),
  partNumber: z.string().max(24),
  quantity: z.number().int().min(0),
  good: z.number().int().min(0),
  scrap: z.number().int().min(0),
  message: z.string().max(200).optional(),
});

/** Pod liveness, published retained; the broker publishes the "offline" form as the pod's last will. */
export const podMessageSchema = z.strictObject({
  ...envelope,
  kind: z.literal('pod'),
  status: z.enum(['online', 'offline']),
  machineConnected: z.boolean(),
});

export const machineMessageSchema = z.discriminatedUnion('kind', [
  sampleMessageSchema,
  stateMessageSchema,
  counterMessageSchema,
  alarmMessageSchema,
  jobMessageSchema,
  podMessageSchema,
]);
export type MachineMessage = z.infer<typeof machineMessageSchema>;
export type MessageKind = MachineMessage['kind'];
export type MessageOf<K extends MessageKind> = Extract<MachineMessage, { kind: K }>;
export type SampleMessage = MessageOf<'sample'>;
export type StateMessage = MessageOf<'state'>;
export type CounterMessage = MessageOf<'counter'>;
export type AlarmMessage = MessageOf<'alarm'>;
export type JobMessage = MessageOf<'job'>;
export type PodMessage = MessageOf<'pod'>;
export const messageKinds = ['sample', 'state', 'counter', 'alarm', 'job', 'pod'] as const satisfies readonly MessageKind[];

/** The message id: unique per message, the same when a pod sends it again after a restart. */
export const messageId = (machineId: string, bootId: string, seq: number) => `${machineId}/${bootId}/${seq}`;
export const bootOfMessageId = (id: string) => id.split('/')[1] ?? '';
/** A pod hands the broker its last will (an offline status) when it connects, as seq 0 of its boot. */
export const lastWillSeq = 0;
export const isLastWill = (m: MachineMessage): boolean => m.kind === 'pod' && m.seq === lastWillSeq && m.status === 'offline';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Names every wrong field, e.g. `values[2].quality: Invalid option: expected one of "good"|"stale"|"bad"`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)'}: ${i.message}`).join('; ');
}

export function parseWith<T>(schema: z.ZodType<T>, data: unknown): ParseResult<T> {
  const r = schema.safeParse(data);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describeIssues(r.error) };
}

/** Parses an MQTT payload (bytes or text) into a machine message without throwing. */
export function parseMachineMessage(payload: Buffer | Uint8Array | string): ParseResult<MachineMessage> {
  let data: unknown;
  try {
    data = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  return parseWith(machineMessageSchema, data);
}
