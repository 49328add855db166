import * as z from 'zod';
import { parseS7Address, type S7Address } from './s7-address.js';
import { mailboxSize } from './s7-mailbox.js';
import { sqlTagTables } from './sql-vendor.js';
import { fileFormats } from './file-formats.js';
import { siteHilSchema, siteKubernetesSchema } from './site-deployment.js';
import { parsedWhole, type Salvaged } from './salvage.js';

export const machineStates = ['off', 'idle', 'setup', 'running', 'starved', 'blocked', 'fault', 'maintenance'] as const;
export type MachineState = (typeof machineStates)[number];
/** State codes as the S7 status tag (role "state") carries them: the index in machineStates. */
export const machineStateCode = Object.fromEntries(machineStates.map((s, i) => [s, i])) as Record<MachineState, number>;

export const machineKinds = ['press', 'moulding', 'welding', 'cnc', 'paint', 'laser', 'cmm', 'eol'] as const;
export const tagTypes = ['bool', 'byte', 'char', 'int', 'word', 'dint', 'dword', 'real', 'lreal', 'string'] as const;
export type TagType = (typeof tagTypes)[number];

/**
 * Roles tell the simulator what a tag carries and the machine pod how to normalise it into
 * the message contract (state changes, counters, alarms, job progress). Tags without a role
 * are process values. `clock` is the PLC's own clock (LREAL, ms since the Unix epoch, UTC): the pod
 * stamps values with it, so a simulator running faster than real time yields machine-time history.
 */
export const tagRoles = ['state', 'good_count', 'scrap_count', 'alarm_code', 'cycle_time', 'job_id', 'part_number', 'setpoint', 'heartbeat', 'clock'] as const;
export type TagRole = (typeof tagRoles)[number];

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be letters, digits, "-", "_" or "." (max 63)');
const hostname = z.string().min(1).max(253);
const port = z.number().int().min(1).max(65535);
const envName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _)');

/** How the simulator drives a process value: first-order lag towards the level of the current state. */
export const tagSimSchema = z.strictObject({
  idle: z.number().optional(),
  running: z.number(),
  noise: z.number().min(0).default(0),
  tauS: z.number().positive().default(5),
  /** added per 1000 cycles since the last tool change / maintenance (tool wear drift) */
  wear: z.number().default(0),
});

/** Poll classes of machine tags and their default periods, in ms of plant time */
export const pollClassPeriodMs = { fast: 100, change: 500, slow: 1000 } as const;
export type PollClass = keyof typeof pollClassPeriodMs;

export const tagSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be snake_case, starting with a letter (max 48)'),
  address: z.string().min(1),
  type: z.enum(tagTypes),
  unit: z.string().max(16).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  poll: z.enum(Object.keys(pollClassPeriodMs) as [PollClass, ...PollClass[]]).default('slow'),
  deadband: z.number().min(0).default(0),
  role: z.enum(tagRoles).optional(),
  writable: z.boolean().default(false),
  description: z.string().max(200).optional(),
  sim: tagSimSchema.optional(),
});
export type Tag = z.output<typeof tagSchema>;

export const partSchema = z.strictObject({
  partNumber: z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,23}$/, 'must be 2-24 upper-case letters, digits or "-"'),
  description: z.string().max(80).optional(),
  family: z.string().min(1).max(32),
  /** ideal cycle time in seconds per part (ISO 22400 planned run time per item) */
  idealCycleS: z.number().positive(),
});
export type Part = z.output<typeof partSchema>;

