// Deadlines for every request to the Kubernetes API server, set where client-node sends it:
//   - connect: the connection's own limit, in the undici dispatcher client-node builds per request
//     (KubeConfig.createDispatcherOptions gets `timeout` added; a cluster without TLS options, which
//     would use undici's shared dispatcher, gets one of its own for that);
//   - first byte: the answer's status line within connect + first-byte time of sending, else the
//     request is aborted (the HTTP library sees no moment between connecting and sending, so the two
//     limits make one deadline);
//   - the whole request (body included): the per-request limit, as before;
// plus the caller's AbortSignal. A deadline aborts with a KubeDeadline, which kubeClient.ts reports as
// a Network error naming the server.
import { setMaxListeners } from 'node:events';
import type * as ClientNodeModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { HttpLibrary, KubeConfig, RequestContext } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

/** Why a request was cut off: no answer in time, or the whole request took too long. */
export class KubeDeadline extends Error {
  constructor(readonly phase: 'answer' | 'request', readonly ms: number) {
    super(`no ${phase === 'answer' ? 'answer' : 'complete answer'} within ${ms} ms`);
    this.name = 'KubeDeadline';
  }
}

/** The KubeDeadline in an error or its causes. */
export function kubeDeadlineOf(e: unknown): KubeDeadline | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    if (c instanceof KubeDeadline) return c;
  }
  return undefined;
}

type DispatcherOptions = ReturnType<KubeConfig['createDispatcherOptions']>;

/** Makes every dispatcher this kubeconfig builds give up connecting after connectMs. */
export function limitConnect(kc: KubeConfig, connectMs: number): void {
  const original = kc.createDispatcherOptions.bind(kc);
  kc.createDispatcherOptions = (cluster, agentOptions): DispatcherOptions => {
    const o = original(cluster, agentOptions);
    if (o.type === 'none') return { type: 'agent', connect: { timeout: connectMs } } as DispatcherOptions;
    if (o.type === 'agent' || o.type === 'proxy') return { ...o, connect: { ...o.connect, timeout: connectMs } } as DispatcherOptions;
    return o; // socks: the proxy's connector has no such limit
  };
}

export interface RequestDeadlines {
  /** First byte of the answer, from sending. */
  readonly answerMs: number;
  /** The whole request, body included. */
  readonly requestMs: number;
  readonly signal?: AbortSignal;
}

/** client-node's own HTTP library, with the deadlines and the caller's signal on every request. */
export function deadlineHttp(k8s: typeof ClientNodeModule, d: RequestDeadlines): HttpLibrary {
  const inner = new k8s.IsomorphicFetchHttpLibrary();
  return {
    send(request: RequestContext) {
      const deadline = new AbortController();
      const abort = (phase: KubeDeadline['phase'], ms: number): NodeJS.Timeout =>
        setTimeout(() => deadline.abort(new KubeDeadline(phase, ms)), ms).unref();
      const whole = abort('request', d.requestMs);
      const answer = abort('answer', d.answerMs);
      const own = request.getSignal();
      const signal = AbortSignal.any([deadline.signal, ...(own ? [own] : []), ...(d.signal ? [d.signal] : [])]);
      setMaxListeners(0, deadline.signal, signal);
      request.setSignal(signal);
      const sent = inner.send(request);
      // Headers arrived (or the request failed): the first-byte deadline is over. The whole-request
      // timer stays armed until it fires unheeded; it is unref'd and keeps nothing alive.
      sent.toPromise().then(() => clearTimeout(answer), () => { clearTimeout(answer); clearTimeout(whole); });
      return sent;
    },
  };
}
