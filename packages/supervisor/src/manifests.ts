import type { Plant, Site, SiteKubernetes } from '@plant-twin/plant-model';
import { applySite } from '@plant-twin/plant-model';
import { stringify } from 'yaml';
import { derivePlantDeployment, podName, programArgv, secretKeys, type Addressing, type Program } from './deployment.js';

/**
 * Kubernetes manifests rendered from the same deployment derivation as `npm start`: a kustomize
 * base (edge programs + cloud) and two overlays made by one function from their site files:
 * `sim` (k3d: adds the simulators and the ERP simulator, `plant/sites/k3d-sim.yaml`) and `site`
 * (the IPC127E nodes, `plant/sites/site.yaml`). What differs between them is what the site file's
 * `kubernetes` section and machine addresses say: image, pull secret, storage class, the machines'
 * share, and the addresses the network policies let pods reach. One image runs every program.
 *
 * Availability on two edge nodes (k3s; see k3d/README.md for the control plane):
 * - volumes on storage that survives a node (Longhorn with 2 replicas, or NFS from the plant's NAS),
 *   never k3s's local-path, which pins a volume to its node;
 * - pods leave a node that is not ready or unreachable after 30 s, not the default 300 s;
 * - a machine pod talks to its machine only while it holds the machine's Lease (fencing: a pod cut
 *   off from the API server stops before its Lease expires, and a new one starts after it has);
 * - PodDisruptionBudgets let a drain take one machine pod (and one edge service) at a time;
 * - a NetworkPolicy per program: machine pods reach only their machine, the broker and the API server.
 */
export const namespace = 'plant-twin';
export const secretName = 'plant-twin-secrets';
/** the image every program runs; the site overlay replaces it by the site file's digest */
export const imageName = 'plant-twin';
export const imageTag = '0.1.0';
const httpPort = 8080;
const mqttPort = 1883;
const configRoot = '/etc/plant-twin';
/** cloud certificate (a kubernetes.io/tls Secret `plant-twin-tls` with ca.crt): the cloud serves it, the publisher trusts it */
const tlsRoot = '/etc/plant-twin-tls';
/** storage class of the site's durable volumes (made by the overlay from the site file) */
export const durableStorageClass = 'plant-twin-durable';
export const sharesVolumeName = 'plant-twin-machine-shares';
/** seconds a pod stays on a node that is not ready or unreachable (default 300) */
export const evictionSeconds = 30;

/**
 * Measured resident memory (MiB) per program, the floor of its memory limit (limit >= 1.1 x RSS), from
 * bench:edge and the pod/job manager benchmarks (README): machine pods 82-85 MB with the broker gone for
 * good and the outbox full; the job manager on PGlite 142 MB at first start and 143 MB after 8 hours,
 * 171 MB at its peak; the aedes broker 144-171 MB, the publisher 142 MB, the andon 62 MB after 60 s.
 */
export const measuredRssMiB: Partial<Record<Program['role'], number>> = { 'machine-pod': 85, 'job-manager': 171, broker: 171, publisher: 142, andon: 62 };

/** requests and limits; sized for two IPC127E (4 cores, 4 GB each) carrying the whole edge on one when the other is lost */
const resources: Record<Program['role'], { cpu: string; memory: string; limit: string }> = {
  'machine-pod': { cpu: '25m', memory: '64Mi', limit: '96Mi' },
  broker: { cpu: '50m', memory: '64Mi', limit: '192Mi' },
  publisher: { cpu: '50m', memory: '64Mi', limit: '192Mi' },
  andon: { cpu: '25m', memory: '64Mi', limit: '128Mi' },
  'job-manager': { cpu: '100m', memory: '192Mi', limit: '512Mi' },
  cloud: { cpu: '250m', memory: '512Mi', limit: '1Gi' },
  simulators: { cpu: '250m', memory: '256Mi', limit: '512Mi' },
  'erp-sim': { cpu: '25m', memory: '64Mi', limit: '128Mi' },
};

export const clusterAddressing: Addressing = {
  host: (program) => program,
  port: (_program, kind) => (kind === 'mqtt' ? mqttPort : httpPort),
  dataDir: () => '/data',
};

export type Manifest = Record<string, any>;

const disruptionGroup: Record<Program['role'], string> = {
  'machine-pod': 'machines',
  broker: 'edge-services',
  publisher: 'edge-services',
  andon: 'edge-services',
  'job-manager': 'edge-services',
  cloud: 'cloud',
  simulators: 'simulated-plant',
  'erp-sim': 'simulated-plant',
};

