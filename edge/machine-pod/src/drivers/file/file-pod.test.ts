import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobAgentPaths } from '@plant-twin/contracts';
import { startMachinePod, type MachinePod } from '../../pod.js';
import { collect, latestByTime, ofKind, quietLog, tempDir, TestBroker, testPlant, uniquePlantId, waitFor } from '../../test-support.js';

const token = 'test-token-0123456789';
const header = 'Timestamp;JobId;PartNumber;Serial;Result;CycleTimeS;LaserPowerW;MarkTimeS;Contrast';
const row = (i: number, job: string, result = 'OK') => `2026-11-25T08:00:${String(i).padStart(2, '0')}.000Z;${job};HUB-7001;SN${job}${i};${result};9.1;20.1;4.1;82`;

function drop(outDir: string, name: string, text: string) {
  writeFileSync(join(outDir, `${name}.tmp`), text);
  renameSync(join(outDir, `${name}.tmp`), join(outDir, name));
}

describe('file machine pod (LSR-01, CSV share)', () => {
  const broker = new TestBroker();
  const root = tempDir('pod-file');
  const share = join(root, 'share');
  const stateDir = join(root, 'state');
  const out = join(share, 'out');
  const inbox = join(share, 'in');
  const plantId = uniquePlantId('file');
  const plant = testPlant({ 'LSR-01': { share } });
  let pod: MachinePod;
  let sub: Awaited<ReturnType<typeof collect>>;
  const start = () => startMachinePod({ plant, machineId: 'LSR-01', mqttUrl: broker.url, apiToken: token, stateDir, topicPlantId: plantId, log: quietLog(), file: { rescanMs: 150, stableMs: 100, minIdleMs: 800 } });
  const api = (path: string, init: RequestInit = {}, auth = `Bearer ${token}`) =>
    fetch(`${pod.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}), ...init.headers } });

  beforeAll(async () => {
    mkdirSync(out, { recursive: true });
    mkdirSync(inbox, { recursive: true });
    await broker.start();
    sub = await collect(broker.url, plantId);
    pod = await start();
    await waitFor(() => pod.ready(), 5000, 'pod ready');
  });
  afterAll(async () => {
    await pod?.stop();
    await sub?.close();
    await broker.stop();
  });

  it('publishes a result file as state, samples and counters on the machine topics, then archives it', async () => {
    drop(out, 'LSR_20261125_080000_000001.csv', [header, row(1, 'A1'), row(2, 'A1'), row(3, 'A1', 'NOK'), ''].join('\n'));
    await expect.poll(() => existsSync(join(share, 'archive', 'LSR_20261125_080000_000001.csv')), { timeout: 5000 }).toBe(true);
    await expect.poll(() => ofKind(sub.messages, 'counter').length).toBe(3);
    const counters = ofKind(sub.messages, 'counter');
    expect(counters.map((c) => [c.goodDelta, c.scrapDelta])).toEqual([[1, 0], [1, 0], [0, 1]]);
    expect(counters[2]).toMatchObject({ goodTotal: 2, scrapTotal: 1, jobId: 'A1', partNumber: 'HUB-7001', ts: Date.parse('2026-11-25T08:00:03Z') });
    const samples = ofKind(sub.messages, 'sample');
    expect(samples[0]!.values.find((v) => v.name === 'laser_power')).toMatchObject({ value: 20.1, quality: 'good' });
    // idle on the first scan (no results yet), running once results arrive
    expect(ofKind(sub.messages, 'state').map((m) => [m.state, m.quality])).toEqual([['idle', 'good'], ['running', 'good']]);
    const topics = new Set(sub.messages.map((r) => `${r.topic.plantId}/${r.topic.areaId}/${r.topic.machineId}`));
    expect([...topics]).toEqual([`${plantId}/finishing/LSR-01`]);
    expect(sub.invalid).toEqual([]);
    const ids = sub.messages.map((r) => r.message.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith(`LSR-01/${pod.bootId}/`))).toBe(true);
  });

  it('infers idle when no result arrives within the idle window', async () => {
    await expect.poll(() => ofKind(sub.messages, 'state').map((s) => s.state), { timeout: 5000 }).toContain('idle');
  });

  it('quarantines a malformed file with a reason naming line and field, and never loses a file on name collisions', async () => {
    drop(out, 'LSR_20261125_080100_000002.csv', [header, row(4, 'A1'), row(5, 'A1').replace(';9.1;', ';fast;'), ''].join('\n'));
    const reasonFile = join(share, 'quarantine', 'LSR_20261125_080100_000002.csv.reason.txt');
    await expect.poll(() => existsSync(reasonFile), { timeout: 5000 }).toBe(true);
    expect(readFileSync(reasonFile, 'utf8')).toContain('line 3, field CycleTimeS: must be a number (decimal point ".") (got "fast")');
    expect(existsSync(join(share, 'quarantine', 'LSR_20261125_080100_000002.csv'))).toBe(true);
    // same name as an archived file, other content: archived beside it
    drop(out, 'LSR_20261125_080000_000001.csv', [header, row(6, 'A1'), ''].join('\n'));
    await expect.poll(() => existsSync(join(share, 'archive', 'LSR_20261125_080000_000001~1.csv')), { timeout: 5000 }).toBe(true);
    expect(readdirSync(out)).toEqual([]);
  });

  it('answers bad REST input with 400 naming the fields and a missing or wrong token with 401', async () => {
    expect((await api(jobAgentPaths.jobs, {}, '')).status).toBe(401);
    expect((await api(jobAgentPaths.current, {}, 'Bearer nope')).status).toBe(401);
    const bad = await api(jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'bad id!', partNumber: 'HUB-7001', quantity: 0, extra: 1 }) });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { fields: { path: string }[] };
    expect(body.fields.map((f) => f.path).sort()).toEqual(['(body)', 'jobId', 'quantity'].sort());
    const part = await api(jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'J0', partNumber: 'XYZ-0001', quantity: 1 }) });
    expect(part.status).toBe(400);
    expect(((await part.json()) as { fields: { path: string; message: string }[] }).fields[0]).toMatchObject({ path: 'partNumber' });
    expect((await api(jobAgentPaths.action('nope', 'hold'), { method: 'POST' })).status).toBe(404);
    expect((await api(jobAgentPaths.action('nope', 'explode' as 'hold'), { method: 'POST' })).status).toBe(400);
    expect((await api('/api/v1/jobs', { method: 'POST', body: '{not json' })).status).toBe(400);
  });

  it('runs a job through the inbox and completes it from the result files', async () => {
    const r = await api(jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'J-100', partNumber: 'HUB-7001', quantity: 2 }) });
    expect(r.status).toBe(201);
    expect(readFileSync(join(inbox, 'J-100.job'), 'utf8')).toBe('JobId=J-100\nPartNumber=HUB-7001\nQuantity=2\n');
    expect((await api(jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'J-101', partNumber: 'HUB-7001', quantity: 2 }) })).status).toBe(409);
    // the machine takes the job, marks two parts (one bad in between) and finishes
    renameSync(join(inbox, 'J-100.job'), join(inbox, 'J-100.job.active'));
    await expect.poll(async () => ((await (await api(jobAgentPaths.current)).json()) as { status: string }).status, { timeout: 5000 }).toBe('running');
    drop(out, 'LSR_20261125_080200_000003.csv', [header, row(7, 'J-100'), row(8, 'J-100', 'NOK'), row(9, 'J-100'), ''].join('\n'));
    renameSync(join(inbox, 'J-100.job.active'), join(inbox, 'J-100.job.done'));
    await expect.poll(async () => ((await (await api(jobAgentPaths.job('J-100'))).json()) as { status: string }).status, { timeout: 5000 }).toBe('completed');
    const job = (await (await api(jobAgentPaths.job('J-100'))).json()) as { good: number; scrap: number; quantity: number };
    expect(job).toMatchObject({ good: 2, scrap: 1, quantity: 2 });
    expect((await api(jobAgentPaths.current)).status).toBe(204);
    await expect.poll(() => ofKind(sub.messages, 'job').filter((j) => j.jobId === 'J-100').map((j) => j.event)).toEqual(['dispatched', 'accepted', 'started', 'completed']);
    expect(ofKind(sub.messages, 'job').at(-1)).toMatchObject({ event: 'completed', good: 2, scrap: 1, quantity: 2, partNumber: 'HUB-7001' });
    const list = (await (await api(`${jobAgentPaths.jobs}?limit=5`)).json()) as { jobs: { jobId: string }[] };
    expect(list.jobs[0]!.jobId).toBe('J-100');
  });

  it('holds, resumes and cancels through request files', async () => {
    await api(jobAgentPaths.jobs, { method: 'POST', body: JSON.stringify({ jobId: 'J-200', partNumber: 'HUB-7001', quantity: 5, autoStart: false }) });
    expect(existsSync(join(inbox, 'J-200.job'))).toBe(false);
    expect((await api(jobAgentPaths.action('J-200', 'start'), { method: 'POST' })).status).toBe(200);
    expect(existsSync(join(inbox, 'J-200.job'))).toBe(true);
    renameSync(join(inbox, 'J-200.job'), join(inbox, 'J-200.job.active'));
    await expect.poll(async () => ((await (await api(jobAgentPaths.current)).json()) as { status: string }).status, { timeout: 5000 }).toBe('running');
    expect((await api(jobAgentPaths.action('J-200', 'hold'), { method: 'POST' })).status).toBe(200);
    expect(existsSync(join(inbox, 'J-200.hold'))).toBe(true);
    renameSync(join(inbox, 'J-200.hold'), join(root, 'consumed.hold')); // the machine acted on it
    await expect.poll(async () => ((await (await api(jobAgentPaths.current)).json()) as { status: string }).status, { timeout: 5000 }).toBe('held');
    expect((await api(jobAgentPaths.action('J-200', 'hold'), { method: 'POST' })).status).toBe(409);
    expect((await api(jobAgentPaths.action('J-200', 'cancel'), { method: 'POST' })).status).toBe(200);
    renameSync(join(inbox, 'J-200.job.active'), join(inbox, 'J-200.job.cancelled'));
    await expect.poll(async () => ((await (await api(jobAgentPaths.job('J-200'))).json()) as { status: string }).status, { timeout: 5000 }).toBe('cancelled');
  });

  it('marks quality bad while the share is gone and picks up where it left off when it returns', async () => {
    const away = join(root, 'share-away');
    renameSync(share, away);
    await expect.poll(() => ofKind(sub.messages, 'state').at(-1)?.quality, { timeout: 5000 }).toBe('bad');
    expect(pod.ready()).toBe(false);
    drop(join(away, 'out'), 'LSR_20261125_080300_000004.csv', [header, row(10, 'B1'), ''].join('\n'));
    renameSync(away, share);
    await expect.poll(() => existsSync(join(share, 'archive', 'LSR_20261125_080300_000004.csv')), { timeout: 5000 }).toBe(true);
    await expect.poll(() => pod.ready()).toBe(true);
    expect(ofKind(sub.messages, 'state').at(-1)).toMatchObject({ state: 'running', quality: 'good' });
    // as the cloud reads it: the result written while the share was away is older than the pod's "bad"
    expect(latestByTime(sub.messages, 'LSR-01').state).toMatchObject({ state: 'running', quality: 'good' });
  });

  it('processes a file once across a pod restart (ledger by name and sha256)', async () => {
    const before = ofKind(sub.messages, 'counter').length;
    await pod.stop();
    // the file comes back into the outbox as if the pod had died between ledger and move
    const name = 'LSR_20261125_080300_000004.csv';
    writeFileSync(join(out, name), readFileSync(join(share, 'archive', name)));
    drop(out, 'LSR_20261125_080400_000005.csv', [header, row(11, 'B1'), ''].join('\n'));
    pod = await start();
    await expect.poll(() => existsSync(join(share, 'archive', 'LSR_20261125_080400_000005.csv')), { timeout: 5000 }).toBe(true);
    await expect.poll(() => readdirSync(out), { timeout: 5000 }).toEqual([]);
    expect(existsSync(join(share, 'archive', 'LSR_20261125_080300_000004~1.csv'))).toBe(true);
    await expect.poll(() => ofKind(sub.messages, 'counter').length).toBe(before + 1);
    expect(ofKind(sub.messages, 'counter').at(-1)).toMatchObject({ goodTotal: 7, jobId: 'B1' });
    // the job history survived the restart too
    expect(((await (await api(jobAgentPaths.job('J-100'))).json()) as { status: string }).status).toBe('completed');
  });

  it('stops while the broker is away without archiving the file whose messages were not acknowledged, and handles it after the restart', async () => {
    const before = ofKind(sub.messages, 'counter').length;
    await broker.stop();
    await waitFor(() => !pod.ready(), 10_000, 'broker down');
    const name = 'LSR_20261125_080500_000006.csv';
    drop(out, name, [header, row(12, 'C1'), ''].join('\n'));
    await new Promise((r) => setTimeout(r, 800)); // seen, stable, parsed; its messages wait for the broker
    await pod.stop();
    expect(existsSync(join(out, name))).toBe(true);
    await broker.start();
    // the test's own subscriber must be back before the pod publishes, or the check misses the message
    await waitFor(() => sub.client.connected, 10_000, 'subscriber reconnected');
    await sub.client.subscribeAsync(`plant-twin/v1/${plantId}/#`, { qos: 1 });
    pod = await start();
    await expect.poll(() => existsSync(join(share, 'archive', name)), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => ofKind(sub.messages, 'counter').length, { timeout: 10_000 }).toBe(before + 1);
    expect(ofKind(sub.messages, 'counter').at(-1)).toMatchObject({ jobId: 'C1', goodTotal: 8 });
  });
});
