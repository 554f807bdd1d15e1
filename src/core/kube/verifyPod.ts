// "Verify Model in Pod": for a pod made by this product, checks that the file the server reads is the
// one the repository recorded, from inside the pod: `sha256sum` and `stat -c %s` run in the serving
// container (exec over WebSocket, podExec.ts) on the file under its model mount, compared with the
// record (the repository's, when the caller can look it up, else the pod's own annotations, which
// copy the record at manifest time). Then the server's health endpoint (its readiness probe) is read
// through the API server's pod proxy. The pod's annotations are input from the cluster: the path built
// from them is checked and only ever passed as one argument, never through a shell.
import { RepoError } from '../errors';
import { ANNOTATION_PREFIX } from '../manifests/manifestInput';
import { KSERVE_MODELS_DIR } from '../manifests/kserve';
import { MODELS_DIR } from '../manifests/manifestInput';
import { openKube } from './kubeClient';
import type { KubeOptions, KubeSession } from './kubeClient';
import { execInPod } from './podExec';

export interface FileRecord { readonly sha256?: string; readonly size?: number }

export interface VerifyPodOptions extends KubeOptions {
  /** Deadline of each exec; hashing a large file takes a while. Default 15 minutes. */
  readonly execTimeoutMs?: number;
  /** The repository's record of the file; default (or when it gives undefined): the pod's annotations. */
  readonly record?: (p: { model: string; version: string; file: string; ref?: string }) => Promise<FileRecord | undefined>;
}

export type FileOutcome = 'match' | 'mismatch' | 'unchecked';

