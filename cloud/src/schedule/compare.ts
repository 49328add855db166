import type { CompareAnswer, PlanMove, PlanScore, PlanSummary, StoredPlan } from '@plant-twin/contracts';

/**
 * Two plans side by side: b's score minus a's, part by part, and every job placed differently: on another
 * machine, or after another job (a job that only slid along because one before it left is not a move).
 */
export function comparePlans(a: StoredPlan, b: StoredPlan, summary: (p: StoredPlan) => PlanSummary): CompareAnswer {
  const where = (p: StoredPlan) =>
    new Map(p.plan.machines.flatMap((m) => m.jobs.map((j, i) => [j.jobId, { machineId: m.machineId, position: j.position, start: j.start, after: m.jobs[i - 1]?.jobId ?? null }] as const)));
  const wa = where(a);
  const wb = where(b);
  const moved: PlanMove[] = [];
  for (const id of new Set([...wa.keys(), ...wb.keys()])) {
    const from = wa.get(id);
    const to = wb.get(id);
    if (from && to && from.machineId === to.machineId && from.after === to.after) continue;
    const place = (w: typeof from) => (w ? { machineId: w.machineId, position: w.position, start: w.start } : null);
    moved.push({ jobId: id, from: place(from), to: place(to) });
  }
  moved.sort((x, y) => (x.to?.start ?? x.from?.start ?? 0) - (y.to?.start ?? y.from?.start ?? 0) || x.jobId.localeCompare(y.jobId));
  const sa = a.plan.score;
  const sb = b.plan.score;
  const delta = Object.fromEntries(Object.keys(sa).map((k) => [k, sb[k as keyof PlanScore] - sa[k as keyof PlanScore]])) as unknown as PlanScore;
  const sim = (p: StoredPlan) => (p.whatIf ? { ...p.whatIf.plant, seeds: p.whatIf.seeds } : null);
  return { a: summary(a), b: summary(b), delta, moved, whatIf: { a: sim(a), b: sim(b) } };
}
