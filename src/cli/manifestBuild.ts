// What `manifest` and `apply` share: their options (variant, names, A/B arms) and turning a command line
// into Kubernetes objects. One reference gives one workload; with --ab the arguments are the arms,
// `<repo>/<model>:<tag>=<replicas>`, all in one repository, built into two Deployments behind one Service.
import { backendOf } from '../core/backends/index';
import { checkClusterEndpoint, CLUSTER_ENDPOINT_ENV } from '../core/connections/clusterEndpoint';
import type { ConnectionConfig, S3Credentials } from '../core/connections/types';
import { buildAbManifests } from '../core/manifests/abTest';
import type { AbArm } from '../core/manifests/abTest';
import { buildManifests, usesPlaceholderCredentials } from '../core/manifests/buildManifests';
import { dnsLabel } from '../core/manifests/k8sNames';
import { manifestInputFor, WORKLOAD_KINDS } from '../core/manifests/manifestInput';
import type { ManifestOptions, RuntimeName, WorkloadKind } from '../core/manifests/manifestInput';
import { RUNTIME_NAMES, RUNTIMES } from '../core/manifests/runtimes/runtimeTable';
import { formatRef, formatRepo, parseRef } from '../core/refs';
import type { ParsedRef } from '../core/refs';
import type { CommandContext, FlagsOf, OptionSpecs } from './command';
import { modelRefOf } from './describe';
import { UsageError } from './exitCodes';
import { NODE_CACHE_OPTIONS, nodeCacheFrom } from './nodeCacheFlags';
import { withSession } from './session';

const runtimes = RUNTIME_NAMES.map((n) => RUNTIMES[n]);
const gpuDefaults = runtimes.filter((r) => r.gpus !== 'none')
  .map((r) => `${r.name} ${r.gpus === 'none' ? 0 : r.gpus.default}`).join(', ');

/** The --runtime section of the help texts: one line per runtime of the table. */
export function runtimeHelp(): string {
  const width = Math.max(...RUNTIME_NAMES.map((n) => n.length));
  return ['runtimes (--runtime; default: the first that serves the files):',
    ...runtimes.map((r) => `  ${r.name.padEnd(width)}  ${r.label}: ${r.description} (${r.formats.join(', ')}, port ${r.port})`)].join('\n');
}

export const DEPLOY_OPTIONS = {
  kind: { type: 'string', value: '<kind>', description: `workload: ${WORKLOAD_KINDS.join(', ')} (default pod)` },
  runtime: { type: 'string', value: '<runtime>', description: `inference server: ${RUNTIME_NAMES.join(', ')} (default: the first that serves the files)` },
  follow: { type: 'boolean', description: 'follow the tag: the init container resolves it at every pod start (default: pin the version it resolves to now)' },
  replicas: { type: 'string', value: '<N>', description: 'replicas of a Deployment / minReplicas of an InferenceService (default 1)' },
  gpus: { type: 'string', value: '<N>', description: `GPUs per server (default: ${gpuDefaults})` },
  ab: { type: 'boolean', description: 'A/B: the arguments are <ref>=<replicas> arms, two Deployments behind one Service' },
  namespace: { type: 'string', value: '<N>', description: 'namespace of the objects' },
  'secret-name': { type: 'string', value: '<S>', description: 'the Secret with the S3 keys (default modelrepo-s3)' },
  name: { type: 'string', value: '<name>', description: 'name of the workload (with --ab: of the Service; default: from the model name)' },
  file: { type: 'string', value: '<file>', description: 'the file given to the server (-m) when the version holds several' },
  port: { type: 'string', value: '<port>', description: `server port (default: ${runtimes.map((r) => `${r.name} ${r.port}`).join(', ')})` },
  image: { type: 'string', value: '<image>', description: "inference image (default: the runtime's pinned image)" },
  'cluster-endpoint': { type: 'string', value: '<url>', description: `S3 endpoint the pods use, when it differs from --endpoint (default: ${CLUSTER_ENDPOINT_ENV})` },
  'nfs-server': { type: 'string', value: '<host>', description: 'folder repositories: NFS server' },
  'nfs-path': { type: 'string', value: '<path>', description: 'folder repositories: exported path of the repository' },
  ...NODE_CACHE_OPTIONS,
} as const satisfies OptionSpecs;

