// A loopback HTTP server that plays the few Kubernetes API endpoints the apply path uses (no API server
// can run on these machines): discovery, server-side apply PATCH (echoes the object), the pods of a
// label selector, a pod's status and a container's log. It records every request so a CONTRACT test can
// check what client-node sent (the Secret's keys included) and what the caller printed. Pods: each
// applied Pod, one pod `<instance>-7d9f-abcde` per Deployment (found by its selector) and `<name>-<node>`
// per DaemonSet for each of `nodes` (default node-a, node-b; with their nodeName); their status
// and log come from the `pods` option (default: Running, the copy init container done, sha256 ok).
// `stall` picks requests the server accepts and never answers (a hung API server, or one path of it).
// Every applied object is kept and answered to a GET of its path: a Deployment as available, a Job as
// complete, unless `status` says otherwise (what `cluster deploy-minio` waits for); listed by label
// selector (GET of the collection), and removed by DELETE (a DaemonSet with its pods).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { answerExec, answerProxy } from './fakeKubePods';
import type { PodEndpoints } from './fakeKubePods';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType?: string;
  readonly auth?: string;
  readonly body: string;
}

export interface FakePod {
  readonly phase?: string;
  /** The init container's exit code; undefined = still running. */
  readonly initExit?: number;
  readonly initName?: string;
  readonly log?: string;
}

export interface FakeKube {
  readonly url: string;
  readonly token: string;
  readonly requests: SeenRequest[];
  /** The bodies of the PATCH requests, parsed, in order. */
  patches(): { path: string; body: Record<string, any> }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Writes a kubeconfig for this server (context `loopback`, namespace `ns`) and returns its path. */
  kubeconfig(dir: string, ns?: string): string;
  close(): Promise<void>;
}

