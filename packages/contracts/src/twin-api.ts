import * as z from 'zod';
import { cloudClockAlarmCode, machineKinds, machineStates, tagRoles, tagTypes } from '@plant-twin/plant-model';
import { qualities } from './messages.js';

/**
 * The cloud's REST API as the twin (and any API client) sees it, under `/api/v1`: one zod schema per
 * request, query and answer, with the inferred types. The cloud validates with these schemas; the
 * twin imports the types only (`import type`), so zod stays out of the browser bundle.
 * Times are ms since the epoch (UTC) unless a field says ISO; the job manager's job and event
 * records keep the ISO strings of its own REST API, so one shape travels edge -> cloud -> twin.
 * Every refusal is `{ error }` (401 no session, 403 role or CSRF, 404, 409, 429 throttled), and
 * invalid input 400 `{ error, fields: [{ path, message }] }`.
 */
export const apiPrefix = '/api/v1';

const epochMs = z.number().int().min(0);
const queryMs = z.coerce.number().int().min(0);
const machineIdSchema = z.string().regex(/^[A-Z]{2,4}-\d{2}$/, 'must be a machine id like PRS-01');

export const errorAnswerSchema = z.object({ error: z.string(), fields: z.array(z.object({ path: z.string(), message: z.string() })).optional() });
export type ErrorAnswer = z.infer<typeof errorAnswerSchema>;

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

export const roles = ['admin', 'engineer', 'planner', 'supervisor', 'viewer'] as const;
export type Role = (typeof roles)[number];
/** Cookie names of a browser session: the session (httpOnly) and the CSRF double-submit token (readable). */
export const sessionCookie = 'pt_session';
export const csrfCookie = 'pt_csrf';
/** Header a cookie-authenticated POST/PUT/PATCH/DELETE carries, equal to the pt_csrf cookie. */
export const csrfHeader = 'X-CSRF-Token';

export const userSummarySchema = z.object({ username: z.string(), role: z.enum(roles) });
export type UserSummary = z.infer<typeof userSummarySchema>;

export const loginRequestSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
  /** bearer (default): the token in the answer; cookie: httpOnly session cookie + CSRF token (the twin) */
  session: z.enum(['cookie', 'bearer']).default('bearer'),
});
export type LoginRequest = z.input<typeof loginRequestSchema>;
export const bearerLoginAnswerSchema = z.object({ token: z.string(), expiresAt: epochMs, user: userSummarySchema });
export type BearerLoginAnswer = z.infer<typeof bearerLoginAnswerSchema>;
export const cookieLoginAnswerSchema = z.object({ expiresAt: epochMs, user: userSummarySchema, csrfToken: z.string() });
export type CookieLoginAnswer = z.infer<typeof cookieLoginAnswerSchema>;

export const sessionKinds = ['user', 'device'] as const;
export type SessionKind = (typeof sessionKinds)[number];
export const meAnswerSchema = z.object({
  username: z.string(),
  role: z.enum(roles),
  expiresAt: epochMs,
  kind: z.enum(sessionKinds),
  /** cookie sessions only: the value to send as X-CSRF-Token */
  csrfToken: z.string().optional(),
});
export type MeAnswer = z.infer<typeof meAnswerSchema>;

export const passwordChangeRequestSchema = z.strictObject({
  currentPassword: z.string().min(1).max(200),
  newPassword: z.string().min(10, 'at least 10 characters').max(200),
});
export type PasswordChangeRequest = z.infer<typeof passwordChangeRequestSchema>;

/** An andon screen trades its device token (made by an admin) for a viewer cookie session. */
export const deviceLoginRequestSchema = z.strictObject({ token: z.string().min(16).max(200) });
export type DeviceLoginRequest = z.infer<typeof deviceLoginRequestSchema>;
export const deviceLoginAnswerSchema = cookieLoginAnswerSchema.extend({ kind: z.literal('device') });
export type DeviceLoginAnswer = z.infer<typeof deviceLoginAnswerSchema>;

export const okAnswerSchema = z.object({ ok: z.literal(true), note: z.string().optional() });
export type OkAnswer = z.infer<typeof okAnswerSchema>;

// ---------------------------------------------------------------------------------------------
// Plant model for the twin (no addresses, hosts or secret names)
// ---------------------------------------------------------------------------------------------