const s7Interface = z.strictObject({
  type: z.literal('s7'),
  host: hostname,
  port: port.default(102),
  rack: z.number().int().min(0).max(7).default(0),
  slot: z.number().int().min(0).max(31).default(1),
  plc: z.enum(['S7-1200', 'S7-1500']),
  mailboxDb: z.number().int().min(1).max(65535),
  /** data-block sizes in bytes as the PLC program declares them (the simulator allocates these) */
  dbSizes: z.record(z.string().regex(/^\d+$/), z.number().int().min(1).max(65536)).default({}),
});
const sqlInterface = z.strictObject({
  type: z.literal('sql'),
  host: hostname,
  port: port.default(1433),
  database: z.string().min(1).max(128),
  user: z.string().min(1).max(128),
  /** name of the environment variable (filled from a Kubernetes Secret) holding the password */
  passwordEnv: envName,
  /** off: no TLS; on: TLS, refuse a server that cannot; strict: TDS 8 (TLS before PRELOGIN) */
  encrypt: z.enum(['off', 'on', 'strict']).default('on'),
  trustServerCertificate: z.boolean().default(false),
  /** seconds between ProcessLog samples the machine writes */
  sampleS: z.number().positive().default(10),
});
const fileInterface = z.strictObject({
  type: z.literal('file'),
  /** directory of the network share as mounted on the edge (or written by the simulator) */
  share: z.string().min(1),
  outbox: z.string().min(1).default('out'),
  /** machines that take job files */
  inbox: z.string().min(1).optional(),
  format: z.enum(Object.keys(fileFormats) as [keyof typeof fileFormats]),
});
export const interfaceSchema = z.discriminatedUnion('type', [s7Interface, sqlInterface, fileInterface]);
export type MachineInterface = z.output<typeof interfaceSchema>;
export type S7Interface = z.output<typeof s7Interface>;
export type SqlInterface = z.output<typeof sqlInterface>;
export type FileInterface = z.output<typeof fileInterface>;

/**
 * The alarm code the cloud raises itself on a machine whose messages it quarantined (stamped outside
 * its accepted time window: the machine's clock is off). No machine alarm may use it, or the plant's
 * people would take one for the other; the contracts re-export it for the cloud and the twin.
 */
export const cloudClockAlarmCode = 9001;

export const alarmSchema = z.strictObject({
  code: z.number().int().min(1).max(32767),
  text: z.string().min(1).max(128),
  severity: z.enum(['info', 'warn', 'fault']),
});

export const behaviourSchema = z.strictObject({
  /** mean time between failures (running time), minutes */
  mtbfMin: z.number().positive(),
  /** mean time to repair, minutes */
  mttrMin: z.number().positive(),
  scrapRate: z.number().min(0).max(1),
  /** coefficient of variation of the cycle time around the ideal */
  cycleCv: z.number().min(0).max(0.5).default(0.03),
  /** mean number of micro-stops per running hour, and their mean length */
  microStopsPerHour: z.number().min(0).default(0),
  microStopS: z.number().positive().default(20),
  /** changeover time between part families, and between parts of one family, minutes */
  setupMin: z.number().min(0),
  setupSameFamilyMin: z.number().min(0).default(0),
  /** share of idle time spent starved (no material) or blocked (downstream full) */
  starvedPerHour: z.number().min(0).default(0),
  blockedPerHour: z.number().min(0).default(0),
  starvedMin: z.number().positive().default(3),
});
export type Behaviour = z.output<typeof behaviourSchema>;

export const machineSchema = z.strictObject({
  id: z.string().regex(/^[A-Z]{2,4}-\d{2}$/, 'must look like PRS-01'),
  name: z.string().min(1).max(80),
  kind: z.enum(machineKinds),
  area: id,
  interface: interfaceSchema,
  tags: z.array(tagSchema).min(1),
  parts: z.array(partSchema).min(1),
  alarms: z.array(alarmSchema).default([]),
  behaviour: behaviourSchema,
  layout: z.strictObject({
    x: z.number(),
    z: z.number(),
    rotationDeg: z.number().default(0),
    footprint: z.strictObject({ w: z.number().positive(), d: z.number().positive(), h: z.number().positive() }),
  }),
  preferredNode: id,
});
export type Machine = z.output<typeof machineSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
export const shiftSchema = z.strictObject({
  name: id,
  start: hhmm,
  end: hhmm,
  /** planned breaks (ISO 22400 planned downtime), local time */
  breaks: z.array(z.strictObject({ start: hhmm, minutes: z.number().int().positive() })).default([]),
  /** ISO weekdays 1 (Mon) - 7 (Sun) on which the shift runs */
  days: z.array(z.number().int().min(1).max(7)).default([1, 2, 3, 4, 5]),
});
export type Shift = z.output<typeof shiftSchema>;

