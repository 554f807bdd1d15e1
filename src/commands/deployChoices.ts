// The questions every deploy command asks (Generate Kubernetes YAML, A/B Deployment, Apply to Cluster):
// workload kind, runtime, follow the tag or pin, replicas, and the kubectl context and namespace. Only
// choices that can serve the resolved files are offered: the runtimes of the table that read their
// format, and follow only for a tag, a Pod or Deployment and a runtime that can follow. Given an options
// object (tests, scripts) the commands ask nothing and fill in the same defaults.
import * as vscode from 'vscode';
import type { ModelMode, RuntimeName, WorkloadKind } from '../core/manifests/manifestInput';
import { DEFAULT_NODE_CACHE_PATH, HOSTPATH_NOTE } from '../core/manifests/nodeCache';
import type { NodeCacheChoice } from '../core/manifests/nodeCache';
import { RUNTIMES, runtimesServing } from '../core/manifests/runtimes/runtimeTable';
import type { ResolvedRef } from '../core/types';
import { readKubeconfig } from '../vscode/kubeconfig';
import type { KubeInfo } from '../vscode/kubeconfig';
import type { Log } from '../vscode/log';
import { defaultNamespace } from '../vscode/settings';
import { ask } from './input';
import { cancelled } from './pick';

/** The options object of the deploy commands (every field optional; the old `mode: 'pin'` still works). */
export interface DeployArgs {
  readonly kind?: WorkloadKind;
  readonly runtime?: RuntimeName;
  readonly mode?: ModelMode | 'pin';
  readonly replicas?: number;
  readonly gpus?: number;
  readonly namespace?: string;
  readonly context?: string;
  /** Folder repositories: how pods reach the folder. */
  readonly nfsServer?: string;
  readonly nfsPath?: string;
  /** Fetch through the per-node cache (README "Node cache"); `{}` is the default hostPath folder. */
  readonly nodeCache?: NodeCacheChoice;
}

export interface Variant {
  readonly kind: WorkloadKind;
  readonly runtime: RuntimeName;
  readonly mode: ModelMode;
  readonly replicas?: number;
  readonly gpus?: number;
  readonly nodeCache?: NodeCacheChoice;
}

interface Choice<T> extends vscode.QuickPickItem { readonly value: T }

async function choose<T>(action: string, items: readonly Choice<T>[], placeHolder: string): Promise<T> {
  if (items.length === 1) return items[0].value;
  const picked = await vscode.window.showQuickPick(items, { placeHolder, ignoreFocusOut: true });
  if (!picked) throw cancelled(action);
  return picked.value;
}

/** The runtimes that can serve these files, in the table's order (its first is the default). */
export function runtimesFor(resolved: readonly ResolvedRef[]): RuntimeName[] {
  return runtimesServing(resolved.map((r) => r.artifacts.map((a) => a.name)));
}

const KINDS: readonly Choice<WorkloadKind>[] = [
  { label: 'Pod', description: 'one server, quickest to try', value: 'pod' },
  { label: 'Deployment', description: 'replicas, rolling update, and a Service in front', value: 'deployment' },
  { label: 'KServe InferenceService', description: "KServe's storage initializer copies the model (KServe must be installed)", value: 'kserve' },
];

const runtimeItem = (name: RuntimeName): Choice<RuntimeName> => ({ label: RUNTIMES[name].label, description: RUNTIMES[name].description, value: name });

export interface VariantQuestion {
  readonly action: string;
  readonly refText: string;
  /** Every reference deployed (two for A/B). */
  readonly resolved: readonly ResolvedRef[];
  /** The references are tags (follow is possible). */
  readonly tags: boolean;
  readonly clusterPull: boolean;
  /** What pinning means, for the choice: `2024-03-20/llama-3-8b.Q5_K_M.gguf`. */
  readonly pinned: string;
  /** Fixed kind (A/B is Deployments). */
  readonly kind?: WorkloadKind;
  /** Ask the replicas of a Deployment (A/B asks per arm instead). */
  readonly askReplicas: boolean;
}