function labels(p: Program) {
  return { 'app.kubernetes.io/name': p.name, 'app.kubernetes.io/part-of': 'plant-twin', 'plant-twin/role': p.role, 'plant-twin/tier': p.tier, 'plant-twin/disruption-group': disruptionGroup[p.role] };
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

const role = (r: Program['role']) => ({ matchLabels: { 'plant-twin/role': r } });
const named = (name: string) => ({ matchLabels: { 'app.kubernetes.io/name': name } });

function workload(p: Program, image: string, plant: Plant, extraPorts: { name: string; containerPort: number }[] = []): Manifest[] {
  const isPod = p.role === 'machine-pod';
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
  const probe = (path: string, periodSeconds = 10, failureThreshold = 3) => ({ httpGet: { path, port: 'http', ...(p.https ? { scheme: 'HTTPS' } : {}) }, periodSeconds, failureThreshold });
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
      // one connection per PLC: never two pods of one machine at once (the Lease guards the rest)
      strategy: { type: 'Recreate' },
      selector: named(p.name),
      template: {
        metadata: { labels: labels(p) },
        spec: {
          ...(affinity ? { affinity } : {}),
          ...(p.tier === 'edge' ? { nodeSelector: { 'plant-twin/edge': 'true' } } : {}),
          // only machine pods talk to the API server (their Lease)
          ...(isPod ? { serviceAccountName: 'machine-pod', automountServiceAccountToken: true } : { automountServiceAccountToken: false }),
          tolerations: ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: evictionSeconds })),
          terminationGracePeriodSeconds: 20,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: p.role,
              image,
              imagePullPolicy: 'IfNotPresent',
              command: ['node', ...programArgv(p, '/app')],
              env,
              ports,
              ...(p.httpPort
                ? {
                    // a machine pod may wait for its machine's Lease (up to its 15 s duration) before it is live
                    ...(isPod ? { startupProbe: probe('/health/live', 5, 12) } : {}),
                    livenessProbe: probe('/health/live'),
                    readinessProbe: probe('/health/ready'),
                  }
                : {}),
              resources: { requests: { cpu: resources[p.role].cpu, memory: resources[p.role].memory }, limits: { memory: resources[p.role].limit } },
              volumeMounts: [
                { name: 'plant', mountPath: configRoot, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                ...(needsData ? [{ name: 'data', mountPath: '/data' }] : []),
                ...(shares ? [{ name: 'shares', mountPath: '/shares' }] : []),
                ...(needsTls ? [{ name: 'tls', mountPath: tlsRoot, readOnly: true }] : []),
              ],
              securityContext: { runAsNonRoot: true, runAsUser: 10001, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
          volumes: [
            { name: 'plant', configMap: { name: 'plant-model' } },
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
            ...(needsData ? [{ name: 'data', persistentVolumeClaim: { claimName: `${p.name}-data` } }] : []),
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
      metadata: { name: `${p.name}-data`, labels: { ...labels(p), 'plant-twin/volume': 'data' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: p.role === 'publisher' ? '2Gi' : '256Mi' } } },
    });
  return out;
}

/** The Lease API for the machine pods' fencing (edge/machine-pod/src/fencing). */
function leaseAccess(): Manifest[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'machine-pod' }, automountServiceAccountToken: false },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'machine-leases' },
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'machine-pod-leases' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'machine-leases' },
      subjects: [{ kind: 'ServiceAccount', name: 'machine-pod', namespace }],
    },
  ];
}

/** A drain takes one pod of a group at a time: the next waits until the previous runs again elsewhere. */
function disruptionBudgets(groups: string[]): Manifest[] {
  return groups.map((g) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: g },
    spec: { maxUnavailable: 1, selector: { matchLabels: { 'plant-twin/disruption-group': g } } },
  }));
}

const tcp = (port: number) => ({ protocol: 'TCP', port });
const policy = (name: string, podSelector: object, rules: { ingress?: object[]; egress?: object[] }): Manifest => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name },
  spec: { podSelector, policyTypes: [...(rules.ingress ? ['Ingress'] : []), ...(rules.egress ? ['Egress'] : [])], ...rules },
});

