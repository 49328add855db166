export { startJobManager, type JobManager, type JobManagerOptions } from './service.js';
export { allowedTransitions, transition, confirmationId, TransitionError } from './lifecycle.js';
export { priorityThenDueDate, type Sequencer } from './sequencer.js';
export { migrations, jobStatuses, type JobStatus, type Job, type JobDatabase } from './schema.js';
export { jobDto } from './api.js';