export const machineInterfaces = ['s7', 'sql', 'file'] as const;
export const alarmSeverities = ['info', 'warn', 'fault'] as const;
export type AlarmSeverity = (typeof alarmSeverities)[number];

export const plantShiftSchema = z.object({
  name: z.string(),
  /** local wall-clock HH:MM in the plant's time zone; end <= start: ends the next day */
  start: z.string(),
  end: z.string(),
  breaks: z.array(z.object({ start: z.string(), minutes: z.number().int() })),
  /** ISO weekdays 1 (Mon) - 7 (Sun) */
  days: z.array(z.number().int().min(1).max(7)),
});
export type PlantShift = z.infer<typeof plantShiftSchema>;

export const plantTagSchema = z.object({
  name: z.string(),
  type: z.enum(tagTypes),
  unit: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  role: z.enum(tagRoles).optional(),
  description: z.string().optional(),
});
export type PlantTag = z.infer<typeof plantTagSchema>;

export const plantMachineSchema = z.object({
  id: machineIdSchema,
  name: z.string(),
  kind: z.enum(machineKinds),
  area: z.string(),
  interface: z.enum(machineInterfaces),
  layout: z.object({ x: z.number(), z: z.number(), rotationDeg: z.number(), footprint: z.object({ w: z.number(), d: z.number(), h: z.number() }) }),
  tags: z.array(plantTagSchema),
  parts: z.array(z.object({ partNumber: z.string(), description: z.string().optional(), family: z.string(), idealCycleS: z.number() })),
  alarms: z.array(z.object({ code: z.number().int(), text: z.string(), severity: z.enum(alarmSeverities) })),
});
export type PlantMachine = z.infer<typeof plantMachineSchema>;

/** GET /plant (any role) */
export const plantViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** IANA zone: every time on screen is shown in it */
  timezone: z.string(),
  hall: z.object({ width: z.number(), depth: z.number() }),
  areas: z.array(z.object({ id: z.string(), name: z.string() })),
  shifts: z.array(plantShiftSchema),
  smallStopThresholdS: z.number(),
  /** the cloud's clock when it answered: the twin measures ages against it, not the browser's clock */
  serverTime: epochMs,
  machines: z.array(plantMachineSchema),
});
export type PlantView = z.infer<typeof plantViewSchema>;

export const calendarKinds = ['shift', 'day', 'week'] as const;
export type CalendarKind = (typeof calendarKinds)[number];
/** GET /calendar/ranges?kind=&at= */
export const calendarQuerySchema = z.strictObject({ kind: z.enum(calendarKinds), at: queryMs.optional() });
export type CalendarQuery = z.input<typeof calendarQuerySchema>;
export const calendarRangeSchema = z.object({
  kind: z.enum(calendarKinds),
  /** e.g. "early 2026-12-07", "2026-12-07", "2026-W50" */
  label: z.string(),
  from: epochMs,
  to: epochMs,
});
export type CalendarRange = z.infer<typeof calendarRangeSchema>;
/** the range containing `at` and the one before it (a shift: the previous shift that runs) */
export const calendarRangesAnswerSchema = z.object({ current: calendarRangeSchema, previous: calendarRangeSchema });
export type CalendarRangesAnswer = z.infer<typeof calendarRangesAnswerSchema>;

// ---------------------------------------------------------------------------------------------
// Machines, values, series, timeline
// ---------------------------------------------------------------------------------------------

/**
 * Decided by the cloud on its own clock from when it last received anything of the machine:
 * offline = pod offline, machine not connected or state quality not good; stale = nothing received
 * for longer than the staleness bound; live otherwise.
 */
export const freshnessValues = ['live', 'stale', 'offline'] as const;
export type Freshness = (typeof freshnessValues)[number];

export const podStatusSchema = z.object({ status: z.enum(['online', 'offline']), machineConnected: z.boolean(), ts: epochMs });
export type PodStatus = z.infer<typeof podStatusSchema>;

export const machineStatusSchema = z.object({
  machineId: machineIdSchema,
  state: z.enum(machineStates).nullable(),
  quality: z.enum(qualities).nullable(),
  /** source time of the latest state message */
  since: epochMs.nullable(),
  partNumber: z.string().nullable(),
  jobId: z.string().nullable(),
  pod: podStatusSchema.nullable(),
  /** source time of the machine's latest message */
  lastSeen: epochMs.nullable(),
  freshness: z.enum(freshnessValues),
  /** server time of the last message received from the machine, when it is not live ("no data since") */
  staleSince: epochMs.optional(),
});
export type MachineStatus = z.infer<typeof machineStatusSchema>;

