import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { defaultPlantFile, loadPlant, parseSite, readYaml, repoRoot } from '@plant-twin/plant-model';
import { missingTool } from '@plant-twin/runtime/testing';
import { policyChecks, policyProblems, type PolicyCheck } from './manifest-policy.js';
import { renderManifests, secretName, type Manifest } from './manifests.js';
import { secretKeys } from './deployment.js';

const text = (f: string) => readFileSync(join(repoRoot, f), 'utf8');
const plant = loadPlant(defaultPlantFile);
const site = (f: string) => parseSite(readYaml(join(repoRoot, f)), f);
const rendered = renderManifests(plant, { sim: site('plant/sites/k3d-sim.yaml'), site: site('plant/sites/site.yaml') }, {
  plant: text('plant/plant.yaml'),
  simSite: text('plant/sites/k3d-sim.yaml'),
  site: text('plant/sites/site.yaml'),
});
const docs = Object.entries(rendered.files)
  .filter(([f]) => !f.endsWith('plant.yaml') && !f.endsWith('site.yaml'))
  .flatMap(([f, t]) => parseAllDocuments(t).map((d) => ({ file: f, doc: d.toJS() as Manifest })));

describe('k3d manifests', () => {
  it('are what is committed under k3d/ (no drift from the plant model and site files)', () => {
    for (const [rel, t] of Object.entries(rendered.files)) expect(readFileSync(join(repoRoot, 'k3d', rel), 'utf8'), rel).toBe(t);
  });

  it('run every edge program from the base and add only simulators in the sim overlay', () => {
    const deps = docs.filter((d) => d.doc.kind === 'Deployment');
    const base = deps.filter((d) => d.file.startsWith('base/')).map((d) => d.doc.metadata.name);
    expect(base).toHaveLength(11 + 5); // eleven machine pods, broker, andon, job manager, publisher, cloud
    const sim = deps.filter((d) => d.file.startsWith('overlays/sim/')).map((d) => d.doc.metadata.name);
    expect(sim.sort()).toEqual(['erp-sim', 'simulators']);
  });

  it('take every secret from the Secret, probe health, and prefer the machine\'s edge node', () => {
    const keys = new Set(secretKeys(plant));
    for (const { doc } of docs.filter((d) => d.doc.kind === 'Deployment')) {
      const c = doc.spec.template.spec.containers[0];
      for (const e of c.env) {
        if (e.valueFrom?.secretKeyRef) {
          expect(e.valueFrom.secretKeyRef.name).toBe(secretName);
          expect(keys.has(e.valueFrom.secretKeyRef.key)).toBe(true);
        } else expect(e.name).not.toMatch(/(PASSWORD|TOKEN|CREDENTIALS)$/);
      }
      if (c.ports?.some((p: Manifest) => p.name === 'http')) expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
    }
    const prs2 = docs.find((d) => d.doc.kind === 'Deployment' && d.doc.metadata.name === 'pod-prs-02')!.doc;
    expect(JSON.stringify(prs2.spec.template.spec.affinity)).toContain('ipc-2');
  });

  it('refuse to render the site overlay from a site file without its kubernetes settings', () => {
    const bare = { ...site('plant/sites/site.yaml'), kubernetes: undefined };
    expect(() => renderManifests(plant, { sim: site('plant/sites/k3d-sim.yaml'), site: bare }, { plant: '', simSite: '', site: '' })).toThrow(/lacks everything/);
  });
});

// ---- the overlays as kubectl builds them: Kubernetes schemas, policy checks, sim vs site ----

const noKubectl = missingTool('kubectl');
const build = (overlay: string): Manifest[] =>
  parseAllDocuments(execFileSync('kubectl', ['kustomize', join(repoRoot, 'k3d/overlays', overlay)], { encoding: 'utf8', maxBuffer: 32 << 20 })).map((d) => d.toJS() as Manifest);

