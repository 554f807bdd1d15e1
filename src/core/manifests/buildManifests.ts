// Kubernetes manifests for one resolved artifact: typed objects (kubernetes-types), never YAML text.
// Variants (ManifestInput.kind / runtime / mode): a Pod (the default), a Deployment with its Service,
// or a KServe InferenceService; any runtime of runtimes/runtimeTable.ts; pinned to the resolved files or
// following a tag at pod start. S3 repository: a Secret with the keys (placeholders unless real ones are
// passed). Filesystem repository: a read-only NFS volume instead of the copy. A/B pairs: abTest.ts.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Pod, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1';
import { buildKServe } from './kserve';
import type { InferenceService } from './kserve';
import type { ManifestInput } from './manifestInput';
import { credentialsSecret } from './podParts';
import { manifestSettings } from './settings';
import { buildPod, deploymentWithService } from './workloads';
import { isS3Pull } from '../backends/podAccess';

/** Everything buildManifests() can return. */
export type ManifestObject = Secret | Pod | Deployment | Service | ServiceAccount | InferenceService;


export function buildManifests(input: ManifestInput): ManifestObject[] {
  const s = manifestSettings(input);
  if (s.kind === 'kserve') return buildKServe(s);
  const secret = isS3Pull(s.input.location) ? [credentialsSecret(s)] : [];
  return s.kind === 'deployment' ? [...secret, ...deploymentWithService(s)] : [...secret, buildPod(s)];
}

/** True when the Secret carries placeholder values that must be replaced before applying. */
export function usesPlaceholderCredentials(input: ManifestInput): boolean {
  return isS3Pull(input.location) && !input.credentials;
}
