// The inference server containers, one per runtime: llama.cpp's server (CPU or CUDA image) reading the
// GGUF file the init container copied (or the NFS mount), and vLLM streaming safetensors straight from
// S3 with the Run:ai model streamer (`--load-format runai_streamer`), which needs no copy at all.
import type { Container, EnvVar, Probe } from 'kubernetes-types/core/v1';
import { CURRENT_MODEL } from './followScript';
import { MODELS_DIR } from './manifestInput';
import type { ManifestSettings } from './manifestInput';
import { containerSecurityContext, keyEnv, modelMount, SHM_VOLUME, TMP_VOLUME } from './podParts';

/** The path the server opens: the pinned file, the symlink the follow script writes, or the tag's symlink on NFS. */
export function llamaModelPath(s: ManifestSettings): string {
  if (s.mode === 'pinned') return `${MODELS_DIR}/${s.modelFile}`;
  return s.input.location.kind === 'nfs' ? `${MODELS_DIR}/tags/${s.tag}` : `${MODELS_DIR}/${CURRENT_MODEL}`;
}

function readiness(port: number, initialDelaySeconds: number): Probe {
  return { httpGet: { path: '/health', port }, initialDelaySeconds, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };
}

function resources(s: ManifestSettings): Container['resources'] {
  return { requests: { ...s.resources.requests }, limits: { ...s.resources.limits } };
}

export function llamaServerContainer(s: ManifestSettings): Container {
  const args = ['-m', llamaModelPath(s), '--host', '0.0.0.0', '--port', String(s.port)];
  // The file name is only known at pod start: give clients a stable model name instead.
  if (s.mode === 'follow') args.push('--alias', s.input.model);
  if (s.runtime === 'llama-cpp-cuda') args.push('--n-gpu-layers', '999');
  return {
    name: 'llama-server',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    args,
    ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
    // llama-server answers 503 on /health while it loads the model, 200 once it serves.
    readinessProbe: readiness(s.port, 5),
    resources: resources(s),
    securityContext: containerSecurityContext(s),
    volumeMounts: [modelMount(s)],
  };
}

export function vllmContainer(s: ManifestSettings): Container {
  const loc = s.input.location;
  const env: EnvVar[] = [
    // Caches and compiled kernels go to the tmp emptyDir: the root filesystem is read-only.
    { name: 'HOME', value: '/tmp' },
    { name: 'HF_HOME', value: '/tmp/hf' },
    { name: 'VLLM_NO_USAGE_STATS', value: '1' },
  ];
  let model = MODELS_DIR;
  const mounts = [{ name: TMP_VOLUME, mountPath: '/tmp' }, { name: SHM_VOLUME, mountPath: '/dev/shm' }];
  if (loc.kind === 's3') {
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
  const args = ['serve', model, ...(loc.kind === 's3' ? ['--load-format', 'runai_streamer'] : []),
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
    // Loading and compiling take minutes: /health answers once the engine serves.
    readinessProbe: readiness(s.port, 30),
    resources: resources(s),
    securityContext: containerSecurityContext(s),
    volumeMounts: mounts,
  };
}

export function serverContainer(s: ManifestSettings): Container {
  return s.runtime === 'vllm' ? vllmContainer(s) : llamaServerContainer(s);
}
