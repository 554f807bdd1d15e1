// How pods reach a version's files, as manifests ask it: through the S3 API (an init container copies,
// a Secret carries keys, an endpoint pods reach) or over an NFS mount. Backends produce the location
// (Backend.podLocation); the manifests ask these questions of it instead of comparing kinds.
import type { NfsLocation, PodLocation, S3Location } from '../manifests/manifestInput';

/** Pods copy the files through the S3 API. */
export function isS3Pull(loc: PodLocation): loc is S3Location {
  return loc.kind === 's3';
}

/** Pods mount the files over NFS. */
export function isNfsMount(loc: PodLocation): loc is NfsLocation {
  return loc.kind === 'nfs';
}
