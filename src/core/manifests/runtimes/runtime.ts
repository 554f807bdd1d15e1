// What a runtime (an inference server) is to the manifests. Each runtime is one object in its own file in
// this folder, listed once in runtimeTable.ts; everything that differs between runtimes is a field here:
// the pinned image and port, the formats it serves and whether it opens one file or the version folder,
// how the model reaches it from S3 (copied by the init container, or read by the server itself; a folder
// repository is always mounted read-only over NFS), whether it can follow a tag, its GPU needs, its
// container, its health endpoint and its KServe predictor. The callers (settings, input checks, the pod
// spec, KServe, the CLI's options, the extension's pickers) ask the table, never a runtime by name.
import type { Container, EnvVar, Probe, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import { CURRENT_MODEL } from '../followScript';
import type { InferenceServicePredictor } from '../kserve';
import { mebibytes } from '../k8sNames';
import { cachedModelPath } from '../nodeCache';
import { MODELS_DIR } from '../manifestInput';
import type { ManifestInput, ManifestSettings } from '../manifestInput';
import { containerSecurityContext, SHM_VOLUME, TMP_VOLUME } from '../podParts';
import { isNfsMount } from '../../backends/podAccess';

export type ModelFormat = 'gguf' | 'safetensors';

/** How people and messages name a format, and what a version needs to be served in it. */
export const FORMATS: Readonly<Record<ModelFormat, { readonly name: string; readonly needs: string }>> = {
  gguf: { name: 'GGUF', needs: 'a .gguf file' },
  safetensors: { name: 'safetensors', needs: '.safetensors weights (plus config.json and the tokenizer)' },
};

/** The format a file is in, by its extension; undefined for anything else (config.json, tokenizer). */
export function formatOf(file: string): ModelFormat | undefined {
  const f = file.toLowerCase();
  if (f.endsWith('.gguf')) return 'gguf';
  if (f.endsWith('.safetensors')) return 'safetensors';
  return undefined;
}

/** GPUs per server: never ('none'), or at least `min`, `default` when not given. */
export type GpuNeeds = 'none' | { readonly min: number; readonly default: number };

/** The GET endpoint that answers 200 once the server serves, and how long loading takes at least. */
export interface HealthCheck {
  readonly path: string;
  readonly initialDelaySeconds: number;
}

/** Where KServe's storage initializer puts the model: the storageUri, and the path the server opens. */
export interface KServeStorage {
  readonly uri: string;
  /** The folder the model lands in: `/mnt/models`. */
  readonly dir: string;
  /** The file a file runtime opens: `/mnt/models/<file>`. */
  readonly modelPath: string;
}

/** The runtime's part of an InferenceService predictor (the rest is common to every runtime). */
export type KServePredictorPart = Pick<InferenceServicePredictor, 'volumes' | 'model' | 'containers'>;

export interface BaseResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface Runtime {
  /** The `--runtime` value, and the key of the table. */
  readonly name: string;
  /** The server, as messages name it: `llama.cpp`, `SGLang`. */
  readonly server: string;
  /** The extension's picker: label and description. */
  readonly label: string;
  readonly description: string;
  /** Pinned default image (ManifestInput.image overrides it). */
  readonly image: string;
  /** Default port (ManifestInput.port overrides it). */
  readonly port: number;
  readonly formats: readonly ModelFormat[];
  /** 'file': one model file (the only artifact, the only .gguf, or the first shard); 'folder': the version folder. */
  readonly opens: 'file' | 'folder';
  /** What it serves, for refusals: `serves GGUF`. */
  readonly reads: string;
  /** From S3: 'copy' (the init container copies and checks the files) or 'stream' (the server reads S3 itself). */
  readonly fromS3: 'copy' | 'stream';
  /** Why it cannot follow a tag (`streams one fixed S3 folder`); undefined when it can. */
  readonly cannotFollow?: string;
  readonly gpus: GpuNeeds;
  readonly health: HealthCheck;
  /** A refusal of its own beyond the format checks (e.g. split GGUF files), or undefined. */
  check?(input: ManifestInput, modelFile: string): string | undefined;
  /** Requests and limits before the user's own and the GPU limit are merged in. */
  resources(totalSize: number): BaseResources;
  /** The server container of a Pod or Deployment. */
  container(s: ManifestSettings): Container;
  /** Volumes of its own (caches, shared memory), beside the model's. */
  volumes(s: ManifestSettings): Volume[];
  /** Its part of a KServe predictor. */
  kserve(s: ManifestSettings, storage: KServeStorage): KServePredictorPart;
}

const GIB = 1024 ** 3;

/** A memory-mapped model: its pages count against the memory limit, plus room for the KV cache. */
export function mappedResources(totalSize: number): BaseResources {
  return {
    requests: { cpu: '1', memory: mebibytes(totalSize + GIB) },
    limits: { cpu: '4', memory: mebibytes(totalSize + 2 * GIB) },
  };
}

/** Weights that go through a CPU buffer into GPU memory: host memory need not hold the whole model. */
export function gpuResources(totalSize: number): BaseResources {
  return {
    requests: { cpu: '2', memory: mebibytes(totalSize / 2 + 4 * GIB) },
    limits: { cpu: '8', memory: mebibytes(totalSize + 8 * GIB) },
  };
}

/** The readiness probe on the runtime's health endpoint. */
export function readiness(health: HealthCheck, port: number): Probe {
  return { httpGet: { path: health.path, port }, initialDelaySeconds: health.initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };
}

export function containerResources(s: ManifestSettings): Container['resources'] {
  return { requests: { ...s.resources.requests }, limits: { ...s.resources.limits } };
}

/** The file a file runtime opens: the pinned file, the symlink the follow script writes, or the tag's symlink on NFS. */
export function modelFilePath(s: ManifestSettings): string {
  if (s.mode === 'pinned') return cachedModelPath(s) ?? `${MODELS_DIR}/${s.modelFile}`;
  return isNfsMount(s.input.location) ? `${MODELS_DIR}/tags/${s.tag}` : `${MODELS_DIR}/${CURRENT_MODEL}`;
}

/** A writable /tmp (the root filesystem is read-only) and, for GPU servers, a larger /dev/shm. */
export function scratchVolumes(tmpSize: string, shm: boolean): Volume[] {
  const tmp: Volume = { name: TMP_VOLUME, emptyDir: { sizeLimit: tmpSize } };
  return shm ? [tmp, { name: SHM_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } }] : [tmp];
}

// Fresh objects each time: the YAML writer would turn a shared object into an anchor and an alias.
export const tmpMount = (): VolumeMount => ({ name: TMP_VOLUME, mountPath: '/tmp' });
export const shmMount = (): VolumeMount => ({ name: SHM_VOLUME, mountPath: '/dev/shm' });

/** The `kserve-container` of a custom predictor: KServe's storage initializer reads its STORAGE_URI. */
export function kserveContainer(s: ManifestSettings, storage: KServeStorage, parts: {
  readonly health: HealthCheck; readonly command?: string[]; readonly args: string[]; readonly env?: EnvVar[]; readonly tmp?: boolean; readonly shm?: boolean;
}): Container {
  const mounts = [...(parts.tmp ? [tmpMount()] : []), ...(parts.shm ? [shmMount()] : [])];
  return {
    name: 'kserve-container',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    ...(parts.command ? { command: parts.command } : {}),
    args: parts.args,
    env: [{ name: 'STORAGE_URI', value: storage.uri }, ...(parts.env ?? [])],
    ports: [{ containerPort: s.port, protocol: 'TCP' }],
    readinessProbe: readiness(parts.health, s.port),
    resources: containerResources(s),
    securityContext: containerSecurityContext(s),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
  };
}
