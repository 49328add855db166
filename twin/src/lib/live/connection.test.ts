import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveConnection } from './connection.svelte.js';
import { MachineValues } from './machine.svelte.js';
import { PlantLive } from './plant.svelte.js';
import type { CurrentValuesAnswer, LiveSnapshot, MachineListItem, MachineStatus } from '../api/types.js';

/** A real socket.io hub on an ephemeral port that can be stopped and started again on the same port. */
class Hub {
  http!: HttpServer;
  io!: Server;
  port = 0;
  snapshot: LiveSnapshot = { serverTime: 0, machines: [] };
  connections = 0;

  async start(): Promise<void> {
    this.http = createServer();
    this.io = new Server(this.http, { cors: { origin: true } });
    this.io.on('connection', (s) => {
      this.connections++;
      s.emit('snapshot', { ...this.snapshot, serverTime: Date.now() });
    });
    await new Promise<void>((res) => this.http.listen(this.port, '127.0.0.1', () => res()));
    this.port = (this.http.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.io.disconnectSockets(true);
    await new Promise<void>((res) => void this.io.close(() => res()));
  }
}

const status = (machineId: string, state: MachineStatus['state'], lastSeen: number): MachineStatus => ({
  machineId,
  state,
  quality: 'good',
  since: lastSeen - 1000,
  partNumber: 'BRK-4412',
  jobId: null,
  pod: { status: 'online', machineConnected: true, ts: lastSeen },
  lastSeen,
  freshness: 'live',
});

const until = async (what: string, check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('live connection against a real socket.io hub', () => {
  let hub: Hub;
  let conn: LiveConnection;
  afterEach(async () => {
    conn?.stop();
    await hub?.stop().catch(() => undefined);
  });

  it('shows the drop at once, reconnects by itself and resynchronises every view over REST', async () => {
    hub = new Hub();
    hub.snapshot = { serverTime: 0, machines: [{ machineId: 'PRS-01', status: status('PRS-01', 'running', Date.now()), job: null, activeAlarms: [] }] };
    await hub.start();
    let restCalls = 0;
    let restState: MachineStatus['state'] = 'running';
    const fetchMachines = async (): Promise<MachineListItem[]> => {
      restCalls++;
      return [{ id: 'PRS-01', name: 'Press 1', kind: 'press', area: 'press', interface: 's7', parts: [], status: status('PRS-01', restState, Date.now()), job: null, activeAlarms: [] }];
    };
    conn = new LiveConnection((opts) => ioClient(`http://127.0.0.1:${hub.port}`, { ...opts, transports: ['websocket'] }));
    const plant = new PlantLive(conn, fetchMachines);
    const detach = plant.attach();
    conn.start();

    await until('first connect', () => conn.status === 'up' && conn.resyncedAt !== null);
    expect(restCalls).toBe(1);
    expect(plant.condition('PRS-01')).toMatchObject({ kind: 'state', state: 'running' });

    // the hub goes away: the store reports it, and every machine reads "no data since" the drop
    const dropAt = Date.now();
    await hub.stop();
    await until('drop noticed', () => conn.status === 'down', 2000);
    expect(conn.downSince).toBeGreaterThanOrEqual(dropAt - 50);
    const c = plant.condition('PRS-01');
    expect(c.kind).toBe('nodata');

    // it comes back (same port): the socket reconnects by itself and the views fetch fresh state
    restState = 'fault';
    await hub.start();
    await until('reconnect and resync', () => conn.status === 'up' && restCalls === 2, 10_000);
    expect(conn.connects).toBe(2);
    expect(plant.condition('PRS-01')).toMatchObject({ kind: 'state', state: 'fault' });
    detach();
  });

  it('holds one socket listener per event whatever the number of subscribers, and none after they leave', async () => {
    hub = new Hub();
    await hub.start();
    conn = new LiveConnection((opts) => ioClient(`http://127.0.0.1:${hub.port}`, { ...opts, transports: ['websocket'] }));
    conn.start();
    await until('connect', () => conn.status === 'up');
    const socket = (conn as unknown as { socket: { listeners: (e: string) => unknown[] } }).socket;
    const seen: unknown[] = [];
    const offs = Array.from({ length: 50 }, () => conn.on('plant', (p) => seen.push(p)));
    expect(socket.listeners('plant')).toHaveLength(1);
    hub.io.emit('plant', { machineId: 'PRS-01', alarms: [] });
    await until('events delivered', () => seen.length === 50);
    offs.forEach((off) => off());
    expect(socket.listeners('plant')).toHaveLength(0);
  });
  it("a machine's values are read after its room is joined: a change just before the join is not lost", async () => {
    hub = new Hub();
    await hub.start();
    // the stored value, and the hub's room: the value changes as the subscribe arrives, its event goes
    // to the room before this socket is in it (the worst moment), then the join is answered
    let stored = 1500;
    hub.io.on('connection', (s) =>
      s.on('subscribe', (id: string, ack: (a: { ok: boolean }) => void) => {
        stored = 1611;
        hub.io.to(`machine:${id}`).emit('machine', { machineId: id, values: { tonnage_limit: { value: stored, quality: 'good', ts: Date.now() } } });
        void s.join(`machine:${id}`);
        ack({ ok: true });
      }),
    );
    const fetchCurrent = async (id: string): Promise<CurrentValuesAnswer> =>
      ({ machineId: id, status: status(id, 'running', Date.now()), values: [{ name: 'tonnage_limit', value: stored, quality: 'good', ts: Date.now() }] }) as CurrentValuesAnswer;
    conn = new LiveConnection((opts) => ioClient(`http://127.0.0.1:${hub.port}`, { ...opts, transports: ['websocket'] }));
    const values = new MachineValues(conn, 'PRS-01', fetchCurrent);
    const detach = values.attach();
    conn.start();
    await until('the value after the join', () => values.values.tonnage_limit?.value === 1611);
    // and on a socket that is already up when the view opens (navigating within the app)
    detach();
    stored = 1500;
    const again = new MachineValues(conn, 'PRS-01', fetchCurrent);
    const detachAgain = again.attach();
    await until('the value after the second join', () => again.values.tonnage_limit?.value === 1611);
    detachAgain();
  });
});
