import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultPlantFile, loadPlant, parseSite, repoRoot } from '@plant-twin/plant-model';
import { parse } from 'yaml';
import { renderManifests } from './manifests.js';

// npm run k3d:render [-- --check]: writes k3d/base and k3d/overlays from the plant model; --check fails on drift.
const check = process.argv.includes('--check');
const simSiteFile = join(repoRoot, 'plant/sites/k3d-sim.yaml');
const text = (f: string) => readFileSync(f, 'utf8');
const { files } = renderManifests(loadPlant(defaultPlantFile), parseSite(parse(text(simSiteFile)), simSiteFile), {
  plant: text(defaultPlantFile),
  simSite: text(simSiteFile),
  site: text(join(repoRoot, 'plant/sites/site.yaml')),
});
const stale: string[] = [];
for (const [rel, text] of Object.entries(files)) {
  const file = join(repoRoot, 'k3d', rel);
  if (check) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(rel);
    continue;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
if (stale.length) {
  console.error(`k3d manifests are out of date with the plant model: ${stale.join(', ')} (run npm run k3d:render)`);
  process.exit(1);
}
console.log(check ? 'k3d manifests match the plant model' : `wrote ${Object.keys(files).length} files under k3d/`);
