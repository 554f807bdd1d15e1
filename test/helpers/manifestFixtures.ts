// Inputs shared by the manifest tests, and one function that runs every offline check of
// test/helpers/k8sChecks.ts (and the KServe schema) on a set of objects as kubectl would read them.
import type { ManifestInput } from '../../src/core/manifests/manifestInput';
import { toYaml } from '../../src/core/manifests/toYaml';
import { nameProblems, parseManifests, plainCredentials, schemaProblems, securityProblems, unknownFields } from './k8sChecks';
import { kserveProblems } from './kserveSchema';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const SHA = 'f'.repeat(64);
export const FILE = 'llama-3-8b.Q5_K_M.gguf';
export const KEYS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };

export const s3Input: ManifestInput = {
  model: 'llama-3-8b', version: '2024-03-20',
  artifacts: [{ file: FILE, size: 5_732_987_904, sha256: SHA, path: `team-a/llama-3-8b/2024-03-20/${FILE}` }],
  chain: ['latest', 'v2', `2024-03-20/${FILE}`], ref: 'localai/models/team-a/llama-3-8b:latest',
  location: { kind: 's3', endpoint: 'http://minio.minio.svc:9000', region: 'us-east-1', bucket: 'models', pathStyle: true, prefix: 'team-a' },
  namespace: 'ml', credentials: KEYS,
};

/** The GGUF input without keys (its Secret holds placeholders) and without the prefix in its location. */
export const keylessS3Input: ManifestInput = {
  ...s3Input, credentials: undefined,
  location: { kind: 's3', endpoint: 'http://minio.minio.svc:9000', region: 'us-east-1', bucket: 'models', pathStyle: true },
};

const ST_FILES = ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'tokenizer.json'];
export const safetensorsInput: ManifestInput = {
  ...s3Input, model: 'qwen2.5-7b', chain: ['stable', '2024-05-01'], ref: 'localai/models/team-a/qwen2.5-7b:stable', version: '2024-05-01',
  artifacts: ST_FILES.map((f) => ({ file: f, size: f.endsWith('.safetensors') ? 4_000_000_000 : 10_000, sha256: SHA, path: `team-a/qwen2.5-7b/2024-05-01/${f}` })),
};

export const nfsInput: ManifestInput = {
  ...s3Input, credentials: undefined,
  artifacts: [{ file: FILE, size: 5_732_987_904, sha256: SHA, path: `llama-3-8b/2024-03-20/${FILE}` }],
  location: { kind: 'nfs', server: 'nfs.example.internal', path: '/exports/models' },
};

/** The safetensors version on a folder repository (paths relative to the export). */
export const nfsSafetensorsInput: ManifestInput = {
  ...nfsInput, model: safetensorsInput.model, version: safetensorsInput.version, chain: safetensorsInput.chain, ref: safetensorsInput.ref,
  artifacts: safetensorsInput.artifacts.map((a) => ({ ...a, path: a.path.replace('team-a/', '') })),
};

/** An input in a format (S3 or NFS): the GGUF file or the safetensors folder. */
export function inputIn(format: 'gguf' | 'safetensors', where: 's3' | 'nfs' = 's3'): ManifestInput {
  if (format === 'gguf') return where === 's3' ? s3Input : nfsInput;
  return where === 's3' ? safetensorsInput : nfsSafetensorsInput;
}

/** The objects as kubectl would read them: through YAML text. */
export const viaYaml = (objs: readonly object[]): Obj[] => parseManifests(toYaml(objs));

/** Every per-object offline check; `k8s` (client-node, Node >= 22) adds the unknown-field walk. */
export function offlineProblems(objs: readonly Obj[], k8s?: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const o of objs) {
    const at = (p: string): string => `${o.kind} ${o.metadata?.name}: ${p}`;
    if (o.kind === 'InferenceService') out.push(...kserveProblems(o, k8s).map(at));
    else {
      out.push(...schemaProblems(o).map(at));
      if (k8s) out.push(...unknownFields(o, k8s).map(at));
    }
    out.push(...nameProblems(o).map(at), ...securityProblems(o).map(at));
    out.push(...plainCredentials(o, [KEYS.accessKeyId, KEYS.secretAccessKey]).map(at));
  }
  return out;
}
