// The node cache in the manifests (README "Node cache"): a hostPath folder (or a local PersistentVolume)
// that every pod on a node shares, holding each model file once under its sha256. The init container
// fills it through nodeCacheScript.ts, the server reads it through a read-only mount, and a native sidecar
// (an init container with restartPolicy: Always, Kubernetes 1.29 or newer) keeps the pod's leases fresh
// so that eviction never removes a blob a running pod serves. Chosen over a lease written once by the
// init script: a pod running for days must keep its blob, and only a running container can say so.
import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import { RepoError } from '../errors';
import { MODELS_DIR } from './manifestInput';
import type { ManifestInput, ManifestSettings } from './manifestInput';
import { DEFAULT_HIGH_BYTES, DEFAULT_LEASE_MINUTES, leaseLoop, NODE_CACHE_DIR } from './nodeCacheScript';
import type { NodeCacheScript } from './nodeCacheScript';
import { MODELS_VOLUME } from './podParts';
import type { Runtime } from './runtimes/runtime';
import { isS3Pull } from '../backends/podAccess';

export const DEFAULT_NODE_CACHE_PATH = '/var/lib/modelrepo/cache';
export const NODE_CACHE_VOLUME = 'node-cache';
export const POD_SECURITY_ANNOTATION = 'modelrepo.io/pod-security';
export const HOSTPATH_NOTE = 'hostPath node cache: not allowed under baseline/restricted Pod Security Standards';

/** What a caller chooses: one of hostPath or pvc, and the eviction budget. */
export interface NodeCacheChoice {
  /** The folder on each node (default DEFAULT_NODE_CACHE_PATH when no pvc is given). */
  readonly hostPath?: string;
  /** A PersistentVolumeClaim bound to a local PersistentVolume, instead of hostPath. */
  readonly pvc?: string;
  /** High watermark in bytes (default 200 GiB); eviction brings the cache down to lowBytes (default 80 % of high). */
  readonly highBytes?: number;
  readonly lowBytes?: number;
  /** A lease younger than this marks a blob in use (default 10). */
  readonly leaseMinutes?: number;
}

export interface NodeCacheSettings {
  readonly hostPath?: string;
  readonly pvc?: string;
  readonly highBytes: number;
  readonly lowBytes: number;
  readonly leaseMinutes: number;
}

const ACTION = 'use the node cache for';