/** The latest job message of the machine's pod (progress as the machine counts it). */
export const machineJobSchema = z.object({
  jobId: z.string(),
  partNumber: z.string(),
  quantity: z.number().int(),
  good: z.number().int(),
  scrap: z.number().int(),
  event: z.string(),
  ts: epochMs,
});
export type MachineJob = z.infer<typeof machineJobSchema>;

export const alarmAckSchema = z.object({ by: z.string(), at: epochMs, comment: z.string() });
export type AlarmAck = z.infer<typeof alarmAckSchema>;

export const activeAlarmSchema = z.object({
  code: z.number().int(),
  text: z.string(),
  severity: z.enum(alarmSeverities),
  raisedAt: epochMs,
  ack: alarmAckSchema.nullable(),
});
export type ActiveAlarm = z.infer<typeof activeAlarmSchema>;

/** One machine's live picture: what GET /machines adds to the plant model and the socket's snapshot carries. */
export const machineSnapshotSchema = z.object({
  machineId: machineIdSchema,
  status: machineStatusSchema,
  job: machineJobSchema.nullable(),
  activeAlarms: z.array(activeAlarmSchema),
});
export type MachineSnapshot = z.infer<typeof machineSnapshotSchema>;

/** GET /machines (any role): one entry per machine of the plant model */
export const machineListItemSchema = machineSnapshotSchema.omit({ machineId: true }).extend({
  id: machineIdSchema,
  name: z.string(),
  kind: z.enum(machineKinds),
  area: z.string(),
  interface: z.enum(machineInterfaces),
  parts: plantMachineSchema.shape.parts,
});
export type MachineListItem = z.infer<typeof machineListItemSchema>;

export const currentValueSchema = z.object({
  name: z.string(),
  value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  quality: z.enum(qualities),
  /** source time */
  ts: epochMs,
  unit: z.string().optional(),
  /** the tag's engineering limits from the plant model (a band on trends) */
  limits: z.object({ min: z.number().optional(), max: z.number().optional() }).optional(),
});
export type CurrentValue = z.infer<typeof currentValueSchema>;
/** GET /machines/:id/current */
export const currentValuesAnswerSchema = z.object({ machineId: machineIdSchema, status: machineStatusSchema, values: z.array(currentValueSchema) });
export type CurrentValuesAnswer = z.infer<typeof currentValuesAnswerSchema>;

