// What `cluster deploy-minio` builds from: the chapter's MinIO (`helm install minio minio/minio -n
// model-storage --set mode=standalone --set resources.requests.memory=4Gi --set persistence.size=500Gi`)
// as plain objects, without Helm. The settings are checked once here; minioObjects.ts and
// minioWorkload.ts only read them. The root keys are made here with crypto randomness and live only in
// memory (registered as secrets so no message can carry them).
import { randomInt } from 'node:crypto';
import { registerSecret, RepoError } from '../errors';
import { checkDnsLabel } from './k8sNames';
import { PLACEHOLDER } from './manifestInput';

// Pinned releases (the server and the client of the same season); change both together.
export const MINIO_IMAGE = 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z';
export const MC_IMAGE = 'quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z';

export const MINIO_NAME = 'minio';
export const MINIO_API_PORT = 9000;
export const MINIO_CONSOLE_PORT = 9001;
export const MINIO_UID = 1000;

/** The chapter's Helm values this deployment reproduces (a test compares the objects with them). */
export const CHAPTER_HELM_VALUES = {
  namespace: 'model-storage',
  mode: 'standalone',
  'resources.requests.memory': '4Gi',
  'persistence.size': '500Gi',
} as const;

export interface MinioKeys {
  readonly rootUser: string;
  readonly rootPassword: string;
}

export interface MinioOptions {
  /** Default `model-storage`, as the chapter. */
  readonly namespace?: string;
  /** The PVC's size, default 500Gi. */
  readonly size?: string;
  /** Default: the cluster's default storage class. */
  readonly storageClass?: string;
  /** The first bucket, default `models`. */
  readonly bucket?: string;
  /** The root keys; without them the Secret carries placeholders (dry run). */
  readonly keys?: MinioKeys;
}

export interface MinioSettings {
  readonly namespace: string;
  readonly size: string;
  readonly storageClass?: string;
  readonly bucket: string;
  readonly keys?: MinioKeys;
  readonly labels: Readonly<Record<string, string>>;
}

const QUANTITY = /^[1-9][0-9]*(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random root keys: letters and digits only, so no shell, URL or YAML quoting can change them. */
export function generateMinioKeys(): MinioKeys {
  const pick = (n: number): string => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  const keys = { rootUser: `modelrepo-${pick(12)}`, rootPassword: pick(40) };
  registerSecret(keys.rootUser);
  registerSecret(keys.rootPassword);
  return keys;
}

export function minioSettings(o: MinioOptions = {}): MinioSettings {
  const action = 'build the MinIO deployment for';
  const namespace = checkDnsLabel('namespace', o.namespace ?? CHAPTER_HELM_VALUES.namespace);
  const size = o.size ?? CHAPTER_HELM_VALUES['persistence.size'];
  if (!QUANTITY.test(size)) throw new RepoError('Config', action, namespace, `'${size}' is not a storage size (e.g. 500Gi, 1Ti)`);
  if (o.storageClass !== undefined) checkDnsLabel('storage class', o.storageClass);
  const bucket = o.bucket ?? 'models';
  if (!BUCKET.test(bucket) || bucket.includes('..')) throw new RepoError('InvalidName', action, namespace, `'${bucket}' is not an S3 bucket name`);
  if (o.keys) {
    registerSecret(o.keys.rootUser);
    registerSecret(o.keys.rootPassword);
  }
  return {
    namespace, size, bucket, ...(o.storageClass ? { storageClass: o.storageClass } : {}), ...(o.keys ? { keys: o.keys } : {}),
    labels: { 'app.kubernetes.io/name': MINIO_NAME, 'app.kubernetes.io/instance': MINIO_NAME, 'app.kubernetes.io/managed-by': 'modelrepo' },
  };
}

/** The Secret's values: the keys, or placeholders for a dry run. */
export function secretValues(s: MinioSettings): Record<string, string> {
  const user = s.keys?.rootUser ?? PLACEHOLDER;
  const password = s.keys?.rootPassword ?? PLACEHOLDER;
  // rootUser/rootPassword as the MinIO chart writes them; accesskey/secretkey as the chapter reads them.
  return { rootUser: user, rootPassword: password, accesskey: user, secretkey: password };
}

/** The address pods use: the Service in its namespace. */
export function minioClusterEndpoint(s: Pick<MinioSettings, 'namespace'>): string {
  return `http://${MINIO_NAME}.${s.namespace}:${MINIO_API_PORT}`;
}
