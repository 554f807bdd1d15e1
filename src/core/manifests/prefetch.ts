// Pre-pulling a model into the node caches: a DaemonSet whose init container is the pinned node-cache
// script (the same text a serving pod runs), so each node selected downloads the files once before any
// replica lands there; a pause container then keeps the pod Ready, which is how `prefetch --wait` and
// `kubectl rollout status` see that a node is filled. It holds no lease: once the cache is full, the
// pre-pulled blobs are evicted like any other unused blob (least recently used first).
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { Secret, Toleration } from 'kubernetes-types/core/v1';
import { RepoError } from '../errors';
import { dnsLabel } from './k8sNames';
import type { ManifestInput, ManifestSettings } from './manifestInput';
import { nodeCacheVolume } from './nodeCache';
import { containerSecurityContext, copyContainer, credentialsSecret, MODELS_VOLUME, objectMeta, podSecurityContext, TMP_VOLUME } from './podParts';
import { RUNTIMES, runtimesServing } from './runtimes/runtimeTable';
import { manifestSettings } from './settings';

// The Kubernetes pause image: does nothing, as a non-root user, in a few hundred KiB.
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
export const PREFETCH_COMPONENT = 'prefetch';

/** The DaemonSet's name (also its app.kubernetes.io/name label) for the objects' base name. */
export function prefetchName(base: string): string {
  return `${dnsLabel(base, 54).replace(/-+$/, '')}-prefetch`;
}

/** The labels that pick the pre-pull DaemonSets modelrepo made: of one base name, or of every model. */
export function prefetchSelector(base?: string): string {
  return [`app.kubernetes.io/component=${PREFETCH_COMPONENT}`, 'app.kubernetes.io/managed-by=modelrepo',
    ...(base !== undefined ? [`app.kubernetes.io/name=${prefetchName(base)}`] : [])].join(',');
}

/** `k=v,k2=v2` (commas or repeated): the node labels a pre-pull selects; undefined when malformed. */
export function parseNodeSelector(items: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const i of items.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/.exec(i);
    if (!m) return undefined;
    out[m[1]] = m[2];
  }
  return out;
}

/** `key=value:Effect`, `key:Effect` (operator Exists) or `key` (any effect); undefined when malformed. */
export function parseToleration(text: string): Toleration | undefined {
  const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)(?:=([-A-Za-z0-9_.]*))?(?::(NoSchedule|PreferNoSchedule|NoExecute))?$/.exec(text.trim());
  if (!m) return undefined;
  return { key: m[1], operator: m[2] !== undefined ? 'Equal' : 'Exists', ...(m[2] !== undefined ? { value: m[2] } : {}), ...(m[3] ? { effect: m[3] } : {}) };
}

export interface PrefetchOptions {
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly Toleration[];
}

/** The settings of a pre-pull: pinned files, through the node cache, as a runtime that copies would fetch them. */
export function prefetchSettings(input: ManifestInput): ManifestSettings {
  const runtime = input.runtime ?? runtimesServing([input.artifacts.map((a) => a.file)]).find((n) => RUNTIMES[n].fromS3 === 'copy');
  if (!runtime) {
    throw new RepoError('Config', 'pre-pull', `${input.model}@${input.version}`, 'no runtime of the table reads these files from a local copy, so nothing would read the cache');
  }
  return manifestSettings({ ...input, mode: 'pinned', kind: 'pod', runtime, nodeCache: input.nodeCache ?? {} });
}

/** The Secret and the DaemonSet that fill every selected node's cache with the files of `input`. */
export function buildPrefetch(input: ManifestInput, opts: PrefetchOptions = {}): [Secret, DaemonSet] {
  const s = prefetchSettings(input);
  const name = prefetchName(s.name);
  const labels = { ...s.labels, 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': PREFETCH_COMPONENT };
  const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': PREFETCH_COMPONENT };
  const fetch = copyContainer(s);
  return [credentialsSecret(s), {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { ...objectMeta(s, name, true), labels },
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } },
      template: {
        metadata: { labels, annotations: { ...s.annotations } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(s),
          ...(opts.nodeSelector ? { nodeSelector: { ...opts.nodeSelector } } : {}),
          ...(opts.tolerations && opts.tolerations.length > 0 ? { tolerations: opts.tolerations.map((t) => ({ ...t })) } : {}),
          initContainers: [fetch],
          containers: [{
            name: 'cached',
            image: PAUSE_IMAGE,
            imagePullPolicy: 'IfNotPresent',
            resources: { requests: { cpu: '1m', memory: '8Mi' }, limits: { cpu: '10m', memory: '16Mi' } },
            securityContext: containerSecurityContext(s),
          }],
          volumes: [
            { name: MODELS_VOLUME, emptyDir: { sizeLimit: '16Mi' } },
            { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
            nodeCacheVolume(s.nodeCache!),
          ],
        },
      },
    },
  }];
}
