// The checks a ManifestInput passes before any object is built: what the artifacts are, and whether the
// chosen variant (workload kind, runtime, pinned or follow) can serve them. What a runtime reads and
// whether it can follow a tag come from the runtime table. Every refusal is a RepoError that says what
// to choose instead.
import { RepoError } from '../errors';
import type { ManifestInput, ModelMode, RuntimeName, WorkloadKind } from './manifestInput';
import { FORMATS, formatOf } from './runtimes/runtime';
import type { Runtime } from './runtimes/runtime';
import { runtimeNamed, runtimesReading } from './runtimes/runtimeTable';
import { isS3Pull, isNfsMount } from '../backends/podAccess';

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
  const port = input.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 1024 || port > 65535)) {
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

/** Refuses a variant that cannot serve these artifacts, naming the one that can. */
export function checkVariant(input: ManifestInput, v: VariantChoice): void {
  const object = `${input.model}@${input.version}`;
  const fail = (reason: string): never => { throw new RepoError('Config', ACTION, object, reason); };
  if (!['pod', 'deployment', 'kserve'].includes(v.kind)) fail(`'${v.kind}' is not a workload kind (pod, deployment, kserve)`);
  const rt = runtimeNamed(v.runtime, ACTION, object);
  if (v.mode !== 'pinned' && v.mode !== 'follow') fail(`'${v.mode}' is not a mode (pinned, follow)`);
  if (!Number.isInteger(v.replicas) || v.replicas < 0 || v.replicas > 1000) fail(`${v.replicas} replicas: give a whole number from 0 to 1000`);
  const minGpus = rt.gpus === 'none' ? 0 : rt.gpus.min;
  if (!Number.isInteger(v.gpus) || v.gpus < 0 || v.gpus < minGpus) {
    fail(`${v.gpus} GPUs: the ${v.runtime} runtime needs a whole number of at least ${minGpus}`);
  }
  checkFormats(input, rt, v.modelFile, fail);
  const own = rt.check?.(input, v.modelFile);
  if (own) fail(own);
  if (v.kind === 'kserve' && !isS3Pull(input.location)) {
    fail("KServe's storage initializer reads from S3 here: a folder repository cannot back an InferenceService");
  }
  if (v.mode === 'follow') checkFollow(input, v, rt, fail);
}

/** A file runtime refuses a model file in another format; a folder runtime refuses weights in another
 *  format anywhere in the version, and a version without weights it reads. */
function checkFormats(input: ManifestInput, rt: Runtime, modelFile: string, fail: (reason: string) => never): void {
  const wrong = (file: string): string | undefined => {
    const format = formatOf(file);
    if (format === undefined || rt.formats.includes(format)) return undefined;
    const name = FORMATS[format].name;
    return `${file} is ${name}, and ${rt.server} ${rt.reads}: use the ${runtimesReading(format)} runtime for ${name} files`;
  };
  if (rt.opens === 'file') {
    const reason = wrong(modelFile);
    if (reason) fail(reason);
    return;
  }
  for (const a of input.artifacts) {
    const reason = wrong(a.file);
    if (reason) fail(reason);
  }
  if (!input.artifacts.some((a) => { const f = formatOf(a.file); return f !== undefined && rt.formats.includes(f); })) {
    fail(`${rt.server} needs a version with ${rt.formats.map((f) => FORMATS[f].needs).join(' or ')}, and none is listed`);
  }
}

function checkFollow(input: ManifestInput, v: VariantChoice, rt: Runtime, fail: (reason: string) => never): void {
  if (v.kind === 'kserve') {
    fail("KServe's storage initializer copies one fixed storageUri, so it cannot follow a tag: use the pinned mode (or kind pod/deployment)");
  }
  if (rt.cannotFollow !== undefined) {
    fail(`${rt.server} ${rt.cannotFollow}, so it cannot follow a tag: use the pinned mode and regenerate after moving the tag`);
  }
  if (!v.tag) fail('following needs a tag reference (model:tag), not a version');
  if (SHARD.test(v.modelFile)) fail(`${v.modelFile} is a split GGUF: following a tag serves one file; use the pinned mode`);
  const chain = input.chain ?? [];
  if (isNfsMount(input.location) && !(chain.length > 1 && chain[chain.length - 1].includes('/'))) {
    fail(`on a folder repository the server opens the tag's symlink itself, so '${v.tag}' must point at one file, not a whole version`);
  }
  if (v.modelPrefix === undefined) {
    fail(`the artifact path '${input.artifacts[0].path}' does not end in ${input.model}/${input.version}/<file>, so the tags folder is unknown`);
  }
}