/** The plant file's shape; `plantSchema` adds the rules that relate its parts (`plantProblems`). */
export const plantShape = z.strictObject({
  version: z.literal(1),
  plant: z.strictObject({
    id,
    name: z.string().min(1),
    timezone: z.string().default('UTC'),
    hall: z.strictObject({ width: z.number().positive(), depth: z.number().positive() }),
  }),
  areas: z.array(z.strictObject({ id, name: z.string().min(1) })).min(1),
  edgeNodes: z.array(z.strictObject({ id, name: z.string().min(1) })).min(1),
  shifts: z.array(shiftSchema).min(1),
  /** stops shorter than this are small stops (speed loss), longer ones downtime (ISO 22400 leaves the threshold to the plant) */
  smallStopThresholdS: z.number().positive().default(120),
  machines: z.array(machineSchema).min(1),
});

export interface PlantProblem {
  path: (string | number)[];
  message: string;
}

/** Ids of a list, or undefined when an entry's id did not parse (then "unknown id" would be a guess). */
function knownIds(list: ({ id?: string } | undefined)[] | undefined): Set<string> | undefined {
  return list?.every((x) => x?.id !== undefined) ? new Set(list.map((x) => x!.id!)) : undefined;
}

/**
 * The rules that relate parts of a plant file (references, duplicates, S7 addresses against types and
 * data blocks, required roles), checked on whatever parsed (see `salvage`), so that a file with schema
 * errors still gets every other problem reported in the same pass.
 */
