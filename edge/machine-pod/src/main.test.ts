import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, tempDir, uniquePlantId, waitFor } from './test-support.js';

// the bundle the deployment runs (built by `npm run build`), so the test covers what ships
const mainJs = fileURLToPath(new URL('../dist-bundle/pod.mjs', import.meta.url));
const token = 'main-test-token-0123456789';
const metricsToken = 'main-test-metrics-token';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function run(env: Record<string, string>): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

describe('machine pod program (dist-bundle/pod.mjs)', () => {
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run npm run build`);
  const root = tempDir('pod-main');
  const share = join(root, 'share');
  const siteFile = join(root, 'site.yaml');
  const plantId = uniquePlantId('main');
  let sub: Awaited<ReturnType<typeof collect>>;
  let port = 0;
  const env = () => ({ MACHINE_ID: 'LSR-01', SITE_FILE: siteFile, POD_PORT: String(port), MQTT_URL: 'mqtt://127.0.0.1:1883', POD_API_TOKEN: token, STATE_DIR: join(root, 'state'), POD_TOPIC_PLANT: plantId, LOG_LEVEL: 'info', METRICS_TOKEN: metricsToken });
  const pods = () => sub.messages.filter((r) => r.message.kind === 'pod').map((r) => r.message as Extract<typeof r.message, { kind: 'pod' }>);

  beforeAll(async () => {
    mkdirSync(join(share, 'out'), { recursive: true });
    writeFileSync(siteFile, `version: 1\nsite: main-test\nmachines:\n  LSR-01: { share: ${JSON.stringify(share)} }\n`);
    sub = await collect('mqtt://127.0.0.1:1883', plantId);
    port = await freePort();
  });
  afterAll(async () => {
    // leave no retained status of this test run on the shared broker
    await sub.client.publishAsync(`plant-twin/v1/${plantId}/finishing/LSR-01/pod`, '', { retain: true, qos: 1 });
    await sub.close();
  });

  it('resolves the code page tables the bundle leaves in node_modules (double-byte SQL collations)', () => {
    const dir = dirname(mainJs);
    const bundled = readdirSync(dir).filter((f) => f.endsWith('.mjs')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    const tables = [...new Set([...bundled.matchAll(/\("(iconv-lite\/encodings\/tables\/[\w-]+\.json)"\)/g)].map((m) => m[1]!))];
    expect(tables).toEqual(expect.arrayContaining(['iconv-lite/encodings/tables/cp936.json', 'iconv-lite/encodings/tables/shiftjis.json']));
    const load = createRequire(mainJs);
    for (const t of tables) expect(load(t), t).toBeTypeOf('object');
  });

  it('refuses to start without the API token, naming the variable', async () => {
    const { MACHINE_ID, STATE_DIR } = env();
    const p = run({ MACHINE_ID, STATE_DIR });
    expect(await p.exited).not.toBe(0);
    expect(p.out()).toMatch(/POD_API_TOKEN/);
  });

  it('serves probes and metrics, stops cleanly on SIGTERM and leaves a retained offline status', async () => {
    const p = run(env());
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200, 45_000, `pod ready (log: ${p.out().slice(-500)})`);
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    for (const m of ['pod_poll_duration_seconds', 'pod_reconnects_total', 'pod_queue_depth', 'pod_messages_published_total', 'pod_files_processed_total', 'pod_files_quarantined_total', 'process_resident_memory_bytes']) expect(metrics).toContain(m);
    expect((await fetch(`${url}/api/v1/jobs/current`)).status).toBe(401);
    await waitFor(() => pods().some((m) => m.status === 'online'), 10_000, 'online status');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.out()).toMatch(/"msg":"stopped"/);
    await waitFor(() => pods().at(-1)?.status === 'offline', 10_000, 'offline status');
  });

  it('leaves the broker to publish its last will when killed', async () => {
    const before = pods().length;
    const p = run(env());
    await waitFor(() => pods().slice(before).some((m) => m.status === 'online'), 45_000, 'online status of this boot');
    const online = pods().slice(before).find((m) => m.status === 'online')!;
    p.child.kill('SIGKILL');
    await p.exited;
    await waitFor(() => pods().at(-1)?.status === 'offline', 10_000, 'last will');
    // the will is the message prepared at connect: sequence 0 of that boot
    const boot = online.id.split('/')[1];
    expect(pods().at(-1)!.id).toBe(`LSR-01/${boot}/0`);
  });
});
