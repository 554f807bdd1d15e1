// A connection to a Kubernetes API server through @kubernetes/client-node, loaded lazily (it needs
// Node >= 22 and is large: the CLI must not pay for it on every command). Every request carries the
// caller's AbortSignal and deadlines (kubeHttp.ts): connect and first byte from timeouts.ts, and a
// per-request limit, so a server that is unreachable, or accepts the connection and never answers,
// cannot hang the caller. Errors become RepoErrors naming the API server; the kubeconfig's content
// never appears in one (kubeconfigFile.ts).
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as ClientNodeModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { isAbort, registerSecret, RepoError } from '../errors';
import { resolveTimeouts, showSeconds } from '../timeouts';
import type { Timeouts } from '../timeouts';
import { loadKubeconfig } from './kubeconfigFile';
import { deadlineHttp, kubeDeadlineOf, limitConnect } from './kubeHttp';

export interface KubeOptions {
  /** Kubeconfig file; default: $KUBECONFIG (first file) or ~/.kube/config. */
  readonly kubeconfig?: string;
  /** Context to use; default: the kubeconfig's current context. */
  readonly context?: string;
  /** Namespace for objects that name none; default: the context's namespace, else `default`. */
  readonly namespace?: string;
  readonly signal?: AbortSignal;
  /** Each request's time limit in milliseconds, body included; default 30 s, or connect + first byte when that is longer. */
  readonly timeoutMs?: number;
  /** Connect and first-byte deadlines; unset fields come from MODELREPO_*_TIMEOUT or the defaults. */
  readonly timeouts?: Partial<Timeouts>;
}

type ClientNode = typeof ClientNodeModule;

export interface KubeSession {
  readonly k8s: ClientNode;
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
  /** The loaded kubeconfig (for clients built outside the generated API, e.g. port-forward). */
  readonly kc: KubeConfig;
  /** Connect and first-byte deadlines of this API server connection. */
  readonly timeouts: Timeouts;
  /** The API server URL, for messages. */
  readonly server: string;
  readonly context: string;
  readonly namespace: string;
  /** Maps any failure of a request to a RepoError for this action and object. */
  error(e: unknown, action: string, object: string): RepoError;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

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
  const timeouts = resolveTimeouts(opts.timeouts);
  const kc = new k8s.KubeConfig();
  const file = opts.kubeconfig ?? process.env.KUBECONFIG?.split(process.platform === 'win32' ? ';' : ':').find((f) => f.length > 0)
    ?? join(homedir(), '.kube', 'config');
  loadKubeconfig(kc, file, action);
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      throw new RepoError('Config', action, 'the cluster', `the kubeconfig ${file} has no context '${opts.context}'`);
    }
    kc.setCurrentContext(opts.context);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new RepoError('Config', action, 'the cluster', `the context '${context}' in ${file} names no cluster`);
  const server = checkedServer(cluster.server, context, file, action);
  limitConnect(kc, timeouts.connectMs);
  const answerMs = timeouts.connectMs + timeouts.firstByteMs;
  const timeoutMs = opts.timeoutMs ?? Math.max(DEFAULT_TIMEOUT_MS, answerMs);
  const config = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(server, {}),
    authMethods: { default: kc },
    httpApi: deadlineHttp(k8s, { answerMs, requestMs: timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) }),
  });
  // Every object gets its namespace from the caller (applyWithClient fills it in), never from the client.
  const objects = new k8s.KubernetesObjectApi(config);
  const namespace = opts.namespace ?? kc.getContextObject(context)?.namespace ?? 'default';
  const error = (e: unknown, act: string, object: string): RepoError =>
    toKubeError(e, act, object, { server, context, timeoutMs, connectMs: timeouts.connectMs, signal: opts.signal });
  return { k8s, objects, core: new k8s.CoreV1Api(config), kc, timeouts, server, context, namespace, error };
}

/** The API server URL, refused when it is not a URL or carries credentials (they would end up in
 *  messages, and client-node refuses such URLs anyway): keys belong in the user entry. */
function checkedServer(server: string, context: string, file: string, action: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new RepoError('Config', action, 'the cluster', `the cluster of context '${context}' in ${file} has a server that is not a URL`);
  }
  if (url.username || url.password) {
    registerSecret(decodeURIComponent(url.password));
    registerSecret(url.password);
    throw new RepoError('Config', action, 'the cluster',
      `the server URL ${url.protocol}//${url.host} of context '${context}' in ${file} carries a user name or password: put credentials in the kubeconfig's user entry instead`);
  }
  return server;
}

interface ErrorContext {
  readonly server: string;
  readonly context: string;
  readonly timeoutMs: number;
  readonly connectMs?: number;
  readonly signal?: AbortSignal;
}

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
  const deadline = kubeDeadlineOf(e);
  if (deadline) {
    return new RepoError('Network', action, object, `the Kubernetes API server at ${c.server} did not answer within ${showSeconds(deadline.ms)}`, { cause: e });
  }
  const name = err.name ?? err.cause?.name;
  if (name === 'TimeoutError' || isAbort(e) || err.cause?.name === 'AbortError') {
    return new RepoError('Network', action, object,
      `the Kubernetes API server at ${c.server} did not answer within ${showSeconds(c.timeoutMs)}`, { cause: e });
  }
  const netCode = typeof err.code === 'string' ? err.code : err.cause?.code;
  if (netCode === 'UND_ERR_CONNECT_TIMEOUT') {
    return new RepoError('Network', action, object,
      `cannot reach the Kubernetes API server at ${c.server}: no connection within ${c.connectMs !== undefined ? showSeconds(c.connectMs) : 'the connect timeout'}`, { cause: e });
  }
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
