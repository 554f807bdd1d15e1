// "Pre-pull to Nodes...": on a tag or version, applies the pre-pull DaemonSet (src/core/manifests/prefetch.ts)
// with the connection's keys from SecretStorage, then reports per node, from the API server, until every
// node has the files in its cache or failed: `node-a: cached`, `node-b: downloading 1.0 GiB of 4.0 GiB`.
import * as vscode from 'vscode';
import { backendOf } from '../core/backends/index';
import { RepoError } from '../core/errors';
import { applyWithClient } from '../core/kube/apply';
import type { AppliedObject } from '../core/kube/apply';
import { nodeLine, prefetchReports } from '../core/kube/prefetchStatus';
import type { NodeReport } from '../core/kube/prefetchStatus';
import { humanSize } from '../core/manifests/initScript';
import { manifestInputFor } from '../core/manifests/manifestInput';
import type { NodeCacheChoice } from '../core/manifests/nodeCache';
import { buildPrefetch } from '../core/manifests/prefetch';
import { withCancellableProgress } from '../vscode/progress';
import { chooseTarget } from './deployChoices';
import { refOf } from './deployPlan';
import { ask, confirm } from './input';
import type { NonInteractive } from './input';
import { options, pickRef } from './pick';
import type { Services } from './services';

export interface PrefetchArgs extends NonInteractive {
  readonly namespace?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
  /** `k=v` labels the nodes must have; asked when not given (empty: every node). */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly nodeCache?: NodeCacheChoice;
  readonly waitMs?: number;
  readonly pollMs?: number;
}

const ACTION = 'pre-pull to nodes';

function selectorOf(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/.exec(part);
    if (!m) throw new RepoError('Config', ACTION, `node selector '${part}'`, 'give key=value pairs separated by commas');
    out[m[1]] = m[2];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export async function prefetchToNodes(s: Services, node: unknown, raw: unknown): Promise<{ applied: readonly AppliedObject[]; nodes: readonly NodeReport[] }> {
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
  const nodeSelector = a.nodeSelector ?? (scripted ? undefined
    : selectorOf(await ask(ACTION, { prompt: `Pre-pull ${text}: only nodes with these labels (k=v,k2=v2; empty: every node)`, value: '' })));
  const input = manifestInputFor(resolved, cfg, {
    ref: text, credentials, nodeCache: a.nodeCache ?? {}, ...(target.namespace ? { namespace: target.namespace } : {}),
  });
  const [secret, ds] = buildPrefetch(input, { ...(nodeSelector ? { nodeSelector } : {}) });
  if (!scripted) {
    await confirm(ACTION, `Pre-pull ${text} into the node cache of ${nodeSelector ? 'the nodes labelled ' + Object.entries(nodeSelector).map(([k, v]) => `${k}=${v}`).join(',') : 'every node'}?`,
      `DaemonSet ${ds.metadata!.name} and Secret ${secret.metadata!.name} (keys from SecretStorage), server-side applied; the cache is a hostPath folder unless a PersistentVolumeClaim is given.`, 'Pre-pull');
  }
  const kube = { ...(a.kubeconfig ? { kubeconfig: a.kubeconfig } : {}), ...(target.context ? { context: target.context } : {}) };
  const selector = Object.entries(ds.spec!.selector.matchLabels!).map(([k, v]) => `${k}=${v}`).join(',');
  return withCancellableProgress(`Pre-pulling ${text}`, async (progress, signal) => {
    const applied = await applyWithClient([secret, ds], { ...kube, signal });
    const ns = applied.find((x) => x.kind === 'DaemonSet')?.namespace;
    const deadline = Date.now() + (a.waitMs ?? 30 * 60_000);
    let nodes = await prefetchReports(selector, ns, { ...kube, signal });
    while (!(nodes.length > 0 && nodes.every((r) => r.outcome === 'cached' || r.outcome === 'failed')) && Date.now() < deadline && !signal.aborted) {
      progress.report({ message: nodes.map((r) => nodeLine(r, humanSize)).join('; ') || 'waiting for the pods' });
      await new Promise((r) => setTimeout(r, a.pollMs ?? 5000));
      nodes = await prefetchReports(selector, ns, { ...kube, signal });
    }
    const lines = nodes.map((r) => nodeLine(r, humanSize));
    for (const l of lines) s.log.info(`pre-pull ${text}: ${l}`);
    const bad = nodes.filter((r) => r.outcome !== 'cached');
    const say = bad.length > 0 || nodes.length === 0 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void say(`Pre-pull ${text}: ${lines.join('; ') || 'no node runs the pre-pull pod'}`);
    return { applied, nodes };
  });
}
