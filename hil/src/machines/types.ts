import type { MachineDriver } from '@plant-twin/machine-pod';
import type { Machine, SiteHil } from '@plant-twin/plant-model';
import type { CaseLog } from '../cases.js';
import type { DriverRecorder } from './recorder.js';

export interface MachineOptions {
  /** the target is the simulated plant (drills allowed, writes allowed by default) */
  simulated: boolean;
  /** the dry run may write to the test mailbox / table / inbox */
  allowWrites: boolean;
  /** the site file's HIL settings of this machine */
  site?: SiteHil['machines'][string];
  /** where SQL passwords are read (the variables the plant model names) */
  env: NodeJS.ProcessEnv;
}

/** What the suites do with one kind of machine interface. */
export interface MachineUnderTest {
  connectivity(m: Machine, log: CaseLog, o: MachineOptions): Promise<void>;
  tagMap(m: Machine, log: CaseLog, o: MachineOptions): Promise<void>;
  dryRun(m: Machine, log: CaseLog, o: MachineOptions): Promise<void>;
  /**
   * What polls the machine during latency and soak runs: the pod's own driver, or for file machines a
   * read-only scanner (the pod's file driver archives what it reads, taking results from the real pod)
   */
  driver(m: Machine, rec: DriverRecorder, o: MachineOptions): MachineDriver | Promise<MachineDriver>;
  /** p99 poll latency the machine must stay under, ms (site file: hil.machines.<id>.latencyBudgetMs) */
  budgetMs(m: Machine): number;
  /** a time without a completed poll longer than this is a data gap, ms */
  gapMs(m: Machine): number;
}