/** The variant: from the arguments when scripted, else asked (only what has more than one answer). */
export async function chooseVariant(q: VariantQuestion, a: DeployArgs, scripted: boolean): Promise<Variant> {
  const runtimes = runtimesFor(q.resolved);
  const given = { ...(a.replicas !== undefined ? { replicas: a.replicas } : {}), ...(a.gpus !== undefined ? { gpus: a.gpus } : {}) };
  const argMode: ModelMode | undefined = a.mode === 'pin' ? 'pinned' : a.mode;
  if (scripted) {
    return { kind: q.kind ?? a.kind ?? 'pod', runtime: a.runtime ?? runtimes[0], mode: argMode ?? 'pinned', ...given, ...(a.nodeCache ? { nodeCache: a.nodeCache } : {}) };
  }
  const title = `Manifest for ${q.refText}`;
  const kind = q.kind ?? a.kind ?? await choose(q.action, KINDS.filter((k) => q.clusterPull || k.value !== 'kserve'), `${title}: workload kind`);
  const runtime = a.runtime ?? await choose(q.action, runtimes.map(runtimeItem), `${title}: inference server`);
  let mode: ModelMode = argMode ?? 'pinned';
  if (argMode === undefined && q.tags) {
    const rt = RUNTIMES[runtime];
    const cannotFollow = kind === 'kserve' ? 'KServe reads one fixed location'
      : rt.cannotFollow !== undefined ? `${rt.server} ${rt.cannotFollow}` : undefined;
    const items: Choice<ModelMode>[] = [{
      label: `$(pinned) Pin ${q.pinned}`, description: 'the pod keeps this exact file even when the tag moves', value: 'pinned',
    }];
    if (!cannotFollow) {
      items.unshift({
        label: '$(sync) Follow the tag (resolved at pod start)', value: 'follow',
        description: 'moving the tag rolls out when the pods restart',
        detail: 'The init container resolves the tag each time a pod starts and checks the sha256 of what it copies.',
      });
    } else {
      items[0] = { ...items[0], detail: `${cannotFollow}, so it cannot follow a tag: regenerate after moving it.` };
    }
    // One item is still shown: the user sees what is pinned before the document opens.
    const picked = await vscode.window.showQuickPick(items, { placeHolder: `${title}: follow the tag, or pin the version the tag resolves to now`, ignoreFocusOut: true });
    if (!picked) throw cancelled(q.action, q.refText);
    mode = picked.value;
  }
  let replicas = a.replicas;
  if (replicas === undefined && q.askReplicas && kind === 'deployment') {
    replicas = Number(await ask(q.action, { prompt: `${title}: replicas of the Deployment`, value: '1', validateInput: wholeNumber }));
  }
  const nodeCache = a.nodeCache ?? await chooseNodeCache(q, kind, runtime, title);
  return { kind, runtime, mode, ...given, ...(replicas !== undefined ? { replicas } : {}), ...(nodeCache ? { nodeCache } : {}) };
}

/** Where the pods keep the model: their own emptyDir (first, the default) or the node cache, offered only
 *  where the core accepts it (S3, a runtime that reads a local copy, no KServe, every sha256 recorded). */
async function chooseNodeCache(q: VariantQuestion, kind: WorkloadKind, runtime: RuntimeName, title: string): Promise<NodeCacheChoice | undefined> {
  const fits = q.clusterPull && kind !== 'kserve' && RUNTIMES[runtime].fromS3 === 'copy'
    && q.resolved.every((r) => r.artifacts.every((x) => x.sha256 !== undefined));
  if (!fits) return undefined;
  const items: Choice<'pod' | 'host' | 'pv'>[] = [
    { label: "$(file) Each pod's own emptyDir", description: 'every pod downloads the model', value: 'pod' },
    { label: `$(server) Node cache in ${DEFAULT_NODE_CACHE_PATH} (hostPath)`, description: 'download once per node', detail: `${HOSTPATH_NOTE}; the folder must be writable by uid 10001 on each node.`, value: 'host' },
    { label: '$(database) Node cache on a local PersistentVolume', description: 'download once per node, no hostPath', value: 'pv' },
  ];
  const where = await choose(q.action, items, `${title}: where the model is kept`);
  if (where === 'pod') return undefined;
  if (where === 'host') return {};
  const pvc = await ask(q.action, { prompt: `${title}: the PersistentVolumeClaim of the local PersistentVolume`, value: 'modelrepo-cache' });
  return { pvc };
}

export function wholeNumber(v: string): string | undefined {
  return /^\s*\d+\s*$/.test(v) && Number(v) <= 1000 ? undefined : 'a whole number from 0 to 1000';
}

export interface Target {
  readonly context?: string;
  readonly namespace?: string;
  readonly kube?: KubeInfo;
}

/** The kubectl context and namespace: given, else the kubeconfig's current context (or, asked, one of them). */
export async function chooseTarget(action: string, log: Log, a: DeployArgs, askContext: boolean): Promise<Target> {
  const kube = a.context && a.namespace ? undefined : await readKubeconfig(log);
  let context = a.context ?? kube?.current;
  if (!a.context && askContext && kube && kube.contexts.length > 1) {
    const items = [...kube.contexts].sort((x, y) => Number(y.name === context) - Number(x.name === context))
      .map((c) => ({ label: c.name, description: [c.name === context ? 'current' : '', c.namespace ? `namespace ${c.namespace}` : ''].filter(Boolean).join(', '), value: c.name }));
    context = await choose(action, items, 'kubectl context to apply to');
  }
  const namespace = a.namespace ?? kube?.contexts.find((c) => c.name === context)?.namespace ?? defaultNamespace();
  return { context, namespace, kube };
}
