// The YAML of every existing manifest variant, pinned by its sha256: a change to how runtimes are
// described (the runtime table) must not change a byte of what a runtime that did not change produces.
// After an intended change, print the new digests with MODELREPO_PRINT_GOLDEN=1 and paste them here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildAbManifests } from '../../src/core/manifests/abTest';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import type { ManifestInput } from '../../src/core/manifests/manifestInput';
import { toYaml } from '../../src/core/manifests/toYaml';
import { KEYS, nfsInput, s3Input, safetensorsInput } from '../helpers/manifestFixtures';

const nfsSafetensors: ManifestInput = {
  ...nfsInput, model: safetensorsInput.model, version: safetensorsInput.version, chain: safetensorsInput.chain,
  artifacts: safetensorsInput.artifacts.map((a) => ({ ...a, path: a.path.replace('team-a/', '') })),
};
const shards: ManifestInput = {
  ...s3Input,
  artifacts: ['m-00001-of-00002.gguf', 'm-00002-of-00002.gguf'].map((f) => ({ file: f, size: 3_000_000_000, sha256: 'e'.repeat(64), path: `team-a/llama-3-8b/2024-03-20/${f}` })),
};
const aws: ManifestInput['location'] = { kind: 's3', region: 'eu-west-1', bucket: 'models', prefix: 'team-a' };
const ab = (input: ManifestInput, mode: 'pinned' | 'follow'): object[] => buildAbManifests([
  { track: 'stable', input: { ...input, mode, tag: 'stable' }, replicas: 3 },
  { track: 'canary', input: { ...input, mode, tag: 'canary' }, replicas: 1 },
], { namespace: 'serving' });

const VARIANTS: Record<string, () => readonly object[]> = {
  'pod, llama.cpp CPU, pinned': () => buildManifests(s3Input),
  'pod, llama.cpp CPU, placeholder keys': () => buildManifests({ ...s3Input, credentials: undefined }),
  'pod, llama.cpp CPU, session token': () => buildManifests({ ...s3Input, credentials: { ...KEYS, sessionToken: 'tok-123456' } }),
  'pod, llama.cpp CPU, port, image, resources, names': () => buildManifests({
    ...s3Input, port: 9000, image: 'example.org/llama:1.2', resources: { limits: { cpu: '8' }, requests: { memory: '1Gi' } },
    name: 'chat', secretName: 'minio-keys', runAsUser: 20000,
  }),
  'pod, llama.cpp CPU, AWS': () => buildManifests({ ...s3Input, location: aws }),
  'pod, llama.cpp CPU, split GGUF': () => buildManifests(shards),
  'pod, following the tag': () => buildManifests({ ...s3Input, mode: 'follow' }),
  'pod, following tag stable': () => buildManifests({ ...s3Input, mode: 'follow', tag: 'stable' }),
  'pod, llama.cpp CUDA': () => buildManifests({ ...s3Input, runtime: 'llama-cpp-cuda' }),
  'pod, llama.cpp CUDA, following, 2 GPUs': () => buildManifests({ ...s3Input, runtime: 'llama-cpp-cuda', mode: 'follow', gpus: 2 }),
  'pod, vLLM': () => buildManifests({ ...safetensorsInput, runtime: 'vllm' }),
  'pod, vLLM, 2 GPUs, AWS': () => buildManifests({ ...safetensorsInput, runtime: 'vllm', gpus: 2, location: aws }),
  'pod, vLLM, virtual-hosted endpoint': () => buildManifests({ ...safetensorsInput, runtime: 'vllm', location: { ...aws, endpoint: 'https://s3.example.org', pathStyle: false } }),
  'deployment, llama.cpp CPU, pinned': () => buildManifests({ ...s3Input, kind: 'deployment', replicas: 2 }),
  'deployment, following the tag': () => buildManifests({ ...s3Input, kind: 'deployment', mode: 'follow' }),
  'deployment, llama.cpp CUDA': () => buildManifests({ ...s3Input, kind: 'deployment', runtime: 'llama-cpp-cuda', gpus: 2 }),
  'deployment, llama.cpp CUDA, 0 replicas': () => buildManifests({ ...s3Input, kind: 'deployment', runtime: 'llama-cpp-cuda', replicas: 0 }),
  'deployment, vLLM': () => buildManifests({ ...safetensorsInput, kind: 'deployment', runtime: 'vllm' }),
  'KServe, llama.cpp CPU': () => buildManifests({ ...s3Input, kind: 'kserve' }),
  'KServe, llama.cpp CPU, split GGUF': () => buildManifests({ ...shards, kind: 'kserve', replicas: 2 }),
  'KServe, llama.cpp CUDA': () => buildManifests({ ...s3Input, kind: 'kserve', runtime: 'llama-cpp-cuda' }),
  'KServe, llama.cpp CUDA, AWS, 2 GPUs': () => buildManifests({ ...s3Input, kind: 'kserve', runtime: 'llama-cpp-cuda', gpus: 2, location: aws }),
  'KServe, vLLM (Hugging Face runtime)': () => buildManifests({ ...safetensorsInput, kind: 'kserve', runtime: 'vllm' }),
  'KServe, vLLM, https endpoint, 4 GPUs': () => buildManifests({ ...safetensorsInput, kind: 'kserve', runtime: 'vllm', gpus: 4, location: { ...aws, endpoint: 'https://s3.example.org:8443' } }),
  'A/B, pinned': () => ab(s3Input, 'pinned'),
  'A/B, following stable and canary': () => ab(s3Input, 'follow'),
  'A/B, llama.cpp CUDA, pinned': () => ab({ ...s3Input, runtime: 'llama-cpp-cuda' }, 'pinned'),
  'A/B, vLLM, pinned': () => ab({ ...safetensorsInput, runtime: 'vllm' }, 'pinned'),
  'NFS pod': () => buildManifests(nfsInput),
  'NFS deployment': () => buildManifests({ ...nfsInput, kind: 'deployment' }),
  'NFS pod following the tag': () => buildManifests({ ...nfsInput, mode: 'follow' }),
  'NFS llama.cpp CUDA deployment following the tag': () => buildManifests({ ...nfsInput, kind: 'deployment', runtime: 'llama-cpp-cuda', mode: 'follow' }),
  'NFS vLLM': () => buildManifests({ ...nfsSafetensors, runtime: 'vllm' }),
  'NFS vLLM deployment, 2 GPUs': () => buildManifests({ ...nfsSafetensors, runtime: 'vllm', kind: 'deployment', gpus: 2 }),
};