export const maxSeriesTags = 16;
/** `to` after `from`; the longest range is the cloud's bound (CLOUD_QUERY_MAX_DAYS, default 400 days: 400 beyond it) */
const rangeRefine = <T extends { from: number; to: number }>(r: T, ctx: z.RefinementCtx) => {
  if (r.to <= r.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
};

/** GET /machines/:id/series?tag=… (one tag) or ?tags=a,b,c (up to 16) &from=&to=&points= */
export const seriesQuerySchema = z
  .strictObject({
    tag: z.string().min(1).max(48).optional(),
    tags: z
      .string()
      .transform((s) => s.split(',').filter(Boolean))
      .pipe(z.array(z.string().min(1).max(48)).min(1).max(maxSeriesTags, `at most ${maxSeriesTags} tags`))
      .optional(),
    from: queryMs,
    to: queryMs,
    points: z.coerce.number().int().min(1).max(10_000).default(500),
  })
  .superRefine(rangeRefine)
  .refine((q) => (q.tag === undefined) !== (q.tags === undefined), { path: ['tag'], message: 'give either tag or tags' });
export type SeriesQuery = z.input<typeof seriesQuerySchema>;

export const seriesBucketSchema = z.object({ t: epochMs, min: z.number(), max: z.number(), avg: z.number(), count: z.number() });
export type SeriesBucket = z.infer<typeof seriesBucketSchema>;
export const seriesSchema = z.object({
  machineId: machineIdSchema,
  tag: z.string(),
  from: epochMs,
  to: epochMs,
  bucketMs: z.number(),
  /** raw samples, or the 1-minute / 1-hour rollups: the coarsest that still fills `points` */
  source: z.enum(['raw', '1m', '1h']),
  buckets: z.array(seriesBucketSchema),
});
export type Series = z.infer<typeof seriesSchema>;
/** the answer to ?tags= (one series per tag, in the order asked) */
export const multiSeriesAnswerSchema = z.object({ machineId: machineIdSchema, from: epochMs, to: epochMs, series: z.array(seriesSchema) });
export type MultiSeriesAnswer = z.infer<typeof multiSeriesAnswerSchema>;

/** GET /machines/:id/timeline?from=&to= */
export const timelineQuerySchema = z.strictObject({ from: queryMs, to: queryMs }).superRefine(rangeRefine);
export type TimelineQuery = z.input<typeof timelineQuerySchema>;
/** `nodata`: pod offline, machine unreachable, or before the first state message */
export const timelineStates = [...machineStates, 'nodata'] as const;
export type TimelineState = (typeof timelineStates)[number];
export const timelineIntervalSchema = z.object({ state: z.enum(timelineStates), from: epochMs, to: epochMs, quality: z.enum(qualities) });
export type TimelineInterval = z.infer<typeof timelineIntervalSchema>;
export const maxTimelineIntervals = 5000;
export const timelineAnswerSchema = z.object({
  machineId: machineIdSchema,
  from: epochMs,
  /** cut at the machine's latest message: later time has not happened yet */
  to: epochMs,
  /** merged intervals in time order, clipped to [from, to) */
  intervals: z.array(timelineIntervalSchema),
  /** more than maxTimelineIntervals: the reply ends early (ask for a shorter range) */
  truncated: z.boolean(),
});
export type TimelineAnswer = z.infer<typeof timelineAnswerSchema>;

// ---------------------------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------------------------

/** GET /alarms?machineId=&severity=fault,warn&from=&to=&limit= */
export const alarmsQuerySchema = z.strictObject({
  machineId: machineIdSchema.optional(),
  severity: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(alarmSeverities)).min(1))
    .optional(),
  from: queryMs.optional(),
  to: queryMs.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
export type AlarmsQuery = z.input<typeof alarmsQuerySchema>;
export const alarmEpisodeSchema = z.object({
  machineId: machineIdSchema,
  code: z.number().int(),
  text: z.string(),
  severity: z.enum(alarmSeverities),
  raisedAt: epochMs,
  clearedAt: epochMs.nullable(),
  ack: alarmAckSchema.nullable(),
});
export type AlarmEpisode = z.infer<typeof alarmEpisodeSchema>;
export const alarmsAnswerSchema = z.object({ active: z.array(alarmEpisodeSchema), history: z.array(alarmEpisodeSchema) });
export type AlarmsAnswer = z.infer<typeof alarmsAnswerSchema>;

/** POST /alarms/ack (supervisor, engineer, admin): 409 when the episode is acknowledged already */
export const alarmAckRequestSchema = z.strictObject({
  machineId: machineIdSchema,
  code: z.number().int().min(0),
  raisedAt: epochMs,
  comment: z.string().max(500).default(''),
});
export type AlarmAckRequest = z.input<typeof alarmAckRequestSchema>;
/** the answer to an ack, and the live `alarmAck` event */
export const alarmAckEventSchema = z.object({ machineId: machineIdSchema, code: z.number().int(), raisedAt: epochMs, ack: alarmAckSchema });
export type AlarmAckEvent = z.infer<typeof alarmAckEventSchema>;

// ---------------------------------------------------------------------------------------------
// OEE (ISO 22400-2): seconds and quantities; ratios null where their base is 0
// ---------------------------------------------------------------------------------------------

export const oeeKpisSchema = z.object({
  plannedBusyTime: z.number(),
  noDataTime: z.number(),
  coveredTime: z.number(),
  actualProductionTime: z.number(),
  actualUnitSetupTime: z.number(),
  actualUnitDownTime: z.number(),
  downtimeByReason: z.object({ fault: z.number(), starved: z.number(), blocked: z.number(), idle: z.number(), off: z.number(), maintenance: z.number() }),
  smallStopTime: z.number(),
  smallStops: z.number(),
  producedQuantity: z.number(),
  goodQuantity: z.number(),
  scrapQuantity: z.number(),
  plannedRunTime: z.number(),
  availability: z.number().nullable(),
  effectiveness: z.number().nullable(),
  qualityRatio: z.number().nullable(),
  oee: z.number().nullable(),
  losses: z.object({ downtime: z.number(), setup: z.number(), smallStops: z.number(), reducedSpeed: z.number(), scrap: z.number(), netProductive: z.number() }),
  issues: z.array(z.string()),
});
export type OeeKpisView = z.infer<typeof oeeKpisSchema>;
export const oeeBreakdownSchema = oeeKpisSchema.extend({
  byShift: z.record(z.string(), oeeKpisSchema),
  byPart: z.record(z.string(), oeeKpisSchema),
  outsidePlanned: z.object({ producedQuantity: z.number(), goodQuantity: z.number(), scrapQuantity: z.number() }),
});
export type OeeBreakdownView = z.infer<typeof oeeBreakdownSchema>;

/** Most periods one `by=` query may return (a shift trend over ~3 weeks, a day trend over ~3 months). */
export const maxOeePeriods = 93;
/** GET /oee?from=&to=&machineIds=A,B&by=shift|day */
export const oeeQuerySchema = z
  .strictObject({
    from: queryMs,
    to: queryMs,
    machineIds: z
      .string()
      .transform((s) => s.split(',').filter(Boolean))
      .pipe(z.array(machineIdSchema))
      .optional(),
    by: z.enum(['shift', 'day']).optional(),
  })
  .superRefine(rangeRefine);
export type OeeQueryParams = z.input<typeof oeeQuerySchema>;
export const oeePeriodSchema = z.object({
  kind: z.enum(['shift', 'day']),
  label: z.string(),
  from: epochMs,
  to: epochMs,
  plant: oeeKpisSchema,
  machines: z.record(z.string(), oeeKpisSchema),
});
export type OeePeriod = z.infer<typeof oeePeriodSchema>;
export const oeeReportSchema = z.object({
  from: epochMs,
  /** the requested end, cut at the plant's latest data */
  to: epochMs,
  plant: oeeBreakdownSchema,
  machines: z.record(z.string(), oeeBreakdownSchema),
  /** with `by`: one row per plant-calendar period overlapping [from, to), oldest first */
  trend: z.array(oeePeriodSchema).optional(),
});
export type OeeReportView = z.infer<typeof oeeReportSchema>;

// ---------------------------------------------------------------------------------------------
// Jobs: the cloud's mirror of the edge job manager
// ---------------------------------------------------------------------------------------------

export const jobStatuses = ['planned', 'released', 'dispatched', 'running', 'held', 'completed', 'cancelled', 'failed'] as const;
export type JobStatus = (typeof jobStatuses)[number];
const iso = z.iso.datetime({ offset: true });
const jobIdString = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'must be 1-32 letters, digits, "-" or "_"');

