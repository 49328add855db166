import type { ReportCase, ReportCaseInput } from '@plant-twin/contracts';
import { reportCaseSchema } from '@plant-twin/contracts';

/** What a check found: everything of a report case but its name, unit and time. */
export type Outcome = Omit<ReportCaseInput, 'name' | 'unit' | 'durationMs'>;

export const passed = (o: Omit<Outcome, 'status'> = {}): Outcome => ({ ...o, status: 'passed' });
export const failed = (o: Omit<Outcome, 'status'>): Outcome => ({ ...o, status: 'failed' });
export const skipped = (message: string, o: Omit<Outcome, 'status' | 'message'> = {}): Outcome => ({ ...o, status: 'skipped', message });

/** The cases of one unit (machine) in one suite, each timed; a check that throws is a failed case naming the error. */
export class CaseLog {
  readonly cases: ReportCase[] = [];
  constructor(readonly unit: string) {}

  add(name: string, outcome: Outcome, durationMs = 0): ReportCase {
    const c = reportCaseSchema.parse({ ...outcome, name, unit: this.unit, durationMs: Math.round(durationMs * 10) / 10 });
    this.cases.push(c);
    return c;
  }

  async check(name: string, fn: () => Promise<Outcome> | Outcome, onError?: (e: Error) => Omit<Outcome, 'status'>): Promise<ReportCase> {
    const t0 = performance.now();
    try {
      return this.add(name, await fn(), performance.now() - t0);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      return this.add(name, failed({ message: err.message, ...onError?.(err) }), performance.now() - t0);
    }
  }

  get failures(): number {
    return this.cases.filter((c) => c.status === 'failed').length;
  }
}
