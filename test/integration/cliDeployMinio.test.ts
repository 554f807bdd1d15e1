// `modelrepo cluster deploy-minio` and the cluster endpoint, run as the built CLI in a child process.
// deploy-minio is a CONTRACT test against the loopback API server (test/helpers/fakeKubeApi.ts): what
// client-node sends (objects, server-side apply, the Secret's generated keys) is checked, and the keys
// must appear nowhere else: not on stdout or stderr, not in any file under the test's HOME or TMPDIR.
// Whether MinIO really starts, and the bucket Job really makes the bucket, needs a real cluster.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStorage } from '../../src/core/openStorage';
import { Repository } from '../../src/core/repository';
import { PLACEHOLDER } from '../../src/core/manifests/manifestInput';
import { startFakeKube } from '../helpers/fakeKubeApi';
import type { FakeKube } from '../helpers/fakeKubeApi';
import { bundleCli, run, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { offlineProblems } from '../helpers/manifestFixtures';
import { parseManifests } from '../helpers/k8sChecks';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = resolve(__dirname, '../../..');
const env = s3TestEnv();
let CLI = '';
let work = '';

function cli(args: readonly string[], extra: Record<string, string> = {}): Promise<Run> {
  const base = withoutKeys(/^(AWS_|MC_HOST_|S3_ENDPOINT|MODELREPO_|KUBECONFIG)/);
  return run(process.execPath, [CLI, ...args], {
    cwd: work, env: { ...base, HOME: join(work, 'home'), TMPDIR: join(work, 'tmp'), MODELREPO_POLL_MS: '10', ...extra },
  });
}

/** Files under `dir` whose bytes contain any of `needles`. */
function filesHolding(dir: string, needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...filesHolding(p, needles));
    else if (e.isFile() && statSync(p).size < 5_000_000) {
      const text = readFileSync(p, 'latin1');
      if (needles.some((n) => text.includes(n))) found.push(p);
    }
  }
  return found;
}

