import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Packet } from 'mqtt-packet';
import { Counter, Gauge } from 'prom-client';
import { Server as SocketServer } from 'socket.io';
import {
  apiPrefix,
  deviceLoginRequestSchema,
  liveIntervalMs,
  maxMqttPacketBytes,
  parseMachineMessage,
  parseTopic,
  pushUpdates,
  plantFilter,
  plantView,
  sessionCookie,
  type DeviceLoginAnswer,
  type LiveClientToServer,
  type LiveServerToClient,
  type MeAnswer,
} from '@plant-twin/contracts';
import { MqttConnection } from '@plant-twin/mqtt-link';
import type { Plant } from '@plant-twin/plant-model';
import {
  bearerToken,
  errorAnswer,
  HttpError,
  metricsAnswer,
  metricsTokenOf,
  readinessAnswer,
  readJsonBody,
  serviceRegistry,
  validate,
  urlHost,
  type HttpAnswer,
  type Logger,
} from '@plant-twin/runtime';
import { AndonBoard } from './board.js';
import { DeviceSessions, SignInLimiter, type DeviceSession } from './devices.js';
import { securityHeaders, serveTwin } from './static.js';

export interface AndonOptions {
  plant: Plant;
  log: Logger;
  /** the edge broker, read-only as the andon's own MQTT user */
  mqtt: { url: string; username?: string; password?: string; ca?: string };
  /** `{"<device name>": "<scrypt hash of its token>"}` */
  deviceCredentials: Record<string, string>;
  /** the built twin (twin/dist) */
  twinDir: string;
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** serve HTTPS with this key and certificate (PEM); session cookies are then Secure */
  tls?: { key: string; cert: string };
  /** nothing heard for this long: stale (default 120 s, as the cloud) */
  staleAfterMs?: number;
  /** coalescing interval of the live updates (default liveIntervalMs, as the cloud) */
  intervalMs?: number;
  metricsToken?: string;
}

export interface Andon {
  url: string;
  port: number;
  board: AndonBoard;
  /** subscribed on the edge broker */
  readonly brokerUp: boolean;
  close(): Promise<void>;
}

type LiveServer = SocketServer<LiveClientToServer, LiveServerToClient>;

/** updates a client may have queued before it skips the next ones (it gets the newer one after) */
const maxQueued = 16;
const deviceBodyLimit = 4096;

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/**
 * The edge andon server: the twin's andon screen served from the edge, fed from the edge broker, so it
 * keeps showing live states when the plant's internet link is down. It speaks the cloud's live protocol
 * (snapshot, then coalesced plant and machine events) and the few REST routes the andon route calls
 * (/plant, /auth/device, /auth/me, /auth/logout); it reads the broker and changes nothing anywhere.
 */
