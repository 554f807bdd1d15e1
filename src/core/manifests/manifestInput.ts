// What a manifest is built from, and the settings derived from it.
// Design: the CLI or the extension resolves a reference and calls manifestInputFor() (or builds a
// ManifestInput itself); manifestSettings() checks it and fills every default once (names, labels,
// annotations, resources, runtime, pinned or follow mode), and each builder (Pod, Deployment, A/B,
// KServe) reads only ManifestSettings, so variants share one set of names and one way of fetching the model.
import type { ConnectionConfig, S3Credentials } from '../connections/types';
import { RepoError, registerSecret } from '../errors';
import type { ResolvedRef } from '../types';
import { checkInput, checkVariant, pickModelFile } from './inputChecks';
import { checkDns1035Label, checkDnsLabel, checkDnsSubdomain, dns1035Label, dnsLabel, labelValue, mebibytes } from './k8sNames';

/** One file to deliver to the pod. */
export interface ManifestArtifact {
  /** Name inside the version (`llama-3-8b.Q5_K_M.gguf`, or `shards/x.safetensors`). */
  readonly file: string;
  readonly size: number;
  /** Recorded sha256 (hex); undefined for versions written by other tools. */
  readonly sha256?: string;
  /** S3: the object key in the bucket. NFS: the path relative to the export. Ends with `file`. */
  readonly path: string;
}

export interface S3Location {
  readonly kind: 's3';
  /** Undefined = AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly bucket: string;
  /** Default: true when an endpoint is set (MinIO, Ceph). */
  readonly pathStyle?: boolean;
  /** Repository root inside the bucket (`team-a`); default: derived from the artifact path. */
  readonly prefix?: string;
}

export interface NfsLocation {
  readonly kind: 'nfs';
  readonly server: string;
  /** The exported path that holds the repository root. */
  readonly path: string;
}

