import { registerSqlFace, type Face } from '../start.js';
import { SqlFace } from './face.js';

/** Importing this module gives startSimulatedPlant its SQL face (the TDS server). */
registerSqlFace(async (machine, ctx): Promise<Face> => {
  const itf = machine.model.interface;
  if (itf.type !== 'sql') throw new Error(`${machine.id} is not a SQL machine`);
  const face = new SqlFace(machine, itf, ctx);
  return {
    kind: 'sql',
    get running() { return face.running; },
    get endpoint() { return face.endpoint; },
    start: () => face.start(),
    stop: () => face.stop(),
    sync: () => face.sync(),
    close: () => face.close(),
  };
});
