// `modelrepo cluster-services` and `--via-cluster`, run as the bundled CLI in a child process with no S3
// keys and no endpoint in its environment: only a kubeconfig pointing at the fake API server
// (test/helpers/fakeKubeCluster.ts), whose MinIO Service leads by port-forward to the real S3 server.
// The keys come from the Secret; they must appear in no stdout, stderr or file under the run's HOME
// and working folder, MODELREPO_DEBUG=1 included.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleCli, run, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { minioCluster } from '../helpers/fakeKubeCluster';
import type { FakeCluster } from '../helpers/fakeKubeCluster';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3TestEnv } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
const env = s3TestEnv();
const oldNode = Number(process.versions.node.split('.')[0]) < 22;
const skip = !env ? 'no S3 server: run scripts/s3-server.sh and export S3_ENDPOINT + keys' : oldNode ? 'client-node needs Node 22' : false;

/** Every file under dir, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('modelrepo --via-cluster (port-forward through the fake API server to the real S3 server)', { skip }, () => {
  let cluster: FakeCluster;
  let work: string;
  let cliPath: string;
  let bucket: string;
  let kubeconfig: string;
  const runs: Run[] = [];

  const cli = async (args: readonly string[]): Promise<Run> => {
    const r = await run(process.execPath, [cliPath, ...args], {
      cwd: work,
      env: { ...withoutKeys(/^(AWS_|MC_HOST_|S3_ENDPOINT|MODELREPO_|KUBECONFIG)/), HOME: join(work, 'home'), KUBECONFIG: kubeconfig, MODELREPO_DEBUG: '1' },
    });
    runs.push(r);
    return r;
  };
  const via = ['--via-cluster', 'model-storage/minio'];

  before(async () => {
    if (!env) return;
    work = mkdtempSync(join(tmpdir(), 'mr-cli-cluster-'));
    mkdirSync(join(work, 'home'));
    cluster = await minioCluster(env);
    kubeconfig = cluster.kubeconfig(join(work, 'home'), 'model-storage');
    bucket = await createTestBucket(env, 'cli-cluster');
    cliPath = await bundleCli(ROOT, 'cluster');
  });
  after(async () => {
    await cluster?.close();
    await deleteTestBucket(env, bucket);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('cluster-services lists MinIO with the URL pods use and the Secret holding its keys', async () => {
    const r = await cli(['cluster-services']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /model-storage\/minio\s+9000\s+http:\/\/minio\.model-storage:9000\s+minio\n/);
    assert.match(r.stdout, /data\/rgw\s+7480\s+http:\/\/rgw\.data:7480/);
    const j = await cli(['cluster-services', '--json', '--namespace', 'model-storage']);
    assert.deepEqual((JSON.parse(j.stdout) as { services: { name: string; secrets: string[] }[] }).services.map((s) => [s.name, s.secrets]), [['minio', ['minio']]]);
  });

  it('uploads, lists and downloads through the forward with the keys of the Secret; bytes equal', async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 5);
    mkdirSync(join(work, 'in'));
    writeFileSync(join(work, 'in', 'model.gguf'), bytes);
    const up = await cli(['upload', `s3://${bucket}/team/llama@v1`, join(work, 'in', 'model.gguf'), '--tag', 'latest', ...via]);
    assert.equal(up.code, 0, show(up));
    const ls = await cli(['ls', `s3://${bucket}/team/llama`, ...via, '--cluster-secret', 'minio:rootUser,rootPassword']);
    assert.equal(ls.code, 0, show(ls));
    assert.match(ls.stdout, /v1/);
    const down = await cli(['download', `s3://${bucket}/team/llama:latest`, join(work, 'out'), ...via]);
    assert.equal(down.code, 0, show(down));
    assert.ok(readFileSync(join(work, 'out', 'model.gguf')).equals(bytes));
  });

  it('a manifest made through the forward points pods at the Service, not at the local port', async () => {
    const r = await cli(['manifest', `s3://${bucket}/team/llama:latest`, ...via]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /http:\/\/minio\.model-storage:9000/);
    assert.ok(!r.stdout.includes('127.0.0.1'), 'the forwarded port is in the manifest');
  });

  it('a Secret without S3 keys, a missing Service and a malformed flag fail with their exit codes', async () => {
    const tls = await cli(['ls', `s3://${bucket}/team`, ...via, '--cluster-secret', 'tls']);
    assert.equal(tls.code, 2, show(tls));
    assert.match(tls.stderr, /secret model-storage\/tls.*its keys: tls\.crt/);
    const missing = await cli(['ls', `s3://${bucket}/team`, '--via-cluster', 'model-storage/nope']);
    assert.equal(missing.code, 3, show(missing));
    assert.match(missing.stderr, /service model-storage\/nope/);
    const bad = await cli(['ls', `s3://${bucket}/team`, '--via-cluster', 'minio']);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /--via-cluster 'minio' is not <namespace>\/<service>/);
  });

  it('the keys read from the Secret appear in no output and no file of the run', () => {
    assert.ok(runs.length >= 5);
    for (const key of [env?.secretAccessKey ?? '', env?.accessKeyId ?? '']) {
      for (const r of runs) assert.ok(!r.stdout.includes(key) && !r.stderr.includes(key), 'a key in the output');
      for (const f of filesUnder(work)) assert.ok(!readFileSync(f).includes(key), `a key in ${f}`);
    }
  });
});