export interface ResourceSettings {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

export interface ManifestInput {
  readonly model: string;
  readonly version: string;
  /** At least one; all of them are delivered (shards, tokenizer files). */
  readonly artifacts: readonly ManifestArtifact[];
  /** The file given to the server with `-m`; default: see pickModelFile(). */
  readonly modelFile?: string;
  /** The tag chain shown to people: ['latest', 'v2', '2024-03-20/llama-3-8b.Q5_K_M.gguf']. */
  readonly chain?: readonly string[];
  /** The reference as the user wrote it (`localai/models/llama-3-8b:latest`). */
  readonly ref?: string;
  readonly location: S3Location | NfsLocation;
  readonly namespace?: string;
  /** Base name of the objects; default: derived from the model name. */
  readonly name?: string;
  /** Default `modelrepo-s3`. */
  readonly secretName?: string;
  /** Real keys for the Secret; without them the Secret carries PLACEHOLDER values. */
  readonly credentials?: S3Credentials;
  /** Merged over the defaults (derived from the artifact size). */
  readonly resources?: ResourceSettings;
  /** Server port, default 8080. */
  readonly port?: number;
  /** Inference image, default LLAMA_CPP_IMAGE. */
  readonly image?: string;
  /** Image of the init container that copies the model, default AWS_CLI_IMAGE. */
  readonly copyImage?: string;
  /** User and group id of every container, default 10001 (> 10000: no clash with host users). */
  readonly runAsUser?: number;
  /** Workload shape, default 'pod'. */
  readonly kind?: WorkloadKind;
  /** Inference server, default 'llama-cpp-cpu'. */
  readonly runtime?: RuntimeName;
  /** 'pinned' (default): the manifest names the resolved files. 'follow': the init container resolves
   *  `tag` when the pod starts, so moving the tag rolls out on restart. */
  readonly mode?: ModelMode;
  /** The tag to follow; default: the first link of `chain`. */
  readonly tag?: string;
  /** Deployment replicas, default 1. */
  readonly replicas?: number;
  /** GPUs per server for the CUDA and vLLM runtimes, default 1. */
  readonly gpus?: number;
}

export type WorkloadKind = 'pod' | 'deployment' | 'kserve';
export type RuntimeName = 'llama-cpp-cpu' | 'llama-cpp-cuda' | 'vllm';
export type ModelMode = 'pinned' | 'follow';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['pod', 'deployment', 'kserve'];
export const RUNTIMES: readonly RuntimeName[] = ['llama-cpp-cpu', 'llama-cpp-cuda', 'vllm'];
export const MODES: readonly ModelMode[] = ['pinned', 'follow'];

// The same aws-cli version as Debian 12's /usr/bin/aws, which the integration test runs the script with.
export const AWS_CLI_IMAGE = 'amazon/aws-cli:2.9.19';
// A fixed llama.cpp build rather than the moving `:server` tag: the moving tags have shipped broken builds
// (a missing shared library at b9282). Override with ManifestInput.image.
export const LLAMA_CPP_IMAGE = 'ghcr.io/ggml-org/llama.cpp:server-b11176';
// The CUDA build of the same release (ggml-org publishes server-cuda-b<build> beside server-b<build>).
export const LLAMA_CPP_CUDA_IMAGE = 'ghcr.io/ggml-org/llama.cpp:server-cuda-b11176';
// A release whose image installs runai-model-streamer[s3] (needed for --load-format runai_streamer).
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.10.2';
export const DEFAULT_SECRET_NAME = 'modelrepo-s3';
export const PLACEHOLDER = 'REPLACE_ME';
export const MODELS_DIR = '/models';
export const ANNOTATION_PREFIX = 'modelrepo.io/';

export interface ManifestSettings {
  readonly input: ManifestInput;
  readonly name: string;
  readonly namespace?: string;
  readonly secretName: string;
  readonly port: number;
  readonly image: string;
  readonly copyImage: string;
  readonly runAsUser: number;
  readonly modelFile: string;
  readonly totalSize: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly resources: { readonly requests: Record<string, string>; readonly limits: Record<string, string> };
  readonly kind: WorkloadKind;
  readonly runtime: RuntimeName;
  readonly mode: ModelMode;
  /** Set in follow mode. */
  readonly tag?: string;
  readonly replicas: number;
  /** 0 for the CPU runtime. */
  readonly gpus: number;
  /** Key (S3) or export-relative path (NFS) of the version folder, with a trailing '/' unless empty. */
  readonly versionPrefix: string;
  /** Same for the model folder; undefined when the artifact path does not end in <model>/<version>/<file>. */
  readonly modelPrefix?: string;
}

const GIB = 1024 ** 3;

export function manifestSettings(input: ManifestInput): ManifestSettings {
  checkInput(input);
  if (input.credentials) {
    registerSecret(input.credentials.secretAccessKey);
    registerSecret(input.credentials.sessionToken);
  }
  const kind = input.kind ?? 'pod';
  const runtime = input.runtime ?? 'llama-cpp-cpu';
  const mode = input.mode ?? 'pinned';
  // A Deployment comes with a Service, and KServe makes Services: those names must start with a letter.
  const name = kind === 'pod'
    ? (input.name !== undefined ? checkDnsLabel('name', input.name) : dnsLabel(input.model))
    : (input.name !== undefined ? checkDns1035Label('name', input.name) : dns1035Label(input.model));
  const namespace = input.namespace !== undefined ? checkDnsLabel('namespace', input.namespace) : undefined;
  const secretName = checkDnsSubdomain('secret name', input.secretName ?? DEFAULT_SECRET_NAME);
  // vLLM serves the whole version folder: the file only names it in the annotations.
  const safetensors = input.artifacts.map((a) => a.file).filter((f) => f.endsWith('.safetensors')).sort();
  const modelFile = input.modelFile ?? (runtime === 'vllm' && safetensors.length > 0 ? safetensors[0]
    : pickModelFile(input.model, input.version, input.artifacts.map((a) => a.file)));
  const main = input.artifacts.find((a) => a.file === modelFile);
  if (!main) {
    throw new RepoError('NotFound', 'build a manifest for', `${input.model}@${input.version}/${modelFile}`, 'no such file in the version');
  }
  const tag = mode === 'follow' ? input.tag ?? (input.chain && input.chain.length > 1 ? input.chain[0] : undefined) : undefined;
  const { versionPrefix, modelPrefix } = prefixes(input, main);
  const gpus = runtime === 'llama-cpp-cpu' ? 0 : input.gpus ?? 1;
  const replicas = input.replicas ?? 1;
  checkVariant(input, { kind, runtime, mode, tag, modelFile, modelPrefix, gpus, replicas });
  const totalSize = input.artifacts.reduce((sum, a) => sum + a.size, 0);
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
    // Following a tag, the version is only known at pod start.
    ...(mode === 'pinned' ? { 'app.kubernetes.io/version': labelValue(input.version) } : {}),
    'app.kubernetes.io/component': 'inference',
    'app.kubernetes.io/managed-by': 'modelrepo',
  };
  const annotations: Record<string, string> = { [`${ANNOTATION_PREFIX}model`]: input.model, [`${ANNOTATION_PREFIX}mode`]: mode };
  if (mode === 'pinned') {
    annotations[`${ANNOTATION_PREFIX}version`] = input.version;
    annotations[`${ANNOTATION_PREFIX}file`] = modelFile;
    annotations[`${ANNOTATION_PREFIX}sha256`] = main.sha256 ?? 'not recorded';
    annotations[`${ANNOTATION_PREFIX}source`] = sourceUri(input.location, main);
  } else {
    annotations[`${ANNOTATION_PREFIX}tag`] = tag ?? '';
    annotations[`${ANNOTATION_PREFIX}follow`] = 'resolved at every pod start: restart the pods after moving the tag';
  }
  if (input.chain && input.chain.length > 0) annotations[`${ANNOTATION_PREFIX}chain`] = input.chain.join(' -> ');
  if (input.ref) annotations[`${ANNOTATION_PREFIX}ref`] = input.ref;
  if (mode === 'pinned' && input.artifacts.length > 1) {
    annotations[`${ANNOTATION_PREFIX}files`] = JSON.stringify(input.artifacts.map((a) => ({ file: a.file, size: a.size, sha256: a.sha256 })));
  }
  return {
    input, name, namespace, secretName, modelFile, totalSize, labels, annotations,
    resources: resourcesFor(input, runtime, totalSize, gpus),
    port: input.port ?? (runtime === 'vllm' ? 8000 : 8080),
    image: input.image ?? (runtime === 'vllm' ? VLLM_IMAGE : runtime === 'llama-cpp-cuda' ? LLAMA_CPP_CUDA_IMAGE : LLAMA_CPP_IMAGE),
    copyImage: input.copyImage ?? AWS_CLI_IMAGE,
    runAsUser: input.runAsUser ?? 10001,
    kind, runtime, mode, tag, replicas, gpus, versionPrefix, modelPrefix,
  };
}

