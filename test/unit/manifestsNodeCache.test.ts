// Manifests with the node cache (--node-cache, --node-cache-pvc) and the pre-pull DaemonSet: what each
// object says, the offline checks (hostPath the only exception, and only with hostPath), and the
// refusals. The scripts themselves run against the real S3 server in test/integration/nodeCache.test.ts.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import { CURRENT_MODEL, followScript } from '../../src/core/manifests/followScript';
import { copyScript } from '../../src/core/manifests/initScript';
import type { ManifestInput } from '../../src/core/manifests/manifestInput';
import { HOSTPATH_NOTE, POD_SECURITY_ANNOTATION } from '../../src/core/manifests/nodeCache';
import { NODE_CACHE_DIR } from '../../src/core/manifests/nodeCacheScript';
import { buildPrefetch, PAUSE_IMAGE } from '../../src/core/manifests/prefetch';
import { isRepoError } from '../../src/core/errors';
import { loadClientNode, monokleProblems } from '../helpers/k8sChecks';
import { offlineProblems, s3Input, safetensorsInput, SHA, viaYaml, nfsInput } from '../helpers/manifestFixtures';

const cached: ManifestInput = { ...s3Input, nodeCache: {} };
const specOf = (o: object): PodSpec => ((o as Pod).kind === 'Pod' ? (o as Pod).spec! : (o as Deployment | DaemonSet).spec!.template.spec!);
const workload = (objs: readonly object[]): object => objs.find((o) => ['Pod', 'Deployment', 'DaemonSet'].includes((o as Pod).kind!))!;
const configError = (re: RegExp) => (e: unknown): boolean => isRepoError(e, 'Config') && re.test((e as Error).message);
const mountsOf = (c: Container): string[] => (c.volumeMounts ?? []).map((m) => `${m.name}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);

describe('node cache manifests', () => {
  let k8s: Record<string, unknown> | undefined;
  before(async () => {
    const m = await loadClientNode();
    k8s = typeof m === 'string' ? undefined : m;
  });

  it('Pod: the init script fetches through the cache; the server opens the blob itself, read-only', () => {
    const spec = specOf(workload(buildManifests(cached)));
    const [fetch, lease] = spec.initContainers!;
    assert.equal(fetch.args![0], copyScript({
      endpoint: 'http://minio.minio.svc:9000', region: 'us-east-1', pathStyle: true, bucket: 'models', artifacts: s3Input.artifacts,
      targetDir: '/models', label: 'llama-3-8b@2024-03-20',
      nodeCache: { dir: NODE_CACHE_DIR, highBytes: 200 * 1024 ** 3, lowBytes: Math.floor(200 * 1024 ** 3 * 0.8), leaseMinutes: 10, leaseList: '/models/.modelrepo-blobs' },
    }));
    assert.ok(fetch.env!.some((e) => e.name === 'POD_NAME' && e.valueFrom?.fieldRef?.fieldPath === 'metadata.name'));
    assert.deepEqual(mountsOf(fetch), ['models:/models', 'tmp:/tmp', `node-cache:${NODE_CACHE_DIR}`]);
    assert.equal(lease.name, 'cache-lease');
    assert.equal(lease.restartPolicy, 'Always', 'a native sidecar: runs beside the server, stopped after it');
    assert.match(lease.args![0], /touch "\$cache\/blobs\/\$s\.leases\/\$pod"/);
    const server = spec.containers[0];
    assert.equal(server.args![1], `${NODE_CACHE_DIR}/blobs/${SHA}`);
    assert.ok(mountsOf(server).includes(`node-cache:${NODE_CACHE_DIR}:ro`));
    assert.deepEqual(spec.volumes!.find((v) => v.name === 'node-cache'), { name: 'node-cache', hostPath: { path: '/var/lib/modelrepo/cache', type: 'DirectoryOrCreate' } });
    assert.equal(spec.volumes!.find((v) => v.name === 'models')!.emptyDir!.sizeLimit, '16Mi', 'the emptyDir holds symlinks only');
    for (const sh of ['/bin/sh', '/bin/bash']) {
      for (const c of [fetch, lease]) assert.equal(spawnSync(sh, ['-n', '-c', c.args![0]]).status, 0, `${sh}: ${c.name}`);
    }
  });

  it('says in an annotation that hostPath is outside baseline/restricted; a local PV instead carries no such note', () => {
    const pod = workload(buildManifests(cached)) as Pod;
    assert.equal(pod.metadata!.annotations![POD_SECURITY_ANNOTATION], HOSTPATH_NOTE);
    assert.equal(pod.metadata!.annotations!['modelrepo.io/node-cache'], 'hostPath:/var/lib/modelrepo/cache');
    const pv = workload(buildManifests({ ...s3Input, nodeCache: { pvc: 'model-cache' } })) as Pod;
    assert.equal(pv.metadata!.annotations![POD_SECURITY_ANNOTATION], undefined);
    assert.equal(pv.metadata!.annotations!['modelrepo.io/node-cache'], 'pvc:model-cache');
    assert.deepEqual(specOf(pv).volumes!.find((v) => v.name === 'node-cache'), { name: 'node-cache', persistentVolumeClaim: { claimName: 'model-cache' } });
  });

  const variants: [string, () => object[], boolean][] = [
    ['Pod, hostPath', () => buildManifests(cached), true],
    ['Deployment following the tag, hostPath', () => buildManifests({ ...cached, kind: 'deployment', mode: 'follow', replicas: 8 }), true],
    ['Deployment, local PV', () => buildManifests({ ...s3Input, kind: 'deployment', nodeCache: { pvc: 'model-cache' } }), false],
    ['llama.cpp CUDA Pod, custom folder', () => buildManifests({ ...s3Input, runtime: 'llama-cpp-cuda', nodeCache: { hostPath: '/mnt/nvme/models' } }), true],
    ['pre-pull DaemonSet', () => buildPrefetch(cached, { nodeSelector: { 'gpu': 'a100' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }), true],
  ];
  for (const [name, build, hostPath] of variants) {
    it(`${name}: every offline check passes, hostPath the only exception${hostPath ? '' : ' (none here)'}`, async () => {
      const objs = viaYaml(build());
      assert.deepEqual(objs, JSON.parse(JSON.stringify(build())), 'survives the YAML round trip unchanged');
      const w = workload(objs) as { kind: string; metadata?: { name?: string } };
      const expected = hostPath ? [`${w.kind} ${w.metadata!.name}: volume node-cache: hostPath`] : [];
      assert.deepEqual(offlineProblems(objs, k8s), expected);
      const found = [...new Set((await monokleProblems(objs)).map((f) => f.ruleId))].sort();
      // Baseline's hostPath rule and restricted's volume-type rule, only with hostPath; with a local PV, only
      // the link to the claim, which the cluster's admin makes (it is not in the set).
      // monokle's link check does not pair a DaemonSet's selector with its own template (without the selector
      // the LNK001 findings go away; the selector is the template's labels, asserted in the pre-pull test).
      const links = w.kind === 'DaemonSet' || !hostPath ? ['LNK001'] : [];
      assert.deepEqual(found, [...links, ...(hostPath ? ['PSS105', 'PSS201'] : [])]);
    });
  }

  it('following a tag: the follow script with the cache, the server on the symlink it writes', () => {
    const spec = specOf(workload(buildManifests({ ...cached, kind: 'deployment', mode: 'follow' })));
    assert.match(spec.initContainers![0].args![0], /first_tag='latest'\n/);
    assert.equal(spec.initContainers![0].args![0], followScript({
      endpoint: 'http://minio.minio.svc:9000', region: 'us-east-1', pathStyle: true, bucket: 'models', modelPrefix: 'team-a/llama-3-8b/',
      model: 'llama-3-8b', tag: 'latest', targetDir: '/models',
      nodeCache: { dir: NODE_CACHE_DIR, highBytes: 200 * 1024 ** 3, lowBytes: Math.floor(200 * 1024 ** 3 * 0.8), leaseMinutes: 10, leaseList: '/models/.modelrepo-blobs' },
    }));
    assert.equal(spec.containers[0].args![1], `/models/${CURRENT_MODEL}`);
    assert.ok(mountsOf(spec.containers[0]).includes(`node-cache:${NODE_CACHE_DIR}:ro`));
  });

  it('pre-pull: a DaemonSet on the selected nodes, the same pinned script, then a pause container and no lease', () => {
    const [secret, ds] = buildPrefetch(cached, { nodeSelector: { pool: 'gpu' } });
    assert.equal(secret.kind, 'Secret');
    assert.equal(ds.metadata!.name, 'llama-3-8b-prefetch');
    const spec = specOf(ds);
    assert.deepEqual(spec.nodeSelector, { pool: 'gpu' });
    assert.equal(spec.initContainers!.length, 1);
    assert.equal(spec.initContainers![0].args![0], specOf(workload(buildManifests(cached))).initContainers![0].args![0]);
    assert.equal(spec.containers[0].image, PAUSE_IMAGE);
    assert.deepEqual(ds.spec!.selector.matchLabels, { 'app.kubernetes.io/name': 'llama-3-8b-prefetch', 'app.kubernetes.io/component': 'prefetch' });
    for (const [k, v] of Object.entries(ds.spec!.selector.matchLabels!)) assert.equal(ds.spec!.template.metadata!.labels![k], v, 'the template carries the selector');
  });

  it('leaves the manifests without the option as they were', () => {
    const spec = specOf(workload(buildManifests(s3Input)));
    assert.equal(spec.initContainers!.length, 1);
    assert.ok(!spec.volumes!.some((v) => v.hostPath));
    assert.equal(spec.containers[0].args![1], '/models/llama-3-8b.Q5_K_M.gguf');
  });

  const refusals: [string, ManifestInput, RegExp][] = [
    ['a file without a recorded sha256', { ...cached, artifacts: [{ ...s3Input.artifacts[0], sha256: undefined }] }, /recorded sha256.*has none/],
    ['KServe', { ...cached, kind: 'kserve' }, /LocalModelCache/],
    ['a runtime that reads S3 itself', { ...safetensorsInput, runtime: 'vllm', nodeCache: {} }, /reads S3 itself/],
    ['a folder repository', { ...nfsInput, nodeCache: {} }, /NFS already/],
    ['hostPath and a PVC', { ...s3Input, nodeCache: { hostPath: '/x', pvc: 'y' } }, /not both/],
    ['a relative folder', { ...s3Input, nodeCache: { hostPath: 'cache' } }, /not a plain absolute folder/],
    ['a folder with ..', { ...s3Input, nodeCache: { hostPath: '/var/../etc' } }, /not a plain absolute folder/],
    ['a low watermark above the high one', { ...s3Input, nodeCache: { highBytes: 10, lowBytes: 20 } }, /low watermark/],
    ['a lease shorter than the refresh', { ...s3Input, nodeCache: { leaseMinutes: 1 } }, /lease of 1 minutes/],
  ];
  for (const [what, input, re] of refusals) {
    it(`refuses ${what} (Config: exit 2)`, () => {
      assert.throws(() => buildManifests(input), configError(re));
    });
  }
  it('refuses to pre-pull a version without a recorded sha256', () => {
    assert.throws(() => buildPrefetch({ ...cached, artifacts: [{ ...s3Input.artifacts[0], sha256: undefined }] }), configError(/recorded sha256/));
  });
});
