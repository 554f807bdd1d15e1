// The checks a ManifestInput passes before any object is built: what the artifacts are, and whether the
// chosen variant (workload kind, runtime, pinned or follow) can serve them. Every refusal is a RepoError
// that says what to choose instead.
import { RepoError } from '../errors';
import type { ManifestInput, ModelMode, RuntimeName, WorkloadKind } from './manifestInput';

const SHARD = /-0*1-of-\d+\.gguf$/i;
const ACTION = 'build a manifest for';

/** The file for `-m`: the only artifact, the only .gguf, or the first shard of a split GGUF. */
export function pickModelFile(model: string, version: string, files: readonly string[]): string {
  if (files.length === 1) return files[0];
  const ggufs = files.filter((f) => f.toLowerCase().endsWith('.gguf'));
  if (ggufs.length === 1) return ggufs[0];
  const firstShards = ggufs.filter((f) => SHARD.test(f));
  if (firstShards.length === 1) return firstShards[0];
  const listed = (ggufs.length > 0 ? ggufs : files).slice(0, 5).join(', ');
  throw new RepoError('InvalidRef', ACTION, `${model}@${version}`,
    `the version holds several files (${listed}): name one, e.g. ${model}@${version}/${ggufs[0] ?? files[0]}`);
}

export function checkInput(input: ManifestInput): void {
  const object = `${input.model}@${input.version}`;
  if (input.artifacts.length === 0) throw new RepoError('NotFound', ACTION, object, 'the version holds no files');
  for (const a of input.artifacts) {
    if (!a.path.endsWith(a.file)) {
      throw new RepoError('Config', ACTION, object, `the path '${a.path}' does not end with the file '${a.file}'`);
    }
    if (a.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(a.sha256)) {
      throw new RepoError('Integrity', ACTION, object, `the recorded sha256 of ${a.file} is not 64 hex digits`);
    }
  }
  const port = input.port ?? 8080;
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new RepoError('Config', ACTION, object,
      `port ${port} is not usable: a non-root server with no capabilities needs a port from 1024 to 65535`);
  }
}

export interface VariantChoice {
  readonly kind: WorkloadKind;
  readonly runtime: RuntimeName;
  readonly mode: ModelMode;
  readonly tag?: string;
  readonly modelFile: string;
  readonly modelPrefix?: string;
  readonly gpus: number;
  readonly replicas: number;
}

const isGguf = (f: string): boolean => f.toLowerCase().endsWith('.gguf');

/** Refuses a variant that cannot serve these artifacts, naming the one that can. */
export function checkVariant(input: ManifestInput, v: VariantChoice): void {
  const object = `${input.model}@${input.version}`;
  const fail = (reason: string): never => { throw new RepoError('Config', ACTION, object, reason); };
  if (!['pod', 'deployment', 'kserve'].includes(v.kind)) fail(`'${v.kind}' is not a workload kind (pod, deployment, kserve)`);
  if (!['llama-cpp-cpu', 'llama-cpp-cuda', 'vllm'].includes(v.runtime)) {
    fail(`'${v.runtime}' is not a runtime (llama-cpp-cpu, llama-cpp-cuda, vllm)`);
  }
  if (v.mode !== 'pinned' && v.mode !== 'follow') fail(`'${v.mode}' is not a mode (pinned, follow)`);
  if (!Number.isInteger(v.replicas) || v.replicas < 0 || v.replicas > 1000) fail(`${v.replicas} replicas: give a whole number from 0 to 1000`);
  if (!Number.isInteger(v.gpus) || v.gpus < 0 || (v.runtime !== 'llama-cpp-cpu' && v.gpus < 1)) {
    fail(`${v.gpus} GPUs: the ${v.runtime} runtime needs a whole number of at least 1`);
  }
  if (v.runtime === 'vllm') {
    const gguf = input.artifacts.find((a) => isGguf(a.file));
    if (gguf) {
      fail(`${gguf.file} is GGUF, and vLLM loads safetensors from S3 (--load-format runai_streamer): `
        + 'use the llama-cpp-cpu or llama-cpp-cuda runtime for GGUF files');
    }
    if (!input.artifacts.some((a) => a.file.endsWith('.safetensors'))) {
      fail('vLLM needs a version with .safetensors weights (plus config.json and the tokenizer), and none is listed');
    }
  } else if (v.modelFile.endsWith('.safetensors')) {
    fail(`${v.modelFile} is safetensors, and llama.cpp serves GGUF: use the vllm runtime`);
  }
  if (v.kind === 'kserve' && input.location.kind !== 's3') {
    fail("KServe's storage initializer reads from S3 here: a folder repository cannot back an InferenceService");
  }
  if (v.mode === 'follow') checkFollow(input, v, fail);
}

function checkFollow(input: ManifestInput, v: VariantChoice, fail: (reason: string) => never): void {
  if (v.kind === 'kserve') {
    fail("KServe's storage initializer copies one fixed storageUri, so it cannot follow a tag: use the pinned mode (or kind pod/deployment)");
  }
  if (v.runtime === 'vllm') {
    fail('vLLM streams one fixed S3 folder, so it cannot follow a tag: use the pinned mode and regenerate after moving the tag');
  }
  if (!v.tag) fail('following needs a tag reference (model:tag), not a version');
  if (SHARD.test(v.modelFile)) fail(`${v.modelFile} is a split GGUF: following a tag serves one file; use the pinned mode`);
  const chain = input.chain ?? [];
  if (input.location.kind === 'nfs' && !(chain.length > 1 && chain[chain.length - 1].includes('/'))) {
    fail(`on a folder repository the server opens the tag's symlink itself, so '${v.tag}' must point at one file, not a whole version`);
  }
  if (v.modelPrefix === undefined) {
    fail(`the artifact path '${input.artifacts[0].path}' does not end in ${input.model}/${input.version}/<file>, so the tags folder is unknown`);
  }
}