/** A job as the job manager holds it (its REST API's shape; times ISO 8601). */
export const jobDtoSchema = z.object({
  id: jobIdString,
  orderId: z.string().max(64),
  operation: z.string().max(32),
  orderVersion: z.number().int(),
  partNumber: z.string().max(24),
  workCenter: z.string().max(64),
  quantity: z.number().int(),
  dispatchedQuantity: z.number().int().nullable(),
  dueDate: iso,
  priority: z.number().int(),
  eligibleMachines: z.array(z.string().max(16)).max(64),
  status: z.enum(jobStatuses),
  machineId: z.string().max(16).nullable(),
  good: z.number().int(),
  scrap: z.number().int(),
  cancelRequested: z.boolean(),
  dispatchAttempts: z.number().int(),
  startedAt: iso.nullable(),
  endedAt: iso.nullable(),
  message: z.string().max(500).nullable(),
  createdAt: iso,
  /** newer snapshots win: an older one never overwrites a newer one in the cloud */
  updatedAt: iso,
});
export type JobDto = z.infer<typeof jobDtoSchema>;

/** One entry of a job's history (transition, change, progress, note). */
export const jobEventDtoSchema = z.object({
  /** the job manager's event id: increasing, the push cursor */
  id: z.number().int().min(1),
  jobId: jobIdString,
  at: iso,
  kind: z.string().max(32),
  from: z.enum(jobStatuses).nullable(),
  to: z.enum(jobStatuses).nullable(),
  actor: z.string().max(64),
  reason: z.string().max(500),
  detail: z.unknown(),
});
export type JobEventDto = z.infer<typeof jobEventDtoSchema>;

