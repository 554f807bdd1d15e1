// llama.cpp's server on CPU cores, or with every layer on NVIDIA GPUs (the CUDA build of the same
// release): opens one GGUF file, copied in from S3 by the init container, or on the NFS mount (following a
// tag there, the tag's own symlink, which the kernel follows at open). On KServe it is a custom
// `kserve-container` (KServe has no llama.cpp runtime built in) on the file the storage initializer copied.
import type { Container } from 'kubernetes-types/core/v1';
import type { ManifestSettings } from '../manifestInput';
import { containerSecurityContext, modelMount } from '../podParts';
import { containerResources, kserveContainer, mappedResources, modelFilePath, readiness } from './runtime';
import type { Runtime } from './runtime';

// A fixed llama.cpp build rather than the moving `:server` tag: the moving tags have shipped broken builds
// (a missing shared library at b9282). Override with ManifestInput.image.
export const LLAMA_CPP_IMAGE = 'ghcr.io/ggml-org/llama.cpp:server-b11176';
// The CUDA build of the same release (ggml-org publishes server-cuda-b<build> beside server-b<build>).
export const LLAMA_CPP_CUDA_IMAGE = 'ghcr.io/ggml-org/llama.cpp:server-cuda-b11176';

// llama-server answers 503 on /health while it loads the model, 200 once it serves.
const HEALTH = { path: '/health', initialDelaySeconds: 5 };

function llamaCpp(cuda: boolean): Runtime {
  const container = (s: ManifestSettings): Container => {
    const args = ['-m', modelFilePath(s), '--host', '0.0.0.0', '--port', String(s.port)];
    // The file name is only known at pod start: give clients a stable model name instead.
    if (s.mode === 'follow') args.push('--alias', s.input.model);
    if (cuda) args.push('--n-gpu-layers', '999');
    return {
      name: 'llama-server',
      image: s.image,
      imagePullPolicy: 'IfNotPresent',
      args,
      ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
      readinessProbe: readiness(HEALTH, s.port),
      resources: containerResources(s),
      securityContext: containerSecurityContext(s),
      volumeMounts: [modelMount(s)],
    };
  };
  return {
    name: cuda ? 'llama-cpp-cuda' : 'llama-cpp-cpu',
    server: 'llama.cpp',
    label: cuda ? 'llama.cpp CUDA' : 'llama.cpp CPU',
    description: cuda ? 'GGUF with every layer on an NVIDIA GPU' : 'GGUF on CPU cores',
    image: cuda ? LLAMA_CPP_CUDA_IMAGE : LLAMA_CPP_IMAGE,
    port: 8080,
    formats: ['gguf'],
    opens: 'file',
    reads: 'serves GGUF',
    fromS3: 'copy',
    gpus: cuda ? { min: 1, default: 1 } : 'none',
    health: HEALTH,
    resources: mappedResources,
    container,
    volumes: () => [],
    kserve: (s, storage) => ({
      containers: [kserveContainer(s, storage, {
        health: HEALTH,
        args: ['-m', storage.modelPath, '--host', '0.0.0.0', '--port', String(s.port), ...(s.gpus > 0 ? ['--n-gpu-layers', '999'] : [])],
      })],
    }),
  };
}

export const llamaCppCpu = llamaCpp(false);
export const llamaCppCuda = llamaCpp(true);