/** Deny everything, then allow what each program needs inside the cluster (the same on every site). */
function basePolicies(): Manifest[] {
  return [
    policy('default-deny', {}, { ingress: [], egress: [] }),
    policy('dns', {}, { egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, tcp(53)] }] }),
    policy('broker', role('broker'), { ingress: [{ from: [{ podSelector: role('machine-pod') }, { podSelector: role('publisher') }, { podSelector: role('andon') }], ports: [tcp(mqttPort)] }] }),
    policy('machine-pods-to-broker', role('machine-pod'), { egress: [{ to: [{ podSelector: role('broker') }], ports: [tcp(mqttPort)] }] }),
    policy('machine-pods-from-job-manager', role('machine-pod'), { ingress: [{ from: [{ podSelector: role('job-manager') }], ports: [tcp(httpPort)] }] }),
    policy('job-manager-to-machine-pods', role('job-manager'), { egress: [{ to: [{ podSelector: role('machine-pod') }], ports: [tcp(httpPort)] }] }),
    policy('publisher-to-broker-and-cloud', role('publisher'), { egress: [{ to: [{ podSelector: role('broker') }], ports: [tcp(mqttPort)] }, { to: [{ podSelector: role('cloud') }], ports: [tcp(httpPort)] }] }),
    // the cloud serves the twin to people: any source
    policy('cloud', role('cloud'), { ingress: [{ ports: [tcp(httpPort)] }] }),
    // the edge andon server: reads the broker, serves the shop floor's screens (any source)
    policy('andon', role('andon'), { ingress: [{ ports: [tcp(httpPort)] }], egress: [{ to: [{ podSelector: role('broker') }], ports: [tcp(mqttPort)] }] }),
  ];
}

interface Endpoint {
  /** pods of the cluster (the simulators), or addresses outside it */
  to: object[];
  port?: number;
}

/** The policies that follow the site file: where each machine is, the API servers, the ERP, the cloud. */
function sitePolicies(plant: Plant, k: SiteKubernetes | undefined, machineAt: (m: Plant['machines'][number]) => Endpoint | undefined, erp: Endpoint): Manifest[] {
  const cidrs = (list: string[]) => list.map((cidr) => ({ ipBlock: { cidr } }));
  const apiServers = k?.apiServers ? cidrs(k.apiServers) : [{ ipBlock: { cidr: '0.0.0.0/0' } }];
  const out = [
    policy('machine-pods-to-api-server', role('machine-pod'), { egress: [{ to: apiServers, ports: [tcp(443), tcp(6443)] }] }),
    policy('job-manager-to-erp', role('job-manager'), { egress: [{ to: erp.to, ...(erp.port ? { ports: [tcp(erp.port)] } : {}) }] }),
    ...(k?.cloud ? [policy('publisher-to-cloud', role('publisher'), { egress: [{ to: cidrs([k.cloud]), ports: [tcp(443)] }] })] : []),
  ];
  for (const m of plant.machines) {
    const at = machineAt(m);
    if (at) out.push(policy(`${podName(m.id)}-to-machine`, named(podName(m.id)), { egress: [{ to: at.to, ...(at.port ? { ports: [tcp(at.port)] } : {}) }] }));
  }
  return out;
}

/** Site storage from the site file: durable volumes and the machines' share as a PersistentVolume. */
function siteStorage(k: SiteKubernetes): Manifest[] {
  const s = k.storage;
  const storageClass: Manifest = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: durableStorageClass },
    reclaimPolicy: 'Retain',
    allowVolumeExpansion: true,
    volumeBindingMode: 'Immediate',
    ...(s.kind === 'longhorn'
      ? { provisioner: 'driver.longhorn.io', parameters: { numberOfReplicas: String(s.replicas), staleReplicaTimeout: '30', dataLocality: 'best-effort' } }
      : { provisioner: 'nfs.csi.k8s.io', parameters: { server: s.server, share: s.path }, mountOptions: ['nfsvers=4.1', 'hard'] }),
  };
  const sh = k.shares;
  const shares: Manifest = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: sharesVolumeName },
    spec: {
      capacity: { storage: '2Gi' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      claimRef: { namespace, name: 'machine-shares' },
      // both through CSI drivers (csi-driver-nfs, csi-driver-smb): the node needs no NFS or CIFS tools of its own
      ...(sh.kind === 'nfs'
        ? { mountOptions: ['nfsvers=4.1', 'hard'], csi: { driver: 'nfs.csi.k8s.io', volumeHandle: `${sh.server}#${sh.path}#`, volumeAttributes: { server: sh.server, share: sh.path } } }
        : { mountOptions: ['uid=10001', 'gid=10001', 'file_mode=0660', 'dir_mode=0770'], csi: { driver: 'smb.csi.k8s.io', volumeHandle: `${namespace}-machine-shares`, volumeAttributes: { source: sh.source }, nodeStageSecretRef: { name: sh.secret, namespace } } }),
    },
  };
  return [storageClass, shares];
}

