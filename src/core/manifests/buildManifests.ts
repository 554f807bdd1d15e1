// Kubernetes manifests for one resolved artifact: typed objects (kubernetes-types), never YAML text.
// S3 repository: a Secret with the keys (placeholders unless real ones are passed) and a Pod whose init
// container copies and checks the files. Filesystem repository: only a Pod with a read-only NFS volume.
import type { Pod, Secret } from 'kubernetes-types/core/v1';
import { manifestSettings } from './manifestInput';
import type { ManifestInput, ManifestSettings } from './manifestInput';
import { credentialsSecret, objectMeta, podSpec } from './podParts';

/** Everything buildManifests() can return; variants add their kinds here. */
export type ManifestObject = Secret | Pod;

export function buildPod(s: ManifestSettings): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: objectMeta(s, s.name, true), spec: podSpec(s) };
}

export function buildManifests(input: ManifestInput): ManifestObject[] {
  const s = manifestSettings(input);
  const objects: ManifestObject[] = [];
  if (s.input.location.kind === 's3') objects.push(credentialsSecret(s));
  objects.push(buildPod(s));
  return objects;
}

/** True when the Secret carries placeholder values that must be replaced before applying. */
export function usesPlaceholderCredentials(input: ManifestInput): boolean {
  return input.location.kind === 's3' && !input.credentials;
}
