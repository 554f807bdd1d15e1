// The CLI against remote servers that fail: a Kubernetes API server that is not there, or accepts and
// never answers (apply, the pod status of --wait, the init container's log), a kubeconfig with a
// syntax error next to a token, and a Hugging Face Hub that stalls before answering or in the middle
// of a file. Each must end with the documented exit code (2 or 6), name the server, and never print a
// token. The servers are loopback stand-ins (test/helpers/fakeKubeApi.ts, fakeHub.ts): no real cluster
// or Hub is exercised. The kube cases need Node 22 or newer (client-node).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStorage } from '../../src/core/openStorage';
import { Repository } from '../../src/core/repository';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { bundleCli, run, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { startFakeHub } from '../helpers/fakeHub';
import type { FakeHub } from '../helpers/fakeHub';
import { startFakeKube } from '../helpers/fakeKubeApi';
import type { FakeKube } from '../helpers/fakeKubeApi';
import { loadClientNode } from '../helpers/k8sChecks';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
const s3 = s3TestEnv();
const TRACE = /\n\s+at .+:\d+/;
let CLI = '';
let work = '';
let repo = '';
let bucket = '';

function cli(args: readonly string[], extra: Record<string, string> = {}): Promise<Run> {
  const keys = s3 ? { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region } : {};
  return run(process.execPath, [CLI, ...args], {
    cwd: work, env: { ...withoutKeys(/^(AWS_|MC_HOST_|S3_ENDPOINT|MODELREPO_|KUBECONFIG|HF_)/), HOME: join(work, 'home'), MODELREPO_CLUSTER_ENDPOINT: 'http://minio.model-storage:9000', ...keys, ...extra },
  });
}

const absent = (r: Run, secret: string): void => assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `the secret was printed\n${show(r)}`);

/** A port nothing listens on, and a server that accepts connections and never says a word. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  CLI = await bundleCli(ROOT, 'remote');
  work = mkdtempSync(join(tmpdir(), 'modelrepo-remote-'));
  mkdirSync(join(work, 'home'));
  repo = join(work, 'repo');
  writeFileSync(join(work, 'tiny.gguf'), Buffer.concat([Buffer.from('GGUF'), randomBytes(4000)]));
  const seed = async (r: Repository): Promise<void> => {
    await r.upload('tiny', '1.0.0', [join(work, 'tiny.gguf')]);
    await r.setTag('tiny', 'latest', '1.0.0', { expect: null });
  };
  await seed(new Repository(createFsStorage({ kind: 'fs', path: repo })));
  if (s3) {
    bucket = await createTestBucket(s3, 'cli-remote');
    const storage = await openStorage(s3Config(s3, bucket));
    try {
      await seed(new Repository(storage));
    } finally {
      storage.dispose?.();
    }
  }
});

after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(CLI, { force: true });
  await deleteTestBucket(s3, bucket);
});

describe('apply against a Kubernetes API server that fails', async () => {
  const k8s = await loadClientNode();
  const skip = typeof k8s === 'string' ? k8s : false;
  let kube: FakeKube;
  let hungStatus: FakeKube;
  let silent: Server;
  const sockets = new Set<Socket>();
  let kubeconfig = '';
  const FS_APPLY = (): string[] => ['apply', `${repo}/tiny:latest`, '--nfs-server', 'nfs.lan'];

  before(async () => {
    kube = await startFakeKube();
    hungStatus = await startFakeKube({ stall: (method, path) => method === 'GET' && /\/pods\/[^/]+\/status$/.test(path) });
    silent = createServer((s) => { sockets.add(s); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    kubeconfig = kube.kubeconfig(work);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent?.close(r));
    await kube?.close();
    await hungStatus?.close();
  });

  /** The kubeconfig of the loopback server, pointed at another server. */
  const pointedAt = (name: string, server: string): string => {
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, readFileSync(kubeconfig, 'utf8').replace(kube.url, server));
    return file;
  };

  it('a kubeconfig with a syntax error is exit 2 naming the file and line, never echoing its token', { skip }, async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.fake-token-that-must-never-be-printed-0042';
    const bad = join(work, 'broken.yaml');
    writeFileSync(bad, ['apiVersion: v1', 'clusters:', '- name: c', '  cluster:', `    server: ${kube.url}`, 'users:', '- name: dev', '  user:',
      `    token: ${token}`, '   client-key-data: [unclosed', 'contexts: []', ''].join('\n'));
    for (const debug of [{}, { MODELREPO_DEBUG: '1' }] as Record<string, string>[]) {
      const r = await cli([...FS_APPLY(), '--kubeconfig', bad], debug);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, new RegExp(`the kubeconfig ${bad.replace(/[.]/g, '\\.')} is not valid YAML at line 10, column \\d+`));
      absent(r, token);
      absent(r, 'fake-token');
      absent(r, 'unclosed');
    }
  });

  it('a closed port is exit 6 naming the API server', { skip }, async () => {
    const server = `http://127.0.0.1:${await deadPort()}`;
    const r = await cli([...FS_APPLY(), '--kubeconfig', pointedAt('dead', server)]);
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, new RegExp(`cannot reach the Kubernetes API server at ${server.replace(/[.]/g, '\\.')}`));
    assert.doesNotMatch(r.stderr, TRACE);
  });

  it('a server that accepts and never answers is exit 6 after connect + first-byte time, by flag or environment', { skip }, async () => {
    const server = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const hung = pointedAt('hung', server);
    const byFlag = await cli([...FS_APPLY(), '--kubeconfig', hung, '--connect-timeout', '0.5', '--timeout', '1']);
    assert.equal(byFlag.code, 6, show(byFlag));
    assert.match(byFlag.stderr, new RegExp(`the Kubernetes API server at ${server.replace(/[.]/g, '\\.')} did not answer within 1\\.5 s`));
    const byEnv = await cli([...FS_APPLY(), '--kubeconfig', hung], { MODELREPO_CONNECT_TIMEOUT: '0.5', MODELREPO_FIRST_BYTE_TIMEOUT: '0.5' });
    assert.equal(byEnv.code, 6, show(byEnv));
    assert.match(byEnv.stderr, /did not answer within 1 s/);
  });

  it('--wait: a pod status that never comes is exit 6 naming the server (the apply itself landed)', { skip }, async () => {
    const r = await cli([...FS_APPLY(), '--kubeconfig', hungStatus.kubeconfig(work), '--wait', '--connect-timeout', '0.5', '--timeout', '0.5'], { MODELREPO_POLL_MS: '100' });
    assert.equal(r.code, 6, show(r));
    assert.match(r.stdout, /^applied Pod ml\/tiny$/m);
    assert.match(r.stderr, new RegExp(`Cannot read the status of pod ml/tiny: the Kubernetes API server at ${hungStatus.url.replace(/[.]/g, '\\.')} did not answer`));
  });

  it('--wait: an init container log that never comes is exit 6, not a silent "no log"', { skip: skip || skipWithoutS3 }, async () => {
    const hungLog = await startFakeKube({ stall: (method, path) => method === 'GET' && path.endsWith('/log') });
    try {
      const r = await cli(['apply', `s3://${bucket}/tiny:latest`, '--endpoint', s3!.endpoint, '--kubeconfig', hungLog.kubeconfig(work), '--wait', '--connect-timeout', '0.5', '--timeout', '0.5'],
        { MODELREPO_POLL_MS: '100' });
      assert.equal(r.code, 6, show(r));
      assert.match(r.stderr, /Cannot read the log of fetch-model in pod ml\/tiny: the Kubernetes API server at .* did not answer/);
      absent(r, s3!.secretAccessKey);
    } finally {
      await hungLog.close();
    }
  });
});