export interface RenderedManifests {
  /** file path (relative to k3d/) -> YAML text */
  files: Record<string, string>;
}

const header = '# Generated by `npm run k3d:render` from plant/plant.yaml and the site files: do not edit, edit those or packages/supervisor/src/manifests.ts.\n';
const yamlDocs = (docs: Manifest[]) => header + docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * @param files the plant model and site files' text: copied next to each overlay's kustomization
 *   because kustomize only loads files below the kustomization root.
 */
export function renderManifests(plant: Plant, sites: { sim: Site; site: Site }, files0: { plant: string; simSite: string; site: string }): RenderedManifests {
  const simPlant = applySite(plant, sites.sim, 'k3d-sim');
  const sitePlant = applySite(plant, sites.site, 'site');
  const image = `${imageName}:${imageTag}`;
  const common = {
    plantFile: `${configRoot}/plant.yaml`,
    siteFile: `${configRoot}/site.yaml`,
    addressing: clusterAddressing,
    // a pod's listeners must answer its Service and the kubelet's probes on the pod's address
    bindHost: '0.0.0.0',
    seed: 1,
    speed: 1,
    tls: { certFile: `${tlsRoot}/tls.crt`, keyFile: `${tlsRoot}/tls.key`, caFile: `${tlsRoot}/ca.crt` },
  };
  const edge = derivePlantDeployment(plant, { ...common, simulate: false });
  const simOnly = derivePlantDeployment(plant, { ...common, simulate: true }).filter((p) => p.tier === 'sim');
  const files: Record<string, string> = {
    'overlays/sim/plant.yaml': files0.plant,
    'overlays/sim/site.yaml': files0.simSite,
    'overlays/site/plant.yaml': files0.plant,
    'overlays/site/site.yaml': files0.site,
  };

  // base: the edge and the cloud, the same on every site
  for (const p of edge) files[`base/${p.name}.yaml`] = yamlDocs(workload(p, image, plant));
  files['base/machine-shares.yaml'] = yamlDocs([
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'machine-shares', labels: { 'plant-twin/volume': 'shares' } }, spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '2Gi' } } } },
  ]);
  files['base/namespace.yaml'] = yamlDocs([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }]);
  files['base/leases.yaml'] = yamlDocs(leaseAccess());
  files['base/disruption-budgets.yaml'] = yamlDocs(disruptionBudgets([...new Set(edge.map((p) => disruptionGroup[p.role]))]));
  files['base/network-policies.yaml'] = yamlDocs(basePolicies());
  const baseFiles = ['namespace.yaml', 'machine-shares.yaml', 'leases.yaml', 'disruption-budgets.yaml', 'network-policies.yaml', ...edge.map((p) => `${p.name}.yaml`)];
  files['base/kustomization.yaml'] = header + stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace, resources: baseFiles });

  const secretsNote = `# Create the Secret first (never committed): kubectl -n ${namespace} create secret generic ${secretName} --from-env-file=<file with ${secretKeys(plant).join(', ')}>\n`;
  const kustomization = (resources: string[], k: SiteKubernetes | undefined) =>
    header +
    secretsNote +
    stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace,
      resources: ['../../base', ...resources],
      configMapGenerator: [{ name: 'plant-model', files: ['plant.yaml', 'site.yaml'] }],
      ...(k?.image ? { images: [{ name: imageName, newName: k.image.split('@')[0], digest: k.image.split('@')[1] }] } : {}),
      ...(k
        ? {
            patches: [
              { target: { kind: 'PersistentVolumeClaim', labelSelector: 'plant-twin/volume=data' }, patch: JSON.stringify([{ op: 'add', path: '/spec/storageClassName', value: durableStorageClass }]) },
              { target: { kind: 'PersistentVolumeClaim', labelSelector: 'plant-twin/volume=shares' }, patch: JSON.stringify([{ op: 'add', path: '/spec/storageClassName', value: '' }, { op: 'add', path: '/spec/volumeName', value: sharesVolumeName }]) },
              ...(k.imagePullSecret ? [{ target: { kind: 'Deployment' }, patch: JSON.stringify([{ op: 'add', path: '/spec/template/spec/imagePullSecrets', value: [{ name: k.imagePullSecret }] }]) }] : []),
            ],
          }
        : {}),
    });

  // sim: the simulators stand in for the machines, reached as pods; k3d's own storage
  for (const p of simOnly) files[`overlays/sim/${p.name}.yaml`] = yamlDocs(workload(p, image, simPlant, p.role === 'simulators' ? simulatorPorts(simPlant) : []));
  const simulators = [{ podSelector: role('simulators') }];
  files['overlays/sim/network-policies.yaml'] = yamlDocs([
    ...sitePolicies(simPlant, undefined, (m) => (m.interface.type === 'file' ? undefined : { to: simulators, port: m.interface.port }), { to: [{ podSelector: role('erp-sim') }], port: httpPort }),
    policy('simulators', role('simulators'), { ingress: [{ from: [{ podSelector: role('machine-pod') }, { podSelector: { matchLabels: { 'plant-twin/role': 'hil' } } }] }] }),
    policy('erp-sim', role('erp-sim'), { ingress: [{ from: [{ podSelector: role('job-manager') }], ports: [tcp(httpPort)] }] }),
    policy('hil', { matchLabels: { 'plant-twin/role': 'hil' } }, { egress: [{ to: simulators }] }),
  ]);
  files['overlays/sim/disruption-budgets.yaml'] = yamlDocs(disruptionBudgets(['simulated-plant']));
  files['overlays/sim/hil-job.yaml'] = yamlDocs([hilJob(image, plant)]);
  const simK = sites.sim.kubernetes;
  if (simK) files['overlays/sim/storage.yaml'] = yamlDocs(siteStorage(simK));
  files['overlays/sim/kustomization.yaml'] = kustomization([...simOnly.map((p) => `${p.name}.yaml`), ...(simK ? ['storage.yaml'] : []), 'network-policies.yaml', 'disruption-budgets.yaml'], simK);

  // site: the IPC127E nodes, the real machines, storage that survives a node
  const k = sites.site.kubernetes;
  const missing = (['image', 'imagePullSecret', 'apiServers', 'erp', 'cloud'] as const).filter((f) => !k?.[f]);
  if (!k || missing.length) throw new Error(`the site file's kubernetes section lacks ${k ? missing.join(', ') : 'everything (storage, shares, image, imagePullSecret, apiServers, erp, cloud)'}: the site overlay cannot be rendered`);
  files['overlays/site/storage.yaml'] = yamlDocs(siteStorage(k));
  files['overlays/site/network-policies.yaml'] = yamlDocs(
    sitePolicies(
      sitePlant,
      k,
      (m) => (m.interface.type === 'file' ? undefined : { to: [{ ipBlock: { cidr: ipv4.test(m.interface.host) ? `${m.interface.host}/32` : '0.0.0.0/0' } }], port: m.interface.port }),
      { to: [{ ipBlock: { cidr: k.erp! } }] },
    ),
  );
  files['overlays/site/kustomization.yaml'] = kustomization(['storage.yaml', 'network-policies.yaml'], k);
  return { files };
}

