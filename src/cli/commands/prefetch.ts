// `modelrepo prefetch <ref> [--node-selector k=v] [--toleration key[=value]:Effect] [--wait]`: server-side
// applies a DaemonSet whose init container fills each selected node's cache with the files the reference
// resolves to now (the same node-cache script a serving pod runs), then idles in a pause container.
// --wait reports per node, from the API server only: cached, downloading (bytes so far, from the init
// container's log), or failed and why. --print shows the YAML (placeholder keys) instead of applying.
import type { Toleration } from 'kubernetes-types/core/v1';
import { backendOf } from '../../core/backends/index';
import { applyWithClient } from '../../core/kube/apply';
import { nodeLine, prefetchReports } from '../../core/kube/prefetchStatus';
import { humanSize } from '../../core/manifests/initScript';
import { manifestInputFor } from '../../core/manifests/manifestInput';
import type { KubeOptions } from '../../core/kube/kubeClient';
import { removePrefetch } from '../../core/kube/prefetchRemove';
import { dnsLabel } from '../../core/manifests/k8sNames';
import { buildPrefetch, parseNodeSelector, parseToleration, PREFETCH_COMPONENT, prefetchSelector } from '../../core/manifests/prefetch';
import { toYaml } from '../../core/manifests/toYaml';
import { RepoError } from '../../core/errors';
import { parseRef, formatRef } from '../../core/refs';
import type { CommandContext } from '../command';
import { defineCommand } from '../command';
import { modelRefOf } from '../describe';
import { DEPLOY_OPTIONS, withClusterEndpoint } from '../manifestBuild';
import { UsageError } from '../exitCodes';
import { NODE_CACHE_OPTIONS, nodeCacheFrom } from '../nodeCacheFlags';
import { withSession } from '../session';

const USAGE = 'prefetch <repo>/<model>:<tag> | <repo>/<model>@<version> [--node-selector k=v]... [--toleration key[=value]:Effect]... '
  + '[--node-cache[=<dir>] | --node-cache-pvc <claim>] [--namespace N] [--context C] [--kubeconfig F] [--wait [--wait-timeout S]] [--print]\n'
  + '       modelrepo prefetch --remove <repo>/<model>[:<tag>|@<version>] [--namespace N] [--context C] [--kubeconfig F]';

