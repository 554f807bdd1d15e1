// The node cache's command line against the real S3 server: `manifest --node-cache[=<dir>]` and
// `--node-cache-pvc`, the refusal of a version without a recorded sha256 (exit 2), and `prefetch --print`
// (the DaemonSet with node selector and tolerations), and `prefetch --wait` against the loopback server that
// plays the API server (test/helpers/fakeKubeApi.ts, two nodes per DaemonSet): a contract test, no real cluster.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Repository } from '../../src/core/repository';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import { run, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { goodCopyLog, startFakeKube } from '../helpers/fakeKubeApi';
import { parseManifests } from '../helpers/k8sChecks';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'out', 'cli-bundle', `cli-nodecache-${process.pid}.js`);
const env = s3TestEnv();
let bucket = '';
let work = '';

function cli(args: readonly string[], extra: Record<string, string> = {}): Promise<Run> {
  const base = withoutKeys(/^(AWS_|MC_HOST_|S3_ENDPOINT|MODELREPO_|KUBECONFIG)/);
  const keys = env ? { AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: env.secretAccessKey, AWS_REGION: env.region } : {};
  return run(process.execPath, [CLI, ...args, '--endpoint', env?.endpoint ?? ''], { cwd: work, env: { ...base, HOME: join(work, 'home'), MODELREPO_CLUSTER_ENDPOINT: 'http://minio.model-storage:9000', ...keys, ...extra } });
}
const ref = (sel: string): string => `s3://${bucket}/team-a/tiny${sel}`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const kindOf = (r: Run, kind: string): Record<string, any> => parseManifests(r.stdout).find((o) => o.kind === kind)!;