/**
 * The HIL suites as a Job in the sim cluster (k3d/up.sh): against the k3d-sim site file, machines as the
 * pods see them; read-only (the pods are running jobs on the same machines).
 */
function hilJob(image: string, plant: Plant): Manifest {
  const sec = { runAsNonRoot: true, runAsUser: 10001, privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'hil', labels: { 'plant-twin/role': 'hil' } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { 'plant-twin/role': 'hil' } },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'hil',
              image,
              imagePullPolicy: 'IfNotPresent',
              command: ['node', '/app/hil/dist/cli.js', '--target', `${configRoot}/site.yaml`, '--plant', `${configRoot}/plant.yaml`, '--junit', '/tmp/hil.xml', '--html', '/tmp/hil.html'],
              env: [{ name: 'HIL_OPERATOR', value: 'k3d/up.sh' }, ...plant.machines.flatMap((m) => (m.interface.type === 'sql' ? [m.interface.passwordEnv] : [])).map((name) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key: name } } }))],
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '384Mi' } },
              volumeMounts: [{ name: 'plant', mountPath: configRoot, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }, { name: 'shares', mountPath: '/shares' }],
              securityContext: sec,
            },
          ],
          volumes: [{ name: 'plant', configMap: { name: 'plant-model' } }, { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, { name: 'shares', persistentVolumeClaim: { claimName: 'machine-shares' } }],
        },
      },
    },
  };
}