const PREFETCH_OPTIONS = {
  ...NODE_CACHE_OPTIONS,
  'node-selector': { type: 'string', multiple: true, value: '<k=v>', description: 'only nodes with this label (repeatable)' },
  toleration: { type: 'string', multiple: true, value: '<key[=value]:Effect>', description: 'tolerate a taint (repeatable), e.g. nvidia.com/gpu:NoSchedule' },
  namespace: { type: 'string', value: '<N>', description: 'namespace of the objects' },
  'secret-name': { type: 'string', value: '<S>', description: 'the Secret with the S3 keys (default modelrepo-s3)' },
  context: { type: 'string', value: '<C>', description: "kubeconfig context (default: the kubeconfig's current context)" },
  kubeconfig: { type: 'string', value: '<F>', description: 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' },
  wait: { type: 'boolean', description: 'report per node until every node is cached or failed' },
  'wait-timeout': { type: 'string', value: '<seconds>', description: 'how long --wait waits in all (default 1800)' },
  print: { type: 'boolean', description: 'print the YAML (placeholder keys) instead of applying it' },
  remove: { type: 'boolean', description: "delete the model's pre-pull DaemonSet (label-selected: only modelrepo's pre-pull)" },
  'cluster-endpoint': DEPLOY_OPTIONS['cluster-endpoint'],
} as const;

type PrefetchContext = CommandContext<typeof PREFETCH_OPTIONS>;

function selectorOf(items: readonly string[], usage: string): Record<string, string> | undefined {
  if (items.length === 0) return undefined;
  const out = parseNodeSelector(items);
  if (!out) throw new UsageError(`--node-selector '${items.join(' ')}' is not key=value`, usage);
  return out;
}

function tolerationOf(text: string, usage: string): Toleration {
  const t = parseToleration(text);
  if (!t) throw new UsageError(`--toleration '${text}' is not key[=value][:NoSchedule|PreferNoSchedule|NoExecute]`, usage);
  return t;
}

const kubeOf = (ctx: PrefetchContext): KubeOptions => ({
  ...(ctx.flags.kubeconfig !== undefined ? { kubeconfig: ctx.flags.kubeconfig } : {}),
  ...(ctx.flags.context !== undefined ? { context: ctx.flags.context } : {}),
  signal: ctx.signal, timeouts: ctx.global.timeouts,
});

/** --remove: the DaemonSets labelled as this model's pre-pull, nothing else; none is not an error. */
async function remove(ctx: PrefetchContext, usage: string): Promise<void> {
  const others = (['print', 'wait', 'node-selector', 'toleration', 'node-cache', 'node-cache-dir', 'node-cache-pvc'] as const).filter((f) => ctx.flags[f] !== undefined && ctx.flags[f] !== false);
  if (others.length > 0) throw new UsageError(`--remove takes no --${others.join(', --')}`, usage);
  const ref = parseRef(ctx.args[0], { file: false });
  const namespace = ctx.flags.namespace;
  const removed = await removePrefetch(prefetchSelector(dnsLabel(ref.model)), namespace, kubeOf(ctx));
  for (const r of removed) ctx.out.text(`removed ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`);
  if (removed.length === 0) ctx.out.note(`no pre-pull of ${ref.model} in ${namespace ? `namespace ${namespace}` : "the context's namespace"}`);
  ctx.out.data({ removed });
}

export const prefetchCommand = defineCommand({
  name: 'prefetch',
  summary: 'pre-pull a model into the node cache of every selected node (a DaemonSet); --wait reports per node',
  usage: USAGE,
  help: `Applies (server-side, field manager 'modelrepo', keys from memory) a Secret and a DaemonSet
'<model>-prefetch'. On each node it selects, the init container downloads the files the reference resolves
to now into the node cache, once per node, checking their sha256 (the same script as a serving pod's with
--node-cache); a pause container then keeps the pod Ready. Use the same --node-cache / --node-cache-pvc
as the deployment. The pre-pull holds no lease: when the cache passes its high watermark, pre-pulled blobs
nobody runs are evicted like any other. --remove deletes the model's pre-pull DaemonSet when done (only
those modelrepo labelled as its pre-pull; the Secret stays, serving pods read it); the cached files stay
on the nodes until evicted.
--wait reports each node: cached, downloading (bytes so far) or failed and why; exit 9 when a node failed
or --wait-timeout passed. --print writes the YAML (placeholder keys) instead of applying.

examples:
  modelrepo prefetch localai/models/llama-3-8b:latest --node-selector pool=gpu --toleration nvidia.com/gpu:NoSchedule --wait
  modelrepo prefetch localai/models/llama-3-8b@2024-03-20 --node-cache=/mnt/nvme/models --print | kubectl apply -f -
  modelrepo prefetch --remove localai/models/llama-3-8b`,
  options: PREFETCH_OPTIONS,
  args: { min: 1, max: 1 },
  async run(ctx) {
    const usage = `modelrepo ${USAGE}`;
    if (ctx.flags.remove === true) { await remove(ctx, usage); return; }
    const timeoutText = ctx.flags['wait-timeout'];
    if (timeoutText !== undefined && !/^\d+$/.test(timeoutText)) throw new UsageError(`--wait-timeout '${timeoutText}' is not a number of seconds`, usage);
    const nodeSelector = selectorOf(ctx.flags['node-selector'] ?? [], usage);
    const tolerations = (ctx.flags.toleration ?? []).map((t) => tolerationOf(t, usage));
    const nodeCache = nodeCacheFrom(ctx.flags, usage) ?? {};
    const print = ctx.flags.print === true;
    const ref = parseRef(ctx.args[0], { selector: 'required', file: true });
    const namespace = ctx.flags.namespace;
    const secretName = ctx.flags['secret-name'];
    const objects = await withSession(ref.repo, ctx.global, async (s) => {
      const resolved = await s.repo.resolve(modelRefOf(ref), ctx.signal);
      ctx.out.note(`# ${resolved.chain.join(' -> ')}`);
      const pulls = !print && backendOf(s.config).clusterPull;
      const credentials = pulls ? backendOf(s.config).podKeys(s.config) : undefined;
      if (pulls && !credentials) throw new UsageError('prefetch puts the keys into the Secret: this connection has no explicit keys', usage);
      const input = manifestInputFor(resolved, withClusterEndpoint(s.config, ctx.flags, usage), {
        ref: formatRef(ref), nodeCache, ...(namespace ? { namespace } : {}), ...(secretName ? { secretName } : {}), ...(credentials ? { credentials } : {}),
      });
      return buildPrefetch(input, { ...(nodeSelector ? { nodeSelector } : {}), tolerations });
    });
    if (print) { ctx.out.raw(toYaml(objects)); return; }
    const kube = kubeOf(ctx);
    const applied = await applyWithClient(objects, kube);
    for (const a of applied) ctx.out.text(`applied ${a.kind} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`);
    if (ctx.flags.wait !== true) { ctx.out.data({ applied }); return; }
    const ds = objects[1];
    const ns = applied.find((a) => a.kind === 'DaemonSet')?.namespace;
    const selector = Object.entries(ds.spec!.selector.matchLabels!).map(([k, v]) => `${k}=${v}`).join(',');
    const deadline = Date.now() + (timeoutText !== undefined ? Number(timeoutText) : 1800) * 1000;
    const pollMs = process.env.MODELREPO_POLL_MS ? Number(process.env.MODELREPO_POLL_MS) : 5000;
    let reports = await prefetchReports(selector, ns, kube);
    let shown = '';
    for (;;) {
      const text = reports.map((r) => nodeLine(r, humanSize)).join('\n');
      if (text !== shown) { ctx.out.note(text || `no ${PREFETCH_COMPONENT} pods yet`); shown = text; }
      const settled = reports.length > 0 && reports.every((r) => r.outcome === 'cached' || r.outcome === 'failed');
      if (settled || Date.now() > deadline || ctx.signal.aborted) break;
      await new Promise((r) => setTimeout(r, pollMs));
      reports = await prefetchReports(selector, ns, kube);
    }
    for (const r of reports) ctx.out.text(nodeLine(r, humanSize));
    const bad = reports.filter((r) => r.outcome !== 'cached');
    if (bad.length > 0 || reports.length === 0) {
      throw new RepoError('Incomplete', 'pre-pull', formatRef(ref), reports.length === 0 ? 'no node runs the pre-pull pod (check --node-selector and --toleration)'
        : bad.map((r) => nodeLine(r, humanSize)).join('; '), { details: { applied, nodes: reports } });
    }
    ctx.out.data({ applied, nodes: reports });
  },
});
