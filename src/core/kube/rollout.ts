// After an apply: which pods to watch for each workload that was applied, and waiting until each one's
// model has arrived (its copy init container ended), the pod failed, or the time is up. The CLI's
// `apply --wait` and the extension's "Apply to Cluster" both show what this returns: the pod's status
// line and the init container's own log lines ("... arrived, sha256 ok").
import { RepoError } from '../errors';
import { fetchSummary, FETCH_CONTAINER, formatPodStatus, initContainerLog, listPods, podStatus } from './apply';
import type { AppliedObject, ApplyObject, KubeOptions, PodStatusSummary } from './apply';

/** The init container KServe's webhook adds to a predictor pod. */
export const KSERVE_INIT_CONTAINER = 'storage-initializer';

export interface PodTarget {
  /** The applied workload: `Pod llama-3-8b`, `Deployment llama-3-8b-canary`. */
  readonly workload: string;
  readonly namespace?: string;
  /** A bare Pod's name; otherwise the pods are found with labelSelector. */
  readonly pod?: string;
  readonly labelSelector?: string;
  /** The container whose end means "the model is there"; undefined when nothing is copied (a runtime
   *  that reads S3 itself, NFS). */
  readonly initContainer?: string;
}

export interface PodReport {
  readonly target: PodTarget;
  /** The pod watched (the first by name when a workload has several). */
  readonly pod?: string;
  readonly status?: PodStatusSummary;
  /** formatPodStatus() of the last status seen, or why there is none. */
  readonly statusText: string;
  /** The init container's log, when it could be read. */
  readonly log?: string;
  /** Its `modelrepo: ...` lines and whether they say the model arrived (modelrepo's own copy only). */
  readonly summary?: { readonly ok: boolean; readonly lines: readonly string[] };
  readonly outcome: 'arrived' | 'running' | 'failed' | 'timeout' | 'no-replicas';
  /** Why it failed or timed out. */
  readonly reason?: string;
}

interface Workload {
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { spec?: { initContainers?: { name: string }[] } };
    initContainers?: { name: string }[];
    predictor?: { minReplicas?: number };
  };
}

/** The pods to watch, one target per Pod, Deployment or InferenceService (applied[i] is objects[i]). */
export function podTargets(objects: readonly ApplyObject[], applied: readonly AppliedObject[]): PodTarget[] {
  const out: PodTarget[] = [];
  objects.forEach((o, i) => {
    const w = o as Workload;
    const name = w.metadata?.name ?? '';
    const namespace = applied[i]?.namespace ?? o.metadata?.namespace;
    const base = { workload: `${w.kind} ${name}`, ...(namespace !== undefined ? { namespace } : {}) };
    if (w.kind === 'Pod') {
      out.push({ ...base, pod: name, ...initOf(w.spec?.initContainers) });
    } else if (w.kind === 'Deployment') {
      if (w.spec?.replicas === 0) return;
      const labels = w.spec?.selector?.matchLabels ?? {};
      out.push({ ...base, labelSelector: selector(labels), ...initOf(w.spec?.template?.spec?.initContainers) });
    } else if (w.kind === 'InferenceService') {
      out.push({ ...base, labelSelector: `serving.kserve.io/inferenceservice=${name}`, initContainer: KSERVE_INIT_CONTAINER });
    }
  });
  return out;
}

const selector = (labels: Record<string, string>): string => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

function initOf(list: readonly { name: string }[] | undefined): { initContainer?: string } {
  const names = (list ?? []).map((c) => c.name);
  const name = names.includes(FETCH_CONTAINER) ? FETCH_CONTAINER : names[0];
  return name ? { initContainer: name } : {};
}

// Waiting reasons that do not go away by waiting longer.
const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff']);

export interface WaitOptions extends KubeOptions {
  /** Overall limit for all targets, default 10 minutes. */
  readonly waitMs?: number;
  /** Between two looks, default 2 s. */
  readonly pollMs?: number;
  /** Each status seen, for progress (`pod ml/x: Pending; fetch-model: running`). */
  readonly onStatus?: (target: PodTarget, text: string) => void;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RepoError('Aborted', 'wait for', 'the pods', 'cancelled'));
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(t); reject(new RepoError('Aborted', 'wait for', 'the pods', 'cancelled')); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a status says: still going, the model arrived (or the server runs, when nothing is copied), or failed. */
function judge(t: PodTarget, st: PodStatusSummary): { outcome?: PodReport['outcome']; reason?: string } {
  const init = t.initContainer ? st.initContainers.find((c) => c.name === t.initContainer) : undefined;
  if (init?.state === 'terminated') {
    return init.exitCode === 0 ? { outcome: 'arrived' } : { outcome: 'failed', reason: `${init.name} exited with ${init.exitCode ?? 'no code'}${init.reason ? ` (${init.reason})` : ''}` };
  }
  const stuck = [...st.initContainers, ...st.containers].find((c) => c.state === 'waiting' && c.reason && STUCK.has(c.reason));
  if (stuck) return { outcome: 'failed', reason: `${stuck.name}: ${stuck.reason}` };
  if (st.phase === 'Failed') return { outcome: 'failed', reason: st.message ?? 'the pod failed' };
  if (!init && (st.phase === 'Running' || st.phase === 'Succeeded')) return { outcome: 'running' };
  return {};
}

