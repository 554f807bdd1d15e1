// What `modelrepo prefetch --wait` reports per node, read from the API server only: the pre-pull
// DaemonSet's pods (one per node), each pod's init container state, and for a pod still fetching the last
// progress line of its log (`modelrepo: downloading <key>: <bytes> of <size> bytes`, written every few
// seconds by the node-cache script). classifyNode() is pure, so the rules are tested without a cluster.
import { FETCH_CONTAINER } from './apply';
import { openKube } from './kubeClient';
import type { KubeOptions } from './kubeClient';

export type NodeOutcome = 'cached' | 'downloading' | 'waiting' | 'failed';

export interface NodeReport {
  readonly node: string;
  readonly pod: string;
  readonly outcome: NodeOutcome;
  /** Bytes so far while downloading, from the log. */
  readonly bytes?: number;
  readonly total?: number;
  /** Why it failed, or what it waits for. */
  readonly reason?: string;
}

/** The parts of a pod's status the report needs. */
export interface PrefetchPodView {
  readonly name: string;
  readonly node?: string;
  readonly init?: { readonly running?: boolean; readonly waitingReason?: string; readonly exitCode?: number; readonly terminatedReason?: string; readonly restarts: number };
}

const PROGRESS = /^modelrepo: downloading .*: (\d+) of (\d+|\?) bytes$/;

/** The outcome of one node from its pod and the tail of the init container's log (if read). */
export function classifyNode(p: PrefetchPodView, log = ''): NodeReport {
  const base = { node: p.node ?? '(not scheduled)', pod: p.name };
  const lines = log.split('\n').filter((l) => l.startsWith('modelrepo: '));
  const last = lines.length > 0 ? lines[lines.length - 1] : undefined;
  const init = p.init;
  if (init?.exitCode === 0) return { ...base, outcome: 'cached' };
  const failure = [...lines].reverse().find((l) => /MISMATCH|FAILED|not writable|needs flock|needs a recorded sha256/.test(l));
  if (init?.exitCode !== undefined) return { ...base, outcome: 'failed', reason: failure ?? `${FETCH_CONTAINER} exited ${init.exitCode}${init.terminatedReason ? ` (${init.terminatedReason})` : ''}` };
  if (init?.waitingReason && /BackOff|Err|Invalid/.test(init.waitingReason)) {
    return { ...base, outcome: 'failed', reason: failure ?? `${init.waitingReason}${init.restarts > 0 ? ` after ${init.restarts} restarts` : ''}` };
  }
  if (init?.running) {
    const progress = [...lines].reverse().map((l) => PROGRESS.exec(l)).find((m) => m !== null);
    return {
      ...base, outcome: 'downloading',
      ...(progress ? { bytes: Number(progress[1]), ...(progress[2] !== '?' ? { total: Number(progress[2]) } : {}) } : {}),
      ...(last && !progress ? { reason: last.slice('modelrepo: '.length) } : {}),
    };
  }
  return { ...base, outcome: 'waiting', reason: init?.waitingReason ?? (p.node ? 'pod starting' : 'not scheduled yet') };
}

/** One line per node: `node-a: cached`, `node-b: downloading 1.2 GiB of 4.9 GiB`. */
export function nodeLine(r: NodeReport, size: (n: number) => string): string {
  if (r.outcome === 'downloading') {
    const amount = r.bytes !== undefined ? ` ${size(r.bytes)}${r.total !== undefined ? ` of ${size(r.total)}` : ''}` : '';
    return `${r.node}: downloading${amount}${r.reason ? ` (${r.reason})` : ''}`;
  }
  return `${r.node}: ${r.outcome}${r.reason ? `: ${r.reason}` : ''}`;
}

/** The report of every pod the selector matches (one per node), logs read only where they tell more. */
export async function prefetchReports(labelSelector: string, namespace: string | undefined, opts: KubeOptions = {}): Promise<NodeReport[]> {
  const session = await openKube(opts, 'read the pre-pull of');
  const ns = namespace ?? session.namespace;
  let items;
  try {
    items = (await session.core.listNamespacedPod({ namespace: ns, labelSelector })).items;
  } catch (e) {
    throw session.error(e, 'list the pods of', `${ns}/${labelSelector}`);
  }
  const out: NodeReport[] = [];
  for (const pod of items) {
    const st = (pod.status?.initContainerStatuses ?? []).find((c) => c.name === FETCH_CONTAINER);
    const view: PrefetchPodView = {
      name: pod.metadata?.name ?? '', node: pod.spec?.nodeName,
      init: st ? {
        running: st.state?.running !== undefined, waitingReason: st.state?.waiting?.reason,
        exitCode: st.state?.terminated?.exitCode ?? st.lastState?.terminated?.exitCode,
        terminatedReason: st.state?.terminated?.reason, restarts: st.restartCount ?? 0,
      } : undefined,
    };
    const first = classifyNode(view);
    let log = '';
    if (first.outcome !== 'cached' && (view.init?.running || view.init?.exitCode !== undefined)) {
      try {
        log = await session.core.readNamespacedPodLog({ name: view.name, namespace: ns, container: FETCH_CONTAINER, tailLines: 20 });
      } catch {
        // the log is an extra: the state alone still answers
      }
    }
    out.push(classifyNode(view, log));
  }
  return out.sort((a, b) => a.node.localeCompare(b.node));
}
