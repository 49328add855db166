import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { K3sContainer } from '@testcontainers/k3s';
import { repoRoot } from '@plant-twin/plant-model';
import { missingTool } from '@plant-twin/runtime/testing';
import { imageName, imageTag, namespace, secretName } from '@plant-twin/supervisor';

/**
 * The rendered manifests applied to a real K3s (testcontainers): the image built and imported into
 * the node, the Secret made, the sim overlay applied, and every deployment available. The overlay's
 * storage (NFS of k3d/up.sh) is replaced by K3s's own local-path here (and the share's ReadWriteMany
 * by ReadWriteOnce): one node, nothing to survive.
 */
const noDocker = missingTool('docker');
const noKubectl = missingTool('kubectl');
const why = noDocker ?? noKubectl;

describe.skipIf(!!why)(`manifests on a K3s container (${why ?? 'docker and kubectl present'})`, () => {
  it('applies the sim overlay and every pod becomes ready', async () => {
    const image = `${imageName}:${imageTag}`;
    const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => execFileSync(cmd, args, { cwd: repoRoot, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, timeout: 900_000 });
    run('docker', ['build', '-t', image, '.']);
    const k3s = await new K3sContainer('rancher/k3s:v1.31.4-k3s1').start();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'k3s-'));
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, k3s.getKubeConfig());
      const env = { ...process.env, KUBECONFIG: kubeconfig };
      const tar = join(dir, 'image.tar');
      run('docker', ['save', '-o', tar, image]);
      await k3s.copyFilesToContainer([{ source: tar, target: '/tmp/image.tar' }]);
      const imported = await k3s.exec(['ctr', '-n', 'k8s.io', 'images', 'import', '/tmp/image.tar']);
      expect(imported.exitCode).toBe(0);
      await k3s.exec(['kubectl', 'label', 'node', '--all', 'plant-twin/edge=true', 'plant-twin/edge-node=ipc-1']);
      // the overlay as kubectl renders it, with the one node's local-path storage instead of NFS
      const objects = run('kubectl', ['kustomize', 'k3d/overlays/sim'])
        .split(/^---$/m)
        .filter((d) => !/^kind: (StorageClass|PersistentVolume)$/m.test(d))
        .map((d) => d.replace(/^\s+storageClassName: .*$/gm, '').replace(/^\s+volumeName: .*$/gm, '').replace(/ReadWriteMany/g, 'ReadWriteOnce'))
        .join('---\n');
      run('kubectl', ['create', 'namespace', namespace], env);
      // every secret of the plant, derived ones (credential hashes) included, as a site makes them
      run('node', ['packages/supervisor/dist/edge-secrets.js', '--out', join(dir, 'secrets')]);
      run('kubectl', ['-n', namespace, 'create', 'secret', 'generic', secretName, `--from-env-file=${join(dir, 'secrets', 'secrets.env')}`], env);
      writeFileSync(join(dir, 'objects.yaml'), objects);
      run('kubectl', ['apply', '-f', join(dir, 'objects.yaml')], env);
      run('kubectl', ['-n', namespace, 'wait', '--for=condition=available', 'deployment', '--all', '--timeout=600s'], env);
      const notReady = JSON.parse(run('kubectl', ['-n', namespace, 'get', 'pods', '-o', 'json'], env)).items.filter((p: { status: { conditions?: { type: string; status: string }[] } }) => !p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      expect(notReady).toEqual([]);
    } finally {
      await k3s.stop();
    }
  }, 1_800_000);
});
