import { Router } from 'express';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import {
  alarmAckRequestSchema,
  alarmsQuerySchema,
  calendarQuerySchema,
  maxOeePeriods,
  oeeQuerySchema,
  plantView,
  seriesQuerySchema,
  timelineQuerySchema,
  type AlarmAckEvent,
  type AlarmsAnswer,
  type AlarmSeverity,
  type CalendarRangesAnswer,
  type CurrentValuesAnswer,
  type MachineListItem,
  type MultiSeriesAnswer,
  type OeePeriod,
  type OeeReportView,
  type FreshnessTracker,
} from '@plant-twin/contracts';
import type { Machine, Plant } from '@plant-twin/plant-model';
import { HttpError, validate } from '@plant-twin/runtime';
import { alarmAckRoles, anyRole, bodyLimits, engineers, principalOf, type Endpoint } from '../auth/guard.js';
import { audit } from '../auth/users.js';
import { epochMs, optionalRangeQuery, rangeQuery, rowLimits, type HistoryReads } from '../bounds.js';
import type { CloudTables } from '../db/schema.js';
import type { LiveHub } from '../live/hub.js';
import type { OeeModel } from '../oee/model.js';
import { queryOee } from '../oee/query.js';
import { invalidateRollups } from '../oee/rollup.js';
import { alarmEpisodes, currentValues, querySeries } from '../series.js';
import { ackAlarm, withAcks } from './alarm-acks.js';
import { machineSnapshots } from './board.js';
import { calendarPeriods, calendarRanges } from './calendar-ranges.js';
import { stateTimeline } from './timeline.js';

export interface PlantRoutesDeps {
  db: Kysely<CloudTables>;
  plant: Plant;
  model: OeeModel;
  reads: HistoryReads;
  endpoint: Endpoint;
  freshness: FreshnessTracker;
  hub: LiveHub;
}

/** A tag's engineering limits, when it has any. */
function limitsOf(t: { min?: number | undefined; max?: number | undefined }): { limits?: { min?: number; max?: number } } {
  if (t.min === undefined && t.max === undefined) return {};
  return { limits: { ...(t.min !== undefined ? { min: t.min } : {}), ...(t.max !== undefined ? { max: t.max } : {}) } };
}

