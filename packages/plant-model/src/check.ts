import { defaultPlantFile, loadPlant, PlantModelError } from './load.js';

// npm run plant:check -- [plant.yaml] [site.yaml]: validates and prints a one-line summary per machine,
// or every problem of the file (a missing or unreadable file is one line), exit code 1.
const [file = defaultPlantFile, site] = process.argv.slice(2);
try {
  const plant = loadPlant(file, site);
  for (const m of plant.machines) {
    const itf = m.interface;
    const where = itf.type === 'file' ? itf.share : `${itf.host}:${itf.port}`;
    console.log(`${m.id.padEnd(7)} ${itf.type.padEnd(4)} ${where.padEnd(28)} ${String(m.tags.length).padStart(3)} tags  ${m.parts.length} parts  node ${m.preferredNode}`);
  }
  console.log(`${plant.machines.length} machines valid`);
} catch (e) {
  if (!(e instanceof PlantModelError)) throw e;
  console.error(e.message);
  process.exit(1);
}
