// The pod every workload variant runs (Pod, Deployment, each arm of an A/B pair): hardened, the model
// copied in by an init container, mounted over NFS, or read from S3 by the server itself, as the runtime's
// entry in the table says; the server container is the runtime's.
import type { Container, PodSpec, Toleration, Volume } from 'kubernetes-types/core/v1';
import { mebibytes } from './k8sNames';
import type { ManifestSettings } from './manifestInput';
import { cacheMount, leaseSidecar, nodeCacheVolume } from './nodeCache';
import { containerSecurityContext, copyContainer, MODELS_VOLUME, podSecurityContext, TMP_VOLUME } from './podParts';
import type { Runtime } from './runtimes/runtime';
import { runtimeOf } from './settings';
import { isS3Pull, isNfsMount } from '../backends/podAccess';

// GPU nodes are commonly tainted so that only pods asking for GPUs land there.
export const GPU_TOLERATION: Toleration = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };

/** The init container copies the model from S3 (the runtime does not read S3 itself). */
export function copiesModel(s: ManifestSettings, rt: Runtime = runtimeOf(s)): boolean {
  return isS3Pull(s.input.location) && rt.fromS3 === 'copy';
}

export function podSpec(s: ManifestSettings): PodSpec {
  const rt = runtimeOf(s);
  const init = copiesModel(s, rt) ? [copyContainer(s)] : [];
  if (s.nodeCache && init.length > 0) init.push(leaseSidecar(s, s.nodeCache, containerSecurityContext(s)));
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(s),
    ...(init.length > 0 ? { initContainers: init } : {}),
    containers: [readsCache(s, rt.container(s))],
    volumes: modelVolumes(s, rt),
    ...(s.gpus > 0 ? { tolerations: [GPU_TOLERATION] } : {}),
  };
}

/** The model's volume (NFS, or the emptyDir the copy fills), a /tmp for the copy, then the runtime's own. */
export function modelVolumes(s: ManifestSettings, rt: Runtime = runtimeOf(s)): Volume[] {
  const loc = s.input.location;
  const own = rt.volumes(s);
  const volumes: Volume[] = [];
  if (isNfsMount(loc)) volumes.push({ name: MODELS_VOLUME, nfs: { server: loc.server, path: loc.path, readOnly: true } });
  if (copiesModel(s, rt)) {
    // Room for the files plus 5 % and 256 MiB for aws-cli's temporary part files; following a tag, room for
    // a bigger file than today's (the previous version is removed before the next one is copied). With the
    // node cache the files stay in the cache and the emptyDir holds only symlinks.
    const factor = s.mode === 'follow' ? 1.5 : 1.05;
    const size = s.nodeCache ? '16Mi' : mebibytes(s.totalSize * factor + 256 * 1024 * 1024);
    volumes.push({ name: MODELS_VOLUME, emptyDir: { sizeLimit: size } });
    if (s.nodeCache) volumes.push(nodeCacheVolume(s.nodeCache));
    // aws-cli's HOME; a runtime with a /tmp of its own shares it.
    if (!own.some((v) => v.name === TMP_VOLUME)) volumes.push({ name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } });
  }
  return [...volumes, ...own];
}

/** The server reads the node cache read-only where the symlinks in the models volume point. */
function readsCache(s: ManifestSettings, c: Container): Container {
  if (!s.nodeCache || !(c.volumeMounts ?? []).some((m) => m.name === MODELS_VOLUME)) return c;
  return { ...c, volumeMounts: [...(c.volumeMounts ?? []), cacheMount(true)] };
}