/** /plant, /calendar/ranges, /machines…, /alarms, /alarms/ack, /oee, /oee/recompute */
export function plantRouter(deps: PlantRoutesDeps): Router {
  const { db, plant, model, reads, endpoint, freshness, hub } = deps;
  const r = Router();
  const range = rangeQuery(reads.bounds);
  const machine = (id: unknown): Machine => {
    const m = plant.machines.find((x) => x.id === id);
    if (!m) throw new HttpError(404, `no machine ${String(id)}`);
    return m;
  };
  const tagOf = (m: Machine, name: string) => {
    const t = m.tags.find((x) => x.name === name);
    if (!t) throw new HttpError(404, `machine ${m.id} has no tag ${name}`);
    return t;
  };

  r.get('/plant', ...endpoint(anyRole, () => plantView(plant)));

  r.get('/calendar/ranges', ...endpoint(anyRole, (req) => {
    const q = validate(calendarQuerySchema, req.query);
    const ranges = calendarRanges(model, q.kind, q.at ?? Date.now());
    if (!ranges) throw new HttpError(404, 'no shift ran in the 8 days before that time');
    return ranges satisfies CalendarRangesAnswer;
  }));

  r.get('/machines', ...endpoint(anyRole, async () => {
    const snapshots = new Map((await machineSnapshots(db, model.machineIds, freshness)).map((s) => [s.machineId, s]));
    return plant.machines.map((m): MachineListItem => {
      const s = snapshots.get(m.id)!;
      return { id: m.id, name: m.name, kind: m.kind, area: m.area, interface: m.interface.type, parts: m.parts, status: s.status, job: s.job, activeAlarms: s.activeAlarms };
    });
  }));

  r.get('/machines/:id/current', ...endpoint(anyRole, async (req) => {
    const m = machine(req.params.id);
    const [snapshot] = await machineSnapshots(db, [m.id], freshness);
    const values = (await currentValues(db, m.id)).map((v) => {
      const t = m.tags.find((x) => x.name === v.name);
      return { ...v, ...(t?.unit ? { unit: t.unit } : {}), ...(t ? limitsOf(t) : {}) };
    });
    return { machineId: m.id, status: snapshot!.status, values } as CurrentValuesAnswer;
  }));

  r.get('/machines/:id/series', ...endpoint(anyRole, async (req) => {
    const m = machine(req.params.id);
    const q = validate(seriesQuerySchema.and(range), req.query);
    if (q.tag) {
      tagOf(m, q.tag);
      return reads.run((rdb) => querySeries(rdb, { machineId: m.id, tag: q.tag!, from: q.from, to: q.to, points: q.points }));
    }
    const tags = [...new Set(q.tags!)];
    for (const t of tags) tagOf(m, t);
    const series = await reads.run(async (rdb) => {
      const out = [];
      for (const tag of tags) out.push(await querySeries(rdb, { machineId: m.id, tag, from: q.from, to: q.to, points: q.points }));
      return out;
    });
    return { machineId: m.id, from: q.from, to: q.to, series } satisfies MultiSeriesAnswer;
  }));

  r.get('/machines/:id/timeline', ...endpoint(anyRole, async (req) => {
    const m = machine(req.params.id);
    const q = validate(timelineQuerySchema.and(range), req.query);
    return reads.run((rdb) => stateTimeline(rdb, m.id, q.from, q.to));
  }));

  r.get('/alarms', ...endpoint(anyRole, async (req) => {
    const q = validate(alarmsQuerySchema.and(optionalRangeQuery(reads.bounds, reads.bounds.maxRangeDays)), req.query);
    if (q.machineId) machine(q.machineId);
    const limit = Math.min(q.limit, rowLimits.alarms);
    const episodes = await reads.run((rdb) => alarmEpisodes(rdb, { machineId: q.machineId, severity: q.severity, from: q.from, to: q.to, limit }));
    const typed = (es: typeof episodes.active) => withAcks(db, es.map((e) => ({ ...e, severity: e.severity as AlarmSeverity })));
    return { active: await typed(episodes.active), history: await typed(episodes.history) } satisfies AlarmsAnswer;
  }));

  r.post('/alarms/ack', ...endpoint(alarmAckRoles, async (req, res) => {
    const body = validate(alarmAckRequestSchema, req.body);
    machine(body.machineId);
    const p = principalOf(req);
    const outcome = await ackAlarm(db, body, p.username, body.comment);
    if (!outcome.ok) throw new HttpError(outcome.status, outcome.error);
    const event: AlarmAckEvent = { machineId: body.machineId, code: body.code, raisedAt: body.raisedAt, ack: outcome.ack };
    await audit(db, p.username, 'alarm.ack', `${body.machineId}/${body.code}`, { raisedAt: body.raisedAt, comment: body.comment });
    hub.broadcast('alarmAck', event);
    res.status(201);
    return event;
  }, bodyLimits.form));

  r.get('/oee', ...endpoint(anyRole, async (req) => {
    const q = validate(oeeQuerySchema.and(range), req.query);
    for (const id of q.machineIds ?? []) machine(id);
    const periods = q.by ? calendarPeriods(model, q.by, q.from, q.to, maxOeePeriods) : [];
    if (!periods) throw new HttpError(400, `more than ${maxOeePeriods} ${q.by === 'day' ? 'days' : 'shifts'} in the range: ask for a shorter one`);
    const ids = q.machineIds ? { machineIds: q.machineIds } : {};
    return reads.run(async (rdb, signal) => {
      const report: OeeReportView = await queryOee(rdb, model, { from: q.from, to: q.to, signal, ...ids });
      if (!q.by) return report;
      const trend: OeePeriod[] = [];
      for (const p of periods) {
        const r = await queryOee(rdb, model, { from: Math.max(p.from, q.from), to: Math.min(p.to, q.to), signal, ...ids });
        const { byShift: _s, byPart: _p, outsidePlanned: _o, ...plantKpis } = r.plant;
        trend.push({ kind: q.by, label: p.label, from: p.from, to: p.to, plant: plantKpis, machines: Object.fromEntries(Object.entries(r.machines).map(([id, b]) => [id, (({ byShift: _a, byPart: _b, outsidePlanned: _c, ...k }) => k)(b)])) });
      }
      return { ...report, trend };
    });
  }));

  r.post('/oee/recompute', ...endpoint(engineers, async (req) => {
    const body = validate(z.strictObject({ from: epochMs, machineIds: z.array(z.string()).max(plant.machines.length).optional() }), req.body);
    const ids = body.machineIds ?? model.machineIds;
    for (const id of ids) machine(id);
    await invalidateRollups(db, ids, body.from);
    await audit(db, principalOf(req).username, 'oee.recompute', ids.join(','), { from: body.from });
    return { ok: true };
  }, bodyLimits.small));

  return r;
}