async function readLog(t: PodTarget, pod: string, opts: KubeOptions): Promise<{ log?: string; summary?: PodReport['summary'] }> {
  if (!t.initContainer) return {};
  try {
    const log = await initContainerLog(pod, t.namespace, { ...opts, container: t.initContainer, tailLines: 200 });
    return { log, ...(t.initContainer === FETCH_CONTAINER ? { summary: fetchSummary(log) } : {}) };
  } catch (e) {
    // A container that never started has no log (the API says 400 or 404): the status says why. An
    // unreachable server, refused credentials or a cancel are the caller's business.
    if (e instanceof RepoError && ['Network', 'Auth', 'Permission', 'Aborted'].includes(e.code)) throw e;
    return {};
  }
}

async function watchOne(t: PodTarget, deadline: number, opts: WaitOptions): Promise<PodReport> {
  const poll = opts.pollMs ?? 2000;
  let pod = t.pod;
  let last: PodStatusSummary | undefined;
  for (;;) {
    if (!pod && t.labelSelector) pod = (await listPods(t.labelSelector, t.namespace, opts)).sort()[0];
    if (pod) {
      try {
        last = await podStatus(pod, t.namespace, opts);
      } catch (e) {
        // Just created: the pod may not be visible yet.
        if (!(e instanceof RepoError && e.code === 'NotFound')) throw e;
      }
    }
    if (last && pod) {
      const text = formatPodStatus(last);
      opts.onStatus?.(t, `pod ${last.namespace}/${pod}: ${text}`);
      const { outcome, reason } = judge(t, last);
      if (outcome) {
        const logs = outcome === 'running' ? {} : await readLog(t, pod, opts);
        const badLog = logs.summary && !logs.summary.ok && outcome === 'arrived';
        return { target: t, pod, status: last, statusText: text, ...logs,
          outcome: badLog ? 'failed' : outcome, ...(reason || badLog ? { reason: reason ?? 'the copy log does not say the model arrived' } : {}) };
      }
    }
    if (Date.now() + poll > deadline) {
      const logs = pod && last ? await readLog(t, pod, opts) : {};
      return { target: t, ...(pod ? { pod } : {}), ...(last ? { status: last } : {}), ...logs,
        statusText: last ? formatPodStatus(last) : pod ? 'no status yet' : 'no pod yet',
        outcome: 'timeout', reason: `not done within ${Math.round((opts.waitMs ?? 600_000) / 1000)} s` };
    }
    await sleep(poll, opts.signal);
  }
}

/** Watches every target until its model arrived, it failed, or waitMs (shared) is over. */
export async function waitForPods(targets: readonly PodTarget[], opts: WaitOptions = {}): Promise<PodReport[]> {
  const deadline = Date.now() + (opts.waitMs ?? 600_000);
  const reports: PodReport[] = [];
  for (const t of targets) reports.push(await watchOne(t, deadline, opts));
  return reports;
}

/** Lines for people: the status, then the init container's log (its `modelrepo:` lines when it has them). */
export function reportLines(r: PodReport): string[] {
  const where = r.pod ? `pod ${r.target.namespace ? `${r.target.namespace}/` : ''}${r.pod}` : r.target.workload;
  const lines = [`${where}: ${r.statusText}`];
  if (r.outcome === 'failed' || r.outcome === 'timeout') lines.push(`  ${r.outcome === 'failed' ? 'failed' : 'timed out'}: ${r.reason ?? ''}`);
  const logLines = r.summary && r.summary.lines.length > 0 ? r.summary.lines : (r.log ?? '').split('\n').filter((l) => l.trim()).slice(-20);
  if (r.target.initContainer && logLines.length > 0) {
    lines.push(`  ${r.target.initContainer} log:`, ...logLines.map((l) => `    ${l}`));
  }
  return lines;
}
