// Running a command in a pod's container through client-node's Exec (a WebSocket to the API server,
// channel protocol v4/v5), with a deadline: a pod that never answers closes the socket and fails as a
// Network error. Output is collected in memory (commands here print a digest or a size: small).
import { Writable } from 'node:stream';
import { RepoError } from '../errors';
import type { KubeSession } from './kubeClient';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** 0 on success; the command's exit code, or -1 when the API server said Failure without one. */
  readonly exitCode: number;
  readonly message?: string;
}

interface ExecStatus { status?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } }

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export function execInPod(session: KubeSession, namespace: string, pod: string, container: string, command: readonly string[],
  opts: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<ExecResult> {
  const object = `pod ${namespace}/${pod} (container ${container})`;
  const action = `run ${command[0]} in`;
  const out = collector();
  const err = collector();
  return new Promise<ExecResult>((resolve, reject) => {
    let socket: { close(): void; addEventListener?(t: string, f: () => void): void } | undefined;
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket?.close();
      f();
    };
    const onAbort = (): void => finish(() => reject(new RepoError('Aborted', action, object, 'cancelled')));
    const timer = setTimeout(() => finish(() => reject(new RepoError('Network', action, object,
      `no answer within ${Math.round(opts.timeoutMs / 1000)} s from the API server's exec stream`))), opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const exec = new session.k8s.Exec(session.kc);
    exec.exec(namespace, pod, container, [...command], out.stream, err.stream, null, false, (raw) => {
      const st = raw as ExecStatus;
      const code = st.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
      const exitCode = st.status === 'Success' ? 0 : code !== undefined && /^\d+$/.test(code) ? Number(code) : -1;
      finish(() => resolve({ stdout: out.text(), stderr: err.text(), exitCode, ...(st.message ? { message: st.message } : {}) }));
    }).then((ws) => {
      socket = ws as unknown as typeof socket;
      if (settled) socket?.close();
      // Closed without a status (an old server, a dropped connection): what arrived is all there is.
      socket?.addEventListener?.('close', () => finish(() => reject(new RepoError('Network', action, object, 'the exec stream closed without an exit status'))));
    }, (e: unknown) => finish(() => reject(session.error(e, action, object))));
  });
}