const GOLDEN: Record<string, string> = {
  'pod, llama.cpp CPU, pinned': 'acaa34dfce6220d6da9fd40a8dfab909cf7437a0d438a713eb4de437e701ba37',
  'pod, llama.cpp CPU, placeholder keys': '69675fe6aa62d407df2084296518cbb9b7b1c8b1346677bb1aaff6b3c12447bf',
  'pod, llama.cpp CPU, session token': 'afb467606b7a696817cff03abad10708c3524e744680d8e8caa2a9170a74a877',
  'pod, llama.cpp CPU, port, image, resources, names': '249d7202fd5a1316e24fc01b62c9e43fa49a80d6b5f1094825747e3e5e0641b8',
  'pod, llama.cpp CPU, AWS': '48e56abe7fddc9d8b803767bd560bf2957aa292fff712b5e8b2a1f9e4dc898ea',
  'pod, llama.cpp CPU, split GGUF': '07ac4825057b38643d13ccfe5698a00c2c1ffb150127a2b21e4ca487f9936cc8',
  'pod, following the tag': '36b17d64e81a99ee972134c1a0c9ad83ef366330bcae18ecd499d2f412616c17',
  'pod, following tag stable': 'e9ef8b6039d24cc59966b95881d928826a8011b66ccf91b34f27beefa50d5ed3',
  'pod, llama.cpp CUDA': '13265aae393334326521a8ad3d9c9050da03e8ff21a4d41953aaa4afa295e656',
  'pod, llama.cpp CUDA, following, 2 GPUs': 'c22586ddaf03ae3153d233d9593d1e53a6c772c794b961428908cd00b957fd11',
  'pod, vLLM': '58a1af9f86032b5f073b635a3a6fc0cce7c19af3ab4829ae4f3db236b53fce3e',
  'pod, vLLM, 2 GPUs, AWS': '66486e560cca14663be8f1aa81c935406a88406a78528d0dc522ff91e0241286',
  'pod, vLLM, virtual-hosted endpoint': '2710a35e8af8c3e5694324d9e5184ecb185af8c8d98aef03c5bc34325e388aee',
  'deployment, llama.cpp CPU, pinned': '4ebafdb8b2264c19ed5ab6eb95ed91e18fed1a014ed1a379b0ec087bca8e1142',
  'deployment, following the tag': 'c740d1b3f8ddb5ec865854939c7d33af781a90184e7b52edb7237d2ee925c6af',
  'deployment, llama.cpp CUDA': 'eb8422a23c89a2e443bd542210efb25d0e192858e839b8a84af96433fbb68a2c',
  'deployment, llama.cpp CUDA, 0 replicas': 'aad6cd91819457862b460b4e16480ec67f7a36aaabeacb4f451210fd08eab780',
  'deployment, vLLM': '9c1f0f76c0a5f9948e3404244eab00f7adbc0af8ca9aafe4a246dc539d48e492',
  'KServe, llama.cpp CPU': '69db2eb7ed199b02c37f5464d972c912936b9fb937e47b09a07787e466416d55',
  'KServe, llama.cpp CPU, split GGUF': '6eeb8e9bbc4cdeff2b3b9f4db19c1b5e387c6c90e65737f0126777b08e859d9b',
  'KServe, llama.cpp CUDA': 'd4bef16cfc435c8dfd9fc997709d688509d76b9b9696a3b91bf4fcd7ad65eee8',
  'KServe, llama.cpp CUDA, AWS, 2 GPUs': 'bc3c43dc9ac0dae4df84528afbe733741b58ea736d7e5e9c3922fd86286cc3dd',
  'KServe, vLLM (Hugging Face runtime)': '30b5f1c2aaaac949a65281e6d99719dbf5b2b9303a17469fad33b91d6b327f83',
  'KServe, vLLM, https endpoint, 4 GPUs': '92805e9dc9c38349b443bb585bc625b250ab881aec33ee53f2b3297b1abebe0d',
  'A/B, pinned': 'f50d2f291493b6a15d6af087a09f601499a0f918f0e91da48f0ca8aa3bb15bb0',
  'A/B, following stable and canary': '6cbe6b594e174cdc5da733c1678f062205607f1979f954d16c64fa273af47448',
  'A/B, llama.cpp CUDA, pinned': '5b432ea8f1cd5d7c4739b7fec69c37ff562f60f637335b524f587aa1b1c4e258',
  'A/B, vLLM, pinned': '2d216e55acd9fba5b45f3501fc7c988ea8076b50e3ca28449d721e4e3a5c5e41',
  'NFS pod': '048e5cfedb3b7b52a034210d4bc82efc3c2afba9502f1a13621bf4fcb7922f69',
  'NFS deployment': '359ec6db66249eb003c8e92df3d3c63129282a081ca69dfecc9434adfe17ce98',
  'NFS pod following the tag': '2fc7907a40528dfdca405048a48ee05e35fbb3521bd4c2043ea065a904a0aad5',
  'NFS llama.cpp CUDA deployment following the tag': '58f3fba711edae98a3bf1cd81892855546a7709d9db93a5fd49410a566c32e70',
  'NFS vLLM': 'c95166ce3881554f2c118679bcfcacf70ccbbfcaa3461cb00374ffaf5f1be1fa',
  'NFS vLLM deployment, 2 GPUs': 'ee3d670edfefc4d4550afe90ef0cf31a8368ccabcd06cfc9deb89153bedf3919',
};

const digest = (objs: readonly object[]): string => createHash('sha256').update(toYaml(objs)).digest('hex');

describe('existing manifest variants are byte-identical', () => {
  if (process.env.MODELREPO_PRINT_GOLDEN) {
    for (const [name, build] of Object.entries(VARIANTS)) console.log(`  '${name}': '${digest(build())}',`);
  }
  for (const [name, build] of Object.entries(VARIANTS)) {
    it(name, () => {
      const yaml = toYaml(build());
      assert.equal(digest(build()), GOLDEN[name], `the YAML changed:\n${yaml}`);
    });
  }
});