/** GET /jobs?status=a,b&machine=&part=&q=&limit=&offset= (any role) */
export const jobsQuerySchema = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(jobStatuses)).min(1))
    .optional(),
  machine: machineIdSchema.optional(),
  part: z.string().min(1).max(24).optional(),
  /** free text: job id, order id or part number contains it (case-insensitive) */
  q: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});
export type JobsQuery = z.input<typeof jobsQuerySchema>;
export const jobsAnswerSchema = z.object({ jobs: z.array(jobDtoSchema), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
export type JobsAnswer = z.infer<typeof jobsAnswerSchema>;

/** GET /jobs/:id: the job, its history (oldest first) and the commands sent for it (newest first) */
export const jobDetailAnswerSchema = z.object({ job: jobDtoSchema, events: z.array(jobEventDtoSchema), commands: z.array(z.lazy(() => commandSchema)) });
export type JobDetailAnswer = z.infer<typeof jobDetailAnswerSchema>;

/** GET /machines/:id/queue: what is on the machine, then its released jobs in the order the job manager runs them */
export const machineQueueAnswerSchema = z.object({
  machineId: machineIdSchema,
  current: jobDtoSchema.nullable(),
  queue: z.array(jobDtoSchema),
  /** the job manager's sequencing rule (e.g. priority-due-date, or a published schedule) */
  sequencer: z.string().nullable(),
  /** when the edge last pushed the queue (server time), null: never */
  asOf: epochMs.nullable(),
});
export type MachineQueueAnswer = z.infer<typeof machineQueueAnswerSchema>;

// ---------------------------------------------------------------------------------------------
// Commands: cloud -> edge, fetched by the edge over a connection it opens
// ---------------------------------------------------------------------------------------------

export const commandTypes = ['job.release', 'job.hold', 'job.cancel', 'job.priority', 'schedule.publish'] as const;
export type CommandType = (typeof commandTypes)[number];
export const commandStatuses = ['pending', 'delivered', 'applied', 'refused', 'expired'] as const;
export type CommandStatus = (typeof commandStatuses)[number];
export const finishedCommandStatuses: readonly CommandStatus[] = ['applied', 'refused', 'expired'];
/** a command nobody applied within this time expires (the cloud's default; configurable) */
export const defaultCommandLifetimeMs = 120_000;

export const commandSchema = z.object({
  id: z.uuid(),
  /** the cloud's order of creation: the edge's fetch cursor */
  seq: z.number().int().min(1),
  type: z.enum(commandTypes),
  /** what it acts on: a job id for job.*, a schedule id for schedule.publish */
  target: z.string().max(64),
  args: z.record(z.string(), z.unknown()),
  createdBy: z.string(),
  createdAt: epochMs,
  expiresAt: epochMs,
  status: z.enum(commandStatuses),
  reason: z.string().optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  deliveredAt: epochMs.optional(),
  resultAt: epochMs.optional(),
});
export type Command = z.infer<typeof commandSchema>;

export const jobCommandActions = ['release', 'hold', 'cancel', 'priority'] as const;
export type JobCommandAction = (typeof jobCommandActions)[number];
/** POST /jobs/:id/commands (planner, admin) -> 202 { command } */
export const jobCommandRequestSchema = z
  .strictObject({
    action: z.enum(jobCommandActions),
    priority: z.number().int().min(1).max(9).optional(),
    reason: z.string().max(200).optional(),
  })
  .refine((c) => (c.action === 'priority') === (c.priority !== undefined), { path: ['priority'], message: 'give priority (1-9) with action "priority", and only then' });
export type JobCommandRequest = z.infer<typeof jobCommandRequestSchema>;
export const commandAnswerSchema = z.object({ command: commandSchema });
export type CommandAnswer = z.infer<typeof commandAnswerSchema>;

/** GET /commands?status=&limit= (any role) */
export const commandsQuerySchema = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(commandStatuses)).min(1))
    .optional(),
  target: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type CommandsQuery = z.input<typeof commandsQuerySchema>;
export const commandsAnswerSchema = z.object({ commands: z.array(commandSchema) });
export type CommandsAnswer = z.infer<typeof commandsAnswerSchema>;

