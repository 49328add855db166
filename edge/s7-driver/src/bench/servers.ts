import { loadPlant, machineById, parseS7Address, type S7Address } from '@plant-twin/plant-model';
import { putValue } from '../codec.js';
import { machineImage, startS7Server, type RunningS7Server } from '../testing/snap7-server.js';
import { childSide } from './child.js';

/**
 * Benchmark child: N node-snap7 servers with the plant's S7 DB layouts (machines cycled), whose
 * clock and process values change every 100 ms like a running machine. Runs in its own process so
 * the poller process is measured alone.
 */
const { arg, send } = childSide<{ machines: string[]; count: number; pduSize?: number; extraDb?: { db: number; size: number } }>();
const plant = loadPlant();
const servers: { server: RunningS7Server; machine: string; live: { a: S7Address; name: string }[] }[] = [];
for (let i = 0; i < arg.count; i++) {
  const id = arg.machines[i % arg.machines.length]!;
  const m = machineById(plant, id);
  const img = machineImage(m);
  if (arg.extraDb) img.dbs.set(arg.extraDb.db, Buffer.alloc(arg.extraDb.size));
  const server = await startS7Server(img.dbs, { pduSize: arg.pduSize });
  const live = m.tags.filter((t) => t.role === 'clock' || t.role === 'heartbeat' || (t.type === 'real' && t.poll === 'fast')).map((t) => ({ a: parseS7Address(t.address) as S7Address, name: t.role ?? t.type }));
  servers.push({ server, machine: id, live });
}
send({ ports: servers.map((s) => s.server.port), machines: servers.map((s) => s.machine) });
let k = 0;
setInterval(() => {
  k++;
  for (const s of servers) {
    const dbs = new Map<number, Buffer>();
    for (const { a, name } of s.live) {
      const buf = dbs.get(a.db) ?? Buffer.from(s.server.get(a.db));
      dbs.set(a.db, buf);
      putValue(a, buf, name === 'clock' ? Date.now() : name === 'heartbeat' ? k % 32767 : Math.fround(50 + 10 * Math.sin(k / 10 + a.offset)));
    }
    for (const [db, buf] of dbs) s.server.set(db, buf);
  }
}, 100);