export interface VerifyPodResult {
  readonly pod: string;
  readonly namespace: string;
  readonly model: string;
  readonly version?: string;
  readonly file?: string;
  readonly container?: string;
  readonly path?: string;
  readonly recorded: FileRecord & { readonly from: 'repository' | 'annotations' };
  readonly seen: FileRecord;
  readonly fileOutcome: FileOutcome;
  readonly fileReason?: string;
  readonly health: { readonly path?: string; readonly port?: number; readonly ok: boolean; readonly answer?: string; readonly reason?: string };
  readonly lines: readonly string[];
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const A = (k: string): string => `${ANNOTATION_PREFIX}${k}`;
const ACTION = 'verify the model in';

/** The serving container and the model file's path in it, or why there is none. */
function modelFileIn(pod: Obj, file: string | undefined, mode: string): { container?: Obj; path?: string; reason?: string } {
  const containers = (pod.spec?.containers ?? []) as Obj[];
  for (const c of containers) {
    const mount = ((c.volumeMounts ?? []) as Obj[]).find((m) => m.mountPath === MODELS_DIR || m.mountPath === KSERVE_MODELS_DIR);
    if (!mount) continue;
    if (mode === 'follow') return { container: c, path: `${MODELS_DIR}/modelrepo-current.gguf` };
    if (!file) return { container: c, reason: 'the pod records no model file' };
    const name = mount.mountPath === KSERVE_MODELS_DIR ? file.split('/').pop() ?? file : file;
    return { container: c, path: `${mount.mountPath}/${name}` };
  }
  return { container: containers[0], reason: 'the server reads the model straight from S3: there is no model file in the pod to hash' };
}

function checkedPath(path: string, object: string): string {
  if (path.split('/').some((seg) => seg === '..') || /[\0\n\r]/.test(path)) {
    throw new RepoError('Unsafe', ACTION, object, `the pod's annotations name an unsafe file path '${path.replace(/[\0-\x1f]/g, '?')}'`);
  }
  return path;
}

async function health(session: KubeSession, ns: string, pod: string, c: Obj | undefined): Promise<VerifyPodResult['health']> {
  const probe = c?.readinessProbe?.httpGet as { path?: string; port?: number | string } | undefined;
  if (!probe) return { ok: false, reason: 'the serving container has no HTTP readiness probe to read' };
  const port = typeof probe.port === 'number' ? probe.port : ((c?.ports ?? []) as Obj[]).find((p) => p.name === probe.port)?.containerPort as number | undefined;
  const path = probe.path ?? '/';
  if (port === undefined) return { path, ok: false, reason: `the probe's port '${probe.port}' is not a port of the container` };
  try {
    const answer = await session.core.connectGetNamespacedPodProxyWithPath({ name: `${pod}:${port}`, namespace: ns, path: path.replace(/^\/+/, '') });
    return { path, port, ok: true, answer: String(answer).slice(0, 200) };
  } catch (e) {
    const err = session.error(e, 'read the health of', `pod ${ns}/${pod}:${port}${path}`);
    if (['Auth', 'Aborted'].includes(err.code)) throw err;
    return { path, port, ok: false, reason: err.reason };
  }
}

export async function verifyPod(pod: string, o: VerifyPodOptions = {}): Promise<VerifyPodResult> {
  const session = await openKube(o, ACTION);
  const ns = o.namespace ?? session.namespace;
  const object = `pod ${ns}/${pod}`;
  let p: Obj;
  try {
    p = await session.core.readNamespacedPod({ name: pod, namespace: ns }) as Obj;
  } catch (e) {
    throw session.error(e, ACTION, object);
  }
  const ann = (p.metadata?.annotations ?? {}) as Record<string, string>;
  const model = ann[A('model')];
  if (p.metadata?.labels?.['app.kubernetes.io/managed-by'] !== 'modelrepo' || !model) {
    throw new RepoError('Config', ACTION, object, 'it was not made by modelrepo (no app.kubernetes.io/managed-by=modelrepo label and modelrepo.io/model annotation)');
  }
  const mode = ann[A('mode')] ?? 'pinned';
  const version = ann[A('version')];
  const file = ann[A('file')];
  const where = modelFileIn(p, file, mode);
  let recorded: VerifyPodResult['recorded'] = { from: 'annotations', ...(/^[0-9a-f]{64}$/.test(ann[A('sha256')] ?? '') ? { sha256: ann[A('sha256')] } : {}) };
  try {
    const files = JSON.parse(ann[A('files')] ?? '[]') as { file?: string; size?: number }[];
    const size = files.find((f) => f.file === file)?.size;
    if (typeof size === 'number') recorded = { ...recorded, size };
  } catch { /* a malformed annotation records nothing */ }
  if (mode === 'pinned' && version && file && o.record) {
    const r = await o.record({ model, version, file, ...(ann[A('ref')] ? { ref: ann[A('ref')] } : {}) });
    if (r) recorded = { ...r, from: 'repository' };
  }
  let seen: FileRecord = {};
  let fileOutcome: FileOutcome = 'unchecked';
  let fileReason = where.reason;
  if (where.path && where.container) {
    const path = checkedPath(where.path, object);
    const run = (cmd: string[]) => execInPod(session, ns, pod, where.container!.name as string, cmd, { timeoutMs: o.execTimeoutMs ?? 900_000, signal: o.signal });
    const sum = await run(['sha256sum', path]);
    const stat = sum.exitCode === 0 ? await run(['stat', '-L', '-c', '%s', path]) : undefined;
    const sha256 = /^([0-9a-f]{64})\s/.exec(sum.stdout)?.[1];
    const size = stat && stat.exitCode === 0 && /^\d+\s*$/.test(stat.stdout) ? Number(stat.stdout.trim()) : undefined;
    seen = { ...(sha256 ? { sha256 } : {}), ...(size !== undefined ? { size } : {}) };
    if (!sha256) {
      fileReason = `sha256sum ${path} failed in container ${where.container.name} (exit ${sum.exitCode}): ${(sum.stderr || sum.message || '').trim().slice(0, 200)}`;
    } else if (mode === 'follow') {
      fileReason = 'the pod follows a tag: which version it holds is decided at pod start (its init container log names it)';
    } else if (!recorded.sha256) {
      fileReason = 'no sha256 is recorded for this file (a version written by another tool)';
    } else {
      const bad = recorded.sha256 !== sha256 || (recorded.size !== undefined && size !== undefined && recorded.size !== size);
      fileOutcome = bad ? 'mismatch' : 'match';
    }
  }
  const h = await health(session, ns, pod, where.container);
  const show = (r: FileRecord): string => `sha256 ${r.sha256 ?? '?'}, ${r.size ?? '?'} bytes`;
  const lines = [
    `pod ${ns}/${pod}: ${model}${version ? `@${version}` : ''}${file ? `/${file}` : ''} (${mode})`,
    ...(where.path ? [`file ${where.path} in container ${where.container?.name}: ${show(seen)}`] : []),
    `recorded (${recorded.from}): ${show(recorded)}`,
    `file: ${fileOutcome === 'match' ? 'MATCHES the record' : fileOutcome === 'mismatch' ? 'DOES NOT MATCH the record' : `not checked: ${fileReason}`}`,
    `health: ${h.ok ? `GET ${h.path} on port ${h.port} answered ${JSON.stringify(h.answer ?? '')}` : `not healthy: ${h.reason}`}`,
  ];
  return {
    pod, namespace: ns, model, ...(version ? { version } : {}), ...(file ? { file } : {}),
    ...(where.container ? { container: where.container.name as string } : {}), ...(where.path ? { path: where.path } : {}),
    recorded, seen, fileOutcome, ...(fileReason && fileOutcome === 'unchecked' ? { fileReason } : {}), health: h, lines,
  };
}
