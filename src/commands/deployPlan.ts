// From a tree node (or a model and two tags for A/B) to the Kubernetes objects the deploy commands show
// or apply: resolve the reference(s), ask the variant and the target (deployChoices.ts), and build with
// the core. Keys: placeholders for a document (it could be saved), or the connection's real keys from
// SecretStorage for Apply to Cluster, where the objects go from memory straight to the API server.
import { backendOf } from '../core/backends/index';
import { RepoError } from '../core/errors';
import type { ConnectionConfig, S3Credentials } from '../core/connections/types';
import { buildAbManifests } from '../core/manifests/abTest';
import { buildManifests } from '../core/manifests/buildManifests';
import { dnsLabel } from '../core/manifests/k8sNames';
import { manifestInputFor } from '../core/manifests/manifestInput';
import { DEFAULT_NODE_CACHE_PATH } from '../core/manifests/nodeCache';
import type { ManifestOptions } from '../core/manifests/manifestInput';
import type { ModelRef, ResolvedRef } from '../core/types';
import type { ArtifactNode, ModelNode, TagNode, VersionNode } from '../tree/nodes';
import type { Place } from '../vscode/repositories';
import { chooseTarget, chooseVariant } from './deployChoices';
import type { DeployArgs, Target, Variant } from './deployChoices';
import { ask } from './input';
import type { Services } from './services';

export type KeyChoice = 'placeholder' | 'real';

export interface Plan {
  readonly objects: object[];
  /** `llama-3-8b:latest`, or `llama-3-8b A/B stable=3, canary=1`. */
  readonly title: string;
  /** One line per reference: `latest -> v2 -> 2024-03-20/x.gguf`. */
  readonly chains: readonly string[];
  /** What the pods serve: `pinned to 2024-03-20/x.gguf` or `follows tag latest (now 2024-03-20/x.gguf)`. */
  readonly serves: readonly string[];
  readonly variant: Variant;
  readonly target: Target;
  readonly connectionName: string;
  /** The Secret carries the connection's keys (only ever applied from memory, never shown). */
  readonly realKeys: boolean;
}

export interface PlanOptions {
  readonly action: string;
  readonly keys: KeyChoice;
  readonly scripted: boolean;
  /** Ask which kubeconfig context when there are several (apply). */
  readonly askContext: boolean;
  /** Extra options for the core (names). */
  readonly name?: string;
}

export function refOf(n: ArtifactNode | VersionNode | TagNode): { ref: ModelRef; text: string } {
  if (n.kind === 'tag') return { ref: { model: n.model, tag: n.info.name }, text: `${n.model}:${n.info.name}` };
  if (n.kind === 'artifact') return { ref: { model: n.model, version: n.info.version, file: n.info.name }, text: `${n.model}@${n.info.version}/${n.info.name}` };
  return { ref: { model: n.model, version: n.info.name }, text: `${n.model}@${n.info.name}` };
}

const pinnedText = (r: ResolvedRef): string => `${r.version}${r.file ? `/${r.file}` : ''}`;

/** The connection's config; a folder repository without NFS settings asks for them (and saves them). */
async function configFor(s: Services, place: Place, refText: string, a: DeployArgs, scripted: boolean, action: string): Promise<ConnectionConfig> {
  const cfg = await s.repos.config(place);
  const backend = backendOf(cfg);
  if (!backend.nfsMount || backend.nfsOf(cfg)) return cfg;
  const folder = 'path' in cfg ? cfg.path : '';
  const server = a.nfsServer ?? (scripted ? undefined : await ask(action, {
    prompt: `Pods reach ${folder} over NFS: the NFS server's address (saved in the connection)`, placeHolder: 'nfs.example.lan',
  }));
  if (!server) throw new RepoError('Config', action, refText, 'the folder repository has no NFS server set (edit the connection: NFS server, NFS export path)');
  const exportPath = a.nfsPath ?? (scripted ? folder : await ask(action, { prompt: 'The exported path that holds this repository', value: folder }));
  const withNfs = backend.withNfs(cfg, { server, path: exportPath || folder });
  if (!scripted) {
    const c = s.repos.connection(place.connectionId);
    await s.store.save({ ...c, nfsServer: server, nfsPath: exportPath || folder });
  }
  return withNfs;
}

function keysOf(cfg: ConnectionConfig, keys: KeyChoice, connection: string, action: string): S3Credentials | undefined {
  const backend = backendOf(cfg);
  if (keys === 'placeholder' || !backend.clusterPull) return undefined;
  const credentials = backend.podKeys(cfg);
  if (!credentials) {
    throw new RepoError('Config', action, connection,
      'the connection has no keys in SecretStorage (it uses an AWS profile), and the Secret needs them: edit the connection to store keys, or generate the YAML and create the Secret yourself');
  }
  return credentials;
}

