#!/usr/bin/env bash
# The simulated plant on a local k3d cluster, end to end (needs Docker, k3d, kubectl, helm; about 15 min):
#   1. cluster from k3d/cluster.yaml (one server: control plane + the "NAS"; two agents: the IPC127E)
#   2. the image built and imported, csi-driver-nfs and the NFS server installed (storage that survives a node)
#   3. secrets (npm run edge:secrets) and the cloud's certificate, the sim overlay applied, readiness awaited
#   4. the HIL suites run in the cluster as a Job against the k3d-sim site file (report in the Job's log)
#   5. unless --no-failover: one agent stopped; every pod must run again on the other within
#      FAILOVER_LIMIT_S (default 180 s) with nothing lost (the job manager's jobs all there), HIL again
# Options: --no-failover, --down (delete the cluster at the end). Re-running reuses an existing cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
FAILOVER=1; DOWN=0
for a in "$@"; do case "$a" in --no-failover) FAILOVER=0 ;; --down) DOWN=1 ;; *) echo "unknown option $a" >&2; exit 2 ;; esac; done
for tool in docker k3d kubectl helm node; do command -v "$tool" >/dev/null || { echo "k3d/up.sh needs $tool on PATH" >&2; exit 2; }; done
docker info >/dev/null 2>&1 || { echo "no Docker engine (docker info failed)" >&2; exit 2; }

NS=plant-twin
CLUSTER=plant-twin
IMAGE="plant-twin:$(node -p "require('./hil/package.json').version")"
LIMIT="${FAILOVER_LIMIT_S:-180}"
RUN="$(mktemp -d)"
trap 'rm -rf "$RUN"' EXIT
say() { printf '\n== %s\n' "$*"; }
k() { kubectl -n "$NS" "$@"; }

say "cluster"
k3d cluster list "$CLUSTER" >/dev/null 2>&1 || k3d cluster create --config k3d/cluster.yaml --wait
kubectl config use-context "k3d-$CLUSTER" >/dev/null

say "image $IMAGE"
docker build --build-arg PLANT_TWIN_COMMIT="$(git rev-parse --short=12 HEAD 2>/dev/null || true)" -t "$IMAGE" .
k3d image import "$IMAGE" -c "$CLUSTER"

say "storage: csi-driver-nfs and the NFS server on the server node"
helm repo add csi-driver-nfs https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts >/dev/null 2>&1 || true
helm upgrade --install csi-driver-nfs csi-driver-nfs/csi-driver-nfs --namespace kube-system --version v4.9.0 --wait
kubectl apply -f k3d/storage/nfs-server.yaml
kubectl -n plant-twin-storage rollout status deploy/nfs-server --timeout=300s

say "secrets"
kubectl get namespace "$NS" >/dev/null 2>&1 || kubectl create namespace "$NS"
if ! k get secret plant-twin-secrets >/dev/null 2>&1; then
  npm run --silent edge:secrets -- --out "$RUN/secrets" >/dev/null
  k create secret generic plant-twin-secrets --from-env-file="$RUN/secrets/secrets.env"
fi
if ! k get secret plant-twin-tls >/dev/null 2>&1; then
  node --input-type=module -e "
    import { selfSignedTls } from './packages/runtime/dist/index.js';
    import { writeFileSync } from 'node:fs';
    const t = await selfSignedTls('cloud', ['cloud', 'localhost', '127.0.0.1']);
    writeFileSync('$RUN/tls.key', t.key, { mode: 0o600 }); writeFileSync('$RUN/tls.crt', t.cert);"
  k create secret generic plant-twin-tls --from-file=tls.crt="$RUN/tls.crt" --from-file=tls.key="$RUN/tls.key" --from-file=ca.crt="$RUN/tls.crt"
fi

say "overlay sim"
kubectl apply -k k3d/overlays/sim
k wait --for=condition=available deployment --all --timeout=600s

run_hil() {
  # the Job names the plant-model ConfigMap by its generated (hashed) name
  local cm; cm="$(k get configmap -o name | sed -n 's#^configmap/\(plant-model-.*\)#\1#p' | head -1)"
  k delete job hil --ignore-not-found >/dev/null
  sed "s/name: plant-model$/name: $cm/" k3d/overlays/sim/hil-job.yaml | k apply -f -
  if ! k wait --for=condition=complete job/hil --timeout=900s; then k logs job/hil | tail -40; echo "HIL failed" >&2; return 1; fi
  k logs job/hil | tail -3
}
say "HIL suites in the cluster"
run_hil

if [ "$FAILOVER" = 1 ]; then
  jobs_now() { k exec deploy/job-manager -- node -e "fetch('http://127.0.0.1:8080/api/v1/jobs?limit=1000',{headers:{authorization:'Bearer '+process.env.JM_API_TOKEN}}).then(r=>r.json()).then(j=>console.log(j.jobs.map(x=>x.id).sort().join(' ')))"; }
  sleep 60 # let the ERP sync make some jobs
  before="$(jobs_now)"
  NODE="k3d-$CLUSTER-agent-0"
  say "failover: stopping $NODE (ipc-1) with $(k get pods -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -c "$NODE") pods"
  t0=$(date +%s)
  docker stop "$NODE" >/dev/null
  while true; do
    sleep 5
    elapsed=$(( $(date +%s) - t0 ))
    # pods not being deleted that are on the stopped node or not ready (the HIL Job's pods aside)
    waiting="$(k get pods -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName} {.metadata.deletionTimestamp}{range .status.conditions[?(@.type=="Ready")]} ready={.status}{end}{"\n"}{end}' \
      | awk -v n="$NODE" '$1 !~ /^hil-/ && $3 !~ /^20/ && ($2 == n || $0 !~ /ready=True/)' || true)"
    unavailable="$(k get deploy --no-headers | awk '$2 != "1/1"' || true)"
    if [ -z "$unavailable" ] && [ -z "$waiting" ]; then break; fi
    if [ "$elapsed" -gt "$LIMIT" ]; then echo "not every pod runs again after ${LIMIT} s:"; echo "$unavailable"; echo "$waiting"; exit 1; fi
  done
  echo "every deployment available again ${elapsed} s after $NODE stopped (limit ${LIMIT} s)"
  after="$(jobs_now)"
  lost="$(comm -23 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$after" | sort))"
  if [ -n "$lost" ]; then echo "jobs lost in the failover: $lost" >&2; exit 1; fi
  echo "job manager: $(wc -w <<<"$before") jobs before, all there after ($(wc -w <<<"$after") now)"
  say "HIL suites after the failover"
  run_hil
  docker start "$NODE" >/dev/null
fi

if [ "$DOWN" = 1 ]; then k3d cluster delete "$CLUSTER"; else echo "cluster k3d-$CLUSTER left running (k3d cluster delete $CLUSTER)"; fi
