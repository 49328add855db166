import type { Plant } from '@plant-twin/plant-model';
import { applySite, type Site } from '@plant-twin/plant-model';
import { stringify } from 'yaml';
import { derivePlantDeployment, programArgv, secretKeys, type Addressing, type Program } from './deployment.js';

/**
 * Kubernetes manifests rendered from the same deployment derivation as `npm start`: a kustomize
 * base (edge programs + cloud) and two overlays: `sim` (adds the simulators and the ERP simulator,
 * site file for machines reached as cluster services) and `site` (the plant's real site file,
 * pods pinned to the IPC127E nodes). One image runs every program; only the entry differs.
 */
export const namespace = 'plant-twin';
export const secretName = 'plant-twin-secrets';
const httpPort = 8080;
const mqttPort = 1883;
const configRoot = '/etc/plant-twin';
/** cloud certificate (a kubernetes.io/tls Secret `plant-twin-tls` with ca.crt): the cloud serves it, the publisher trusts it */
const tlsRoot = '/etc/plant-twin-tls';

export const clusterAddressing: Addressing = {
  host: (program) => program,
  port: (_program, kind) => (kind === 'mqtt' ? mqttPort : httpPort),
  dataDir: () => '/data',
};

type Manifest = Record<string, unknown>;

function labels(p: Program) {
  return { 'app.kubernetes.io/name': p.name, 'app.kubernetes.io/part-of': 'plant-twin', 'plant-twin/role': p.role, 'plant-twin/tier': p.tier };
}

/** The machine endpoints the simulators serve in the cluster (from the k3d-sim site file). */
function simulatorPorts(simPlant: Plant) {
  return simPlant.machines.flatMap((m) => (m.interface.type === 'file' ? [] : [{ name: m.id.toLowerCase(), containerPort: m.interface.port }]));
}

/** Programs that touch the machines' file shares. */
function usesShares(p: Program, plant: Plant): boolean {
  if (p.role === 'simulators') return true;
  return p.role === 'machine-pod' && plant.machines.find((m) => m.id === p.env.MACHINE_ID)?.interface.type === 'file';
}

