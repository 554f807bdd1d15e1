// SGLang for safetensors (`python3 -m sglang.launch_server --model-path ...`): serves the version folder
// (config.json, tokenizer, weights), copied in from S3 by the init container and checked, or on the NFS
// mount. On KServe it is a custom `kserve-container` on the folder the storage initializer copied. It
// reads one fixed folder, so it cannot follow a tag (following copies one file at pod start).
import type { Container, EnvVar } from 'kubernetes-types/core/v1';
import { MODELS_DIR } from '../manifestInput';
import type { ManifestSettings } from '../manifestInput';
import { containerSecurityContext, modelMount } from '../podParts';
import { containerResources, gpuResources, kserveContainer, readiness, scratchVolumes, shmMount, tmpMount } from './runtime';
import type { Runtime } from './runtime';

// The CUDA image of a fixed release (lmsysorg publishes v<release> beside its -cu<version> variants).
export const SGLANG_IMAGE = 'lmsysorg/sglang:v0.5.2';

// The HTTP server starts once the weights are loaded and the warm-up ran: /health then answers 200.
const HEALTH = { path: '/health', initialDelaySeconds: 30 };

const COMMAND = ['python3', '-m', 'sglang.launch_server'];

// The root filesystem is read-only: caches (Hugging Face, Triton and FlashInfer kernels under HOME, the
// torch inductor cache, which otherwise needs a user name the pod's uid does not have) go to the tmp emptyDir.
const cacheEnv = (): EnvVar[] => [
  { name: 'HOME', value: '/tmp' },
  { name: 'HF_HOME', value: '/tmp/hf' },
  { name: 'TORCHINDUCTOR_CACHE_DIR', value: '/tmp/torchinductor' },
];

function args(s: ManifestSettings, modelPath: string): string[] {
  const a = ['--model-path', modelPath, '--host', '0.0.0.0', '--port', String(s.port), '--served-model-name', s.input.model];
  if (s.gpus > 1) a.push('--tp-size', String(s.gpus));
  return a;
}

function container(s: ManifestSettings): Container {
  return {
    name: 'sglang',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    command: [...COMMAND],
    // The copied version folder, or the version folder mounted over NFS.
    args: args(s, MODELS_DIR),
    env: cacheEnv(),
    ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
    readinessProbe: readiness(HEALTH, s.port),
    resources: containerResources(s),
    securityContext: containerSecurityContext(s),
    volumeMounts: [modelMount(s), tmpMount(), shmMount()],
  };
}

export const sglang: Runtime = {
  name: 'sglang',
  server: 'SGLang',
  label: 'SGLang for safetensors',
  description: 'the version folder copied in and checked, on NVIDIA GPUs',
  image: SGLANG_IMAGE,
  port: 30000,
  formats: ['safetensors'],
  opens: 'folder',
  reads: 'serves a safetensors folder',
  fromS3: 'copy',
  cannotFollow: 'serves a whole version folder',
  gpus: { min: 1, default: 1 },
  health: HEALTH,
  resources: gpuResources,
  container,
  // Its scheduler and tokenizer processes share tensors through /dev/shm.
  volumes: () => scratchVolumes('4Gi', true),
  kserve: (s, storage) => ({
    volumes: scratchVolumes('4Gi', true),
    containers: [kserveContainer(s, storage, {
      health: HEALTH, command: [...COMMAND], args: args(s, storage.dir), env: cacheEnv(), tmp: true, shm: true,
    })],
  }),
};