before(async () => {
  CLI = await bundleCli(ROOT, 'cluster');
  work = mkdtempSync(join(tmpdir(), 'modelrepo-cluster-'));
  mkdirSync(join(work, 'home'));
  mkdirSync(join(work, 'tmp'));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (CLI) rmSync(CLI, { force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

describe('cluster deploy-minio against a loopback API server', () => {
  let kube: FakeKube;
  let kubeconfig = '';
  before(async () => {
    kube = await startFakeKube();
    kubeconfig = kube.kubeconfig(join(work, 'home'));
  });
  after(async () => { await kube?.close(); });

  let keys: { user: string; password: string };
  it('applies Namespace, Secret, PVC, Deployment, Service and Job by server-side apply, and waits for them', async () => {
    const r = await cli(['cluster', 'deploy-minio', '--kubeconfig', kubeconfig, '--storage-class', 'fast-ssd']);
    assert.equal(r.code, 0, show(r));
    const patches = kube.patches();
    assert.deepEqual(patches.map((p) => p.path), [
      '/api/v1/namespaces/model-storage', '/api/v1/namespaces/model-storage/secrets/minio',
      '/api/v1/namespaces/model-storage/persistentvolumeclaims/minio', '/apis/apps/v1/namespaces/model-storage/deployments/minio',
      '/api/v1/namespaces/model-storage/services/minio', '/apis/batch/v1/namespaces/model-storage/jobs/minio-make-bucket',
    ]);
    assert.ok(kube.requests.filter((q) => q.method === 'PATCH').every((q) => q.query.get('fieldManager') === 'modelrepo' && q.contentType === 'application/apply-patch+yaml'));
    const data = patches[1].body.data as Record<string, string>;
    keys = { user: unb64(data.rootUser), password: unb64(data.rootPassword) };
    assert.match(keys.password, /^[A-Za-z0-9]{40}$/);
    assert.equal(unb64(data.secretkey), keys.password);
    assert.equal(patches[2].body.spec.storageClassName, 'fast-ssd');
    assert.equal(patches[2].body.spec.resources.requests.storage, '500Gi');
    assert.deepEqual(offlineProblems(patches.map((p) => p.body as Obj)), []);
    assert.match(r.stdout, /^made new root keys in Secret model-storage\/minio \(not shown\)$/m);
    assert.match(r.stdout, /^Deployment minio: 1\/1 available$/m);
    assert.match(r.stdout, /^Job minio-make-bucket: complete$/m);
    assert.match(r.stdout, /--cluster-endpoint http:\/\/minio\.model-storage:9000/);
  });

  it('never shows or writes the generated keys: not on stdout/stderr, not in a file under HOME or TMPDIR', () => {
    const needles = [keys.user, keys.password, b64(keys.password), b64(keys.user)];
    const outputs = kube.requests.filter((q) => q.method !== 'PATCH').map((q) => q.body).join('');
    assert.ok(!needles.some((n) => outputs.includes(n)), 'only the Secret PATCH carries the keys');
    assert.deepEqual(filesHolding(work, needles), []);
  });

  it('run again: the existing Secret keeps its keys (it is read, not applied), the rest is applied again', async () => {
    kube.requests.length = 0;
    const r = await cli(['cluster', 'deploy-minio', '--kubeconfig', kubeconfig, '--json']);
    assert.equal(r.code, 0, show(r));
    assert.ok(kube.requests.some((q) => q.method === 'GET' && q.path === '/api/v1/namespaces/model-storage/secrets/minio'));
    assert.ok(!kube.patches().some((p) => p.path.includes('/secrets/')), 'the Secret is not rotated');
    const doc = JSON.parse(r.stdout) as { newKeys: boolean; ready: boolean; endpoint: string };
    assert.deepEqual([doc.newKeys, doc.ready, doc.endpoint], [false, true, 'http://minio.model-storage:9000']);
    for (const n of [keys.password, b64(keys.password)]) assert.ok(!`${r.stdout}${r.stderr}`.includes(n), 'a key in the output');
  });

  it('a failed bucket Job ends the wait with exit 9 and says what was seen', async () => {
    const failing = await startFakeKube({ status: (kind) => (kind === 'Job' ? { failed: 5, conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] } : undefined) });
    try {
      const r = await cli(['cluster', 'deploy-minio', '--namespace', 'storage', '--kubeconfig', failing.kubeconfig(join(work, 'home'))]);
      assert.equal(r.code, 9, show(r));
      assert.match(r.stderr, /Cannot deploy MinIO to namespace storage: Job minio-make-bucket: failed \(BackoffLimitExceeded\)/);
    } finally {
      await failing.close();
    }
  });

  it('a Deployment that never becomes available ends the wait at --wait-timeout with exit 9', async () => {
    const slow = await startFakeKube({ status: (kind) => (kind === 'Deployment' ? { replicas: 1, availableReplicas: 0 } : undefined) });
    try {
      const r = await cli(['cluster', 'deploy-minio', '--wait-timeout', '1', '--kubeconfig', slow.kubeconfig(join(work, 'home'))]);
      assert.equal(r.code, 9, show(r));
      assert.match(r.stderr, /not ready within 1 s: Deployment minio: 0\/1 available; Job minio-make-bucket: complete/);
    } finally {
      await slow.close();
    }
  });
});

describe('cluster deploy-minio --dry-run', () => {
  it('prints the YAML with placeholder keys and needs no cluster', async () => {
    const r = await cli(['cluster', 'deploy-minio', '--dry-run', '--size', '20Gi'], { KUBECONFIG: join(work, 'no-such-kubeconfig') });
    assert.equal(r.code, 0, show(r));
    const objs = parseManifests(r.stdout);
    assert.deepEqual(objs.map((o) => o.kind), ['Namespace', 'Secret', 'PersistentVolumeClaim', 'Deployment', 'Service', 'Job']);
    assert.deepEqual(Object.values(objs[1].data as Record<string, string>).map(unb64), [PLACEHOLDER, PLACEHOLDER, PLACEHOLDER, PLACEHOLDER]);
    assert.equal(objs[2].spec.resources.requests.storage, '20Gi');
    assert.match(r.stderr, /placeholder keys/);
  });

  it('refuses an unknown task and a bad size with exit 2', async () => {
    assert.equal((await cli(['cluster', 'deploy-mysql'])).code, 2);
    const r = await cli(['cluster', 'deploy-minio', '--dry-run', '--size', 'lots']);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /'lots' is not a storage size/);
  });
});

describe('the cluster endpoint on the command line', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  before(async () => {
    bucket = await createTestBucket(env!, 'cli-cluster');
    const file = join(work, 'tiny.gguf');
    writeFileSync(file, Buffer.from('GGUF tiny model'));
    const repo = new Repository(await openStorage(s3Config(env!, bucket)));
    await repo.upload('tiny', '2024-03-20', [file]);
    await repo.setTag('tiny', 'latest', '2024-03-20/tiny.gguf', { expect: null });
  });
  after(async () => { await deleteTestBucket(env, bucket); });

  const keys = (): Record<string, string> => ({ AWS_ACCESS_KEY_ID: env!.accessKeyId, AWS_SECRET_ACCESS_KEY: env!.secretAccessKey, AWS_REGION: env!.region });
  const ref = (): string => `s3://${bucket}/tiny:latest`;

  it('refuses a manifest that would send pods to the loopback S3 server, exit 2, naming the way out', async () => {
    const r = await cli(['manifest', ref(), '--endpoint', env!.endpoint], keys());
    assert.equal(r.code, 2, show(r));
    assert.equal(r.stdout, '', 'no YAML');
    assert.match(r.stderr, new RegExp(`Cannot build the manifest for ${ref().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the pods would reach S3 at ${env!.endpoint.replace(/[.]/g, '\\.')}, the developer's own machine\\. Set the connection's cluster endpoint \\(--cluster-endpoint http://minio\\.model-storage:9000`));
    const applied = await cli(['apply', ref(), '--endpoint', env!.endpoint, '--kubeconfig', join(work, 'none')], keys());
    assert.equal(applied.code, 2, show(applied));
  });

  it('--cluster-endpoint (or MODELREPO_CLUSTER_ENDPOINT) goes into the manifest instead', async () => {
    for (const [args, extra] of [[['--cluster-endpoint', 'http://minio.model-storage:9000'], {}], [[], { MODELREPO_CLUSTER_ENDPOINT: 'http://minio.model-storage:9000' }]] as const) {
      const r = await cli(['manifest', ref(), '--endpoint', env!.endpoint, ...args], { ...keys(), ...extra });
      assert.equal(r.code, 0, show(r));
      assert.ok(r.stdout.includes("--endpoint-url 'http://minio.model-storage:9000'"), r.stdout);
      assert.ok(!r.stdout.includes(env!.endpoint), 'the loopback endpoint is not in the YAML');
    }
    const bad = await cli(['manifest', ref(), '--endpoint', env!.endpoint, '--cluster-endpoint', 'minio:9000'], keys());
    assert.equal(bad.code, 2, show(bad));
  });
});