/** Validates an object against the Kubernetes 1.33 schema of its kind (kubernetes-models 4.5). */
async function schemaProblem(x: Manifest): Promise<string | undefined> {
  const [group, version] = x.apiVersion.includes('/') ? x.apiVersion.split('/') : ['', x.apiVersion];
  let Model: new (o: Manifest) => { validate(): void };
  try {
    Model = (await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${x.kind}`))[x.kind];
  } catch {
    return `${x.apiVersion} ${x.kind}: no schema`;
  }
  try {
    new Model(x).validate();
    return undefined;
  } catch (e) {
    return `${x.kind}/${x.metadata?.name}: ${(e as Error).message.slice(0, 300)}`;
  }
}

const clone = <T>(v: T): T => structuredClone(v);
const find = (objs: Manifest[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata?.name === name)!;
const container = (objs: Manifest[], name: string) => find(objs, 'Deployment', name).spec.template.spec.containers[0];

describe.skipIf(!!noKubectl)(`k3d overlays built by kubectl kustomize (${noKubectl ?? 'kubectl present'})`, () => {
  const sim = noKubectl ? [] : build('sim');
  const siteObjs = noKubectl ? [] : build('site');

  it('build, and every object validates against the Kubernetes schemas', async () => {
    expect(sim.length).toBeGreaterThan(40);
    expect(siteObjs.length).toBeGreaterThan(40);
    const problems = (await Promise.all([...sim, ...siteObjs].map(schemaProblem))).filter(Boolean);
    expect(problems).toEqual([]);
    // the HIL Job of k3d/up.sh too
    const job = parseAllDocuments(readFileSync(join(repoRoot, 'k3d/overlays/sim/hil-job.yaml'), 'utf8')).map((d) => d.toJS() as Manifest);
    expect((await Promise.all(job.map(schemaProblem))).filter(Boolean)).toEqual([]);
  });

  it('pass every policy check', () => {
    expect(policyProblems(sim, { overlay: 'sim' })).toEqual([]);
    expect(policyProblems(siteObjs, { overlay: 'site' })).toEqual([]);
  });

  // each check must fail on a manifest with its defect
  const defects: Record<PolicyCheck, (o: Manifest[]) => void> = {
    'plaintext-secret': (o) => container(o, 'pod-prs-01').env.push({ name: 'POD_API_TOKEN', value: 'hunter2hunter2hunter2' }),
    'missing-probe': (o) => delete container(o, 'broker').readinessProbe,
    'missing-resources': (o) => delete container(o, 'publisher').resources.limits,
    'limit-below-rss': (o) => (container(o, 'job-manager').resources.limits.memory = '160Mi'),
    'unpinned-image': (o) => (container(o, 'cloud').image = 'registry.example.local/plant-twin:latest'),
    'root-or-privilege': (o) => (container(o, 'pod-cnc-01').securityContext.privileged = true),
    'missing-network-policy': (o) => o.splice(o.findIndex((x) => x.kind === 'NetworkPolicy' && x.metadata.name === 'default-deny'), 1),
    'node-local-storage': (o) => (find(o, 'PersistentVolumeClaim', 'job-manager-data').spec.storageClassName = 'local-path'),
    'missing-tolerations': (o) => (find(o, 'Deployment', 'pod-lsr-01').spec.template.spec.tolerations = []),
    'missing-disruption-budget': (o) => o.splice(o.findIndex((x) => x.kind === 'PodDisruptionBudget' && x.metadata.name === 'machines'), 1),
    'missing-pull-secret': (o) => delete find(o, 'Deployment', 'publisher').spec.template.spec.imagePullSecrets,
  };
  for (const check of policyChecks) {
    it(`${check} fails on a manifest with that defect`, () => {
      const broken = clone(siteObjs);
      defects[check](broken);
      const problems = policyProblems(broken, { overlay: 'site' });
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => p.startsWith(`${check}:`)), problems.join('\n')).toBe(true);
    });
  }

  it('sim and site differ only in what the site file overrides', () => {
    // what a site file decides: the image and its pull secret, storage classes and the share volume,
    // the plant-model ConfigMap (it holds the site file), and the policies to the machines, API servers, ERP, cloud
    const siteDriven = /-to-machine$|^machine-pods-to-api-server$|^job-manager-to-erp$|^publisher-to-cloud$/;
    const strip = (x: Manifest): Manifest => {
      const y = clone(x);
      if (y.kind === 'Deployment') {
        const spec = y.spec.template.spec;
        delete spec.imagePullSecrets;
        for (const c of spec.containers) delete c.image;
        for (const v of spec.volumes) if (v.configMap) delete v.configMap.name;
      }
      if (y.kind === 'PersistentVolumeClaim') {
        delete y.spec.storageClassName;
        delete y.spec.volumeName;
      }
      return y;
    };
    const key = (x: Manifest) => `${x.kind}/${x.metadata.name}`;
    const decided = (x: Manifest) => x.kind === 'ConfigMap' || x.kind === 'StorageClass' || x.kind === 'PersistentVolume' || (x.kind === 'NetworkPolicy' && siteDriven.test(x.metadata.name));
    const simOnly = (x: Manifest) => x.metadata.labels?.['plant-twin/tier'] === 'sim' || ['simulators', 'erp-sim', 'hil', 'simulated-plant'].includes(x.metadata.name);
    const siteMap = new Map(siteObjs.filter((x) => !decided(x)).map((x) => [key(x), strip(x)]));
    const simMap = new Map(sim.filter((x) => !decided(x) && !simOnly(x)).map((x) => [key(x), strip(x)]));
    expect([...simMap.keys()].sort()).toEqual([...siteMap.keys()].sort());
    for (const [k, v] of simMap) expect(v, k).toEqual(siteMap.get(k));
    // and what the site file decides is there in the site overlay
    expect(find(siteObjs, 'StorageClass', 'plant-twin-durable').provisioner).toBe('driver.longhorn.io');
    expect(find(siteObjs, 'PersistentVolume', 'plant-twin-machine-shares').spec.csi.volumeAttributes).toEqual({ server: 'REPLACE-ME-nas', share: '/export/machines' });
    expect(container(siteObjs, 'pod-prs-01').image).toBe('registry.replace-me.local/plant-twin@sha256:' + '0'.repeat(64));
  });
});

// ---- a real cluster: k3d where Docker and k3d exist (k3d/up.sh does more: HIL, node loss) ----

const noDocker = missingTool('docker');
const noK3d = noDocker ?? (() => {
  try {
    execFileSync('k3d', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'k3d is not installed';
  }
})();

describe.skipIf(!!noK3d)(`k3d cluster (${noK3d ?? 'docker and k3d present'})`, () => {
  it('applies the sim overlay and every deployment becomes available', { timeout: 1_800_000 }, () => {
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: repoRoot, stdio: 'inherit', timeout: 900_000 });
    try {
      run('bash', ['k3d/up.sh', '--no-failover']);
      const deps = JSON.parse(execFileSync('kubectl', ['-n', 'plant-twin', 'get', 'deployments', '-o', 'json'], { encoding: 'utf8' })).items as Manifest[];
      expect(deps.length).toBe(17);
      expect(deps.filter((d) => d.status?.availableReplicas !== 1).map((d) => d.metadata.name)).toEqual([]);
    } finally {
      run('k3d', ['cluster', 'delete', 'plant-twin']);
    }
  });
});