type DeployFlags = FlagsOf<typeof DEPLOY_OPTIONS>;

/** One reference that went into the objects: what it resolved to, and its A/B track. */
export interface BuiltRef {
  readonly ref: string;
  readonly chain: readonly string[];
  readonly track?: string;
  readonly replicas?: number;
}

export interface Built {
  readonly objects: object[];
  readonly repository: string;
  readonly refs: readonly BuiltRef[];
  /** The Secret carries placeholder values (no keys were put in). */
  readonly placeholder: boolean;
  readonly mode: 'pinned' | 'follow';
}

/** Where the Secret's values come from: placeholders, or the keys the command used (in memory only). */
export type KeyChoice = 'placeholder' | 'real';

function wholeNumber(flags: DeployFlags, name: 'replicas' | 'gpus' | 'port', usage: string): number | undefined {
  const text = flags[name];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`--${name} '${text}' is not a whole number`, usage);
  return n;
}

function oneOf<T extends string>(flags: DeployFlags, name: 'kind' | 'runtime', allowed: readonly T[], usage: string): T | undefined {
  const v = flags[name];
  if (v !== undefined && !allowed.includes(v as T)) throw new UsageError(`--${name} '${v}' is not one of ${allowed.join(', ')}`, usage);
  return v as T | undefined;
}

