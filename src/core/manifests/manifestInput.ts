// What a manifest is built from, and the settings derived from it.
// Design: the CLI or the extension resolves a reference and calls manifestInputFor() (or builds a
// ManifestInput itself); manifestSettings() checks it and fills every default once (names, labels,
// annotations, resources), and each builder (the Pod today; Deployment, KServe, vLLM later) reads only
// ManifestSettings, so variants share one set of names and one way of fetching the model.
import type { ConnectionConfig, S3Credentials } from '../connections/types';
import { RepoError, registerSecret } from '../errors';
import type { ResolvedRef } from '../types';
import { checkDnsLabel, checkDnsSubdomain, dnsLabel, labelValue, mebibytes } from './k8sNames';

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
}

// The same aws-cli version as Debian 12's /usr/bin/aws, which the integration test runs the script with.
export const AWS_CLI_IMAGE = 'amazon/aws-cli:2.9.19';
// A fixed llama.cpp build rather than the moving `:server` tag: the moving tags have shipped broken builds
// (a missing shared library at b9282). Override with ManifestInput.image.
export const LLAMA_CPP_IMAGE = 'ghcr.io/ggml-org/llama.cpp:server-b11176';
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
}

const GIB = 1024 ** 3;
const SHARD = /-0*1-of-\d+\.gguf$/i;

/** The file for `-m`: the only artifact, the only .gguf, or the first shard of a split GGUF. */
export function pickModelFile(model: string, version: string, files: readonly string[]): string {
  if (files.length === 1) return files[0];
  const ggufs = files.filter((f) => f.toLowerCase().endsWith('.gguf'));
  if (ggufs.length === 1) return ggufs[0];
  const firstShards = ggufs.filter((f) => SHARD.test(f));
  if (firstShards.length === 1) return firstShards[0];
  const listed = (ggufs.length > 0 ? ggufs : files).slice(0, 5).join(', ');
  throw new RepoError('InvalidRef', 'build a manifest for', `${model}@${version}`,
    `the version holds several files (${listed}): name one, e.g. ${model}@${version}/${ggufs[0] ?? files[0]}`);
}

function checkInput(input: ManifestInput): void {
  const object = `${input.model}@${input.version}`;
  if (input.artifacts.length === 0) throw new RepoError('NotFound', 'build a manifest for', object, 'the version holds no files');
  for (const a of input.artifacts) {
    if (!a.path.endsWith(a.file)) {
      throw new RepoError('Config', 'build a manifest for', object, `the path '${a.path}' does not end with the file '${a.file}'`);
    }
    if (a.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(a.sha256)) {
      throw new RepoError('Integrity', 'build a manifest for', object, `the recorded sha256 of ${a.file} is not 64 hex digits`);
    }
  }
  const port = input.port ?? 8080;
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new RepoError('Config', 'build a manifest for', object,
      `port ${port} is not usable: a non-root server with no capabilities needs a port from 1024 to 65535`);
  }
}

export function manifestSettings(input: ManifestInput): ManifestSettings {
  checkInput(input);
  if (input.credentials) {
    registerSecret(input.credentials.secretAccessKey);
    registerSecret(input.credentials.sessionToken);
  }
  const name = input.name !== undefined ? checkDnsLabel('name', input.name) : dnsLabel(input.model);
  const namespace = input.namespace !== undefined ? checkDnsLabel('namespace', input.namespace) : undefined;
  const secretName = checkDnsSubdomain('secret name', input.secretName ?? DEFAULT_SECRET_NAME);
  const modelFile = input.modelFile ?? pickModelFile(input.model, input.version, input.artifacts.map((a) => a.file));
  const main = input.artifacts.find((a) => a.file === modelFile);
  if (!main) {
    throw new RepoError('NotFound', 'build a manifest for', `${input.model}@${input.version}/${modelFile}`, 'no such file in the version');
  }
  const totalSize = input.artifacts.reduce((sum, a) => sum + a.size, 0);
  const labels = {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/version': labelValue(input.version),
    'app.kubernetes.io/component': 'inference',
    'app.kubernetes.io/managed-by': 'modelrepo',
  };
  const annotations: Record<string, string> = {
    [`${ANNOTATION_PREFIX}model`]: input.model,
    [`${ANNOTATION_PREFIX}version`]: input.version,
    [`${ANNOTATION_PREFIX}file`]: modelFile,
    [`${ANNOTATION_PREFIX}sha256`]: main.sha256 ?? 'not recorded',
    [`${ANNOTATION_PREFIX}source`]: sourceUri(input.location, main),
  };
  if (input.chain && input.chain.length > 0) annotations[`${ANNOTATION_PREFIX}chain`] = input.chain.join(' -> ');
  if (input.ref) annotations[`${ANNOTATION_PREFIX}ref`] = input.ref;
  if (input.artifacts.length > 1) {
    annotations[`${ANNOTATION_PREFIX}files`] = JSON.stringify(input.artifacts.map((a) => ({ file: a.file, size: a.size, sha256: a.sha256 })));
  }
  // The model is memory-mapped: its pages count against the memory limit, plus room for the KV cache.
  const resources = {
    requests: { cpu: '1', memory: mebibytes(totalSize + GIB), ...input.resources?.requests },
    limits: { cpu: '4', memory: mebibytes(totalSize + 2 * GIB), ...input.resources?.limits },
  };
  return {
    input, name, namespace, secretName, modelFile, totalSize, labels, annotations, resources,
    port: input.port ?? 8080,
    image: input.image ?? LLAMA_CPP_IMAGE,
    copyImage: input.copyImage ?? AWS_CLI_IMAGE,
    runAsUser: input.runAsUser ?? 10001,
  };
}

function sourceUri(location: S3Location | NfsLocation, a: ManifestArtifact): string {
  return location.kind === 's3'
    ? `s3://${location.bucket}/${a.path}`
    : `nfs://${location.server}${location.path.replace(/\/+$/, '')}/${a.path}`;
}

export interface ManifestOptions {
  readonly namespace?: string;
  readonly name?: string;
  readonly secretName?: string;
  readonly credentials?: S3Credentials;
  readonly resources?: ResourceSettings;
  readonly port?: number;
  readonly image?: string;
  readonly modelFile?: string;
  readonly ref?: string;
}

/** The input for a resolved reference in a repository (pure: keys and paths come from the connection). */
export function manifestInputFor(resolved: ResolvedRef, cfg: ConnectionConfig, opts: ManifestOptions = {}): ManifestInput {
  const object = `${resolved.model}@${resolved.version}`;
  let location: S3Location | NfsLocation;
  let root: string;
  if (cfg.kind === 's3') {
    location = {
      kind: 's3', endpoint: cfg.endpoint, region: cfg.region, bucket: cfg.bucket,
      pathStyle: cfg.forcePathStyle ?? cfg.endpoint !== undefined,
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
