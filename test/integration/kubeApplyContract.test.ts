// CONTRACT tests of the apply path (src/core/kube): no Kubernetes API server can run on these machines,
// so a loopback HTTP server written here plays one and records every request. What is tested is the
// contract: the requests client-node sends for server-side apply (PATCH to the object's path with
// fieldManager + force, content type application/apply-patch+yaml, the object as body), the Pod status
// and log endpoints, and how failures are reported (connection refused, 401/403, 422, a server that
// never answers). A real cluster is not exercised. Kubeconfig: a temp file pointing at the loopback server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyWithClient, fetchSummary, formatPodStatus, initContainerLog, listPods, podStatus } from '../../src/core/kube/apply';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import { isRepoError } from '../../src/core/errors';
import { limitConnect } from '../../src/core/kube/kubeHttp';
import { loadClientNode } from '../helpers/k8sChecks';
import { KEYS, s3Input } from '../helpers/manifestFixtures';

interface Seen { method: string; path: string; query: URLSearchParams; contentType?: string; auth?: string; body: string }

const TOKEN = 'contract-token-1234';
const RESOURCES: Record<string, { name: string; kind: string }[]> = {
  '/api/v1': [{ name: 'secrets', kind: 'Secret' }, { name: 'serviceaccounts', kind: 'ServiceAccount' }, { name: 'services', kind: 'Service' }, { name: 'pods', kind: 'Pod' }],
  '/apis/apps/v1': [{ name: 'deployments', kind: 'Deployment' }],
  '/apis/serving.kserve.io/v1beta1': [{ name: 'inferenceservices', kind: 'InferenceService' }],
};
const LOG = 'modelrepo: latest -> v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf\n'
  + `modelrepo: /models/2024-03-20/llama-3-8b.Q5_K_M.gguf arrived, sha256 ok (${'f'.repeat(64)})\n`
  + 'modelrepo: llama-3-8b:latest is 2024-03-20/llama-3-8b.Q5_K_M.gguf: 1 file(s) in /models/2024-03-20, served as /models/modelrepo-current.gguf\n';
const POD_STATUS = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'llama-3-8b', namespace: 'ml' },
  status: {
    phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }],
    initContainerStatuses: [{ name: 'fetch-model', ready: true, restartCount: 0, image: 'a', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    containerStatuses: [{ name: 'llama-server', ready: true, restartCount: 1, image: 'b', imageID: '', state: { running: { startedAt: '2024-03-20T10:00:00Z' } } }],
  },
};

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

/** The fake API server's answers: discovery, apply (echo), pod status, log and list; errors on cue. */
function answer(req: IncomingMessage, body: string, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
  if (req.method === 'GET' && RESOURCES[url.pathname]) {
    return json(res, 200, { kind: 'APIResourceList', groupVersion: url.pathname.replace(/^\/apis?\//, ''), resources: RESOURCES[url.pathname].map((r) => ({ ...r, namespaced: true, singularName: '', verbs: ['patch', 'get'] })) });
  }
  if (url.pathname.startsWith('/api/v1/namespaces/locked/')) return json(res, 403, status(403, 'Forbidden', 'secrets is forbidden: User "dev" cannot patch resource "secrets" in the namespace "locked"'));
  if (req.method === 'PATCH') {
    const obj = JSON.parse(body) as { metadata: { name: string }; data?: Record<string, string> };
    if (obj.metadata.name === 'rejected') {
      // A server that echoes a value back in its message: the key must still not reach ours.
      const value = Buffer.from(obj.data?.AWS_SECRET_ACCESS_KEY ?? '', 'base64').toString();
      return json(res, 422, status(422, 'Invalid', `Secret "rejected" is invalid: data[AWS_SECRET_ACCESS_KEY]: Invalid value: "${value}"`));
    }
    return json(res, 200, obj);
  }
  if (req.method === 'GET' && url.pathname === '/api/v1/namespaces/ml/pods/llama-3-8b/status') return json(res, 200, POD_STATUS);
  if (req.method === 'GET' && url.pathname === '/api/v1/namespaces/ml/pods/llama-3-8b/log') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return void res.end(LOG);
  }
  if (req.method === 'GET' && url.pathname === '/api/v1/namespaces/ml/pods') {
    return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'llama-3-8b-7d9f-abcde' } }] });
  }
  return json(res, 404, status(404, 'NotFound', `${url.pathname} not found`));
}