/** Checks the choice against the input and fills the defaults; refusals are Config errors (exit 2). */
export function nodeCacheSettings(input: ManifestInput, rt: Runtime, kind: string): NodeCacheSettings | undefined {
  const c = input.nodeCache;
  if (!c) return undefined;
  const object = `${input.model}@${input.version}`;
  const fail = (reason: string): never => { throw new RepoError('Config', ACTION, object, reason); };
  if (!isS3Pull(input.location)) fail('the node cache holds files copied from S3; a folder repository is mounted over NFS already');
  if (kind === 'kserve') fail("KServe has its own node cache (LocalModelCache): use --kind pod or deployment");
  if (rt.fromS3 !== 'copy') fail(`${rt.server} reads S3 itself, so there is no copy to cache: choose a runtime that reads a local file`);
  const missing = input.artifacts.filter((a) => a.sha256 === undefined).map((a) => a.file);
  if (missing.length > 0) {
    fail(`the cache looks files up by their recorded sha256, and ${missing.slice(0, 3).join(', ')} has none (written by another tool): re-upload it with modelrepo or deploy without the node cache`);
  }
  if (c.hostPath !== undefined && c.pvc !== undefined) fail('give a hostPath folder or a PersistentVolumeClaim, not both');
  const hostPath = c.pvc === undefined ? c.hostPath ?? DEFAULT_NODE_CACHE_PATH : undefined;
  if (hostPath !== undefined && (!hostPath.startsWith('/') || /\/\.\.?(\/|$)|[\s'"\\]/.test(hostPath) || hostPath === '/')) {
    fail(`'${hostPath}' is not a plain absolute folder for the node cache`);
  }
  if (c.pvc !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(c.pvc)) fail(`'${c.pvc}' is not a PersistentVolumeClaim name`);
  const highBytes = c.highBytes ?? DEFAULT_HIGH_BYTES;
  const lowBytes = c.lowBytes ?? Math.floor(highBytes * 0.8);
  const leaseMinutes = c.leaseMinutes ?? DEFAULT_LEASE_MINUTES;
  if (!(Number.isSafeInteger(highBytes) && highBytes > 0)) fail(`the high watermark ${highBytes} is not a positive number of bytes`);
  if (!(Number.isSafeInteger(lowBytes) && lowBytes >= 0 && lowBytes <= highBytes)) fail(`the low watermark ${lowBytes} must be from 0 to the high watermark ${highBytes}`);
  if (!(Number.isInteger(leaseMinutes) && leaseMinutes >= 2 && leaseMinutes <= 1440)) fail(`a lease of ${leaseMinutes} minutes: give 2 to 1440 (the sidecar refreshes every minute)`);
  return { hostPath, pvc: c.pvc, highBytes, lowBytes, leaseMinutes };
}

/** The annotations that say where the cache is and what it costs in pod security. */
export function nodeCacheAnnotations(c: NodeCacheSettings): Record<string, string> {
  return {
    'modelrepo.io/node-cache': c.pvc !== undefined ? `pvc:${c.pvc}` : `hostPath:${c.hostPath}`,
    ...(c.hostPath !== undefined ? { [POD_SECURITY_ANNOTATION]: HOSTPATH_NOTE } : {}),
  };
}

/** The script's view of the cache inside the pod. */
export function cacheScriptInput(c: NodeCacheSettings): NodeCacheScript {
  return { dir: NODE_CACHE_DIR, highBytes: c.highBytes, lowBytes: c.lowBytes, leaseMinutes: c.leaseMinutes, leaseList: `${MODELS_DIR}/.modelrepo-blobs` };
}

export function nodeCacheVolume(c: NodeCacheSettings): Volume {
  // hostPath: DirectoryOrCreate makes a root-owned folder; the pods run as a non-root uid, so the folder
  // must be prepared on each node (README) or come from a local PersistentVolume, where fsGroup applies.
  return c.pvc !== undefined
    ? { name: NODE_CACHE_VOLUME, persistentVolumeClaim: { claimName: c.pvc } }
    : { name: NODE_CACHE_VOLUME, hostPath: { path: c.hostPath ?? DEFAULT_NODE_CACHE_PATH, type: 'DirectoryOrCreate' } };
}

export const cacheMount = (readOnly: boolean): VolumeMount => ({ name: NODE_CACHE_VOLUME, mountPath: NODE_CACHE_DIR, ...(readOnly ? { readOnly: true } : {}) });

/** POD_NAME from the downward API: the name of the pod's lease files. */
export const podNameEnv = (): { name: string; valueFrom: { fieldRef: { fieldPath: string } } } => ({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });

/** The native sidecar that refreshes the leases (restartPolicy: Always on an init container). */
export function leaseSidecar(s: ManifestSettings, c: NodeCacheSettings, securityContext: Container['securityContext']): Container {
  return {
    name: 'cache-lease',
    image: s.copyImage,
    imagePullPolicy: 'IfNotPresent',
    restartPolicy: 'Always',
    command: ['/bin/sh', '-c'],
    args: [leaseLoop(cacheScriptInput(c))],
    env: [podNameEnv()],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
    securityContext,
    volumeMounts: [{ name: MODELS_VOLUME, mountPath: MODELS_DIR, readOnly: true }, cacheMount(false)],
  };
}

/** The path a file runtime opens: the blob itself for a single pinned file; else the symlink in /models
 *  (split GGUF shards are found by name beside the first one, and a tag resolves at pod start). */
export function cachedModelPath(s: ManifestSettings): string | undefined {
  if (!s.nodeCache || s.mode !== 'pinned' || s.input.artifacts.length !== 1) return undefined;
  return `${NODE_CACHE_DIR}/blobs/${s.input.artifacts[0].sha256}`;
}
