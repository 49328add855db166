import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileFormats, jobFileSuffix, jobRequestSuffix, type FileInterface, type Machine } from '@plant-twin/plant-model';
import { FileDriver, parseResultFile, type DriverContext, type MachineDriver } from '@plant-twin/machine-pod';
import { failed, passed, skipped, type CaseLog } from '../cases.js';
import { quietLog } from '../log.js';
import { recordingContext } from './recorder.js';
import type { MachineOptions, MachineUnderTest } from './types.js';

/**
 * File-drop machines: the share as mounted on the edge, result files parsed by the pod's parser
 * (machine-pod's parseResultFile), job files written by the pod's FileDriver into a test inbox.
 * Polling is a read-only scan: the pod's driver archives every result it reads, which would take
 * them from the real pod on a site.
 */
function itf(m: Machine): FileInterface {
  if (m.interface.type !== 'file') throw new Error(`${m.id} is not a file machine`);
  return m.interface;
}

const mountFix = (share: string) => `mount the machine's share at ${share} on this node (site file: machines.<id>.share; in Kubernetes the machine-shares volume at /shares)`;

async function connectivity(m: Machine, log: CaseLog): Promise<void> {
  const i = itf(m);
  const share = await log.check('share mounted', async () => {
    const st = await stat(i.share);
    if (!st.isDirectory()) return failed({ subject: i.share, message: `${i.share} is not a directory`, expected: 'a directory', seen: 'a file', fix: mountFix(i.share) });
    return passed({ subject: i.share });
  }, (e) => ({ subject: i.share, expected: 'the share mounted', seen: e.message, fix: mountFix(i.share) }));
  if (share.status === 'failed') return;
  const folders = [['outbox (results)', i.outbox], ...(i.inbox ? [['inbox (jobs)', i.inbox]] : [])] as const;
  for (const [what, folder] of folders) {
    const dir = join(i.share, folder);
    await log.check(`${what} listable`, async () => {
      const t0 = performance.now();
      const names = await readdir(dir);
      return passed({ subject: dir, figures: { files: names.length, list_ms: Math.round((performance.now() - t0) * 100) / 100 } });
    }, (e) => ({ subject: dir, expected: `folder ${folder} on the share`, seen: e.message, fix: `check that the machine writes to ${dir} and that this node may read it` }));
  }
}

async function tagMap(m: Machine, log: CaseLog): Promise<void> {
  const i = itf(m);
  const ext = fileFormats[i.format].ext;
  const files: { path: string; mtime: number }[] = [];
  for (const folder of [i.outbox, 'archive']) {
    const dir = join(i.share, folder);
    if (!existsSync(dir)) continue;
    for (const n of await readdir(dir)) {
      if (extname(n).toLowerCase() !== ext || n.startsWith('.')) continue;
      const st = await stat(join(dir, n)).catch(() => undefined);
      if (st?.isFile()) files.push({ path: join(dir, n), mtime: st.mtimeMs });
    }
  }
  const sample = files.sort((a, b) => b.mtime - a.mtime).slice(0, 5);
  if (!sample.length) return void log.add('sample result files parse', skipped(`no ${ext} result file in ${i.outbox}/ or archive/ yet: let the machine make a part and run again`));
  for (const f of sample) {
    await log.check(`result file ${f.path.slice(i.share.length + 1)}`, async () => {
      const records = parseResultFile(m, await readFile(f.path, 'utf8'));
      const columns = m.tags.map((t) => t.address);
      return passed({ subject: f.path, message: `${records.length} record(s), tag columns ${columns.join(', ')} present`, figures: { records: records.length, format: i.format } });
    }, (e) => ({
      subject: f.path,
      expected: `a ${i.format} file with the columns of plant.yaml's tag map (${m.tags.map((t) => t.address).join(', ')})`,
      seen: e.message.split('\n').slice(0, 5).join(' | '),
      fix: `correct the tag addresses (column names) of ${m.id} in plant.yaml, or the machine's export settings`,
    }));
  }
}

