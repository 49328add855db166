import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultPlantFile, loadPlant, parseSite, readYaml, repoRoot } from '@plant-twin/plant-model';
import { renderManifests } from './manifests.js';

// npm run k3d:render [-- --check]: writes k3d/base and k3d/overlays from the plant model and site files; --check fails on drift.
const check = process.argv.includes('--check');
const simSiteFile = join(repoRoot, 'plant/sites/k3d-sim.yaml');
const siteFile = join(repoRoot, 'plant/sites/site.yaml');
const text = (f: string) => readFileSync(f, 'utf8');
const { files } = renderManifests(
  loadPlant(defaultPlantFile),
  { sim: parseSite(readYaml(simSiteFile), simSiteFile), site: parseSite(readYaml(siteFile), siteFile) },
  { plant: text(defaultPlantFile), simSite: text(simSiteFile), site: text(siteFile) },
);
const stale: string[] = [];
for (const [rel, t] of Object.entries(files)) {
  const file = join(repoRoot, 'k3d', rel);
  if (check) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== t) stale.push(rel);
    continue;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, t);
}
if (stale.length) {
  console.error(`k3d manifests are out of date with the plant model: ${stale.join(', ')} (run npm run k3d:render)`);
  process.exit(1);
}
console.log(check ? 'k3d manifests match the plant model' : `wrote ${Object.keys(files).length} files under k3d/`);
