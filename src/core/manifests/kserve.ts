// KServe: an InferenceService (serving.kserve.io/v1beta1) whose storage initializer copies the model into
// /mnt/models, a ServiceAccount that lists the Secret, and the Secret with the keys plus the
// `serving.kserve.io/s3-*` annotations KServe turns into the initializer's S3 settings. The predictor's
// server part is the runtime's (its entry in the table): a custom `kserve-container` (KServe reads its
// STORAGE_URI env) or one of KServe's own runtimes with `model.storageUri`. KServe has no typed models
// package: the types below cover exactly the fields emitted (checked by a JSON schema in the tests).
// KServe does not check a sha256: the annotations record it for people.
import type {
  Container, EnvVar, PodSecurityContext, ResourceRequirements, Secret, SecurityContext, ServiceAccount, Toleration, Volume, VolumeMount,
} from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { RepoError } from '../errors';
import type { ManifestSettings } from './manifestInput';
import { credentialsSecret, objectMeta, podSecurityContext } from './podParts';
import { GPU_TOLERATION } from './podSpec';
import type { KServeStorage } from './runtimes/runtime';
import { runtimeOf } from './settings';
import { isS3Pull } from '../backends/podAccess';

export const KSERVE_MODELS_DIR = '/mnt/models';

export interface KServeModelSpec {
  readonly modelFormat: { readonly name: string };
  readonly storageUri: string;
  readonly args?: string[];
  readonly env?: EnvVar[];
  readonly resources?: ResourceRequirements;
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: VolumeMount[];
}

export interface InferenceServicePredictor {
  readonly serviceAccountName: string;
  readonly automountServiceAccountToken?: boolean;
  readonly minReplicas?: number;
  readonly securityContext?: PodSecurityContext;
  readonly tolerations?: Toleration[];
  readonly volumes?: Volume[];
  readonly model?: KServeModelSpec;
  readonly containers?: Container[];
}

export interface InferenceService {
  readonly apiVersion: 'serving.kserve.io/v1beta1';
  readonly kind: 'InferenceService';
  readonly metadata: ObjectMeta;
  readonly spec: { readonly predictor: InferenceServicePredictor };
}

function s3Of(s: ManifestSettings) {
  const loc = s.input.location;
  if (!isS3Pull(loc)) throw new RepoError('Config', 'build a KServe manifest for', s.input.model, 'the model is not stored on S3');
  return loc;
}

/** The Secret with the annotations KServe's storage initializer reads (endpoint host without scheme). */
export function kserveSecret(s: ManifestSettings): Secret {
  const loc = s3Of(s);
  const url = loc.endpoint !== undefined ? new URL(loc.endpoint) : undefined;
  const https = url ? url.protocol === 'https:' : true;
  const secret = credentialsSecret(s);
  return {
    ...secret,
    metadata: {
      ...secret.metadata,
      annotations: {
        'serving.kserve.io/s3-endpoint': url ? url.host : 's3.amazonaws.com',
        'serving.kserve.io/s3-usehttps': https ? '1' : '0',
        'serving.kserve.io/s3-region': loc.region ?? 'us-east-1',
        'serving.kserve.io/s3-verifyssl': https ? '1' : '0',
      },
    },
  };
}

export function kserveServiceAccount(s: ManifestSettings): ServiceAccount {
  return {
    apiVersion: 'v1', kind: 'ServiceAccount',
    metadata: { name: s.secretName, ...(s.namespace !== undefined ? { namespace: s.namespace } : {}), labels: { 'app.kubernetes.io/component': 'credentials', 'app.kubernetes.io/managed-by': 'modelrepo' } },
    secrets: [{ name: s.secretName }],
    automountServiceAccountToken: false,
  };
}

/** One object when a file runtime's reference is one file (it lands as /mnt/models/<basename>), else the version folder. */
function storage(s: ManifestSettings): KServeStorage {
  const loc = s3Of(s);
  const arts = s.input.artifacts;
  if (arts.length === 1 && runtimeOf(s).opens === 'file') {
    const base = arts[0].file.split('/').pop() ?? arts[0].file;
    return { uri: `s3://${loc.bucket}/${arts[0].path}`, dir: KSERVE_MODELS_DIR, modelPath: `${KSERVE_MODELS_DIR}/${base}` };
  }
  return { uri: `s3://${loc.bucket}/${s.versionPrefix}`, dir: KSERVE_MODELS_DIR, modelPath: `${KSERVE_MODELS_DIR}/${s.modelFile}` };
}

export function buildInferenceService(s: ManifestSettings): InferenceService {
  // The storage initializer needs no API token: KServe's webhook hands it the Secret's keys as env.
  const predictor: InferenceServicePredictor = {
    serviceAccountName: s.secretName, automountServiceAccountToken: false, minReplicas: s.replicas,
    securityContext: podSecurityContext(s), ...(s.gpus > 0 ? { tolerations: [GPU_TOLERATION] } : {}),
    ...runtimeOf(s).kserve(s, storage(s)),
  };
  return {
    apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
    metadata: objectMeta(s, s.name, true),
    spec: { predictor },
  };
}

/** Secret, ServiceAccount and InferenceService, in the order they must be applied. */
export function buildKServe(s: ManifestSettings): [Secret, ServiceAccount, InferenceService] {
  return [kserveSecret(s), kserveServiceAccount(s), buildInferenceService(s)];
}