async function kubeconfig(dir: string, name: string, server: string, token = TOKEN): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: contract',
    'clusters:', '- name: loopback', '  cluster:', `    server: ${server}`, '    insecure-skip-tls-verify: true',
    'users:', '- name: dev', '  user:', `    token: ${token}`,
    'contexts:', '- name: contract', '  context:', '    cluster: loopback', '    user: dev', '    namespace: ml', '',
  ].join('\n'));
  return file;
}

describe('CONTRACT: apply and pod status against a loopback API server', async () => {
  const k8s = await loadClientNode();
  const skip = typeof k8s === 'string' ? k8s : false;
  const seen: Seen[] = [];
  let server: Server;
  let silent: ReturnType<typeof createTcpServer>;
  const sockets = new Set<Socket>();
  let dir: string;
  let good: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-contract-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], auth: req.headers.authorization, body });
        answer(req, body, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // Accepts connections and never answers.
    silent = createTcpServer((s) => { sockets.add(s); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (s: { address(): unknown }): number => (s.address() as { port: number }).port;
    good = await kubeconfig(dir, 'good', `http://127.0.0.1:${port(server)}`);
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent?.close(r));
    await new Promise((r) => server?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('CONTRACT: server-side applies the Secret, ServiceAccount and InferenceService with PATCH, fieldManager + force, apply-patch+yaml', { skip }, async () => {
    seen.length = 0;
    const objects = buildManifests({ ...s3Input, kind: 'kserve' });
    const applied = await applyWithClient(objects, { kubeconfig: good });
    assert.deepEqual(applied.map((a) => `${a.kind} ${a.namespace}/${a.name}`), ['Secret ml/modelrepo-s3', 'ServiceAccount ml/modelrepo-s3', 'InferenceService ml/llama-3-8b']);
    const patches = seen.filter((r) => r.method === 'PATCH');
    assert.deepEqual(patches.map((r) => r.path), [
      '/api/v1/namespaces/ml/secrets/modelrepo-s3',
      '/api/v1/namespaces/ml/serviceaccounts/modelrepo-s3',
      '/apis/serving.kserve.io/v1beta1/namespaces/ml/inferenceservices/llama-3-8b',
    ]);
    for (const r of patches) {
      assert.equal(r.query.get('fieldManager'), 'modelrepo');
      assert.equal(r.query.get('force'), 'true');
      assert.equal(r.contentType, 'application/apply-patch+yaml');
      assert.equal(r.auth, `Bearer ${TOKEN}`);
    }
    const secret = JSON.parse(patches[0].body);
    assert.deepEqual(Object.keys(secret).sort(), ['apiVersion', 'data', 'kind', 'metadata', 'type']);
    assert.deepEqual(secret.data, {
      AWS_ACCESS_KEY_ID: Buffer.from(KEYS.accessKeyId).toString('base64'), AWS_SECRET_ACCESS_KEY: Buffer.from(KEYS.secretAccessKey).toString('base64'),
    });
    assert.equal(secret.metadata.annotations['serving.kserve.io/s3-endpoint'], 'minio.minio.svc:9000');
    // The custom resource goes out whole (client-node has no type for it, so nothing may be dropped).
    assert.deepEqual(JSON.parse(patches[2].body), JSON.parse(JSON.stringify(objects[2])));
  });

  it('CONTRACT: objects without a namespace go to the context\'s namespace; a Deployment to apps/v1', { skip }, async () => {
    seen.length = 0;
    await applyWithClient(buildManifests({ ...s3Input, namespace: undefined, kind: 'deployment' }), { kubeconfig: good });
    assert.deepEqual(seen.filter((r) => r.method === 'PATCH').map((r) => r.path), [
      '/api/v1/namespaces/ml/secrets/modelrepo-s3', '/apis/apps/v1/namespaces/ml/deployments/llama-3-8b', '/api/v1/namespaces/ml/services/llama-3-8b',
    ]);
  });

  it('CONTRACT: reads the pod status, the init container log and a Deployment\'s pods', { skip }, async () => {
    seen.length = 0;
    const st = await podStatus('llama-3-8b', 'ml', { kubeconfig: good });
    assert.deepEqual(st, {
      name: 'llama-3-8b', namespace: 'ml', phase: 'Running', ready: true,
      initContainers: [{ name: 'fetch-model', ready: true, restarts: 0, state: 'terminated', reason: 'Completed', exitCode: 0 }],
      containers: [{ name: 'llama-server', ready: true, restarts: 1, state: 'running' }],
    });
    assert.equal(formatPodStatus(st), 'Running, ready; fetch-model: terminated (Completed, exit 0); llama-server: running, 1 restarts');
    const log = await initContainerLog('llama-3-8b', undefined, { kubeconfig: good, tailLines: 50 });
    assert.equal(log, LOG);
    assert.deepEqual(fetchSummary(log), { ok: true, lines: LOG.trim().split('\n') });
    assert.deepEqual(await listPods('app.kubernetes.io/instance=llama-3-8b', 'ml', { kubeconfig: good }), ['llama-3-8b-7d9f-abcde']);
    assert.deepEqual(seen.map((r) => `${r.method} ${r.path}`), [
      'GET /api/v1/namespaces/ml/pods/llama-3-8b/status', 'GET /api/v1/namespaces/ml/pods/llama-3-8b/log', 'GET /api/v1/namespaces/ml/pods',
    ]);
    assert.equal(seen[1].query.get('container'), 'fetch-model');
    assert.equal(seen[1].query.get('tailLines'), '50');
    assert.equal(seen[2].query.get('labelSelector'), 'app.kubernetes.io/instance=llama-3-8b');
  });

  it('CONTRACT: 422 gives the Status message (keys redacted), 401 and 403 give Auth errors', { skip }, async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'rejected' }, data: { AWS_SECRET_ACCESS_KEY: Buffer.from('s3cr3t-value-42').toString('base64') } };
    await assert.rejects(applyWithClient([secret], { kubeconfig: good }), (e) => isRepoError(e, 'Config')
      && /^Cannot apply Secret rejected: the API server refused it \(422\): Secret "rejected" is invalid: data\[AWS_SECRET_ACCESS_KEY\]: Invalid value: "\*\*\*"$/.test((e as Error).message));
    const bad = await kubeconfig(dir, 'bad', `http://127.0.0.1:${(server.address() as { port: number }).port}`, 'wrong-token');
    await assert.rejects(podStatus('llama-3-8b', 'ml', { kubeconfig: bad }), (e) => isRepoError(e, 'Auth') && /did not accept the credentials of context 'contract' \(401\)/.test((e as Error).message));
    await assert.rejects(applyWithClient([{ ...secret, metadata: { name: 'x', namespace: 'locked' } }], { kubeconfig: good }),
      (e) => isRepoError(e, 'Auth') && /forbidden \(403\): secrets is forbidden/.test((e as Error).message));
  });

  it('CONTRACT: a dead port is a Network error naming the API server', { skip }, async () => {
    const closed = createTcpServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const dead = await kubeconfig(dir, 'dead', `http://127.0.0.1:${port}`);
    await assert.rejects(applyWithClient(buildManifests(s3Input), { kubeconfig: dead }),
      (e) => isRepoError(e, 'Network') && new RegExp(`cannot reach the Kubernetes API server at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`).test((e as Error).message));
  });

  it('CONTRACT: a server that accepts but never answers is cut off by the timeout, and a cancel is Aborted', { skip }, async () => {
    const hung = await kubeconfig(dir, 'hung', `http://127.0.0.1:${(silent.address() as { port: number }).port}`);
    await assert.rejects(podStatus('llama-3-8b', 'ml', { kubeconfig: hung, timeoutMs: 300 }),
      (e) => isRepoError(e, 'Network') && /did not answer within 0\.3 s/.test((e as Error).message));
    const ctl = new AbortController();
    const pending = applyWithClient(buildManifests(s3Input), { kubeconfig: hung, signal: ctl.signal });
    ctl.abort();
    await assert.rejects(pending, (e) => isRepoError(e, 'Aborted'));
  });

  it('CONTRACT: every read path (status, pod list, log) gives up after connect + first byte, naming the server', { skip }, async () => {
    const server = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const hung = await kubeconfig(dir, 'hung-reads', server);
    const opts = { kubeconfig: hung, timeouts: { connectMs: 200, firstByteMs: 300 } };
    const calls: [string, () => Promise<unknown>][] = [
      ['status', () => podStatus('llama-3-8b', 'ml', opts)],
      ['pod list', () => listPods('app=x', 'ml', opts)],
      ['log', () => initContainerLog('llama-3-8b', 'ml', opts)],
    ];
    for (const [what, call] of calls) {
      await assert.rejects(call(), (e) => isRepoError(e, 'Network') && (e as Error).message.includes(`the Kubernetes API server at ${server} did not answer within 0.5 s`), what);
    }
  });

  it('CONTRACT: the connect deadline reaches the dispatcher client-node builds, with or without TLS options', { skip }, async () => {
    const m = k8s as unknown as { KubeConfig: new () => { loadFromFile(f: string): void; getCurrentCluster(): unknown;
      createDispatcherOptions(c: unknown, o: object): { type: string; connect?: { timeout?: number; keepAlive?: boolean } } } };
    const kc = new m.KubeConfig();
    kc.loadFromFile(good);
    limitConnect(kc as never, 1234);
    const cluster = kc.getCurrentCluster() as Record<string, unknown>;
    const withTls = kc.createDispatcherOptions(cluster, { rejectUnauthorized: false });
    assert.equal(withTls.type, 'agent');
    assert.deepEqual([withTls.connect?.timeout, withTls.connect?.keepAlive], [1234, true]);
    const plain = kc.createDispatcherOptions({ ...cluster, server: 'https://k8s.example:6443', skipTLSVerify: false }, {});
    assert.deepEqual(plain, { type: 'agent', connect: { timeout: 1234 } });
  });

  it('CONTRACT: a kubeconfig that is not YAML is Config naming the file and line, quoting none of it', { skip }, async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, ['users:', '- name: dev', '  user:', '    token: tok-9f8e7d6c5b4a', '   password: [', ''].join('\n'));
    await assert.rejects(podStatus('x', 'ml', { kubeconfig: file }), (e) => {
      const m = (e as Error).message;
      return isRepoError(e, 'Config') && m.includes(`the kubeconfig ${file} is not valid YAML at line 5`) && !m.includes('tok-9f8e7d6c5b4a')
        && (e as Error).cause === undefined;
    });
  });

  it('on Node < 22 says to use kubectl instead of failing obscurely', { skip: skip ? false : `this is Node ${process.versions.node}` }, async () => {
    await assert.rejects(applyWithClient(buildManifests(s3Input), { kubeconfig: good }),
      (e) => isRepoError(e, 'Config') && /needs Node 22 or newer .*use kubectl apply instead/.test((e as Error).message));
  });

  it('refuses a context the kubeconfig does not have, before any request', { skip }, async () => {
    seen.length = 0;
    await assert.rejects(podStatus('x', 'ml', { kubeconfig: good, context: 'prod' }), (e) => isRepoError(e, 'Config') && /has no context 'prod'/.test((e as Error).message));
    assert.equal(seen.length, 0);
  });
});
