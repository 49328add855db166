import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { DispatchJob, AgentJobStatus } from '@plant-twin/contracts';
import { createPodMetrics, type DriverContext, type JobUpdate, type MachineEvent } from '@plant-twin/machine-pod';
import type { Machine } from '@plant-twin/plant-model';
import type { Logger } from '@plant-twin/runtime';
import { Samples } from '../samples.js';

/**
 * A machine pod's driver context that records instead of publishing: the HIL suites run the pod's own
 * drivers (machine-pod's S7Driver, SqlDriver) with it, so they poll, reconnect and hand over jobs
 * exactly as a pod does. Poll durations come from the pod's poll-duration metric, which every driver
 * observes once per poll; link changes from the driver's connection reports.
 */
export interface DriverRecorder {
  ctx: DriverContext;
  /** replaced by the suites to measure from a point on */
  polls: Samples;
  links: { at: number; up: boolean; reason?: string }[];
  events: number;
  /** values or rows the driver reported bad */
  badValues: number;
  lastEventAt: number;
  jobUpdates: JobUpdate[];
  /** the job the driver should follow (dry run) */
  job: { spec: DispatchJob; status: AgentJobStatus } | undefined;
  /** resolves when `cond` holds for the recorder, polled every 50 ms; false after timeoutMs */
  until(cond: () => boolean, timeoutMs: number): Promise<boolean>;
  dispose(): void;
}

export function recordingContext(machine: Machine, log: Logger): DriverRecorder {
  const stateDir = mkdtempSync(join(tmpdir(), `hil-${machine.id}-`));
  const metrics = createPodMetrics(new Registry(), machine.id);
  const observe = metrics.pollDuration.observe.bind(metrics.pollDuration) as (labels: Record<string, string>, seconds: number) => void;
  (metrics.pollDuration as unknown as { observe: typeof observe }).observe = (labels, seconds) => {
    r.polls.add(Date.now(), seconds * 1000);
    observe(labels, seconds);
  };
  const r: DriverRecorder = {
    polls: new Samples(),
    links: [],
    events: 0,
    badValues: 0,
    lastEventAt: 0,
    jobUpdates: [],
    job: undefined,
    ctx: {
      machine,
      stateDir,
      log,
      metrics,
      async emit(events: MachineEvent[]) {
        r.events += events.length;
        r.lastEventAt = Date.now();
        for (const e of events) if ((e.type === 'values' || e.type === 'cycle' || e.type === 'sample') && e.values.some((v) => v.quality === 'bad')) r.badValues++;
      },
      connection(up, reason) {
        r.links.push({ at: Date.now(), up, ...(reason ? { reason } : {}) });
      },
      jobUpdate(u) {
        r.jobUpdates.push(u);
        if (r.job && u.jobId === r.job.spec.jobId && u.status) r.job.status = u.status;
      },
      currentJob: () => (r.job ? { spec: r.job.spec, status: r.job.status, good: 0, scrap: 0 } : undefined),
    },
    async until(cond, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (!cond()) {
        if (Date.now() > end) return false;
        await new Promise((res) => setTimeout(res, 50));
      }
      return true;
    },
    dispose: () => rmSync(stateDir, { recursive: true, force: true }),
  };
  return r;
}
