// `modelrepo verify-pod`, run as the built CLI against the loopback API server, which now plays exec
// over WebSocket (v4.channel.k8s.io) and the pod proxy (test/helpers/fakeKubePods.ts). The pod is the
// one `modelrepo apply` made for a model in the real S3 server; the fake "container" answers sha256sum
// and stat as the test says, so a match, a mismatch, a failing command and an unhealthy server are
// each seen. Whether the real images carry sha256sum/stat, and a real kubelet's exec, need a real cluster.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStorage } from '../../src/core/openStorage';
import { Repository } from '../../src/core/repository';
import { startFakeKube } from '../helpers/fakeKubeApi';
import type { FakeKube } from '../helpers/fakeKubeApi';
import type { FakeExec, FakeProxy } from '../helpers/fakeKubePods';
import { bundleCli, run, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
const env = s3TestEnv();
const BODY = Buffer.from('GGUF a tiny model for verify-pod');
const SHA = createHash('sha256').update(BODY).digest('hex');
let CLI = '';
let work = '';
let bucket = '';
let kube: FakeKube;
let kubeconfig = '';
// What the fake container answers; each test sets its own.
let container: { sha: string; size: number; failHash?: boolean } = { sha: SHA, size: BODY.length };
let proxy: FakeProxy = { status: 200, body: '{"status":"ok"}' };

function exec(_pod: string, _c: string, command: readonly string[]): FakeExec {
  if (command[0] === 'sha256sum') return container.failHash ? { stderr: `sha256sum: ${command[1]}: No such file or directory\n`, exitCode: 1 } : { stdout: `${container.sha}  ${command[1]}\n`, exitCode: 0 };
  if (command[0] === 'stat') return { stdout: `${container.size}\n`, exitCode: 0 };
  return { stderr: 'not found\n', exitCode: 127 };
}

function cli(args: readonly string[]): Promise<Run> {
  const base = withoutKeys(/^(AWS_|MC_HOST_|S3_ENDPOINT|MODELREPO_|KUBECONFIG)/);
  const keys = { AWS_ACCESS_KEY_ID: env!.accessKeyId, AWS_SECRET_ACCESS_KEY: env!.secretAccessKey, AWS_REGION: env!.region, AWS_ENDPOINT_URL: env!.endpoint };
  return run(process.execPath, [CLI, ...args], { cwd: work, env: { ...base, HOME: join(work, 'home'), ...keys } });
}

describe('verify-pod against a loopback API server', { skip: skipWithoutS3 }, () => {
  before(async () => {
    CLI = await bundleCli(ROOT, 'verify-pod');
    work = mkdtempSync(join(tmpdir(), 'modelrepo-verify-'));
    mkdirSync(join(work, 'home'));
    bucket = await createTestBucket(env!, 'verify-pod');
    writeFileSync(join(work, 'tiny.gguf'), BODY);
    const repo = new Repository(await openStorage(s3Config(env!, bucket)));
    await repo.upload('tiny', '2024-03-20', [join(work, 'tiny.gguf')]);
    await repo.setTag('tiny', 'latest', '2024-03-20/tiny.gguf', { expect: null });
    kube = await startFakeKube({ exec, proxy: () => proxy });
    kubeconfig = kube.kubeconfig(join(work, 'home'));
    const applied = await cli(['apply', `s3://${bucket}/tiny:latest`, '--cluster-endpoint', 'http://minio.model-storage:9000', '--kubeconfig', kubeconfig]);
    assert.equal(applied.code, 0, show(applied));
  });

  after(async () => {
    await kube?.close();
    await deleteTestBucket(env, bucket);
    if (work) rmSync(work, { recursive: true, force: true });
    if (CLI) rmSync(CLI, { force: true });
  });

  it("hashes the file in the serving container by exec and matches the repository's record; the health path answers", async () => {
    kube.requests.length = 0;
    const r = await cli(['verify-pod', 'tiny', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`^file /models/tiny\\.gguf in container llama-server: sha256 ${SHA}, ${BODY.length} bytes$`, 'm'));
    assert.match(r.stdout, new RegExp(`^recorded \\(repository\\): sha256 ${SHA}, ${BODY.length} bytes$`, 'm'));
    assert.match(r.stdout, /^file: MATCHES the record$/m);
    assert.match(r.stdout, /^health: GET \/health on port 8080 answered/m);
    const execs = kube.requests.filter((q) => q.path === '/api/v1/namespaces/ml/pods/tiny/exec');
    assert.deepEqual(execs.map((q) => q.query.getAll('command')), [['sha256sum', '/models/tiny.gguf'], ['stat', '-L', '-c', '%s', '/models/tiny.gguf']]);
    assert.ok(execs.every((q) => q.query.get('container') === 'llama-server'));
    assert.ok(kube.requests.some((q) => decodeURIComponent(q.path) === '/api/v1/namespaces/ml/pods/tiny:8080/proxy/health'), 'health through the pod proxy');
  });

  it('a file whose sha256 differs is exit 7, with both digests', async () => {
    container = { sha: 'a'.repeat(64), size: BODY.length };
    try {
      const r = await cli(['verify-pod', 'tiny', '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 7, show(r));
      assert.match(r.stdout, /^file: DOES NOT MATCH the record$/m);
      assert.match(r.stderr, new RegExp(`has sha256 a{64}, ${BODY.length} bytes; the record says ${SHA}`));
    } finally {
      container = { sha: SHA, size: BODY.length };
    }
  });

  it('--no-repository compares with the annotations the pod carries', async () => {
    const r = await cli(['verify-pod', 'tiny', '--kubeconfig', kubeconfig, '--no-repository', '--json']);
    assert.equal(r.code, 0, show(r));
    const doc = JSON.parse(r.stdout) as { recorded: { from: string; sha256: string }; fileOutcome: string };
    assert.deepEqual([doc.recorded.from, doc.recorded.sha256, doc.fileOutcome], ['annotations', SHA, 'match']);
  });

  it('a failing sha256sum, or an unhealthy server, is exit 9 naming what went wrong', async () => {
    container = { sha: SHA, size: BODY.length, failHash: true };
    try {
      const r = await cli(['verify-pod', 'tiny', '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 9, show(r));
      assert.match(r.stderr, /file not checked: sha256sum \/models\/tiny\.gguf failed in container llama-server \(exit 1\): sha256sum: \/models\/tiny\.gguf: No such file or directory/);
    } finally {
      container = { sha: SHA, size: BODY.length };
    }
    proxy = { status: 503, body: '{"error":"loading model"}' };
    try {
      const r = await cli(['verify-pod', 'tiny', '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 9, show(r));
      assert.match(r.stdout, /^file: MATCHES the record$/m);
      assert.match(r.stderr, /server not healthy: .*503/);
    } finally {
      proxy = { status: 200, body: '{"status":"ok"}' };
    }
  });

  it('a pod that is not there is exit 3', async () => {
    const r = await cli(['verify-pod', 'no-such-pod', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 3, show(r));
  });
});