export function plantProblems(p: Salvaged<z.output<typeof plantShape>>): PlantProblem[] {
  const problems: PlantProblem[] = [];
  const issue = (path: (string | number)[], message: string) => problems.push({ path, message });
  const areas = knownIds(p.areas);
  const nodes = knownIds(p.edgeNodes);
  const seen = new Map<string, number>();
  p.machines?.forEach((m, mi) => {
    if (!m) return;
    const at = (...rest: (string | number)[]) => ['machines', mi, ...rest];
    if (m.id !== undefined) {
      if (seen.has(m.id)) issue(at('id'), `duplicate machine id ${m.id} (also machines[${seen.get(m.id)}])`);
      else seen.set(m.id, mi);
    }
    if (m.area !== undefined && areas && !areas.has(m.area)) issue(at('area'), `unknown area "${m.area}" (areas: ${[...areas].join(', ')})`);
    if (m.preferredNode !== undefined && nodes && !nodes.has(m.preferredNode)) issue(at('preferredNode'), `unknown edge node "${m.preferredNode}"`);
    const parts = new Set<string>();
    m.parts?.forEach((part, pi) => {
      if (part?.partNumber === undefined) return;
      if (parts.has(part.partNumber)) issue(at('parts', pi, 'partNumber'), `duplicate part number ${part.partNumber}`);
      parts.add(part.partNumber);
    });
    const alarmCodes = new Set<number>();
    m.alarms?.forEach((a, ai) => {
      if (a?.code === undefined) return;
      if (alarmCodes.has(a.code)) issue(at('alarms', ai, 'code'), `duplicate alarm code ${a.code}`);
      if (a.code === cloudClockAlarmCode) {
        issue(at('alarms', ai, 'code'), `alarm code ${a.code} is reserved for the cloud's clock alarm (messages quarantined): give this alarm another code`);
      }
      alarmCodes.add(a.code);
    });
    const itf = m.interface;
    const names = new Set<string>();
    const roles = new Map<string, number>();
    const s7Items: { ti: number; a: S7Address }[] = [];
    m.tags?.forEach((t, ti) => {
      if (!t) return;
      if (t.name !== undefined) {
        if (names.has(t.name)) issue(at('tags', ti, 'name'), `duplicate tag name ${t.name}`);
        names.add(t.name);
      }
      if (t.min !== undefined && t.max !== undefined && t.min > t.max) issue(at('tags', ti, 'min'), `min ${t.min} is above max ${t.max}`);
      if (t.role && t.role !== 'setpoint') {
        if (roles.has(t.role)) issue(at('tags', ti, 'role'), `role ${t.role} is already taken by tags[${roles.get(t.role)}]`);
        roles.set(t.role, ti);
      }
      if (t.role === 'setpoint' && t.writable === false) issue(at('tags', ti, 'writable'), 'a setpoint tag must be writable: true');
      if (t.address === undefined) return;
      if (itf?.type === 's7') {
        const a = parseS7Address(t.address);
        if (typeof a === 'string') return issue(at('tags', ti, 'address'), a);
        if (t.type !== undefined && a.type !== t.type) issue(at('tags', ti, 'type'), `type ${t.type} does not match address ${t.address} (${a.type})`);
        if (a.db === itf.mailboxDb) issue(at('tags', ti, 'address'), `DB${a.db} is the job mailbox (interface.mailboxDb)`);
        const declared = itf.dbSizes?.[String(a.db)];
        if (declared !== undefined && a.offset + a.size > declared) issue(at('tags', ti, 'address'), `${t.address} ends at byte ${a.offset + a.size}, beyond DB${a.db}'s declared size ${declared}`);
        s7Items.push({ ti, a });
      } else if (itf?.type === 'sql') {
        const mm = /^(\w+)\.(\w+)$/.exec(t.address);
        if (!mm || !(sqlTagTables as readonly string[]).includes(mm[1]!)) issue(at('tags', ti, 'address'), `"${t.address}" must be <Table>.<Column> with Table one of ${sqlTagTables.join(', ')}`);
      } else if (itf?.type === 'file' && !/^[A-Za-z][A-Za-z0-9_]*$/.test(t.address)) {
        issue(at('tags', ti, 'address'), `"${t.address}" must be a CSV column or characteristic name (letters, digits, _)`);
      }
    });
    // S7: no two tags may share bytes (bits of one byte may share it)
    s7Items.sort((x, y) => x.a.db - y.a.db || x.a.offset - y.a.offset);
    for (let i = 1; i < s7Items.length; i++) {
      const prev = s7Items[i - 1]!, cur = s7Items[i]!;
      if (prev.a.db !== cur.a.db) continue;
      const bothBits = prev.a.type === 'bool' && cur.a.type === 'bool';
      const overlaps = bothBits ? prev.a.offset === cur.a.offset && prev.a.bit === cur.a.bit : cur.a.offset < prev.a.offset + prev.a.size;
      if (overlaps) issue(at('tags', cur.ti, 'address'), `overlaps tags[${prev.ti}] (${m.tags![prev.ti]!.address})`);
    }
    if (itf?.type === 's7') {
      const declared = itf.mailboxDb === undefined ? undefined : itf.dbSizes?.[String(itf.mailboxDb)];
      if (declared !== undefined && declared < mailboxSize) issue(at('interface', 'dbSizes'), `the mailbox DB${itf.mailboxDb} needs at least ${mailboxSize} bytes`);
      // a tag that did not parse may be the one with the role: the schema has reported that tag already
      const missing = (['state', 'good_count', 'scrap_count'] as const).filter((r) => !roles.has(r));
      if (missing.length && parsedWhole(m.tags)) {
        for (const r of missing) issue(at('tags'), `an S7 machine needs a tag with role ${r}`);
      }
    }
    if (itf?.type === 'file' && itf.format === 'cmm-xml' && itf.inbox) issue(at('interface', 'inbox'), 'a CMM takes no job files');
  });
  return problems;
}

export const plantSchema = plantShape.superRefine((p, ctx) => {
  for (const { path, message } of plantProblems(p)) ctx.addIssue({ code: 'custom', path, message });
});
export type Plant = z.output<typeof plantSchema>;
export type PlantInput = z.input<typeof plantSchema>;

/** The site file: per-machine addresses and secret references, nothing else. */
export const siteSchema = z.strictObject({
  version: z.literal(1),
  site: z.string().min(1),
  machines: z
    .record(
      z.string(),
      z.strictObject({
        host: hostname.optional(),
        port: port.optional(),
        rack: z.number().int().min(0).max(7).optional(),
        slot: z.number().int().min(0).max(31).optional(),
        database: z.string().min(1).optional(),
        user: z.string().min(1).optional(),
        passwordEnv: envName.optional(),
        encrypt: z.enum(['off', 'on', 'strict']).optional(),
        trustServerCertificate: z.boolean().optional(),
        share: z.string().min(1).optional(),
      }),
    )
    .default({}),
  kubernetes: siteKubernetesSchema.optional(),
  hil: siteHilSchema.optional(),
});
export type Site = z.output<typeof siteSchema>;
