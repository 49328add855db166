import * as z from 'zod';
import { machineStates } from '@plant-twin/plant-model';
import { qualities, tagValueSchema } from './messages.js';
import {
  alarmAckEventSchema,
  alarmSeverities,
  commandSchema,
  freshnessValues,
  jobDtoSchema,
  machineJobSchema,
  machineSnapshotSchema,
  podStatusSchema,
} from './twin-api.js';

/**
 * The live protocol over socket.io, spoken by the cloud's hub and by the edge andon server alike.
 * Auth: the session cookie (browser) or `io(url, { auth: { token } })`; a refused handshake's
 * error message says why. Every socket is in the `plant` room; `subscribe` adds one machine's room.
 * Updates are coalesced per machine and sent every 500 ms; a client that cannot keep up skips
 * intermediate updates (it gets the next, newer one).
 */
export const liveEvents = {
  /** on connect: every machine's picture (the same as GET /machines) and the server's clock */
  snapshot: 'snapshot',
  /** per machine, coalesced: state, counts, alarms, pod, job, freshness (no process values) */
  plant: 'plant',
  /** per subscribed machine: the plant event plus the latest value of every tag that changed */
  machine: 'machine',
  alarmAck: 'alarmAck',
  /** a mirrored job changed */
  job: 'job',
  /** a command changed status */
  command: 'command',
} as const;

export const liveSnapshotSchema = z.object({ serverTime: z.number().int(), machines: z.array(machineSnapshotSchema) });
export type LiveSnapshot = z.infer<typeof liveSnapshotSchema>;

export const liveStateSchema = z.object({
  state: z.enum(machineStates),
  quality: z.enum(qualities),
  ts: z.number().int(),
  partNumber: z.string().optional(),
  jobId: z.string().optional(),
});
export type LiveState = z.infer<typeof liveStateSchema>;

export const liveAlarmSchema = z.object({ code: z.number().int(), text: z.string(), severity: z.enum(alarmSeverities), active: z.boolean(), ts: z.number().int() });
export type LiveAlarm = z.infer<typeof liveAlarmSchema>;

export const liveFreshnessSchema = z.object({ freshness: z.enum(freshnessValues), staleSince: z.number().int().optional() });
export type LiveFreshness = z.infer<typeof liveFreshnessSchema>;

export const livePlantEventSchema = z.object({
  machineId: z.string(),
  state: liveStateSchema.optional(),
  /** parts counted since the previous event (summed deltas) */
  counts: z.object({ good: z.number().int(), scrap: z.number().int(), ts: z.number().int() }).optional(),
  /** alarm raises and clears since the previous event, in order */
  alarms: z.array(liveAlarmSchema),
  pod: podStatusSchema.optional(),
  job: machineJobSchema.optional(),
  /** sent when the cloud's judgement changes (e.g. the machine went quiet) */
  freshness: liveFreshnessSchema.optional(),
});
export type LivePlantEvent = z.infer<typeof livePlantEventSchema>;

export const liveMachineEventSchema = livePlantEventSchema.extend({ values: z.record(z.string(), tagValueSchema) });
export type LiveMachineEvent = z.infer<typeof liveMachineEventSchema>;

export const liveJobEventSchema = z.object({ job: jobDtoSchema });
export type LiveJobEvent = z.infer<typeof liveJobEventSchema>;
export const liveCommandEventSchema = z.object({ command: commandSchema });
export type LiveCommandEvent = z.infer<typeof liveCommandEventSchema>;
export type LiveAlarmAckEvent = z.infer<typeof alarmAckEventSchema>;

/** What a client's request (subscribe/unsubscribe) is acknowledged with, when it passes a callback. */
export type LiveAck = { ok: true } | { ok: false; error: string };

export interface LiveServerToClient {
  snapshot: (s: LiveSnapshot) => void;
  plant: (e: LivePlantEvent) => void;
  machine: (e: LiveMachineEvent) => void;
  alarmAck: (e: LiveAlarmAckEvent) => void;
  job: (e: LiveJobEvent) => void;
  command: (e: LiveCommandEvent) => void;
}

export interface LiveClientToServer {
  subscribe: (machineId: string, ack?: (a: LiveAck) => void) => void;
  unsubscribe: (machineId: string, ack?: (a: LiveAck) => void) => void;
}