describe('import from a Hub that stalls', () => {
  let hub: FakeHub;
  const TOKEN = 'hf_stallTestToken0123456789abcdef';
  const content = randomBytes(256 * 1024);
  before(async () => {
    hub = await startFakeHub([
      { id: 'org/silent', sha: 'c'.repeat(40), stallApi: true, files: [{ path: 'a.gguf', content }] },
      { id: 'org/stuck', sha: 'd'.repeat(40), files: [{ path: 'stuck.gguf', content, stallAfter: 64 * 1024 }] },
    ]);
  });
  after(async () => { await hub?.close(); });

  it('no answer to the first request: exit 6 naming the Hub endpoint, the token never printed', async () => {
    const r = await cli(['import', 'org/silent', `${repo}/silent`, '--hf-endpoint', hub.url, '--connect-timeout', '0.5', '--timeout', '1'],
      { HF_TOKEN: TOKEN, MODELREPO_DEBUG: '1' });
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, new RegExp(`^modelrepo: Cannot import org/silent: the Hub at ${hub.url.replace(/[.]/g, '\\.')} sent no answer within 1\\.5 s`, 'm'));
    absent(r, TOKEN);
  });

  it('a file that stops arriving: exit 6 after the stall time, naming the Hub and the file; nothing published', async () => {
    const r = await cli(['import', 'org/stuck', `${repo}/stuck`, '--hf-endpoint', hub.url], { HF_TOKEN: TOKEN, MODELREPO_STALL_TIMEOUT: '1' });
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, new RegExp(`the Hub at ${hub.url.replace(/[.]/g, '\\.')} sent no data for 1 s while stuck\\.gguf was downloading`));
    assert.match(r.stderr, /Nothing was published/);
    absent(r, TOKEN);
    const ls = await cli(['ls', `${repo}/stuck`, '--json']);
    assert.ok(ls.code === 3 || JSON.parse(ls.stdout).versions.every((v: { state: string }) => v.state !== 'complete'), show(ls));
  });

  it('an unreachable Hub: exit 6 naming the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await deadPort()}`;
    const r = await cli(['import', 'org/any', `${repo}/any`, '--hf-endpoint', endpoint], { HF_TOKEN: TOKEN });
    assert.equal(r.code, 6, show(r));
    assert.match(r.stderr, new RegExp(`cannot reach the Hub at ${endpoint.replace(/[.]/g, '\\.')}`));
    absent(r, TOKEN);
  });
});
