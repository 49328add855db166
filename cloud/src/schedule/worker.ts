import { parentPort } from 'node:worker_threads';
import { runTask, type PlanTask } from './tasks.js';

/** The scheduling worker thread: one task at a time from the pool (pool.ts), answered by id. */
parentPort!.on('message', (msg: { id: number; task: PlanTask }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: runTask(msg.task) });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
