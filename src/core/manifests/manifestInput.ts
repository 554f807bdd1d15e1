// What a manifest is built from, and the settings derived from it.
// Design: the CLI or the extension resolves a reference and calls manifestInputFor() (or builds a
// ManifestInput itself); manifestSettings() (settings.ts) checks it and fills every default once (names,
// labels, annotations, resources, runtime, pinned or follow mode), and each builder (Pod, Deployment,
// A/B, KServe) reads only ManifestSettings, so variants share one set of names and one way of fetching
// the model. The runtimes are described in runtimes/ (one file each, listed in runtimes/runtimeTable.ts).
import { backendOf } from '../backends/index';
import { isS3Pull } from '../backends/podAccess';
import { checkPodEndpoint } from '../connections/clusterEndpoint';
import type { ConnectionConfig, S3Credentials } from '../connections/types';
import type { ResolvedRef } from '../types';
import type { NodeCacheChoice, NodeCacheSettings } from './nodeCache';
import type { RuntimeName } from './runtimes/runtimeTable';

export type { RuntimeName };

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
  readonly location: PodLocation;
  readonly namespace?: string;
  /** Base name of the objects; default: derived from the model name. */
  readonly name?: string;
  /** Default `modelrepo-s3`. */
  readonly secretName?: string;
  /** Real keys for the Secret; without them the Secret carries PLACEHOLDER values. */
  readonly credentials?: S3Credentials;
  /** Merged over the defaults (derived from the artifact size). */
  readonly resources?: ResourceSettings;
  /** Server port, default: the runtime's. */
  readonly port?: number;
  /** Inference image, default: the runtime's pinned image. */
  readonly image?: string;
  /** Image of the init container that copies the model, default AWS_CLI_IMAGE. */
  readonly copyImage?: string;
  /** User and group id of every container, default 10001 (> 10000: no clash with host users). */
  readonly runAsUser?: number;
  /** Workload shape, default 'pod'. */
  readonly kind?: WorkloadKind;
  /** Inference server, default: the first of the table that serves the artifacts. */
  readonly runtime?: RuntimeName;
  /** 'pinned' (default): the manifest names the resolved files. 'follow': the init container resolves
   *  `tag` when the pod starts, so moving the tag rolls out on restart. */
  readonly mode?: ModelMode;
  /** The tag to follow; default: the first link of `chain`. */
  readonly tag?: string;
  /** Deployment replicas, default 1. */
  readonly replicas?: number;
  /** GPUs per server, default: the runtime's (none on CPU-only runtimes). */
  readonly gpus?: number;
  /** Fetch through the per-node cache (nodeCache.ts) instead of into the pod's emptyDir. */
  readonly nodeCache?: NodeCacheChoice;
}

/** How pods reach the files: through the S3 API, or an NFS mount. */
export type PodLocation = S3Location | NfsLocation;

export type WorkloadKind = 'pod' | 'deployment' | 'kserve';
export type ModelMode = 'pinned' | 'follow';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['pod', 'deployment', 'kserve'];
export const MODES: readonly ModelMode[] = ['pinned', 'follow'];

// The same aws-cli version as Debian 12's /usr/bin/aws, which the integration test runs the script with.
export const AWS_CLI_IMAGE = 'amazon/aws-cli:2.9.19';
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
  /** 0 for a CPU-only runtime. */
  readonly gpus: number;
  /** Key (S3) or export-relative path (NFS) of the version folder, with a trailing '/' unless empty. */
  readonly versionPrefix: string;
  /** Same for the model folder; undefined when the artifact path does not end in <model>/<version>/<file>. */
  readonly modelPrefix?: string;
  /** Set when the files go through the node cache. */
  readonly nodeCache?: NodeCacheSettings;
}

/** What a caller may choose for manifestInputFor; the rest comes from the reference and the connection. */
export type ManifestOptions = Pick<ManifestInput,
  'namespace' | 'name' | 'secretName' | 'credentials' | 'resources' | 'port' | 'image' | 'modelFile' | 'ref'
  | 'kind' | 'runtime' | 'mode' | 'tag' | 'replicas' | 'gpus' | 'nodeCache'>;

/** The input for a resolved reference in a repository (pure: keys and paths come from the connection).
 *  Pods reach S3 at the connection's cluster endpoint; a loopback or link-local one is refused here, where
 *  a connection becomes pod settings (a hand-built ManifestInput is taken as given). */
export function manifestInputFor(resolved: ResolvedRef, cfg: ConnectionConfig, opts: ManifestOptions = {}): ManifestInput {
  const object = `${resolved.model}@${resolved.version}`;
  const { location, root } = backendOf(cfg).podLocation(cfg, object);
  if (isS3Pull(location)) checkPodEndpoint(location.endpoint, opts.ref ?? `${resolved.model}:${resolved.chain[0] ?? resolved.version}`);
  const artifacts = resolved.artifacts.map((a) => ({
    file: a.name, size: a.size, sha256: a.sha256, path: `${root}${a.key}`,
  }));
  return {
    ...opts, model: resolved.model, version: resolved.version, artifacts, chain: resolved.chain, location,
    modelFile: opts.modelFile ?? resolved.file,
  };
}
