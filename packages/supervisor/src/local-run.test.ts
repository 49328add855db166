import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@plant-twin/runtime';
import { startPlantRun, type PlantRun } from './plant-run.js';

/**
 * The whole simulated plant as `npm start` runs it (every program a child process, the same
 * derivation): what an intruder on the plant network or on this machine would try first.
 */
const log = createLogger('local-run-test');
log.level = 'warn';
let run: PlantRun;
let adminPassword: string;

beforeAll(async () => {
  // debug logs: the most a program ever writes, so a secret in any log line shows
  run = await startPlantRun({ seed: 5, speed: 10, portOffset: 7000, log, logLevel: 'debug' });
  await run.start(180_000);
  adminPassword = readFileSync(run.byRole('cloud').env.CLOUD_ADMIN_PASSWORD_FILE!, 'utf8').trim();
}, 240_000);
afterAll(async () => {
  await run?.close();
}, 60_000);

/** Listening TCP sockets of a process: local address and port, from /proc. */
function listeners(pid: number): { address: string; port: number }[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: { address: string; port: number }[] = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A: LISTEN
      const [hex, port] = f[1]!.split(':') as [string, string];
      const address = v6 ? (/^0{24}01000000$/.test(hex) ? '::1' : /^0+$/.test(hex) ? '::' : `ipv6:${hex}`) : hex.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.');
      out.push({ address, port: parseInt(port, 16) });
    }
  }
  return out;
}

/** CONNACK return code of a raw MQTT 3.1.1 CONNECT (no client library between the test and the broker). */
function connack(port: number, clientId: string, credentials?: { username: string; password: string }): Promise<number> {
  const str = (s: string) => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)]);
  const flags = 0x02 | (credentials ? 0xc0 : 0);
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 30]), str(clientId), ...(credentials ? [str(credentials.username), str(credentials.password)] : [])]);
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from([0x10, body.length]), body])));
    let got = Buffer.alloc(0);
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length < 4) return;
      s.destroy();
      if (got[0] === 0x20) resolve(got[3]!);
      else reject(new Error(`not a CONNACK: ${got.toString('hex')}`));
    });
    s.on('close', () => reject(new Error(`closed after ${got.toString('hex') || 'nothing'}`)));
    s.on('error', reject);
    setTimeout(() => (s.destroy(), reject(new Error('no CONNACK'))), 10_000).unref();
  });
}

describe('the local plant (npm start)', () => {
  it('listens on 127.0.0.1 only: every port of every program', () => {
    const all = [...run.sup.programs.values()].flatMap((r) => listeners(r.child!.pid!).map((l) => ({ ...l, program: r.program.name })));
    const ports = new Set(all.map((l) => l.port));
    // the check sees the listeners it should: every program's HTTP port, the broker and the simulated machines
    for (const p of run.programs) if (p.httpPort) expect(ports.has(p.httpPort), `${p.name} :${p.httpPort}`).toBe(true);
    expect(ports.has(Number(run.byRole('broker').env.MQTT_PORT))).toBe(true);
    for (const m of run.plant.machines) if (m.interface.type !== 'file') expect(ports.has(m.interface.port), `${m.id} :${m.interface.port}`).toBe(true);
    expect(all.filter((l) => l.address !== '127.0.0.1')).toEqual([]);
  });

  it('lets no MQTT client in without its credentials, and no one as another program', async () => {
    const port = Number(run.byRole('broker').env.MQTT_PORT);
    expect(await connack(port, 'anonymous')).toBe(5);
    expect(await connack(port, 'pod-prs-01', { username: 'pod-prs-01', password: 'not its password' })).toBe(4);
    expect(await connack(port, 'pod-prs-01', { username: 'pod-prs-01', password: run.secrets.MQTT_PASSWORD_POD_PRS_02! })).toBe(4);
    // every pod and the publisher are in, with what the deployment gave them
    expect(await connack(port, 'andon', { username: 'andon', password: run.secrets.MQTT_PASSWORD_ANDON! })).toBe(0);
  });

  it('answers /metrics and the simulator control API only with their tokens', async () => {
    for (const p of run.programs.filter((x) => x.httpPort)) {
      const url = `${p.https ? 'https' : 'http'}://127.0.0.1:${p.httpPort}`;
      const plain = await fetch(`${url}/metrics`).catch((err: Error) => ({ status: err.message }));
      if (p.https) continue; // the cloud: its own certificate, checked through run.http below
      expect(plain.status, `${p.name} /metrics without the token`).toBe(401);
    }
    for (const p of run.programs.filter((x) => x.httpPort)) expect(await run.http<string>(p, '/metrics'), p.name).toContain('process_cpu');
    const sim = run.byRole('simulators');
    for (const path of ['/truth', '/machines']) expect((await fetch(`http://127.0.0.1:${sim.httpPort}${path}`)).status, path).toBe(401);
  });

  it('keeps every secret it made out of every log and every file others may read, in private folders', async () => {
    await run.loginCloud();
    const secrets = [adminPassword, ...Object.entries(run.secrets).filter(([k]) => k !== 'ERP_USER').map(([, v]) => v)];
    for (const json of [run.secrets.MQTT_CREDENTIALS!, run.secrets.EDGE_CREDENTIALS!]) secrets.push(...Object.values<string>(JSON.parse(json)));
    expect(secrets.length).toBeGreaterThan(25);
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) (e.isDirectory() ? walk : (f: string) => files.push(f))(join(dir, e.name));
    };
    walk(run.runDir);
    const logs = files.filter((f) => f.startsWith(join(run.runDir, 'logs')));
    expect(logs.length).toBe(run.programs.length);
    // the plant runs on: a file renamed into place since the walk (an atomic write's temp file) is gone
    const modeOf = (f: string) => statSync(f, { throwIfNoEntry: false })?.mode ?? 0;
    const readable = files.filter((f) => modeOf(f) & 0o004);
    const leaks: string[] = [];
    for (const f of new Set([...logs, ...readable])) {
      const text = readFileSync(f).toString('latin1');
      for (const s of secrets) if (text.includes(s)) leaks.push(`${f.slice(run.runDir.length)}: ${s.slice(0, 4)}…`);
    }
    expect(leaks).toEqual([]);
    // the log says something, so the check above looked at real output
    expect(readFileSync(join(run.runDir, 'logs', 'broker.log'), 'utf8')).toContain('edge broker listening');
    const mode = (f: string) => statSync(join(run.runDir, f)).mode & 0o777;
    expect({ run: mode(''), logs: mode('logs'), log: mode('logs/cloud.log'), secrets: mode('secrets.json'), key: mode('tls/cloud.key') }).toEqual({ run: 0o700, logs: 0o700, log: 0o600, secrets: 0o600, key: 0o600 });
  });
});