function workload(p: Program, image: string, plant: Plant, extraPorts: { name: string; containerPort: number }[] = []): Manifest[] {
  const env = [
    ...Object.entries(p.env).map(([name, value]) => ({ name, value })),
    ...Object.entries(p.secretEnv).map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } })),
  ];
  const ports = [
    ...(p.httpPort ? [{ name: 'http', containerPort: p.httpPort }] : []),
    ...(p.role === 'broker' ? [{ name: 'mqtt', containerPort: mqttPort }] : []),
    ...extraPorts,
  ];
  const shares = usesShares(p, plant);
  const probe = (path: string) => ({ httpGet: { path, port: 'http', ...(p.https ? { scheme: 'HTTPS' } : {}) }, periodSeconds: 10, failureThreshold: 3 });
  const needsData = Object.values(p.env).includes('/data');
  const needsTls = Object.values(p.env).some((v) => v.startsWith(tlsRoot));
  const affinity = p.preferredNode
    ? { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'plant-twin/edge-node', operator: 'In', values: [p.preferredNode] }] } }] } }
    : undefined;
  const deployment: Manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: p.name, labels: labels(p) },
    spec: {
      replicas: 1,
      // one connection per PLC: never two pods of one machine at once
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { 'app.kubernetes.io/name': p.name } },
      template: {
        metadata: { labels: labels(p) },
        spec: {
          ...(affinity ? { affinity } : {}),
          ...(p.tier === 'edge' ? { nodeSelector: { 'plant-twin/edge': 'true' } } : {}),
          terminationGracePeriodSeconds: 20,
          containers: [
            {
              name: p.role,
              image,
              command: ['node', ...programArgv(p, '/app')],
              env,
              ports,
              ...(p.httpPort ? { livenessProbe: probe('/health/live'), readinessProbe: probe('/health/ready') } : {}),
              resources: resourcesOf(p),
              volumeMounts: [
                { name: 'plant', mountPath: configRoot, readOnly: true },
                ...(needsData ? [{ name: 'data', mountPath: '/data' }] : []),
                ...(shares ? [{ name: 'shares', mountPath: '/shares' }] : []),
                ...(needsTls ? [{ name: 'tls', mountPath: tlsRoot, readOnly: true }] : []),
              ],
              securityContext: { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
            },
          ],
          volumes: [
            { name: 'plant', configMap: { name: 'plant-model' } },
            ...(needsData ? [{ name: 'data', persistentVolumeClaim: { claimName: `${p.name}-data` } }] : []),
            // on site: a PersistentVolume bound to the plant's SMB/NFS share; in k3d: a local volume
            ...(shares ? [{ name: 'shares', persistentVolumeClaim: { claimName: 'machine-shares' } }] : []),
            ...(needsTls ? [{ name: 'tls', secret: { secretName: 'plant-twin-tls' } }] : []),
          ],
        },
      },
    },
  };
  const out: Manifest[] = [deployment];
  if (ports.length)
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: p.name, labels: labels(p) },
      spec: { selector: { 'app.kubernetes.io/name': p.name }, ports: ports.map((x) => ({ name: x.name, port: x.containerPort, targetPort: x.name })) },
    });
  if (needsData)
    out.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${p.name}-data`, labels: labels(p) },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: p.role === 'publisher' ? '2Gi' : '256Mi' } } },
    });
  return out;
}

/** Requests sized for two IPC127E nodes (4 cores, 4 GB each) carrying the whole edge with room to lose one. */
function resourcesOf(p: Program) {
  const r: Record<Program['role'], [string, string, string]> = {
    'machine-pod': ['25m', '64Mi', '96Mi'],
    broker: ['50m', '48Mi', '128Mi'],
    publisher: ['50m', '64Mi', '192Mi'],
    'job-manager': ['100m', '320Mi', '640Mi'],
    cloud: ['250m', '512Mi', '1Gi'],
    simulators: ['250m', '256Mi', '512Mi'],
    'erp-sim': ['25m', '64Mi', '128Mi'],
  };
  const [cpu, memory, limit] = r[p.role];
  return { requests: { cpu, memory }, limits: { memory: limit } };
}

export interface RenderedManifests {
  /** file path (relative to k3d/) -> YAML text */
  files: Record<string, string>;
}

const header = '# Generated by `npm run k3d:render` from plant/plant.yaml: do not edit, edit the plant model or packages/supervisor/src/manifests.ts.\n';
const yamlDocs = (docs: Manifest[]) => header + docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');

/**
 * @param files the plant model and site files' text: copied next to each overlay's kustomization
 *   because kustomize only loads files below the kustomization root.
 */
export function renderManifests(plant: Plant, simSite: Site, files0: { plant: string; simSite: string; site: string }, image = 'plant-twin:dev'): RenderedManifests {
  const simPlant = applySite(plant, simSite, 'k3d-sim');
  const common = {
    plantFile: `${configRoot}/plant.yaml`,
    siteFile: `${configRoot}/site.yaml`,
    addressing: clusterAddressing,
    seed: 1,
    speed: 1,
    tls: { certFile: `${tlsRoot}/tls.crt`, keyFile: `${tlsRoot}/tls.key`, caFile: `${tlsRoot}/ca.crt` },
  };
  const edge = derivePlantDeployment(plant, { ...common, simulate: false });
  const withSim = derivePlantDeployment(plant, { ...common, simulate: true });
  const simOnly = withSim.filter((p) => p.tier === 'sim');
  const files: Record<string, string> = {
    'overlays/sim/plant.yaml': files0.plant,
    'overlays/sim/site.yaml': files0.simSite,
    'overlays/site/plant.yaml': files0.plant,
    'overlays/site/site.yaml': files0.site,
  };
  const baseResources = edge.map((p) => `${p.name}.yaml`);
  for (const p of edge) files[`base/${p.name}.yaml`] = yamlDocs(workload(p, image, plant));
  files['base/machine-shares.yaml'] = yamlDocs([
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'machine-shares' },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '2Gi' } } },
    },
  ]);
  files['base/kustomization.yaml'] =
    header +
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace,
      resources: ['namespace.yaml', 'machine-shares.yaml', ...baseResources],
    });
  files['base/namespace.yaml'] = yamlDocs([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }]);
  for (const p of simOnly) files[`overlays/sim/${p.name}.yaml`] = yamlDocs(workload(p, image, simPlant, p.role === 'simulators' ? simulatorPorts(simPlant) : []));
  const secretsNote = `# Create the Secret first (never committed): kubectl -n ${namespace} create secret generic ${secretName} --from-env-file=<file with ${secretKeys(plant).join(', ')}>\n`;
  // both overlays: the base, their own plant model + site file as the plant-model ConfigMap, and a Secret made by hand
  const overlay = (extra: string[]) =>
    header +
    secretsNote +
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace,
      resources: ['../../base', ...extra],
      configMapGenerator: [{ name: 'plant-model', files: ['plant.yaml', 'site.yaml'] }],
    });
  files['overlays/sim/kustomization.yaml'] = overlay(simOnly.map((p) => `${p.name}.yaml`));
  files['overlays/site/kustomization.yaml'] = overlay([]);
  return { files };
}
