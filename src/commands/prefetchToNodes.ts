// "Pre-pull to Nodes...": on a tag or version, applies the pre-pull DaemonSet (src/core/manifests/prefetch.ts)
// with the connection's keys from SecretStorage, then reports per node, from the API server, until every
// node has the files in its cache or failed: `node-a: cached`, `node-b: downloading 1.0 GiB of 4.0 GiB`.
// The user sees it per node three ways: in the progress notification while it runs, one log line per node
// in the output channel, and a summary notification (a warning when a node is not cached) with Show Log.
import type { Toleration } from 'kubernetes-types/core/v1';
import { backendOf } from '../core/backends/index';
import { RepoError } from '../core/errors';
import { applyWithClient } from '../core/kube/apply';
import type { AppliedObject } from '../core/kube/apply';
import { nodeLine, prefetchReports } from '../core/kube/prefetchStatus';
import type { NodeReport } from '../core/kube/prefetchStatus';
import { humanSize } from '../core/manifests/initScript';
import { manifestInputFor } from '../core/manifests/manifestInput';
import type { NodeCacheChoice } from '../core/manifests/nodeCache';
import { buildPrefetch, parseNodeSelector, parseToleration } from '../core/manifests/prefetch';
import { withCancellableProgress } from '../vscode/progress';
import { chooseTarget } from './deployChoices';
import { refOf } from './deployPlan';
import { ask, confirm } from './input';
import type { NonInteractive } from './input';
import { options, pickRef } from './pick';
import type { Services } from './services';
import { showLog } from './showLog';

export interface PrefetchArgs extends NonInteractive {
  readonly namespace?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
  /** The labels the nodes must have (`{ pool: 'gpu' }` or `'pool=gpu,zone=a'`); asked when not given (empty: every node). */
  readonly nodeSelector?: Readonly<Record<string, string>> | string;
  /** Taints to tolerate (`'nvidia.com/gpu:NoSchedule'` or Toleration objects); asked when not given (empty: none). */
  readonly tolerations?: readonly (Toleration | string)[] | string;
  readonly nodeCache?: NodeCacheChoice;
  readonly waitMs?: number;
  readonly pollMs?: number;
}

export interface PrefetchResult {
  readonly applied: readonly AppliedObject[];
  readonly nodes: readonly NodeReport[];
  /** What the user was shown, one line per node. */
  readonly lines: readonly string[];
  readonly summary: string;
}

const ACTION = 'pre-pull to nodes';

function selectorOf(v: PrefetchArgs['nodeSelector']): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  const out = typeof v === 'string' ? parseNodeSelector([v]) : { ...v };
  if (!out) throw new RepoError('Config', ACTION, `node selector '${String(v)}'`, 'give key=value pairs separated by commas');
  return Object.keys(out).length > 0 ? out : undefined;
}

function tolerationsOf(v: PrefetchArgs['tolerations']): Toleration[] {
  const items = v === undefined ? [] : typeof v === 'string' ? v.split(',').map((t) => t.trim()).filter(Boolean) : v;
  return items.map((t) => {
    if (typeof t !== 'string') return t;
    const parsed = parseToleration(t);
    if (!parsed) throw new RepoError('Config', ACTION, `toleration '${t}'`, 'give key[=value][:NoSchedule|PreferNoSchedule|NoExecute], separated by commas');
    return parsed;
  });
}

const tolerationText = (t: Toleration): string => `${t.key}${t.operator === 'Equal' ? `=${t.value ?? ''}` : ''}${t.effect ? `:${t.effect}` : ''}`;

