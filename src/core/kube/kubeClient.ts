// A connection to a Kubernetes API server through @kubernetes/client-node, loaded lazily (it needs
// Node >= 22 and is large: the CLI must not pay for it on every command). Every request carries an
// AbortSignal: the caller's, plus a per-request timeout, so a server that accepts the connection but
// never answers cannot hang the caller. Errors become RepoErrors naming the API server.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as ClientNodeModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { isAbort, RepoError } from '../errors';

export interface KubeOptions {
  /** Kubeconfig file; default: $KUBECONFIG (first file) or ~/.kube/config. */
  readonly kubeconfig?: string;
  /** Context to use; default: the kubeconfig's current context. */
  readonly context?: string;
  /** Namespace for objects that name none; default: the context's namespace, else `default`. */
  readonly namespace?: string;
  readonly signal?: AbortSignal;
  /** Each request's time limit in milliseconds, default 30 s. */
  readonly timeoutMs?: number;
}

type ClientNode = typeof ClientNodeModule;

export interface KubeSession {
  readonly k8s: ClientNode;
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
  /** The API server URL, for messages. */
  readonly server: string;
  readonly context: string;
  readonly namespace: string;
  /** Maps any failure of a request to a RepoError for this action and object. */
  error(e: unknown, action: string, object: string): RepoError;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET']);

async function loadClientNode(action: string): Promise<ClientNode> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    throw new RepoError('Config', action, 'the cluster',
      `@kubernetes/client-node needs Node 22 or newer and this is Node ${process.versions.node}: use kubectl apply instead`);
  }
  return import('@kubernetes/client-node');
}

/** Opens the kubeconfig and builds the API clients (no request is sent yet). */
export async function openKube(opts: KubeOptions, action: string): Promise<KubeSession> {
  const k8s = await loadClientNode(action);
  const kc = new k8s.KubeConfig();
  const file = opts.kubeconfig ?? process.env.KUBECONFIG?.split(process.platform === 'win32' ? ';' : ':').find((f) => f.length > 0)
    ?? join(homedir(), '.kube', 'config');
  try {
    kc.loadFromFile(file);
  } catch (e) {
    throw new RepoError('Config', action, 'the cluster', `cannot read the kubeconfig ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      throw new RepoError('Config', action, 'the cluster', `the kubeconfig ${file} has no context '${opts.context}'`);
    }
    kc.setCurrentContext(opts.context);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new RepoError('Config', action, 'the cluster', `the context '${context}' in ${file} names no cluster`);
  const server = cluster.server;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const config = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [{
      pre: async (ctx) => {
        const timeout = AbortSignal.timeout(timeoutMs);
        ctx.setSignal(opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout);
        return ctx;
      },
      post: async (response) => response,
    }],
  });
  // Every object gets its namespace from the caller (applyWithClient fills it in), never from the client.
  const objects = new k8s.KubernetesObjectApi(config);
  const namespace = opts.namespace ?? kc.getContextObject(context)?.namespace ?? 'default';
  const error = (e: unknown, act: string, object: string): RepoError => toKubeError(e, act, object, { server, context, timeoutMs, signal: opts.signal });
  return { k8s, objects, core: new k8s.CoreV1Api(config), server, context, namespace, error };
}

interface ErrorContext { readonly server: string; readonly context: string; readonly timeoutMs: number; readonly signal?: AbortSignal }

/** The Status message of an API error body (JSON text), if there is one. */
function statusMessage(body: unknown): string | undefined {
  if (typeof body !== 'string') return (body as { message?: string } | undefined)?.message;
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return body.trim().slice(0, 300) || undefined;
  }
}

export function toKubeError(e: unknown, action: string, object: string, c: ErrorContext): RepoError {
  if (e instanceof RepoError) return e;
  if (c.signal?.aborted) return new RepoError('Aborted', action, object, 'cancelled', { cause: e });
  const err = e as { name?: string; code?: unknown; body?: unknown; cause?: { code?: string; name?: string } };
  const name = err.name ?? err.cause?.name;
  if (name === 'TimeoutError' || isAbort(e) || err.cause?.name === 'AbortError') {
    return new RepoError('Network', action, object,
      `the Kubernetes API server at ${c.server} did not answer within ${Math.round(c.timeoutMs / 100) / 10} s`, { cause: e });
  }
  const netCode = typeof err.code === 'string' ? err.code : err.cause?.code;
  if (netCode && NETWORK_CODES.has(netCode)) {
    return new RepoError('Network', action, object, `cannot reach the Kubernetes API server at ${c.server} (${netCode})`, { cause: e });
  }
  if (typeof err.code === 'number') {
    const status = err.code;
    const message = statusMessage(err.body);
    const said = message ? `: ${message}` : '';
    if (status === 401) {
      return new RepoError('Auth', action, object, `the API server at ${c.server} did not accept the credentials of context '${c.context}' (401)${said}`, { cause: e });
    }
    if (status === 403) return new RepoError('Auth', action, object, `forbidden (403)${said}`, { cause: e });
    if (status === 404) return new RepoError('NotFound', action, object, `not found (404)${said}`, { cause: e });
    if (status === 409) return new RepoError('Conflict', action, object, `conflict (409)${said}`, { cause: e });
    if (status === 422 || status === 400) return new RepoError('Config', action, object, `the API server refused it (${status})${said}`, { cause: e });
    return new RepoError(status >= 500 ? 'Network' : 'Storage', action, object, `the API server at ${c.server} answered ${status}${said}`, { cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (/HTTP protocol is not allowed/.test(msg)) {
    return new RepoError('Config', action, object,
      `the API server ${c.server} is plain http, which client-node refuses unless the cluster sets insecure-skip-tls-verify: true in the kubeconfig`, { cause: e });
  }
  return new RepoError('Storage', action, object, `${msg} (API server ${c.server})`, { cause: e });
}
