import { loadPlant } from '@plant-twin/plant-model';
import type { Plant } from '@plant-twin/plant-model';
import { loadHighs } from '../highs-load.js';
import { runLarge, runPlant, runVr, runVrHighs, runWt, type Task } from './tasks.js';

// A benchmark worker process: runs the tasks the main process sends, one at a time, and answers each.
const highs = await loadHighs();
const plants = new Map<string, Plant>();
const plantOf = (file: string) => {
  let p = plants.get(file);
  if (!p) plants.set(file, (p = loadPlant(file)));
  return p;
};

process.on('message', (msg: { id: number; task: Task }) => {
  const { id, task } = msg;
  try {
    const result =
      task.kind === 'vr'
        ? runVr(task)
        : task.kind === 'vr-highs'
          ? runVrHighs(highs, task)
          : task.kind === 'wt'
            ? runWt(task)
            : task.kind === 'plant'
              ? runPlant(highs, plantOf(task.plantFile), task)
              : runLarge(plantOf(task.plantFile), task);
    process.send!({ id, result });
  } catch (e) {
    process.send!({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
// the main process is gone (ended or killed): so is this worker, once its current task returns
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