describe('modelrepo with the node cache (real S3 server)', { skip: skipWithoutS3 }, () => {
  before(async () => {
    const { build } = await import('esbuild');
    await build({ entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile: CLI, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' });
    work = mkdtempSync(join(tmpdir(), 'modelrepo-nodecache-'));
    mkdirSync(join(work, 'home'));
    const file = join(work, 'tiny.Q4_K_M.gguf');
    writeFileSync(file, Buffer.concat([Buffer.from('GGUF'), randomBytes(4000)]));
    bucket = await createTestBucket(env!, 'cli-node-cache');
    const repo = new Repository(createS3Storage(s3Config(env!, bucket, 'team-a')), { who: 'cli-node-cache' });
    await repo.upload('tiny', '2024-03-20', [file]);
    await repo.setTag('tiny', 'latest', '2024-03-20/tiny.Q4_K_M.gguf', { expect: null });
    // A version written by another tool: no record, so no sha256.
    const s3 = rawS3Client(env!);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'team-a/tiny/legacy/tiny.Q2_K.gguf', Body: Buffer.from('GGUF....') }));
    s3.destroy();
  });
  after(async () => {
    await deleteTestBucket(env, bucket);
    if (work) rmSync(work, { recursive: true, force: true });
    rmSync(CLI, { force: true });
  });

  it('manifest --node-cache=<dir>: a Deployment reading the cache on that hostPath, with the pod-security note', async () => {
    const r = await cli(['manifest', ref(':latest'), '--kind', 'deployment', '--replicas', '8', '--node-cache=/mnt/nvme/models']);
    assert.equal(r.code, 0, show(r));
    const d = kindOf(r, 'Deployment');
    const spec = d.spec.template.spec;
    assert.deepEqual(spec.volumes.find((v: { name: string }) => v.name === 'node-cache').hostPath, { path: '/mnt/nvme/models', type: 'DirectoryOrCreate' });
    assert.match(d.metadata.annotations['modelrepo.io/pod-security'], /not allowed under baseline\/restricted/);
    assert.deepEqual(spec.initContainers.map((c: { name: string }) => c.name), ['fetch-model', 'cache-lease']);
  });

  it('manifest --node-cache-pvc: the local PersistentVolume, no hostPath', async () => {
    const r = await cli(['manifest', ref(':latest'), '--node-cache-pvc', 'model-cache', '--follow']);
    assert.equal(r.code, 0, show(r));
    const spec = kindOf(r, 'Pod').spec;
    assert.ok(!spec.volumes.some((v: { hostPath?: unknown }) => v.hostPath));
    assert.deepEqual(spec.volumes.find((v: { name: string }) => v.name === 'node-cache').persistentVolumeClaim, { claimName: 'model-cache' });
  });

  it('refuses the node cache for a version without a recorded sha256, and budget flags without the cache (exit 2)', async () => {
    const legacy = await cli(['manifest', ref('@legacy'), '--node-cache']);
    assert.equal(legacy.code, 2, show(legacy));
    assert.match(legacy.stderr, /recorded sha256/);
    assert.equal(legacy.stdout, '');
    const alone = await cli(['manifest', ref(':latest'), '--node-cache-high', '10Gi']);
    assert.equal(alone.code, 2, show(alone));
    assert.match(alone.stderr, /go with --node-cache/);
    const badSize = await cli(['manifest', ref(':latest'), '--node-cache', '--node-cache-high', 'lots']);
    assert.equal(badSize.code, 2, show(badSize));
  });

  it('prefetch --print: the DaemonSet on the selected, tainted nodes', async () => {
    const r = await cli(['prefetch', ref(':latest'), '--print', '--node-selector', 'pool=gpu', '--toleration', 'nvidia.com/gpu:NoSchedule', '--namespace', 'ml']);
    assert.equal(r.code, 0, show(r));
    const ds = kindOf(r, 'DaemonSet');
    assert.equal(ds.metadata.name, 'tiny-prefetch');
    assert.deepEqual(ds.spec.template.spec.nodeSelector, { pool: 'gpu' });
    assert.deepEqual(ds.spec.template.spec.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.match(ds.spec.template.spec.initContainers[0].args[0], /into the node cache/);
    const legacy = await cli(['prefetch', ref('@legacy'), '--print']);
    assert.equal(legacy.code, 2, show(legacy));
  });

  it('prefetch --wait: server-side applies the DaemonSet with the keys, then reports each node (cached, or failed and why)', async () => {
    const kube = await startFakeKube({
      pods: (name) => (name.endsWith('node-b')
        ? { initExit: 1, log: 'modelrepo: sha256 MISMATCH for team-a/tiny/x: expected a, got b; refusing to start the server\n' }
        : { initExit: 0, log: goodCopyLog('tiny.gguf', 'f'.repeat(64)) }),
    });
    try {
      const kubeconfig = kube.kubeconfig(work);
      const r = await cli(['prefetch', ref(':latest'), '--kubeconfig', kubeconfig, '--wait'], { MODELREPO_POLL_MS: '20' });
      assert.equal(r.code, 9, show(r));
      assert.deepEqual(kube.patches().map((p) => p.path), ['/api/v1/namespaces/ml/secrets/modelrepo-s3', '/apis/apps/v1/namespaces/ml/daemonsets/tiny-prefetch']);
      assert.equal(Buffer.from(kube.patches()[0].body.data.AWS_SECRET_ACCESS_KEY, 'base64').toString(), env!.secretAccessKey, 'the Secret carries the keys');
      assert.ok(!`${r.stdout}${r.stderr}`.includes(env!.secretAccessKey), 'never printed');
      assert.match(r.stdout, /^node-a: cached$/m);
      assert.match(r.stdout, /^node-b: failed: modelrepo: sha256 MISMATCH/m);
      assert.match(r.stderr, /Cannot pre-pull .*node-b: failed/);
    } finally {
      await kube.close();
    }
  });

  it('prefetch --remove deletes only the pre-pull DaemonSet modelrepo made for the model; the help shows --node-cache[=<dir>]', async () => {
    const kube = await startFakeKube();
    try {
      const kubeconfig = kube.kubeconfig(work);
      const applied = await cli(['prefetch', ref(':latest'), '--kubeconfig', kubeconfig]);
      assert.equal(applied.code, 0, show(applied));
      // another tool's DaemonSet with a look-alike name and component label, and another model's pre-pull
      const put = (name: string, labels: Record<string, string>): Promise<Response> => fetch(`${kube.url}/apis/apps/v1/namespaces/ml/daemonsets/${name}?fieldManager=x`, {
        method: 'PATCH', headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/apply-patch+yaml' },
        body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'ml', labels } }),
      });
      assert.equal((await put('tiny-prefetch-helm', { 'app.kubernetes.io/name': 'tiny-prefetch', 'app.kubernetes.io/component': 'prefetch', 'app.kubernetes.io/managed-by': 'Helm' })).status, 200);
      assert.equal((await put('other-prefetch', { 'app.kubernetes.io/name': 'other-prefetch', 'app.kubernetes.io/component': 'prefetch', 'app.kubernetes.io/managed-by': 'modelrepo' })).status, 200);
      const r = await cli(['prefetch', '--remove', ref(''), '--kubeconfig', kubeconfig, '--json']);
      assert.equal(r.code, 0, show(r));
      const deletes = kube.requests.filter((q) => q.method === 'DELETE');
      assert.deepEqual(deletes.map((q) => q.path), ['/apis/apps/v1/namespaces/ml/daemonsets/tiny-prefetch']);
      assert.equal(JSON.parse(deletes[0].body || '{}').propagationPolicy ?? deletes[0].query.get('propagationPolicy'), 'Background', 'the pods go with it');
      assert.deepEqual(JSON.parse(r.stdout).removed, [{ kind: 'DaemonSet', name: 'tiny-prefetch', namespace: 'ml' }]);
      const pods = await fetch(`${kube.url}/api/v1/namespaces/ml/pods?labelSelector=app.kubernetes.io/name=tiny-prefetch`, { headers: { authorization: `Bearer ${kube.token}` } });
      assert.deepEqual((await pods.json() as { items: unknown[] }).items, [], 'its pods are gone');
      const again = await cli(['prefetch', '--remove', ref(':latest'), '--kubeconfig', kubeconfig]);
      assert.equal(again.code, 0, show(again));
      assert.match(again.stderr, /no pre-pull of tiny in the context's namespace/);
      assert.equal(kube.requests.filter((q) => q.method === 'DELETE').length, 1, 'nothing else deleted');
      const mixed = await cli(['prefetch', '--remove', ref(':latest'), '--wait', '--kubeconfig', kubeconfig]);
      assert.equal(mixed.code, 2, show(mixed));
      const help = await cli(['prefetch', '--help']);
      assert.match(help.stdout, /--node-cache\[=<dir>\] /);
      assert.ok(!help.stdout.includes('--node-cache [='), 'no space before the optional value');
      assert.match(help.stdout, /prefetch --remove/);
    } finally {
      await kube.close();
    }
  });
});
