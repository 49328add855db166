import { resolve } from 'node:path';
import { defaultPlantFile, loadPlant, PlantModelError } from './load.js';

// npm run plant:check -- [plant.yaml] [site.yaml]: validates and prints a one-line summary per machine.
const [file = defaultPlantFile, site] = process.argv.slice(2);
try {
  const plant = loadPlant(resolve(file), site && resolve(site));
  for (const m of plant.machines) {
    const itf = m.interface;
    const where = itf.type === 'file' ? itf.share : `${itf.host}:${itf.port}`;
    console.log(`${m.id.padEnd(7)} ${itf.type.padEnd(4)} ${where.padEnd(28)} ${String(m.tags.length).padStart(3)} tags  ${m.parts.length} parts  node ${m.preferredNode}`);
  }
  console.log(`${plant.machines.length} machines valid`);
} catch (e) {
  console.error(e instanceof PlantModelError ? e.message : e);
  process.exit(1);
}