/** The ManifestOptions the flags ask for (everything but keys and the reference). */
export function manifestOptionsFrom(flags: DeployFlags, usage: string): ManifestOptions {
  const kind = oneOf<WorkloadKind>(flags, 'kind', WORKLOAD_KINDS, usage);
  const runtime = oneOf<RuntimeName>(flags, 'runtime', RUNTIME_NAMES, usage);
  const replicas = wholeNumber(flags, 'replicas', usage);
  const gpus = wholeNumber(flags, 'gpus', usage);
  const port = wholeNumber(flags, 'port', usage);
  const nodeCache = nodeCacheFrom(flags, usage);
  return {
    ...(nodeCache ? { nodeCache } : {}),
    ...(kind ? { kind } : {}),
    ...(runtime ? { runtime } : {}),
    ...(flags.follow === true ? { mode: 'follow' as const } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(gpus !== undefined ? { gpus } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
    ...(flags['secret-name'] !== undefined ? { secretName: flags['secret-name'] } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.file !== undefined ? { modelFile: flags.file } : {}),
    ...(flags.image !== undefined ? { image: flags.image } : {}),
  };
}

function withNfs(cfg: ConnectionConfig, flags: DeployFlags, usage: string): ConnectionConfig {
  const server = flags['nfs-server'];
  const path = flags['nfs-path'];
  const backend = backendOf(cfg);
  if (!backend.nfsMount || (!server && !path)) return cfg;
  const s = server ?? backend.nfsOf(cfg)?.server;
  if (!s) throw new UsageError('--nfs-path needs --nfs-server (or MODELREPO_NFS_SERVER)', usage);
  return backend.withNfs(cfg, { server: s, path: path ?? backend.nfsOf(cfg)?.path });
}

/** The endpoint pods use: --cluster-endpoint, else MODELREPO_CLUSTER_ENDPOINT, else the connection's own. */
export function withClusterEndpoint(cfg: ConnectionConfig, flags: Pick<DeployFlags, 'cluster-endpoint'>, usage: string, env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const flag = flags['cluster-endpoint'];
  const text = flag ?? (env[CLUSTER_ENDPOINT_ENV] || undefined);
  if (text === undefined) return cfg;
  // The variable may be set for a whole shell: only the flag is an error on a folder repository.
  const backend = backendOf(cfg);
  if (!backend.clusterPull && flag === undefined) return cfg;
  if (!backend.clusterPull) throw new UsageError('--cluster-endpoint is for S3 repositories; a folder repository reaches pods over NFS (--nfs-server)', usage);
  return backend.withClusterEndpoint(cfg, checkClusterEndpoint(text));
}

interface Arm { readonly ref: ParsedRef; readonly replicas: number }

/** `<ref>=<replicas>`, split at the last '=' (a file name may hold one). */
function parseArm(text: string, usage: string): Arm {
  const at = text.lastIndexOf('=');
  const count = at < 0 ? '' : text.slice(at + 1);
  if (at < 0 || !/^\d+$/.test(count)) throw new UsageError(`--ab: '${text}' is not <ref>=<replicas> (e.g. localai/models/llama-3-8b:stable=3)`, usage);
  return { ref: parseRef(text.slice(0, at), { selector: 'required', file: true }), replicas: Number(count) };
}

function credentialsOf(cfg: ConnectionConfig, keys: KeyChoice, why: string, usage: string): S3Credentials | undefined {
  const backend = backendOf(cfg);
  if (keys === 'placeholder' || !backend.clusterPull) return undefined;
  const credentials = backend.podKeys(cfg);
  if (!credentials) {
    throw new UsageError(`${why}: this connection has no explicit keys (it uses an AWS profile or the default chain); `
      + 'give keys through the mc alias, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, or a profile with static keys', usage);
  }
  return credentials;
}

/** Resolves the reference(s) of the command line and builds the objects. */
export async function buildFromCommandLine(ctx: CommandContext<typeof DEPLOY_OPTIONS>, usage: string, keys: KeyChoice, why: string): Promise<Built> {
  const opts = manifestOptionsFrom(ctx.flags, usage);
  const ab = ctx.flags.ab === true;
  if (!ab && ctx.args.length !== 1) throw new UsageError(`expected one reference (or --ab with two or more <ref>=<replicas> arms), got ${ctx.args.length}`, usage);
  if (ab && ctx.args.length < 2) throw new UsageError('--ab needs at least two arms: <ref>=<replicas> <ref>=<replicas>', usage);
  if (ab && opts.kind !== undefined && opts.kind !== 'deployment') throw new UsageError('--ab makes Deployments: drop --kind', usage);
  if (ab && opts.replicas !== undefined) throw new UsageError('--ab: give each arm its replicas as <ref>=<replicas>, not --replicas', usage);
  const arms: Arm[] = ab ? ctx.args.map((a) => parseArm(a, usage)) : [{ ref: parseRef(ctx.args[0], { selector: 'required', file: true }), replicas: opts.replicas ?? 1 }];
  const repository = formatRepo(arms[0].ref.repo);
  const other = arms.find((a) => formatRepo(a.ref.repo) !== repository);
  if (other) throw new UsageError(`--ab: every arm must be in one repository (${repository}, not ${formatRepo(other.ref.repo)})`, usage);
  return withSession(arms[0].ref.repo, ctx.global, async (s) => {
    const cfg = withClusterEndpoint(withNfs(s.config, ctx.flags, usage), ctx.flags, usage);
    const credentials = credentialsOf(cfg, keys, why, usage);
    const built = [];
    for (const arm of arms) {
      const resolved = await s.repo.resolve(modelRefOf(arm.ref), ctx.signal);
      const input = manifestInputFor(resolved, cfg, { ...opts, ref: formatRef(arm.ref), ...(credentials ? { credentials } : {}) });
      built.push({ arm, resolved, input });
    }
    const refs: BuiltRef[] = built.map((b) => ({
      ref: formatRef(b.arm.ref), chain: b.resolved.chain,
      ...(ab ? { track: dnsLabel(b.arm.ref.tag ?? b.arm.ref.version ?? b.arm.ref.model, 12), replicas: b.arm.replicas } : {}),
    }));
    let objects: object[];
    if (ab) {
      const abArms: AbArm[] = built.map((b, i) => ({ track: refs[i].track ?? '', input: b.input, replicas: b.arm.replicas }));
      objects = buildAbManifests(abArms, { ...(opts.name !== undefined ? { name: opts.name } : {}), ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) });
    } else {
      objects = buildManifests(built[0].input);
    }
    return { objects, repository: s.where, refs, placeholder: usesPlaceholderCredentials(built[0].input), mode: opts.mode ?? 'pinned' };
  });
}

/** Notes for stderr: what each reference resolved to, and what the mode means. */
export function builtNotes(b: Built): string[] {
  const notes = b.refs.map((r) => `# ${r.track ? `${r.track} (${r.replicas} replicas): ` : ''}${r.chain.join(' -> ')}`);
  if (b.mode === 'follow') notes.push('# follows the tag: the init container resolves it at every pod start (restart the pods after moving it)');
  return notes;
}
