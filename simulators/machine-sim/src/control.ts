import type { Server } from 'node:http';
import { createServiceApp, HttpError, listen, requireBearer, validate, type Logger } from '@plant-twin/runtime';
import type { Request, Response } from 'express';
import * as z from 'zod';
import type { SimulatedPlant } from './start.js';

export interface ControlServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

const time = z.union([z.coerce.number().int(), z.iso.datetime().transform((s) => Date.parse(s))]).optional();
const rangeQuery = z.object({ from: time, to: time });
const faultBody = z.strictObject({ code: z.number().int().min(1).optional(), durationS: z.number().positive().optional() });
const alarmBody = z.strictObject({ code: z.number().int().min(1), durationS: z.number().positive() });
const maintenanceBody = z.strictObject({ durationMin: z.number().positive() });
const commandBody = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('load'), jobId: z.string().min(1).max(32), partNumber: z.string().min(1).max(24), quantity: z.number().int() }),
  z.strictObject({ command: z.enum(['start', 'hold', 'resume', 'cancel', 'clear']) }),
]);
const fileFaultsBody = z.strictObject({ rate: z.number().min(0).max(1) });

/**
 * The simulator's control HTTP API (SIM_CONTROL_PORT): machine overview, ground truth, fault
 * injection, maintenance, power, face stop/start (reconnect tests), direct job commands and file
 * fault rate. Every route needs the bearer token (SIM_CONTROL_TOKEN), reads too: the ground truth
 * tells what every machine did, the rest changes it. Only the probes are open, and /metrics has its
 * own token.
 */
export async function startControlServer(plant: SimulatedPlant, opts: { port: number; token?: string | undefined; log: Logger; host?: string }): Promise<ControlServer> {
  if (!opts.token || opts.token.length < 16) throw new Error('the simulator control API needs a bearer token of at least 16 characters (SIM_CONTROL_TOKEN)');
  const { app, finish } = createServiceApp({
    log: opts.log,
    ready: () => ({ ready: plant.machines.every((m) => m.face.running), detail: { stopped: plant.machines.filter((m) => !m.face.running).map((m) => m.id) } }),
  });
  // after the probes and /metrics that createServiceApp added, before every route of the API
  app.use(requireBearer(opts.token));
  const machineOf = (req: Request) => {
    const id = String(req.params.id);
    const m = plant.machines.find((x) => x.id === id);
    if (!m) throw new HttpError(404, `no simulated machine ${id}`);
    return m;
  };
  const overview = (m: SimulatedPlant['machines'][number]) => ({
    id: m.id,
    name: m.name,
    kind: m.kind,
    interface: m.face.kind,
    endpoint: m.face.endpoint,
    faceRunning: m.face.running,
    state: m.sim.currentState,
    alarmCode: m.sim.alarmCode(),
    powered: m.sim.powered,
    job: m.sim.jobView(),
    counters: m.sim.counters(),
  });

  app.get('/machines', (_req, res) => void res.json({ now: plant.sim.now(), speed: plant.speed, machines: plant.machines.map(overview) }));
  app.get('/machines/:id', (req, res) => {
    const m = machineOf(req);
    res.json({ ...overview(m), tags: m.sim.tagValues() });
  });
  app.get('/truth', (req, res) => {
    const q = validate(rangeQuery, req.query);
    res.json({ now: plant.sim.now(), ...plant.truth.query(q), counts: plant.truth.counts(q), files: plant.files });
  });
  app.get('/truth/:id', (req, res) => {
    const m = machineOf(req);
    const q = { ...validate(rangeQuery, req.query), machineId: m.id };
    res.json({ now: plant.sim.now(), ...plant.truth.query(q), counts: plant.truth.counts(q), durations: plant.truth.durations(m.id, plant.sim.now(), q.from, q.to), files: plant.files.filter((f) => f.machineId === m.id) });
  });

  const act = (fn: (req: Request) => string) => (req: Request, res: Response) => {
    const result = fn(req);
    res.status(result === 'ok' ? 200 : 409).json({ result, machine: overview(machineOf(req)) });
  };
  app.post('/machines/:id/fault', act((req) => {
    const b = validate(faultBody, req.body ?? {});
    return machineOf(req).sim.injectFault(b.code, b.durationS === undefined ? undefined : b.durationS * 1000);
  }));
  app.post('/machines/:id/alarm', act((req) => {
    const b = validate(alarmBody, req.body);
    return machineOf(req).sim.injectAlarm(b.code, b.durationS * 1000);
  }));
  app.post('/machines/:id/maintenance', act((req) => machineOf(req).sim.maintenance(validate(maintenanceBody, req.body).durationMin * 60_000)));
  app.post('/machines/:id/power/:onoff', act((req) => {
    if (req.params.onoff !== 'on' && req.params.onoff !== 'off') throw new HttpError(404, 'use /power/on or /power/off');
    return machineOf(req).sim.setPower(req.params.onoff === 'on');
  }));
  app.post('/machines/:id/command', act((req) => {
    const b = validate(commandBody, req.body);
    const m = machineOf(req).sim;
    return b.command === 'load' ? m.load(b.jobId, b.partNumber, b.quantity) : m[b.command]();
  }));
  app.post('/machines/:id/face/:action', async (req, res) => {
    const m = machineOf(req);
    if (req.params.action === 'stop') await m.face.stop();
    else if (req.params.action === 'start') await m.face.start();
    else throw new HttpError(404, 'use /face/stop or /face/start');
    res.json({ result: 'ok', machine: overview(m) });
  });
  app.post('/files/faults', (req, res) => {
    const { rate } = validate(fileFaultsBody, req.body);
    const changed = plant.machines.filter((m) => m.face.setFaultRate).map((m) => {
      m.face.setFaultRate!(rate);
      return m.id;
    });
    res.json({ result: 'ok', rate, machines: changed });
  });
  finish();

  const server: Server = await listen(app, opts.port, opts.host ?? '127.0.0.1');
  const port = (server.address() as { port: number }).port;
  opts.log.info({ port }, 'simulator control API listening');
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
