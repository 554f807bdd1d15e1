// A cluster for the fake API server (fakeKubeApi.ts): Services, their pods, Secrets, and the
// Kubernetes port-forward protocol, with each forwarded connection bridged by TCP to a real server
// (the Ceph RGW): "MinIO in the cluster" is the S3 server of the test run.
// Port-forward as the API server speaks it over WebSocket (what client-node's portforward.ts and
// web-socket-handler.ts expect): GET /api/v1/namespaces/<ns>/pods/<pod>/portforward?ports=N upgraded
// with subprotocol v4.channel.k8s.io (or portforward.k8s.io); binary frames whose first byte is the
// channel, 0 data and 1 error; the first frame of each channel carries the port, 2 bytes little-endian.
// killForwards() drops every open port-forward WebSocket from the server side.
import { connect } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { startFakeKube } from './fakeKubeApi';
import type { FakeKube, FakeKubeOptions } from './fakeKubeApi';
import type { S3TestEnv } from './s3env';

export interface FakeService {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Record<string, string>;
  readonly ports: { readonly name?: string; readonly port: number; readonly targetPort?: number | string }[];
  /** Pods behind it: name -> the host:port their container port leads to. */
  readonly pods: Record<string, { readonly to: string; readonly containerPort: number; readonly portName?: string; readonly ready?: boolean }>;
}

export interface FakeSecret {
  readonly namespace: string;
  readonly name: string;
  readonly data: Record<string, string>;
}

export interface FakeCluster extends FakeKube {
  /** Port-forward WebSockets opened so far. */
  forwardsOpened(): number;
  /** Port-forward WebSockets open now. */
  openForwards(): number;
  /** Port-forward upgrades left unanswered (stallForwards) whose socket the client has not closed yet. */
  stalledForwards(): number;
  /** Closes every open port-forward WebSocket from the server side; returns how many. */
  killForwards(): number;
}

function json(res: ServerResponse, code: number, body: unknown): true {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
  return true;
}
const notFound = (res: ServerResponse, what: string): true =>
  json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: `${what} not found` });

function serviceObject(s: FakeService): object {
  return {
    metadata: { name: s.name, namespace: s.namespace, labels: s.labels ?? {} },
    spec: { selector: { 'app.kubernetes.io/instance': s.name }, ports: s.ports.map((p) => ({ protocol: 'TCP', ...p })) },
  };
}

