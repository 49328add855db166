import type { Machine } from '@plant-twin/plant-model';
import type { SimulatedMachine } from '../start.js';

/** Reaches a SQL machine's TDS server with mssql (the edge's driver) and reads its latest state row. */
export async function checkSqlMachine(m: SimulatedMachine, model: Machine, env: NodeJS.ProcessEnv): Promise<string> {
  void m;
  void env;
  throw new Error(`${model.id}: SQL face not wired yet`);
}