const RESOURCES: Record<string, { name: string; kind: string }[]> = {
  '/api/v1': [{ name: 'namespaces', kind: 'Namespace' }, { name: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim' }, { name: 'secrets', kind: 'Secret' }, { name: 'serviceaccounts', kind: 'ServiceAccount' }, { name: 'services', kind: 'Service' }, { name: 'pods', kind: 'Pod' }],
  '/apis/apps/v1': [{ name: 'deployments', kind: 'Deployment' }, { name: 'daemonsets', kind: 'DaemonSet' }],
  '/apis/batch/v1': [{ name: 'jobs', kind: 'Job' }],
  '/apis/serving.kserve.io/v1beta1': [{ name: 'inferenceservices', kind: 'InferenceService' }],
};

/** The log modelrepo's copy script writes when all went well. */
export function goodCopyLog(file: string, sha: string): string {
  return [`modelrepo: fetching 1 file(s), 4.0 KiB, of m@v from http://s3`, `modelrepo: copying s3://b/${file} (4096 bytes)`,
    `modelrepo: /models/${file} arrived, sha256 ok (${sha})`, `modelrepo: all 1 file(s) of m@v arrived in /models`, ''].join('\n');
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
/** Whether labels satisfy the request's `labelSelector` (k=v pairs only). */
function selects(url: URL, labels: Record<string, string>): boolean {
  return (url.searchParams.get('labelSelector') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')).every(([k, v]) => labels[k] === v);
}
const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

export interface FakeKubeOptions extends PodEndpoints {
  readonly pods?: (name: string) => FakePod | undefined;
  readonly token?: string;
  /** Requests to leave unanswered (method, path); the connection stays open until close(). */
  readonly stall?: (method: string, path: string) => boolean;
  /** More endpoints (fakeKubeCluster.ts), tried first after the token check; true when answered. */
  readonly routes?: (method: string, url: URL, res: ServerResponse) => boolean;
  /** WebSocket upgrades (port-forward); the server is told after the token check. */
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Told of every object applied (server-side apply PATCH), as received. */
  readonly onApply?: (obj: Record<string, unknown>) => void;
  /** The nodes a DaemonSet runs a pod on; default node-a, node-b. */
  readonly nodes?: readonly string[];
  /** The status a GET of an applied Deployment or Job shows; default: available, complete. */
  readonly status?: (kind: string, name: string) => Record<string, unknown> | undefined;
}

function defaultStatus(kind: string): Record<string, unknown> | undefined {
  if (kind === 'Deployment') return { replicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True' }] };
  if (kind === 'Job') return { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
  return undefined;
}

export async function startFakeKube(opts: FakeKubeOptions = {}): Promise<FakeKube> {
  const token = opts.token ?? 'loopback-token-0042';
  const requests: SeenRequest[] = [];
  // name -> namespace of the pods that exist (applied Pods, one per applied Deployment)
  const pods = new Map<string, { ns: string; labels: Record<string, string>; node?: string; owner?: string }>();
  const stored = new Map<string, Record<string, unknown>>(); // path -> the object as applied
  const podOf = (name: string): FakePod => opts.pods?.(name) ?? { phase: 'Running', initExit: 0, log: goodCopyLog('model.gguf', 'f'.repeat(64)) };

  const statusOf = (name: string): object => {
    const p = podOf(name);
    const init = { name: p.initName ?? 'fetch-model', ready: p.initExit === 0, restartCount: 0, image: 'a', imageID: '',
      state: p.initExit === undefined ? { running: { startedAt: '2024-03-20T10:00:00Z' } } : { terminated: { exitCode: p.initExit, reason: p.initExit === 0 ? 'Completed' : 'Error' } } };
    return {
      phase: p.phase ?? 'Running', conditions: [{ type: 'Ready', status: p.initExit === 0 ? 'True' : 'False' }],
      initContainerStatuses: [init],
      containerStatuses: [{ name: 'llama-server', ready: p.initExit === 0, restartCount: 0, image: 'b', imageID: '',
        state: p.initExit === 0 ? { running: { startedAt: '2024-03-20T10:00:05Z' } } : { waiting: { reason: 'PodInitializing' } } }],
    };
  };

  const answer = (req: IncomingMessage, body: string, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (opts.routes?.(req.method ?? '', url, res)) return;
    if (req.method === 'GET' && RESOURCES[url.pathname]) {
      return json(res, 200, { kind: 'APIResourceList', groupVersion: url.pathname.replace(/^\/apis?\//, ''), resources: RESOURCES[url.pathname].map((r) => ({ ...r, namespaced: r.kind !== 'Namespace', singularName: '', verbs: ['patch', 'get', 'list'] })) });
    }
    if (req.method === 'PATCH') {
      const obj = JSON.parse(body) as { kind: string; metadata: { name: string; namespace: string }; spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };
      stored.set(url.pathname, obj);
      opts.onApply?.(obj);
      if (obj.kind === 'Pod') pods.set(obj.metadata.name, { ns: obj.metadata.namespace, labels: {} });
      if (obj.kind === 'Deployment') {
        const labels = obj.spec?.template?.metadata?.labels ?? {};
        pods.set(`${labels['app.kubernetes.io/instance'] ?? obj.metadata.name}-7d9f-abcde`, { ns: obj.metadata.namespace, labels });
      }
      if (obj.kind === 'DaemonSet') {
        const labels = obj.spec?.template?.metadata?.labels ?? {};
        for (const node of opts.nodes ?? ['node-a', 'node-b']) pods.set(`${obj.metadata.name}-${node}`, { ns: obj.metadata.namespace, labels, node, owner: url.pathname });
      }
      return json(res, 200, obj);
    }
    const proxied = req.method === 'GET' ? answerProxy(url.pathname, opts) : undefined;
    if (proxied) {
      res.writeHead(proxied.status, { 'content-type': 'application/json' });
      return void res.end(proxied.body);
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+)\/(status|log))?$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const [, ns, name, what] = m;
      if (!name) {
        const items = [...pods.entries()].filter(([, p]) => p.ns === ns && selects(url, p.labels))
          .map(([n, p]) => ({ metadata: { name: n, namespace: ns }, spec: { ...(p.node ? { nodeName: p.node } : {}), containers: [] }, status: statusOf(n) }));
        return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items });
      }
      if (pods.get(name)?.ns !== ns) return json(res, 404, status(404, 'NotFound', `pods "${name}" not found`));
      const p = podOf(name);
      if (what === 'log') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end(p.log ?? '');
      }
      return json(res, 200, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, status: statusOf(name) });
    }
    if (req.method === 'DELETE' && stored.has(url.pathname)) {
      stored.delete(url.pathname);
      for (const [n, p] of pods) if (p.owner === url.pathname) pods.delete(n);
      return json(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', metadata: {} });
    }
    const collection = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\/namespaces\/[^/]+\/([a-z]+)$/.exec(url.pathname);
    const resource = collection && RESOURCES[collection[1]]?.find((r) => r.name === collection[2]);
    if (req.method === 'GET' && resource) {
      const items = [...stored.entries()].filter(([path]) => path.startsWith(`${url.pathname}/`) && !path.slice(url.pathname.length + 1).includes('/'))
        .map(([, o]) => o).filter((o) => selects(url, (o.metadata as { labels?: Record<string, string> }).labels ?? {}));
      return json(res, 200, { kind: `${resource.kind}List`, apiVersion: collection[1].replace(/^\/apis?\//, ''), metadata: {}, items });
    }
    const kept = req.method === 'GET' ? stored.get(url.pathname) : undefined;
    if (kept) {
      const kind = String(kept.kind);
      const name = String((kept.metadata as { name: string }).name);
      const st = opts.status?.(kind, name) ?? defaultStatus(kind);
      return json(res, 200, { ...kept, ...(st ? { status: st } : {}) });
    }
    return json(res, 404, status(404, 'NotFound', `${url.pathname} not found`));
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], auth: req.headers.authorization, body });
      if (opts.stall?.(req.method ?? '', url.pathname)) return;
      answer(req, body, res);
    });
  });
  const upgraded = new Set<{ destroy(): void }>(); // not closed by closeAllConnections()
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: 'UPGRADE', path: url.pathname, query: url.searchParams, auth: req.headers.authorization, body: '' });
    const authorized = req.headers.authorization === `Bearer ${token}`;
    if (answerExec(req, socket, opts, authorized)) return;
    if (!opts.upgrade || !authorized) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    opts.upgrade(req, socket, head);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url, token, requests,
    patches: () => requests.filter((r) => r.method === 'PATCH').map((r) => ({ path: r.path, body: JSON.parse(r.body) })),
    kubeconfig(dir, ns = 'ml') {
      const file = join(dir, `kubeconfig-${(server.address() as { port: number }).port}-${ns}.yaml`);
      writeFileSync(file, [
        'apiVersion: v1', 'kind: Config', 'current-context: loopback',
        'clusters:', '- name: loopback', '  cluster:', `    server: ${url}`, '    insecure-skip-tls-verify: true',
        'users:', '- name: dev', '  user:', `    token: ${token}`,
        'contexts:', '- name: loopback', '  context:', '    cluster: loopback', '    user: dev', `    namespace: ${ns}`, '',
      ].join('\n'));
      return file;
    },
    close: () => new Promise<void>((r) => { for (const s of upgraded) s.destroy(); server.closeAllConnections(); server.close(() => r()); }),
  };
}
