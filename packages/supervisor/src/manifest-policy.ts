import { measuredRssMiB, type Manifest } from './manifests.js';

/**
 * Policy checks over a rendered overlay (the objects `kubectl kustomize` outputs), in the spirit of
 * kube-linter and Polaris, for what matters on two edge nodes that must survive the loss of either:
 * no secret in a manifest, probes, requests and limits (limits above the measured RSS), pinned images,
 * no root or privilege, a NetworkPolicy for every pod, storage that is not pinned to a node,
 * tolerations that move pods off a dead node in seconds, a disruption budget for every pod.
 * Each problem starts with the check's name and names the object.
 */
export const policyChecks = [
  'plaintext-secret',
  'missing-probe',
  'missing-resources',
  'limit-below-rss',
  'unpinned-image',
  'root-or-privilege',
  'missing-network-policy',
  'node-local-storage',
  'missing-tolerations',
  'missing-disruption-budget',
  'missing-pull-secret',
] as const;
export type PolicyCheck = (typeof policyChecks)[number];

export interface PolicyOptions {
  /** `site` also demands digests, pull secrets and storage that survives a node */
  overlay: 'sim' | 'site';
}

const secretLike = /(PASSWORD|TOKEN|SECRET|CREDENTIALS|PRIVATE_KEY|API_KEY)$/;
const workloadKinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];

/** Memory quantity in MiB (Ki, Mi, Gi, or bytes). */
export function mebibytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(String(q));
  if (!m) return Number.NaN;
  const f = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 }[m[2] as 'Mi'] ?? 1 / 2 ** 20;
  return Number(m[1]) * f;
}

const selects = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
  !!selector && Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

export function policyProblems(objects: Manifest[], o: PolicyOptions): string[] {
  const problems: string[] = [];
  const add = (check: PolicyCheck, obj: Manifest, what: string) => problems.push(`${check}: ${obj.kind}/${obj.metadata?.name}: ${what}`);
  const workloads = objects.filter((x) => workloadKinds.includes(x.kind));
  const policies = objects.filter((x) => x.kind === 'NetworkPolicy');
  const budgets = objects.filter((x) => x.kind === 'PodDisruptionBudget');

  for (const x of objects) {
    if (x.kind === 'Secret' && (x.data || x.stringData)) add('plaintext-secret', x, 'a Secret with data in the manifests (create it on the cluster instead)');
    if (o.overlay === 'site' && x.kind === 'StorageClass' && /local-path|no-provisioner|hostpath/i.test(x.provisioner ?? '')) add('node-local-storage', x, `provisioner ${x.provisioner} keeps volumes on one node`);
    if (o.overlay === 'site' && x.kind === 'PersistentVolume' && (x.spec?.hostPath || x.spec?.local)) add('node-local-storage', x, 'a hostPath/local volume is pinned to its node');
    if (o.overlay === 'site' && x.kind === 'PersistentVolumeClaim') {
      const sc = x.spec?.storageClassName;
      const classes = objects.filter((s) => s.kind === 'StorageClass').map((s) => s.metadata.name);
      if (sc === undefined || sc === 'local-path') add('node-local-storage', x, `storage class ${sc ?? '(cluster default: local-path on k3s)'} keeps the volume on one node`);
      else if (sc === '' ? !x.spec?.volumeName : !classes.includes(sc)) add('node-local-storage', x, sc === '' ? 'no class and no volume to bind' : `storage class ${sc} is not defined by the overlay`);
    }
  }
  if (!policies.some((p) => Object.keys(p.spec?.podSelector ?? {}).length === 0 && ['Ingress', 'Egress'].every((t) => p.spec?.policyTypes?.includes(t)) && !p.spec?.ingress?.length && !p.spec?.egress?.length))
    problems.push('missing-network-policy: no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)');

  for (const w of workloads) {
    const pod = w.spec?.template?.spec ?? {};
    const labels: Record<string, string> = w.spec?.template?.metadata?.labels ?? {};
    const isJob = w.kind === 'Job';
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) add('root-or-privilege', w, 'shares the host network/PID/IPC namespace');
    if (pod.securityContext?.runAsNonRoot !== true) add('root-or-privilege', w, 'pod securityContext.runAsNonRoot is not true');
    if (pod.securityContext?.runAsUser === 0) add('root-or-privilege', w, 'runs as user 0');
    for (const v of pod.volumes ?? []) if (v.hostPath) add(o.overlay === 'site' ? 'node-local-storage' : 'root-or-privilege', w, `hostPath volume ${v.name}`);
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const where = `container ${c.name}`;
      for (const e of c.env ?? []) if (secretLike.test(e.name) && e.value !== undefined) add('plaintext-secret', w, `${where} env ${e.name} has a literal value (reference the Secret)`);
      if (!isJob && (!c.readinessProbe || !c.livenessProbe)) add('missing-probe', w, `${where} lacks a ${!c.readinessProbe ? 'readiness' : 'liveness'} probe`);
      const r = c.resources ?? {};
      if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.memory) add('missing-resources', w, `${where} lacks requests.cpu, requests.memory or limits.memory`);
      const rss = measuredRssMiB[labels['plant-twin/role'] as keyof typeof measuredRssMiB];
      if (rss !== undefined && r.limits?.memory && mebibytes(r.limits.memory) < rss * 1.1) add('limit-below-rss', w, `${where} memory limit ${r.limits.memory} is below 1.1 x its measured RSS (${rss} MiB)`);
      const image = String(c.image ?? '');
      const digest = /@sha256:[a-f0-9]{64}$/.test(image);
      const tag = /:[^/@]+$/.exec(image.split('@')[0]!)?.[0].slice(1);
      if (!digest && (!tag || tag === 'latest')) add('unpinned-image', w, `${where} image ${image} has no tag or digest (or :latest)`);
      else if (o.overlay === 'site' && !digest) add('unpinned-image', w, `${where} image ${image} is not pinned by digest`);
      const sc = c.securityContext ?? {};
      if (sc.privileged) add('root-or-privilege', w, `${where} is privileged`);
      if (sc.allowPrivilegeEscalation !== false) add('root-or-privilege', w, `${where} allows privilege escalation`);
      if (sc.readOnlyRootFilesystem !== true) add('root-or-privilege', w, `${where} root filesystem is writable`);
      if (sc.runAsUser === 0) add('root-or-privilege', w, `${where} runs as user 0`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL') || (sc.capabilities?.add ?? []).length) add('root-or-privilege', w, `${where} keeps Linux capabilities (drop ALL, add none)`);
    }
    if (isJob) continue;
    const own = policies.filter((p) => Object.keys(p.spec?.podSelector ?? {}).length > 0 && selects(p.spec.podSelector, labels));
    if (!own.length) add('missing-network-policy', w, 'no NetworkPolicy selects its pods (beyond the default deny)');
    const tolerates = (key: string) => (pod.tolerations ?? []).some((t: Manifest) => t.key === key && t.effect === 'NoExecute' && typeof t.tolerationSeconds === 'number' && t.tolerationSeconds <= 60);
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) if (!tolerates(key)) add('missing-tolerations', w, `no NoExecute toleration of ${key} with tolerationSeconds <= 60 (the default is 300 s)`);
    if (!budgets.some((b) => selects(b.spec?.selector, labels))) add('missing-disruption-budget', w, 'no PodDisruptionBudget selects its pods');
    if (o.overlay === 'site' && !(pod.imagePullSecrets ?? []).length) add('missing-pull-secret', w, 'no imagePullSecrets for the private registry');
  }
  return problems;
}
