import net from 'node:net';
import { createRequire } from 'node:module';
import type { S7Server as S7ServerType } from 'node-snap7';
import { parseS7Address, type Machine, type S7Address } from '@plant-twin/plant-model';
import { putValue, type S7Value } from '../codec.js';

/** Test and benchmark support: node-snap7 S7 servers with DBs laid out from the plant model. */

const require = createRequire(import.meta.url);
const snap7 = require('node-snap7') as typeof import('node-snap7').default;

export interface RunningS7Server {
  server: S7ServerType;
  port: number;
  /** the current bytes of a DB */
  get(db: number): Buffer;
  /** replaces a DB's bytes (the server copies them) */
  set(db: number, buf: Buffer): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a node-snap7 server on a free high port with the given DBs. */
/** `pduSize` makes the server impose that PDU size whatever the client asks (240 = an S7-1200). */
export async function startS7Server(dbs: ReadonlyMap<number, Buffer>, options: { events?: boolean; pduSize?: number } = {}): Promise<RunningS7Server> {
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = new snap7.S7Server();
    // events cost a JS callback per PDU; off unless a test wants them
    server.SetEventMask(options.events ? server.evcAll : server.evcNone);
    for (const [db, buf] of dbs) server.RegisterArea(server.srvAreaDB, db, buf);
    if (options.pduSize) server.SetParam(server.PDURequest, options.pduSize);
    const port = await freePort();
    server.SetParam(server.LocalPort, port);
    // the synchronous forms: node-snap7's async StartTo never calls back for a second server in one process
    if (!server.StartTo('127.0.0.1')) {
      lastError = server.ErrorText(server.LastError());
      continue; // the port was taken between probing and binding: try another
    }
    return {
      server,
      port,
      get: (db) => server.GetArea(server.srvAreaDB, db),
      set: (db, buf) => void server.SetArea(server.srvAreaDB, db, buf),
      stop: async () => void server.Stop(),
    };
  }
  throw new Error(`node-snap7 server did not start: ${lastError}`);
}

/** A deterministic test value for each tag type (distinct per tag index so swapped offsets show). */
export function testValue(a: S7Address, index: number, round = 0): S7Value {
  const k = index + 1 + round * 7;
  switch (a.type) {
    case 'bool':
      return (k + a.bit) % 2 === 0;
    case 'byte':
      return (k * 37) % 256;
    case 'char':
      return String.fromCharCode(65 + (k % 26));
    case 'int':
      return -1000 * (k % 3) + k * 11;
    case 'word':
      return 60000 - k;
    case 'dint':
      return -70000 * k + 12345;
    case 'dword':
      return 4000000000 - k;
    case 'real':
      return Math.fround(k * 1.25 + 0.5);
    case 'lreal':
      return 1_700_000_000_000 + k * 1000.5;
    case 'string':
      return `T${k}-${'x'.repeat(k % 5)}`.slice(0, a.length);
  }
}

export interface MachineImage {
  dbs: Map<number, Buffer>;
  /** tag name -> value laid into the DBs */
  values: Map<string, S7Value>;
}

/** DB buffers sized as the plant model declares, with every tag's test value written at its address. */
export function machineImage(machine: Machine, round = 0): MachineImage {
  if (machine.interface.type !== 's7') throw new Error(`${machine.id} is not an S7 machine`);
  const dbs = new Map<number, Buffer>();
  for (const [db, size] of Object.entries(machine.interface.dbSizes)) dbs.set(Number(db), Buffer.alloc(size));
  const values = new Map<string, S7Value>();
  machine.tags.forEach((t, i) => {
    const a = parseS7Address(t.address) as S7Address;
    if (!dbs.has(a.db)) dbs.set(a.db, Buffer.alloc(Math.max(256, a.offset + a.size)));
    const v = t.role === 'clock' ? 1_780_000_000_000 + round * 100 : testValue(a, i, round);
    putValue(a, dbs.get(a.db)!, v);
    values.set(t.name, v);
  });
  return { dbs, values };
}