function coreOptions(v: Variant, t: Target, extra: ManifestOptions): ManifestOptions {
  return {
    ...extra, kind: v.kind, runtime: v.runtime, mode: v.mode,
    ...(v.replicas !== undefined ? { replicas: v.replicas } : {}), ...(v.gpus !== undefined ? { gpus: v.gpus } : {}),
    ...(v.nodeCache ? { nodeCache: v.nodeCache } : {}),
    ...(t.namespace ? { namespace: t.namespace } : {}),
  };
}

function serves(v: Variant, r: ResolvedRef): string {
  return v.mode === 'follow' ? `follows tag ${r.chain[0]}, resolved at pod start (now ${pinnedText(r)})` : `pinned to ${pinnedText(r)}`;
}

/** One tag, version or file: a Pod, a Deployment or an InferenceService (with its Secret). */
export async function planSingle(s: Services, n: ArtifactNode | VersionNode | TagNode, a: DeployArgs, o: PlanOptions): Promise<Plan> {
  const { ref, text } = refOf(n);
  const { resolved, connection } = await s.repos.use(n.place, async ({ repo, connection }) => ({ resolved: await repo.resolve(ref), connection }));
  const cfg = await configFor(s, n.place, text, a, o.scripted, o.action);
  const credentials = keysOf(cfg, o.keys, connection.name, o.action);
  const variant = await chooseVariant({
    action: o.action, refText: text, resolved: [resolved], tags: n.kind === 'tag', clusterPull: backendOf(cfg).clusterPull, pinned: pinnedText(resolved), askReplicas: true,
  }, a, o.scripted);
  const target = await chooseTarget(o.action, s.log, a, o.askContext && !o.scripted);
  const input = manifestInputFor(resolved, cfg, coreOptions(variant, target, {
    ref: text, ...(o.name ? { name: o.name } : {}), ...(credentials ? { credentials } : {}),
  }));
  return {
    objects: buildManifests(input), title: text, chains: [resolved.chain.join(' -> ')], serves: [serves(variant, resolved)],
    variant, target, connectionName: connection.name, realKeys: credentials !== undefined,
  };
}

export interface AbArmArgs {
  readonly tag: string;
  readonly replicas: number;
}

/** Two (or more) tags of one model: one Deployment each, behind one Service. */
export async function planAb(s: Services, m: ModelNode, arms: readonly AbArmArgs[], a: DeployArgs, o: PlanOptions): Promise<Plan> {
  const { resolved, connection } = await s.repos.use(m.place, async ({ repo, connection }) =>
    ({ resolved: await Promise.all(arms.map((arm) => repo.resolve({ model: m.model, tag: arm.tag }))), connection }));
  const title = `${m.model} A/B ${arms.map((x) => `${x.tag}=${x.replicas}`).join(', ')}`;
  const cfg = await configFor(s, m.place, title, a, o.scripted, o.action);
  const credentials = keysOf(cfg, o.keys, connection.name, o.action);
  const variant = await chooseVariant({
    action: o.action, refText: title, resolved, tags: true, clusterPull: backendOf(cfg).clusterPull, kind: 'deployment',
    pinned: resolved.map(pinnedText).join(' and '), askReplicas: false,
  }, { ...a, kind: 'deployment' }, o.scripted);
  const target = await chooseTarget(o.action, s.log, a, o.askContext && !o.scripted);
  const objects = buildAbManifests(arms.map((arm, i) => ({
    track: dnsLabel(arm.tag, 12), replicas: arm.replicas,
    input: manifestInputFor(resolved[i], cfg, coreOptions(variant, target, { ref: `${m.model}:${arm.tag}`, ...(credentials ? { credentials } : {}) })),
  })), { ...(o.name ? { name: o.name } : {}), ...(target.namespace ? { namespace: target.namespace } : {}) });
  return {
    objects, title, chains: resolved.map((r) => r.chain.join(' -> ')), serves: resolved.map((r) => serves(variant, r)),
    variant, target, connectionName: connection.name, realKeys: credentials !== undefined,
  };
}

/** The comment lines above a generated document. */
export function planHeader(p: Plan): string[] {
  const v = p.variant;
  const placeholderNote = !p.realKeys && p.objects.some((o) => (o as { kind?: string }).kind === 'Secret');
  return [
    ...p.chains.map((c, i) => `# Model Repository: ${c} (${p.serves[i]})`),
    `# ${v.kind === 'kserve' ? 'KServe InferenceService' : v.kind === 'deployment' ? 'Deployment' : 'Pod'}, runtime ${v.runtime}${v.nodeCache ? `, node cache ${v.nodeCache.pvc !== undefined ? `on claim ${v.nodeCache.pvc}` : `in ${v.nodeCache.hostPath ?? DEFAULT_NODE_CACHE_PATH} (hostPath)`}` : ''}`,
    `# kubectl context: ${p.target.context ?? '(none found in kubeconfig)'}${p.target.namespace ? `, namespace: ${p.target.namespace}` : ''}`,
    ...(placeholderNote ? ['# The Secret holds placeholder keys: replace them (or create the Secret separately), or use "Apply to Cluster (Server-Side Apply)".'] : []),
  ];
}