function resourcesFor(input: ManifestInput, runtime: RuntimeName, totalSize: number, gpus: number): ManifestSettings['resources'] {
  const gpu: Record<string, string> = gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {};
  if (runtime === 'vllm') {
    // Weights stream through a CPU buffer into GPU memory: host memory need not hold the whole model.
    return {
      requests: { cpu: '2', memory: mebibytes(totalSize / 2 + 4 * GIB), ...input.resources?.requests },
      limits: { cpu: '8', memory: mebibytes(totalSize + 8 * GIB), ...input.resources?.limits, ...gpu },
    };
  }
  // The model is memory-mapped: its pages count against the memory limit, plus room for the KV cache.
  return {
    requests: { cpu: '1', memory: mebibytes(totalSize + GIB), ...input.resources?.requests },
    limits: { cpu: '4', memory: mebibytes(totalSize + 2 * GIB), ...input.resources?.limits, ...gpu },
  };
}

/** The version and model folders of the main artifact (`team-a/llama-3-8b/2024-03-20/`, `team-a/llama-3-8b/`). */
function prefixes(input: ManifestInput, main: ManifestArtifact): { versionPrefix: string; modelPrefix?: string } {
  const versionPrefix = main.path.slice(0, main.path.length - main.file.length);
  const tail = `${input.model}/${input.version}/`;
  if (versionPrefix !== tail && !versionPrefix.endsWith(`/${tail}`)) return { versionPrefix };
  const derived = versionPrefix.slice(0, versionPrefix.length - `${input.version}/`.length);
  const loc = input.location;
  if (loc.kind === 's3' && loc.prefix !== undefined) {
    const root = loc.prefix.replace(/^\/+|\/+$/g, '');
    const fromRoot = `${root ? `${root}/` : ''}${input.model}/`;
    if (fromRoot !== derived) {
      throw new RepoError('Config', 'build a manifest for', `${input.model}@${input.version}`,
        `the artifact path '${main.path}' is not under the repository root '${root}'`);
    }
  }
  return { versionPrefix, modelPrefix: derived };
}

function sourceUri(location: S3Location | NfsLocation, a: ManifestArtifact): string {
  return location.kind === 's3'
    ? `s3://${location.bucket}/${a.path}`
    : `nfs://${location.server}${location.path.replace(/\/+$/, '')}/${a.path}`;
}

/** What a caller may choose for manifestInputFor; the rest comes from the reference and the connection. */
export type ManifestOptions = Pick<ManifestInput,
  'namespace' | 'name' | 'secretName' | 'credentials' | 'resources' | 'port' | 'image' | 'modelFile' | 'ref'
  | 'kind' | 'runtime' | 'mode' | 'tag' | 'replicas' | 'gpus'>;

/** The input for a resolved reference in a repository (pure: keys and paths come from the connection). */
export function manifestInputFor(resolved: ResolvedRef, cfg: ConnectionConfig, opts: ManifestOptions = {}): ManifestInput {
  const object = `${resolved.model}@${resolved.version}`;
  let location: S3Location | NfsLocation;
  let root: string;
  if (cfg.kind === 's3') {
    location = {
      kind: 's3', endpoint: cfg.endpoint, region: cfg.region, bucket: cfg.bucket,
      pathStyle: cfg.forcePathStyle ?? cfg.endpoint !== undefined, prefix: cfg.prefix ?? '',
    };
    root = cfg.prefix ? `${cfg.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  } else {
    if (!cfg.nfs) {
      throw new RepoError('Config', 'build a manifest for', object,
        `the folder repository ${cfg.path} has no NFS server and export set, so a pod cannot reach it`);
    }
    location = { kind: 'nfs', server: cfg.nfs.server, path: cfg.nfs.path };
    root = '';
  }
  const artifacts = resolved.artifacts.map((a) => ({
    file: a.name, size: a.size, sha256: a.sha256, path: `${root}${a.key}`,
  }));
  return {
    ...opts, model: resolved.model, version: resolved.version, artifacts, chain: resolved.chain, location,
    modelFile: opts.modelFile ?? resolved.file,
  };
}
