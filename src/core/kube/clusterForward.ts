// A port-forward from a local ephemeral port on 127.0.0.1 to a pod behind an S3 Service, through the
// API server with client-node's PortForward (no kubectl). Each local TCP connection gets its own
// port-forward WebSocket, so a dropped WebSocket (pod restarted, API server or network hiccup) costs
// only the connections it carried: the next connection opens a new one, and when that fails the pod is
// looked up again (the Service may now lead to another pod) and tried once more.
// Deadlines: the pod lookup goes through the session's API client (kubeHttp.ts); the WebSocket
// handshake gets connect + first-byte time (ws's handshakeTimeout, set where client-node builds the
// socket's options); the S3 traffic inside keeps the S3 client's own deadlines.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { redactSecrets, RepoError } from '../errors';
import type { KubeSession } from './kubeClient';
import { isKubeName } from './s3Services';
import type { S3Service } from './s3Services';

export interface ClusterForward {
  /** http://127.0.0.1:<port>: the S3 endpoint to use while the forward is open. */
  readonly url: string;
  readonly service: S3Service;
  /** The pod and port the forward leads to now. */
  target(): { readonly pod: string; readonly port: number } | undefined;
  /** The last failure of a connection through the forward (redacted), for messages. */
  lastProblem(): string | undefined;
  close(): Promise<void>;
}

interface Closable {
  close(): void;
  on(event: 'close', listener: () => void): void;
}

const isReady = (p: V1Pod): boolean =>
  !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The first ready pod behind the Service, and the container port its targetPort names. */
export async function resolvePod(kube: KubeSession, svc: S3Service): Promise<{ pod: string; port: number }> {
  const object = `service ${svc.namespace}/${svc.name}`;
  if (!svc.selector) throw new RepoError('Config', 'port-forward to', object, 'it has no selector, so no pod to forward to');
  const pods = await kube.core.listNamespacedPod({ namespace: svc.namespace, labelSelector: svc.selector }).catch((e: unknown) => {
    throw kube.error(e, 'find the pods of', object);
  });
  const pod = pods.items.find((p) => isReady(p) && isKubeName(p.metadata?.name ?? '', 'pod'));
  if (!pod) throw new RepoError('Network', 'port-forward to', object, `no ready pod matches its selector ${svc.selector}`);
  const name = pod.metadata?.name ?? '';
  if (typeof svc.targetPort === 'number') return { pod: name, port: svc.targetPort };
  const named = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.name === svc.targetPort);
  if (!named) throw new RepoError('Config', 'port-forward to', object, `pod ${name} has no container port named ${svc.targetPort}`);
  return { pod: name, port: named.containerPort };
}

/** Gives every WebSocket client-node opens for this cluster connection a handshake deadline. */
function limitHandshake(kube: KubeSession): void {
  const kc = kube.kc as typeof kube.kc & { handshakeLimited?: boolean };
  if (kc.handshakeLimited) return;
  kc.handshakeLimited = true;
  const apply = kc.applyToHTTPSOptions.bind(kc);
  const ms = kube.timeouts.connectMs + kube.timeouts.firstByteMs;
  kc.applyToHTTPSOptions = async (opts) => {
    await apply(opts);
    (opts as { handshakeTimeout?: number }).handshakeTimeout = ms;
  };
}

export async function openClusterForward(kube: KubeSession, svc: S3Service): Promise<ClusterForward> {
  limitHandshake(kube);
  let target: { pod: string; port: number } | undefined = await resolvePod(kube, svc);
  let problem: string | undefined;
  const forwarder = new kube.k8s.PortForward(kube.kc, true);
  const sockets = new Set<Socket>();
  const sockets2ws = new Map<Socket, Closable>();

  const openSocket = async (socket: Socket): Promise<Closable> => {
    // The error channel carries the kubelet's reason (connection refused in the pod, ...).
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (chunk.length > 0) {
          problem = redactSecrets(chunk.toString('utf8').slice(0, 300));
          socket.destroy();
        }
        done();
      },
    });
    const attempt = async (): Promise<Closable> => {
      target ??= await resolvePod(kube, svc);
      return await forwarder.portForward(svc.namespace, target.pod, [target.port], socket, errors, socket) as unknown as Closable;
    };
    try {
      return await attempt();
    } catch (e) {
      if (socket.destroyed) throw e; // nobody waits for this connection any more
      target = undefined; // the pod may be gone: look again, then try once more
      return await attempt();
    }
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      sockets2ws.get(socket)?.close();
      sockets2ws.delete(socket);
    });
    openSocket(socket).then((ws) => {
      if (socket.destroyed) return ws.close();
      sockets2ws.set(socket, ws);
      // The WebSocket dropped: end this connection; the next one opens a new WebSocket.
      ws.on('close', () => socket.end());
    }, (e: unknown) => {
      problem = redactSecrets(e instanceof Error ? e.message : String(e)).slice(0, 300);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', (e) => { problem = e.message; });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`, service: svc,
    target: () => target,
    lastProblem: () => problem,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