export async function startAndon(o: AndonOptions): Promise<Andon> {
  const { plant, log } = o;
  const https = o.tls !== undefined;
  const sessions = new DeviceSessions(o.deviceCredentials);
  if (sessions.deviceCount === 0) log.warn('ANDON_DEVICE_CREDENTIALS holds no device: no andon screen can sign in');
  const limiter = new SignInLimiter();
  const quiet = new Set(plant.machines.filter((m) => m.interface.type === 'file').map((m) => m.id));
  const board = new AndonBoard(plant.machines.map((m) => m.id), quiet, o.staleAfterMs ?? 120_000);
  const headers = securityHeaders(https);

  const registry = serviceRegistry();
  const messages = new Counter({ name: 'andon_messages_total', help: 'machine messages taken from the edge broker', registers: [registry] });
  const refused = new Counter({ name: 'andon_messages_refused_total', help: 'broker messages refused, by reason', labelNames: ['reason'], registers: [registry] });
  const dropped = new Counter({ name: 'andon_updates_dropped_total', help: 'live updates skipped for clients still busy with earlier ones', registers: [registry] });
  const metricsToken = metricsTokenOf({ log, ready: () => true, ...(o.metricsToken ? { metricsToken: o.metricsToken } : {}) });

  // ---- the edge broker, read-only ----
  let subscribed = false;
  const refuse = (reason: string, detail: Record<string, unknown>) => {
    refused.inc({ reason });
    log.debug({ reason, ...detail }, 'broker message refused');
  };
  const onPublish = (topic: string, payload: Buffer) => {
    const t = parseTopic(topic);
    if (!t || t.plantId !== plant.plant.id || !board.has(t.machineId)) return refuse('topic', { topic });
    if (payload.length > maxMqttPacketBytes) return refuse('size', { topic, bytes: payload.length });
    const m = parseMachineMessage(payload);
    if (!m.ok) return refuse('invalid', { topic, error: m.error });
    if (m.value.machineId !== t.machineId || m.value.kind !== t.kind) return refuse('topic', { topic, machineId: m.value.machineId, kind: m.value.kind });
    messages.inc();
    board.apply(m.value);
  };
  const mqtt = new MqttConnection({
    url: o.mqtt.url,
    clientId: o.mqtt.username ?? 'andon',
    ...(o.mqtt.username !== undefined ? { username: o.mqtt.username } : {}),
    ...(o.mqtt.password !== undefined ? { password: o.mqtt.password } : {}),
    ...(o.mqtt.ca ? { ca: o.mqtt.ca } : {}),
    clean: true,
    log,
    // a live view: QoS 0, nothing to acknowledge; the pods' retained status comes with the subscription
    onUp: () => mqtt.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: plantFilter(plant.plant.id), qos: 0 }] }),
    onPacket: (p: Packet) => {
      if (p.cmd === 'publish') onPublish(p.topic, Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload));
      else if (p.cmd === 'suback') {
        subscribed = p.granted.every((g) => g !== 128);
        if (!subscribed) log.error({ filter: plantFilter(plant.plant.id) }, 'the edge broker refused the subscription: the andon user may not read the machine topics');
      }
    },
    onDown: () => (subscribed = false),
  });
  new Gauge({ name: 'andon_broker_subscribed', help: '1 while subscribed on the edge broker', registers: [registry], collect() { this.set(subscribed ? 1 : 0); } });

  // ---- HTTP: the twin, the andon's REST routes, probes and metrics ----
  const sessionOf = (req: IncomingMessage): DeviceSession | undefined => sessions.check(cookieOf(req.headers.cookie, sessionCookie) ?? bearerToken(req));
  const cookie = (s: DeviceSession | null) =>
    `${sessionCookie}=${s ? encodeURIComponent(s.token) : ''}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${s ? Math.floor((s.expiresAt - Date.now()) / 1000) : 0}${https ? '; Secure' : ''}`;
  const signedIn = (req: IncomingMessage): DeviceSession => {
    const s = sessionOf(req);
    if (!s) throw new HttpError(401, 'no andon session: open the andon link with its device token (/andon?device=...)');
    return s;
  };

  async function api(req: IncomingMessage, path: string): Promise<HttpAnswer> {
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'GET /health/live':
        return { status: 200, body: { live: true } };
      case 'GET /health/ready':
        return readinessAnswer(() => ({ ready: subscribed, detail: { broker: subscribed, devices: sessions.deviceCount } }));
      case 'GET /metrics':
        return metricsAnswer(registry, metricsToken, bearerToken(req));
      case `POST ${apiPrefix}/auth/device`: {
        const wait = limiter.take(req.socket.remoteAddress ?? '?');
        if (wait > 0) return { status: 429, headers: { 'Retry-After': String(Math.ceil(wait / 1000)) }, body: { error: `too many sign-in attempts from this address: retry in ${Math.ceil(wait / 1000)} s` } };
        const { token } = validate(deviceLoginRequestSchema, await readJsonBody(req, deviceBodyLimit));
        const s = await sessions.signIn(token);
        if (!s) return { status: 401, body: { error: 'unknown device token: ask an admin for this screen\'s andon link' } };
        const answer: DeviceLoginAnswer = { expiresAt: s.expiresAt, user: { username: s.device, role: 'viewer' }, csrfToken: s.csrfToken, kind: 'device' };
        return { status: 200, headers: { 'Set-Cookie': cookie(s) }, body: answer };
      }
      case `GET ${apiPrefix}/auth/me`: {
        // renewed on use: a screen that stays on never reaches the end of its session
        const s = sessions.issue(signedIn(req).device);
        const answer: MeAnswer = { username: s.device, role: 'viewer', expiresAt: s.expiresAt, kind: 'device', csrfToken: s.csrfToken };
        return { status: 200, headers: { 'Set-Cookie': cookie(s) }, body: answer };
      }
      case `POST ${apiPrefix}/auth/logout`:
        return { status: 200, headers: { 'Set-Cookie': cookie(null) }, body: { ok: true } };
      case `GET ${apiPrefix}/plant`:
        signedIn(req);
        return { status: 200, body: plantView(plant) };
    }
    if (path.startsWith(`${apiPrefix}/`)) return { status: 404, body: { error: `the edge andon server answers ${apiPrefix}/plant and ${apiPrefix}/auth/{device,me,logout} only: the rest is the cloud's` } };
    return { status: 404, body: { error: 'not found' } };
  }

  const send = (res: ServerResponse, a: HttpAnswer, metrics = false) => {
    const text = metrics ? String(a.body) : a.body === undefined ? undefined : JSON.stringify(a.body);
    const type = metrics ? registry.contentType : 'application/json; charset=utf-8';
    res.writeHead(a.status, { ...(text !== undefined ? { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) } : {}), 'Cache-Control': 'no-store', ...a.headers });
    res.end(text);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (serveTwin(o.twinDir, req, res)) return;
    const path = new URL(req.url ?? '/', 'http://andon').pathname;
    api(req, path).then(
      (a) => send(res, a, path === '/metrics' && a.status === 200),
      (err: unknown) => {
        const a = errorAnswer(err, log);
        if (!res.headersSent) send(res, a.status === 413 ? { ...a, headers: { ...a.headers, Connection: 'close' } } : a);
      },
    );
  };
  const server: Server = o.tls ? createHttpsServer({ key: o.tls.key, cert: o.tls.cert }, handle) : createHttpServer(handle);

  // ---- the live protocol ----
  const io: LiveServer = new SocketServer(server, { serveClient: false, maxHttpBufferSize: 4096 });
  new Gauge({ name: 'andon_sockets', help: 'open live connections', registers: [registry], collect() { this.set(io.engine.clientsCount); } });
  io.use((socket, next) => {
    const h = socket.handshake;
    const authToken = (h.auth as { token?: unknown } | undefined)?.token;
    const viaCookie = typeof authToken !== 'string';
    const s = sessions.check(viaCookie ? cookieOf(h.headers.cookie, sessionCookie) : authToken);
    // a cookie session opens a socket from this server's own pages only
    if (viaCookie && h.headers.origin && new URL(h.headers.origin).host !== h.headers.host) return next(new Error(`origin ${h.headers.origin} may not use this session`));
    if (!s) return next(new Error('no andon session: open the andon link with its device token (/andon?device=...)'));
    socket.data.session = s;
    setTimeout(() => socket.disconnect(true), Math.min(2 ** 31 - 1, s.expiresAt - Date.now())).unref();
    next();
  });
  io.on('connection', (socket) => {
    void socket.join('plant');
    socket.emit('snapshot', { serverTime: Date.now(), machines: board.snapshot() });
    const room = (join: boolean) => (machineId: unknown, ack?: unknown) => {
      const answer = typeof ack === 'function' ? (ack as (a: { ok: boolean; error?: string }) => void) : () => undefined;
      if (typeof machineId !== 'string' || !board.has(machineId)) return answer({ ok: false, error: `no machine ${String(machineId)}` });
      void (join ? socket.join(`machine:${machineId}`) : socket.leave(`machine:${machineId}`));
      answer({ ok: true });
    };
    socket.on('subscribe', room(true));
    socket.on('unsubscribe', room(false));
  });
  const timers = [
    setInterval(() => dropped.inc(pushUpdates(io, board.take(), maxQueued)), o.intervalMs ?? liveIntervalMs),
    setInterval(() => board.judge(), 1000),
  ];

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  mqtt.start();
  const port = (server.address() as AddressInfo).port;
  log.info({ port, host: o.host ?? '127.0.0.1', https, devices: sessions.deviceCount }, 'andon listening');
  return {
    url: `${https ? 'https' : 'http'}://${urlHost(o.host ?? '127.0.0.1')}:${port}`,
    port,
    board,
    get brokerUp() {
      return subscribed;
    },
    async close() {
      for (const t of timers) clearInterval(t);
      await new Promise<void>((r) => io.close(() => r()));
      await mqtt.close();
    },
  };
}
