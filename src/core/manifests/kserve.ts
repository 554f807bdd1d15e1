// KServe: an InferenceService (serving.kserve.io/v1beta1) whose storage initializer copies the model into
// /mnt/models, a ServiceAccount that lists the Secret, and the Secret with the keys plus the
// `serving.kserve.io/s3-*` annotations KServe turns into the initializer's S3 settings. GGUF runs in a
// custom `kserve-container` (KServe reads its STORAGE_URI env: there is no llama.cpp runtime built in);
// safetensors use KServe's Hugging Face runtime (vLLM backend) with `model.storageUri`. KServe has no
// typed models package: the types below cover exactly the fields emitted (checked by a JSON schema in
// the tests). KServe does not check a sha256: the annotations record it for people.
import type {
  Container, EnvVar, PodSecurityContext, ResourceRequirements, Secret, SecurityContext, ServiceAccount, Toleration, Volume, VolumeMount,
} from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { RepoError } from '../errors';
import type { ManifestSettings } from './manifestInput';
import { containerSecurityContext, credentialsSecret, objectMeta, podSecurityContext, SHM_VOLUME, TMP_VOLUME } from './podParts';
import { GPU_TOLERATION } from './podSpec';

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
  if (loc.kind !== 's3') throw new RepoError('Config', 'build a KServe manifest for', s.input.model, 'the model is not stored on S3');
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

/** One object when the reference is one file (it lands as /mnt/models/<basename>), else the version folder. */
function storage(s: ManifestSettings): { uri: string; modelPath: string } {
  const loc = s3Of(s);
  const arts = s.input.artifacts;
  if (arts.length === 1 && s.runtime !== 'vllm') {
    const base = arts[0].file.split('/').pop() ?? arts[0].file;
    return { uri: `s3://${loc.bucket}/${arts[0].path}`, modelPath: `${KSERVE_MODELS_DIR}/${base}` };
  }
  return { uri: `s3://${loc.bucket}/${s.versionPrefix}`, modelPath: `${KSERVE_MODELS_DIR}/${s.modelFile}` };
}

export function buildInferenceService(s: ManifestSettings): InferenceService {
  const { uri, modelPath } = storage(s);
  const resources = { requests: { ...s.resources.requests }, limits: { ...s.resources.limits } };
  // The storage initializer needs no API token: KServe's webhook hands it the Secret's keys as env.
  const common = {
    serviceAccountName: s.secretName, automountServiceAccountToken: false, minReplicas: s.replicas,
    securityContext: podSecurityContext(s), ...(s.gpus > 0 ? { tolerations: [GPU_TOLERATION] } : {}),
  };
  const predictor: InferenceServicePredictor = s.runtime === 'vllm'
    ? {
      ...common,
      // Caches go to a tmp emptyDir (read-only root filesystem); vLLM wants a larger /dev/shm.
      volumes: [{ name: TMP_VOLUME, emptyDir: { sizeLimit: '4Gi' } }, { name: SHM_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } }],
      model: {
        modelFormat: { name: 'huggingface' }, storageUri: uri, args: [`--model_name=${s.input.model}`],
        env: [{ name: 'HOME', value: '/tmp' }, { name: 'HF_HOME', value: '/tmp/hf' }, { name: 'VLLM_NO_USAGE_STATS', value: '1' }],
        resources, securityContext: containerSecurityContext(s),
        volumeMounts: [{ name: TMP_VOLUME, mountPath: '/tmp' }, { name: SHM_VOLUME, mountPath: '/dev/shm' }],
      },
    }
    : {
      ...common,
      containers: [{
        name: 'kserve-container',
        image: s.image,
        imagePullPolicy: 'IfNotPresent',
        args: ['-m', modelPath, '--host', '0.0.0.0', '--port', String(s.port), ...(s.gpus > 0 ? ['--n-gpu-layers', '999'] : [])],
        env: [{ name: 'STORAGE_URI', value: uri }],
        ports: [{ containerPort: s.port, protocol: 'TCP' }],
        readinessProbe: { httpGet: { path: '/health', port: s.port }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        resources,
        securityContext: containerSecurityContext(s),
      }],
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
