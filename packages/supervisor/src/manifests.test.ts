import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { defaultPlantFile, loadPlant, parseSite, repoRoot } from '@plant-twin/plant-model';
import { parse } from 'yaml';
import { renderManifests, secretName } from './manifests.js';
import { secretKeys } from './deployment.js';

const text = (f: string) => readFileSync(join(repoRoot, f), 'utf8');
const plant = loadPlant(defaultPlantFile);
const rendered = renderManifests(plant, parseSite(parse(text('plant/sites/k3d-sim.yaml'))), {
  plant: text('plant/plant.yaml'),
  simSite: text('plant/sites/k3d-sim.yaml'),
  site: text('plant/sites/site.yaml'),
});
const docs = Object.entries(rendered.files)
  .filter(([f]) => !f.endsWith('plant.yaml') && !f.endsWith('site.yaml'))
  .flatMap(([f, t]) => parseAllDocuments(t).map((d) => ({ file: f, doc: d.toJS() as any })));

describe('k3d manifests', () => {
  it('are what is committed under k3d/ (no drift from the plant model)', () => {
    for (const [rel, t] of Object.entries(rendered.files)) expect(readFileSync(join(repoRoot, 'k3d', rel), 'utf8'), rel).toBe(t);
  });

  it('run every edge program from the base and add only simulators in the sim overlay', () => {
    const deps = docs.filter((d) => d.doc.kind === 'Deployment');
    const base = deps.filter((d) => d.file.startsWith('base/')).map((d) => d.doc.metadata.name);
    expect(base).toHaveLength(11 + 4); // eleven machine pods, broker, job manager, publisher, cloud
    const sim = deps.filter((d) => d.file.startsWith('overlays/sim/')).map((d) => d.doc.metadata.name);
    expect(sim.sort()).toEqual(['erp-sim', 'simulators']);
  });

  it('take every secret from the Secret, probe health, and pin machine pods to their preferred node', () => {
    const keys = new Set(secretKeys(plant));
    for (const { doc } of docs.filter((d) => d.doc.kind === 'Deployment')) {
      const c = doc.spec.template.spec.containers[0];
      for (const e of c.env) {
        if (e.valueFrom) {
          expect(e.valueFrom.secretKeyRef.name).toBe(secretName);
          expect(keys.has(e.valueFrom.secretKeyRef.key)).toBe(true);
        } else expect(e.name).not.toMatch(/(PASSWORD|TOKEN|CREDENTIALS)$/);
      }
      if (c.ports?.some((p: any) => p.name === 'http')) expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
    }
    const prs2 = docs.find((d) => d.doc.kind === 'Deployment' && d.doc.metadata.name === 'pod-prs-02')!.doc;
    expect(JSON.stringify(prs2.spec.template.spec.affinity)).toContain('ipc-2');
  });
});

// Docker is needed to create a k3d cluster; where it is missing the test says so and is skipped.
const dockerReason = (() => {
  if (spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status !== 0) return 'no Docker engine on this machine (docker info failed)';
  if (spawnSync('k3d', ['version'], { stdio: 'ignore' }).status !== 0) return 'k3d is not installed';
  return '';
})();
if (dockerReason) console.warn(`k3d cluster test skipped: ${dockerReason}`);

describe.skipIf(!!dockerReason)(`k3d cluster (${dockerReason || 'docker available'})`, () => {
  it('applies the sim overlay and the edge becomes ready', { timeout: 900_000 }, () => {
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: repoRoot, stdio: 'inherit', timeout: 600_000 });
    run('docker', ['build', '-t', 'plant-twin:dev', '.']);
    run('k3d', ['cluster', 'create', '--config', 'k3d/cluster.yaml']);
    try {
      run('k3d', ['image', 'import', 'plant-twin:dev', '-c', 'plant-twin']);
      run('kubectl', ['create', 'namespace', 'plant-twin']);
      const secrets = secretKeys(plant).map((k) => `--from-literal=${k}=${k === 'EDGE_CREDENTIALS' ? '{}' : randomBytes(12).toString('hex')}`);
      run('kubectl', ['-n', 'plant-twin', 'create', 'secret', 'generic', secretName, ...secrets]);
      run('kubectl', ['apply', '-k', 'k3d/overlays/sim']);
      run('kubectl', ['-n', 'plant-twin', 'wait', '--for=condition=available', 'deployment', '--all', '--timeout=600s']);
    } finally {
      run('k3d', ['cluster', 'delete', 'plant-twin']);
    }
  });
});