async function dryRun(m: Machine, log: CaseLog, o: MachineOptions): Promise<void> {
  const i = itf(m);
  if (!i.inbox) return void log.add('job inbox', skipped(`${m.id} takes no job files (no inbox in plant.yaml)`));
  const inbox = join(i.share, i.inbox);
  await log.check('job inbox writable', async () => {
    await access(inbox, constants.W_OK);
    return passed({ subject: inbox });
  }, (e) => ({ subject: inbox, expected: 'the pod may create files in the inbox', seen: e.message, fix: `give the edge write access to ${inbox}` }));
  const testInbox = o.site?.testInbox ?? (o.simulated ? 'hil-test-inbox' : undefined);
  const name = 'job file to the test inbox, then cancel';
  if (!o.allowWrites) return void log.add(name, skipped('read-only run (the default on a site): pass --allow-writes to write a job file to the test inbox'));
  if (!testInbox) return void log.add(name, skipped(`no test inbox for ${m.id} in the site file (hil.machines.${m.id}.testInbox): the dry run never writes to the production inbox`));
  const dir = join(i.share, testInbox);
  // the pod's driver with its inbox moved to the test inbox and its outbox to an empty folder inside it,
  // so it can touch neither the machine's jobs nor its results
  const emptyOutbox = join(testInbox, '.hil-outbox');
  await mkdir(join(i.share, emptyOutbox), { recursive: true });
  const machine: Machine = { ...m, interface: { ...i, inbox: testInbox, outbox: emptyOutbox } };
  const rec = recordingContext(machine, quietLog());
  const driver = new FileDriver(rec.ctx, { rescanMs: 200 });
  const spec = { jobId: `HIL-${Date.now().toString(36).toUpperCase()}`, partNumber: m.parts[0]!.partNumber, quantity: 1, autoStart: false };
  const jobFile = join(dir, `${spec.jobId}${jobFileSuffix.queued}`);
  const cancelFile = join(dir, `${spec.jobId}${jobRequestSuffix.cancel}`);
  try {
    await driver.start();
    await log.check(`job file ${spec.jobId}${jobFileSuffix.queued}`, async () => {
      if (!(await rec.until(() => driver.connected(), 10_000))) return failed({ subject: dir, message: 'the pod driver does not see the share', expected: 'share reachable', seen: rec.links.at(-1)?.reason ?? 'not connected' });
      rec.job = { spec, status: 'dispatched' };
      await driver.jobs!.dispatch(spec);
      await driver.jobs!.command(spec.jobId, 'start', spec);
      const text = await readFile(jobFile, 'utf8');
      if (!text.includes(`JobId=${spec.jobId}`)) return failed({ subject: jobFile, message: 'the job file does not carry the job', expected: `JobId=${spec.jobId}`, seen: text.slice(0, 100) });
      return passed({ subject: jobFile, message: 'written by rename, complete' });
    }, (e) => ({ subject: dir, expected: 'a job file in the test inbox', seen: e.message, fix: `give the edge write access to ${dir}` }));
    await log.check(`cancel request ${spec.jobId}${jobRequestSuffix.cancel}`, async () => {
      await driver.jobs!.command(spec.jobId, 'cancel', spec);
      return existsSync(cancelFile) ? passed({ subject: cancelFile }) : failed({ subject: cancelFile, message: 'no cancel request file', expected: 'the file', seen: 'nothing' });
    });
  } finally {
    await driver.stop();
    rec.dispose();
    for (const f of [jobFile, cancelFile, join(i.share, emptyOutbox)]) await rm(f, { recursive: true, force: true });
  }
}

/** Lists the outbox every few seconds, as the pod's rescan does, without taking any file. */
class ReadOnlyScanner implements MachineDriver {
  private timer: NodeJS.Timeout | undefined;
  private up: boolean | undefined;
  private busy = false;
  constructor(private readonly ctx: DriverContext, private readonly everyMs = 2000) {}
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.scan(), this.everyMs);
    await this.scan();
  }
  async stop(): Promise<void> {
    clearInterval(this.timer);
  }
  connected(): boolean {
    return this.up === true;
  }
  private async scan(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const i = itf(this.ctx.machine);
    const t0 = performance.now();
    try {
      const names = await readdir(join(i.share, i.outbox));
      await Promise.all(names.slice(0, 50).map((n) => stat(join(i.share, i.outbox, n)).catch(() => undefined)));
      this.ctx.metrics.pollDuration.observe({ ...this.ctx.metrics.labels, class: 'scan' }, (performance.now() - t0) / 1000);
      this.set(true);
    } catch (e) {
      this.set(false, `share outbox unreachable: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }
  private set(up: boolean, reason?: string) {
    if (this.up === up) return;
    this.up = up;
    this.ctx.connection(up, reason);
  }
}

export const fileMachine: MachineUnderTest = {
  connectivity,
  tagMap,
  dryRun,
  driver: (_m, rec) => new ReadOnlyScanner(rec.ctx),
  budgetMs: () => 1000,
  gapMs: () => 10_000,
};