function podObject(s: FakeService, name: string): object {
  const p = s.pods[name];
  return {
    metadata: { name, namespace: s.namespace, labels: { 'app.kubernetes.io/instance': s.name } },
    spec: { containers: [{ name: 'minio', image: 'minio', ports: [{ containerPort: p.containerPort, ...(p.portName ? { name: p.portName } : {}) }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: p.ready === false ? 'False' : 'True' }] },
  };
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export interface FakeClusterOptions extends FakeKubeOptions {
  /** Accept port-forward upgrades and never answer them (a hung API server or kubelet). */
  readonly stallForwards?: boolean;
}

export async function startFakeCluster(services: FakeService[], secrets: FakeSecret[], opts: FakeClusterOptions = {}): Promise<FakeCluster> {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => ['v4.channel.k8s.io', 'portforward.k8s.io'].find((p) => offered.has(p)) ?? false,
  });
  const open = new Set<WebSocket>();
  const stalled = new Set<Duplex>();
  let opened = 0;

  const routes = (method: string, url: URL, res: ServerResponse): boolean => {
    if (method !== 'GET') return false;
    const path = url.pathname;
    if (path === '/api/v1/services') return json(res, 200, { kind: 'ServiceList', apiVersion: 'v1', metadata: {}, items: services.map(serviceObject) });
    let m = /^\/api\/v1\/namespaces\/([^/]+)\/services(?:\/([^/]+))?$/.exec(path);
    if (m) {
      const [, ns, name] = m;
      if (!name) return json(res, 200, { kind: 'ServiceList', apiVersion: 'v1', metadata: {}, items: services.filter((s) => s.namespace === ns).map(serviceObject) });
      const s = services.find((x) => x.namespace === ns && x.name === name);
      return s ? json(res, 200, { kind: 'Service', apiVersion: 'v1', ...serviceObject(s) }) : notFound(res, `services "${name}"`);
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path);
    const selector = url.searchParams.get('labelSelector') ?? '';
    const svc = m && services.find((s) => s.namespace === m?.[1] && selector === `app.kubernetes.io/instance=${s.name}`);
    if (m && svc) return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: Object.keys(svc.pods).map((p) => podObject(svc, p)) });
    m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/.exec(path);
    if (m) {
      const [, ns, name] = m;
      const toObject = (s: FakeSecret): object => ({ kind: 'Secret', apiVersion: 'v1', type: 'Opaque', metadata: { name: s.name, namespace: s.namespace },
        data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, b64(v)])) });
      if (!name) return json(res, 200, { kind: 'SecretList', apiVersion: 'v1', metadata: {}, items: secrets.filter((s) => s.namespace === ns).map(toObject) });
      const s = secrets.find((x) => x.namespace === ns && x.name === name);
      return s ? json(res, 200, toObject(s)) : notFound(res, `secrets "${name}"`);
    }
    return false;
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    const svc = m && services.find((s) => s.namespace === m[1] && s.pods[m[2]]);
    const pod = m && svc?.pods[m[2]];
    const port = Number(url.searchParams.get('ports'));
    if (opts.stallForwards) {
      stalled.add(socket);
      // Read, so the client's close is seen (an upgraded socket is half-open: end it ourselves).
      socket.resume();
      socket.on('end', () => socket.destroy());
      socket.on('close', () => stalled.delete(socket));
      return;
    }
    if (!pod || port !== pod.containerPort) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      opened++;
      open.add(ws);
      const portBytes = Buffer.from([port & 0xff, port >> 8]);
      ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
      ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
      const [host, p] = pod.to.split(':');
      const tcp = connect(Number(p), host);
      tcp.on('data', (d: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), d])));
      tcp.on('error', (e) => { if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(e.message)])); ws.close(); });
      tcp.on('end', () => ws.close());
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0) tcp.write(data.subarray(1));
      });
      ws.on('close', () => { open.delete(ws); tcp.destroy(); });
    });
  };

  const kube = await startFakeKube({ ...opts, routes, upgrade });
  return {
    ...kube,
    forwardsOpened: () => opened,
    openForwards: () => open.size,
    stalledForwards: () => stalled.size,
    killForwards(): number {
      const n = open.size;
      for (const ws of open) ws.terminate();
      return n;
    },
    async close(): Promise<void> {
      for (const ws of open) ws.terminate();
      for (const socket of stalled) socket.destroy();
      wss.close();
      await kube.close();
    },
  };
}

/** MinIO in model-storage (its chart's Secret `minio`), a Ceph RGW Service in data with a Secret of
 *  other key names, and a web Service that is no S3: both S3 Services lead to the test's S3 server. */
export function minioCluster(e: S3TestEnv, opts: { ready?: boolean } & FakeClusterOptions = {}): Promise<FakeCluster> {
  const to = new URL(e.endpoint).host;
  return startFakeCluster([
    { namespace: 'model-storage', name: 'minio', labels: { app: 'minio' }, ports: [{ name: 'http', port: 9000, targetPort: 'minio' }, { name: 'console', port: 9001 }],
      pods: { 'minio-0': { to, containerPort: 9000, portName: 'minio', ...(opts.ready === false ? { ready: false } : {}) } } },
    { namespace: 'web', name: 'frontend', ports: [{ port: 80 }], pods: {} },
    { namespace: 'data', name: 'rgw', ports: [{ name: 's3', port: 7480 }], pods: { 'rgw-a': { to, containerPort: 7480 } } },
  ], [
    { namespace: 'model-storage', name: 'minio', data: { rootUser: e.accessKeyId, rootPassword: e.secretAccessKey } },
    { namespace: 'model-storage', name: 'tls', data: { 'tls.crt': 'x' } },
    { namespace: 'data', name: 'rgw-keys', data: { user: e.accessKeyId, pass: e.secretAccessKey } },
  ], opts);
}
