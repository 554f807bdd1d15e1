// The pod every workload variant runs (Pod, Deployment, each arm of an A/B pair): hardened, the model
// copied in by an init container (S3 + llama.cpp), mounted over NFS, or streamed by vLLM itself.
import type { PodSpec, Toleration } from 'kubernetes-types/core/v1';
import type { ManifestSettings } from './manifestInput';
import { copyContainer, modelVolumes, podSecurityContext } from './podParts';
import { serverContainer } from './servers';

// GPU nodes are commonly tainted so that only pods asking for GPUs land there.
export const GPU_TOLERATION: Toleration = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };

export function podSpec(s: ManifestSettings): PodSpec {
  const copy = s.input.location.kind === 's3' && s.runtime !== 'vllm';
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(s),
    ...(copy ? { initContainers: [copyContainer(s)] } : {}),
    containers: [serverContainer(s)],
    volumes: modelVolumes(s),
    ...(s.gpus > 0 ? { tolerations: [GPU_TOLERATION] } : {}),
  };
}
