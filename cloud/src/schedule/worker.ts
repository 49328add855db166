import { parentPort } from 'node:worker_threads';
import { loadHighs } from '@plant-twin/scheduler';
import { runTask, type PlanTask } from './tasks.js';

// HiGHS (WebAssembly) once per worker, for the stronger lower bounds of new and re-optimised plans
const highs = await loadHighs();

/** The scheduling worker thread: one task at a time from the pool (pool.ts), answered by id. */
parentPort!.on('message', (msg: { id: number; task: PlanTask }) => {
  try {
    parentPort!.postMessage({ id: msg.id, result: runTask(msg.task, highs) });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
