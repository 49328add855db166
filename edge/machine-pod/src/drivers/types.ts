import type { AgentJobStatus, DispatchJob, JobAction, TagValue } from '@plant-twin/contracts';
import type { Machine, MachineState } from '@plant-twin/plant-model';
import type { Logger } from '@plant-twin/runtime';
import type { PodMetrics } from '../metrics.js';

/** What a driver observed on the machine, before normalisation into the message contract. */
export type MachineEvent =
  /** polled values (S7): roles become state / counter / alarm messages, the rest samples by exception */
  | { type: 'values'; values: TagValue[] }
  /** one finished part (SQL CycleLog row, file result record) with the values recorded for it */
  | { type: 'cycle'; ts: number; good: boolean; jobId?: string; partNumber?: string; values: TagValue[] }
  /** a sample the machine itself took (SQL ProcessLog row): published as it is */
  | { type: 'sample'; ts: number; values: TagValue[] }
  | { type: 'state'; ts: number; state: MachineState; alarmCode?: number }
  | { type: 'alarm'; ts: number; code: number; active: boolean; text?: string; severity?: 'info' | 'warn' | 'fault' };

/** A change of a job as the machine reports it (status and/or counts). */
export interface JobUpdate {
  jobId: string;
  status?: AgentJobStatus;
  good?: number;
  scrap?: number;
  message?: string;
}

export interface DriverContext {
  machine: Machine;
  stateDir: string;
  log: Logger;
  metrics: PodMetrics;
  /**
   * Hands events to the pod. `durable: false` for sources the driver can read again (SQL rows,
   * files): the promise then resolves only when every message built from them is acknowledged by
   * the broker, and the driver commits its watermark / ledger after that. `durable: true` messages
   * are journaled first and the promise resolves once they are.
   */
  emit(events: MachineEvent[], opts: { durable: boolean }): Promise<void>;
  /** the link to the machine came up or went down */
  connection(up: boolean, reason?: string): void;
  jobUpdate(update: JobUpdate): void;
  /** the machine's unfinished job as the job agent knows it (survives pod restarts) */
  currentJob(): CurrentJob | undefined;
}

export interface CurrentJob {
  spec: DispatchJob;
  status: AgentJobStatus;
  good: number;
  scrap: number;
}

/** The job handshake of one interface (S7 mailbox, SQL job queue, file inbox). */
export interface JobHandshake {
  /** hands the job to the machine; throws JobRefused when the machine says no */
  dispatch(job: DispatchJob): Promise<void>;
  command(jobId: string, action: JobAction, job: DispatchJob): Promise<void>;
}

/** The machine refused a job or command (answered 409 with this message). */
export class JobRefused extends Error {}
/** The machine cannot be reached for a handshake (answered 503). */
export class MachineUnavailable extends Error {}

export interface MachineDriver {
  /** starts connecting in the background (reconnecting forever); never throws for a missing machine */
  start(): Promise<void>;
  stop(): Promise<void>;
  connected(): boolean;
  /** absent for machines that take no jobs */
  readonly jobs?: JobHandshake;
}

export type DriverFactory = (ctx: DriverContext) => MachineDriver | Promise<MachineDriver>;