// Edge side of the channel (edge credential: Authorization: Bearer <EDGE_TOKEN>, X-Edge-Id)
export const edgePaths = {
  jobs: '/api/v1/edge/jobs',
  commands: '/api/v1/edge/commands',
  result: (id: string) => `/api/v1/edge/commands/${encodeURIComponent(id)}/result`,
} as const;
export const maxEdgePushJobs = 500;
export const maxEdgePushEvents = 2000;
/** POST /edge/jobs: idempotent upsert (jobs by id and updatedAt, events by id) */
export const edgeJobsPushSchema = z.strictObject({
  edgeId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  jobs: z.array(jobDtoSchema).max(maxEdgePushJobs),
  events: z.array(jobEventDtoSchema).max(maxEdgePushEvents),
  /** per machine, the released job ids in the order the job manager will run them (replaces what the cloud held) */
  queues: z.record(machineIdSchema, z.array(jobIdString).max(1000)).optional(),
  sequencer: z.string().max(64).optional(),
});
export type EdgeJobsPush = z.infer<typeof edgeJobsPushSchema>;
/** the highest job event id the cloud holds for this edge */
export const edgeJobsAckSchema = z.object({ ack: z.number().int().min(0) });
export type EdgeJobsAck = z.infer<typeof edgeJobsAckSchema>;

/** GET /edge/commands?after=<seq>&waitS=25: long poll, answers at once when there are some */
export const maxCommandWaitS = 30;
export const edgeCommandsQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  waitS: z.coerce.number().min(0).max(maxCommandWaitS).default(25),
});
export type EdgeCommandsQuery = z.input<typeof edgeCommandsQuerySchema>;
/**
 * Unfinished, unexpired commands with seq > after, oldest first. `serverTime` lets the edge judge
 * expiry on its own clock without trusting the two clocks to agree: a command is live on the edge
 * until (local receive time + expiresAt - serverTime).
 */
export const edgeCommandsAnswerSchema = z.object({ commands: z.array(commandSchema), serverTime: epochMs });
export type EdgeCommandsAnswer = z.infer<typeof edgeCommandsAnswerSchema>;

