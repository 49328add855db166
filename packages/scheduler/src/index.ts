// Public API of the production scheduler: pure TypeScript, no I/O. The cloud validates a planner's problem
// with scheduleProblemSchema (or parseProblem), plans it with schedule(), re-plans after an event with
// replan(), and can verify any plan with checkPlan().
export {
  scheduleProblemSchema,
  scheduleJobSchema,
  scheduleMachineSchema,
  objectiveSchema,
  instantSchema,
  parseProblem,
  ProblemError,
  type ProblemIssue,
  type ScheduleProblem,
  type ScheduleProblemInput,
  type ScheduleJob,
  type ScheduleMachine,
} from './problem.js';
export { compileProblem, type Compiled, type CompileOptions } from './compile.js';
export { schedule, replan, type ScheduleOptions } from './solve.js';
export { checkPlan, type CheckOptions } from './check.js';
export { advanceProblem, machineFault, type FaultEvent } from './events.js';
export type { Plan, PlannedJob, MachinePlan, PlanScore, PlanSegment } from './plan.js';
export { plantInstance, type PlantInstanceOptions } from './plant-instances.js';
export { lowerBoundHighs, type HighsBound, type HighsLike } from './highs-bound.js';
export { loadHighs } from './highs-load.js';
export { parseValladaRuiz, parseReference, type ReferenceRow } from './formats/vallada-ruiz.js';
export { parseOrlibWt, parseOrlibValues } from './formats/orlib-wt.js';
export { makeInstance, type Instance, type CostWeights } from './instance.js';
export { Search, type SearchOptions, type SearchResult } from './search.js';
export { WorkCalendar } from './calendar.js';