export async function prefetchToNodes(s: Services, node: unknown, raw: unknown): Promise<PrefetchResult> {
  const a = options<PrefetchArgs>(raw);
  const scripted = a.nonInteractive === true;
  const n = await pickRef(s, node, ACTION);
  const { ref, text } = refOf(n);
  const resolved = await s.repos.use(n.place, ({ repo }) => repo.resolve(ref));
  const cfg = await s.repos.config(n.place);
  const backend = backendOf(cfg);
  const credentials = backend.clusterPull ? backend.podKeys(cfg) : undefined;
  if (!credentials) {
    throw new RepoError('Config', ACTION, text, 'the pre-pull copies from S3 with the connection\'s keys: use an S3 connection with keys in SecretStorage');
  }
  const target = await chooseTarget(ACTION, s.log, a, !scripted);
  const nodeSelector = selectorOf(a.nodeSelector ?? (scripted ? undefined
    : await ask(ACTION, { prompt: `Pre-pull ${text}: only nodes with these labels (k=v,k2=v2; empty: every node)`, placeHolder: 'pool=gpu', value: '' })));
  const tolerations = tolerationsOf(a.tolerations ?? (scripted ? undefined
    : await ask(ACTION, { prompt: `Pre-pull ${text}: tolerate these taints (key[=value]:Effect, comma-separated; empty: none)`, placeHolder: 'nvidia.com/gpu:NoSchedule', value: '' })));
  const input = manifestInputFor(resolved, cfg, {
    ref: text, credentials, nodeCache: a.nodeCache ?? {}, ...(target.namespace ? { namespace: target.namespace } : {}),
  });
  const [secret, ds] = buildPrefetch(input, { ...(nodeSelector ? { nodeSelector } : {}), tolerations });
  const where = `${nodeSelector ? `the nodes labelled ${Object.entries(nodeSelector).map(([k, v]) => `${k}=${v}`).join(',')}` : 'every node'}`
    + `${tolerations.length > 0 ? `, tolerating ${tolerations.map(tolerationText).join(', ')}` : ''}`;
  if (!scripted) {
    await confirm(ACTION, `Pre-pull ${text} into the node cache of ${where}?`,
      `DaemonSet ${ds.metadata!.name} and Secret ${secret.metadata!.name} (keys from SecretStorage), server-side applied; the cache is a hostPath folder unless a PersistentVolumeClaim is given.`, 'Pre-pull');
  }
  const kube = { ...(a.kubeconfig ? { kubeconfig: a.kubeconfig } : {}), ...(target.context ? { context: target.context } : {}) };
  const selector = Object.entries(ds.spec!.selector.matchLabels!).map(([k, v]) => `${k}=${v}`).join(',');
  const { applied, nodes } = await withCancellableProgress(`Pre-pulling ${text}`, async (progress, signal) => {
    const applied = await applyWithClient([secret, ds], { ...kube, signal });
    s.log.info(`pre-pull ${text}: applied ${applied.map((x) => `${x.kind} ${x.namespace ?? ''}/${x.name}`).join(', ')} for ${where}`);
    const ns = applied.find((x) => x.kind === 'DaemonSet')?.namespace;
    const deadline = Date.now() + (a.waitMs ?? 30 * 60_000);
    let nodes = await prefetchReports(selector, ns, { ...kube, signal });
    while (!(nodes.length > 0 && nodes.every((r) => r.outcome === 'cached' || r.outcome === 'failed')) && Date.now() < deadline && !signal.aborted) {
      progress.report({ message: nodes.map((r) => nodeLine(r, humanSize)).join('; ') || 'waiting for the pods' });
      await new Promise((r) => setTimeout(r, a.pollMs ?? 5000));
      nodes = await prefetchReports(selector, ns, { ...kube, signal });
    }
    return { applied, nodes };
  });
  const lines = nodes.map((r) => nodeLine(r, humanSize));
  for (const l of lines) s.log.info(`pre-pull ${text}: ${l}`);
  const cached = nodes.filter((r) => r.outcome === 'cached').length;
  const summary = nodes.length === 0 ? `Pre-pull ${text}: no node runs the pre-pull pod (check the node selector and the tolerations)`
    : `Pre-pull ${text}: ${cached} of ${nodes.length} nodes cached; ${lines.join('; ')}`;
  s.notify.show(cached === nodes.length && nodes.length > 0 ? 'info' : 'warning', summary, ['Show Log'], (c) => (c === 'Show Log' ? showLog(s) : undefined));
  return { applied, nodes, lines, summary };
}