/** POST /edge/commands/:id/result: the same result twice is fine; a different second one is 409 */
export const commandResultSchema = z.strictObject({
  status: z.enum(['applied', 'refused']),
  reason: z.string().max(500).optional(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  /** edge time it was applied or refused */
  at: epochMs,
});
export type CommandResult = z.infer<typeof commandResultSchema>;

// ---------------------------------------------------------------------------------------------
// Admin
// ---------------------------------------------------------------------------------------------

export const usernameSchema = z.string().regex(/^[a-z][a-z0-9._-]{1,31}$/, 'lower-case letters, digits, ".", "_", "-" (2-32, starting with a letter)');
export const userListItemSchema = z.object({ username: z.string(), role: z.enum(roles), disabled: z.boolean(), createdAt: epochMs });
export type UserListItem = z.infer<typeof userListItemSchema>;
/** POST /users (admin): without a password the answer carries a generated one (shown once) */
export const createUserRequestSchema = z.strictObject({ username: usernameSchema, role: z.enum(roles), password: passwordChangeRequestSchema.shape.newPassword.optional() });
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;
export const createUserAnswerSchema = z.object({ username: z.string(), role: z.enum(roles), password: z.string().optional() });
export type CreateUserAnswer = z.infer<typeof createUserAnswerSchema>;
/** PATCH /users/:username (admin) */
export const updateUserRequestSchema = z.strictObject({ role: z.enum(roles).optional(), disabled: z.boolean().optional(), password: passwordChangeRequestSchema.shape.newPassword.optional() });
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

export const deviceSchema = z.object({ id: z.number().int(), name: z.string(), createdAt: epochMs, createdBy: z.string().nullable(), lastUsedAt: epochMs.nullable() });
export type Device = z.infer<typeof deviceSchema>;
/** POST /admin/devices (admin) -> the token, shown once (stored as a hash) */
export const createDeviceRequestSchema = z.strictObject({ name: z.string().min(1).max(64) });
export type CreateDeviceRequest = z.infer<typeof createDeviceRequestSchema>;
export const createDeviceAnswerSchema = z.object({ id: z.number().int(), name: z.string(), token: z.string() });
export type CreateDeviceAnswer = z.infer<typeof createDeviceAnswerSchema>;
export const devicesAnswerSchema = z.object({ devices: z.array(deviceSchema) });
export type DevicesAnswer = z.infer<typeof devicesAnswerSchema>;

export const edgeIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits, "-" (max 63)');
export const edgeCredentialSchema = z.object({
  edgeId: z.string(),
  /** db: made through the API (rotatable, deletable); env: from EDGE_CREDENTIALS (change it there) */
  source: z.enum(['db', 'env']),
  createdAt: epochMs.nullable(),
  createdBy: z.string().nullable(),
});
export type EdgeCredential = z.infer<typeof edgeCredentialSchema>;
/** POST /admin/edges (admin): a new or rotated credential; the token is shown once */
export const createEdgeRequestSchema = z.strictObject({ edgeId: edgeIdSchema });
export type CreateEdgeRequest = z.infer<typeof createEdgeRequestSchema>;
export const createEdgeAnswerSchema = z.object({ edgeId: z.string(), token: z.string() });
export type CreateEdgeAnswer = z.infer<typeof createEdgeAnswerSchema>;
export const edgesAnswerSchema = z.object({ edges: z.array(edgeCredentialSchema) });
export type EdgesAnswer = z.infer<typeof edgesAnswerSchema>;

/** GET /audit?from=&to=&limit=&action= (admin); action: exact, or a prefix ending in "." (e.g. "auth.") */
export const auditQuerySchema = z.strictObject({
  from: queryMs.optional(),
  to: queryMs.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
  action: z.string().regex(/^[a-z_.]{1,64}$/, 'an action like "alarm.ack" or a prefix like "command."').optional(),
});
export type AuditQuery = z.input<typeof auditQuerySchema>;
export const auditEntrySchema = z.object({ id: z.number().int(), ts: epochMs, username: z.string().nullable(), action: z.string(), target: z.string().nullable(), detail: z.unknown() });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

// ---------------------------------------------------------------------------------------------
// Ingest quarantine (engineer, admin)
// ---------------------------------------------------------------------------------------------

/**
 * The alarm code the cloud raises on a machine whose messages it quarantined (plant:check refuses it
 * on a machine alarm). The twin may not import values from here (zod stays out of its bundle): it
 * writes the number with the type `CloudClockAlarmCode`, which stops it compiling if they ever differ.
 */
export { cloudClockAlarmCode };
export type CloudClockAlarmCode = typeof cloudClockAlarmCode;

/** Why a message was set aside: stamped before the accepted window, or ahead of the cloud's clock. */
export const quarantineReasons = ['too_old', 'future'] as const;
export type QuarantineReason = (typeof quarantineReasons)[number];

export const maxQuarantineRows = 500;
/** GET /admin/quarantine?machineId=&from=&to=&limit= : by arrival time, newest first (default: the last 30 days) */
export const quarantineQuerySchema = z.strictObject({
  machineId: machineIdSchema.optional(),
  from: queryMs.optional(),
  to: queryMs.optional(),
  limit: z.coerce.number().int().min(1).max(maxQuarantineRows).default(100),
});
export type QuarantineQuery = z.input<typeof quarantineQuerySchema>;
export const quarantinedMessageSchema = z.object({
  /** the message id */
  id: z.string(),
  /** when the cloud received it (its clock) */
  receivedAt: epochMs,
  edgeId: z.string(),
  /** the batch that brought it */
  seq: z.number().int(),
  machineId: z.string(),
  kind: z.string(),
  /** the time the message carries (ms, may be before 1970) */
  ts: z.number().int(),
  reason: z.enum(quarantineReasons),
  /** the whole message as the edge sent it */
  message: z.unknown(),
});
export type QuarantinedMessage = z.infer<typeof quarantinedMessageSchema>;
export const quarantineAnswerSchema = z.object({
  messages: z.array(quarantinedMessageSchema),
  /** more matched than `limit`: ask for a shorter range */
  truncated: z.boolean(),
  /** the accepted window the messages fell outside: [receivedAt - pastMs, receivedAt + futureMs] */
  window: z.object({ pastMs: z.number(), futureMs: z.number() }),
});
export type QuarantineAnswer = z.infer<typeof quarantineAnswerSchema>;
