// vLLM for safetensors: streams the version folder straight from S3 with the Run:ai model streamer
// (`--load-format runai_streamer`), so nothing is copied and no init container runs; on a folder
// repository it reads the NFS mount. On KServe it is KServe's Hugging Face runtime (vLLM backend), whose
// storage initializer copies the folder. It reads one fixed folder, so it cannot follow a tag.
import type { Container, EnvVar, VolumeMount } from 'kubernetes-types/core/v1';
import { MODELS_DIR } from '../manifestInput';
import type { ManifestSettings } from '../manifestInput';
import { containerSecurityContext, keyEnv, modelMount } from '../podParts';
import { containerResources, gpuResources, readiness, scratchVolumes, shmMount, tmpMount } from './runtime';
import type { Runtime } from './runtime';
import { isS3Pull } from '../../backends/podAccess';

// A release whose image installs runai-model-streamer[s3] (needed for --load-format runai_streamer).
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.10.2';

// Loading and compiling take minutes: /health answers once the engine serves.
const HEALTH = { path: '/health', initialDelaySeconds: 30 };

// Caches and compiled kernels go to the tmp emptyDir: the root filesystem is read-only.
const cacheEnv = (): EnvVar[] => [
  { name: 'HOME', value: '/tmp' },
  { name: 'HF_HOME', value: '/tmp/hf' },
  { name: 'VLLM_NO_USAGE_STATS', value: '1' },
];

function container(s: ManifestSettings): Container {
  const loc = s.input.location;
  const env: EnvVar[] = cacheEnv();
  let model = MODELS_DIR;
  const mounts: VolumeMount[] = [tmpMount(), shmMount()];
  if (isS3Pull(loc)) {
    model = `s3://${loc.bucket}/${s.versionPrefix}`;
    env.push(...keyEnv(s));
    if (loc.endpoint !== undefined) env.push({ name: 'AWS_ENDPOINT_URL', value: loc.endpoint });
    const region = loc.region ?? 'us-east-1';
    env.push(
      { name: 'AWS_REGION', value: region },
      { name: 'AWS_DEFAULT_REGION', value: region },
      // MinIO and Ceph answer path-style requests; the streamer defaults to virtual-hosted buckets.
      { name: 'RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING', value: (loc.pathStyle ?? loc.endpoint !== undefined) ? '0' : '1' },
      { name: 'AWS_EC2_METADATA_DISABLED', value: 'true' },
    );
  } else {
    mounts.unshift(modelMount(s));
  }
  const args = ['serve', model, ...(isS3Pull(loc) ? ['--load-format', 'runai_streamer'] : []),
    '--host', '0.0.0.0', '--port', String(s.port), '--served-model-name', s.input.model];
  if (s.gpus > 1) args.push('--tensor-parallel-size', String(s.gpus));
  return {
    name: 'vllm',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['vllm'],
    args,
    env,
    ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
    readinessProbe: readiness(HEALTH, s.port),
    resources: containerResources(s),
    securityContext: containerSecurityContext(s),
    volumeMounts: mounts,
  };
}

export const vllm: Runtime = {
  name: 'vllm',
  server: 'vLLM',
  label: 'vLLM for safetensors',
  description: 'streams the weights from S3 (runai_streamer), no copy',
  image: VLLM_IMAGE,
  port: 8000,
  formats: ['safetensors'],
  opens: 'folder',
  reads: 'loads safetensors from S3 (--load-format runai_streamer)',
  fromS3: 'stream',
  cannotFollow: 'streams one fixed S3 folder',
  gpus: { min: 1, default: 1 },
  health: HEALTH,
  resources: gpuResources,
  container,
  // vLLM writes caches under HOME (/tmp here) and needs a shared-memory /dev/shm larger than the default.
  volumes: () => scratchVolumes('4Gi', true),
  kserve: (s, storage) => ({
    volumes: scratchVolumes('4Gi', true),
    model: {
      modelFormat: { name: 'huggingface' }, storageUri: storage.uri, args: [`--model_name=${s.input.model}`],
      env: cacheEnv(), resources: containerResources(s), securityContext: containerSecurityContext(s),
      volumeMounts: [tmpMount(), shmMount()],
    },
  }),
};
