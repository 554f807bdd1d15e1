// THE list of runtimes: the `--runtime` names (in this order in help texts and pickers; the first that
// serves a version's files is its default), and the questions every caller asks about them. Adding a
// runtime: its file in this folder (a Runtime, see runtime.ts) and one line here.
import { RepoError } from '../../errors';
import { llamaCppCpu, llamaCppCuda } from './llamaCpp';
import { ollama } from './ollama';
import { formatOf } from './runtime';
import type { ModelFormat, Runtime } from './runtime';
import { sglang } from './sglang';
import { vllm } from './vllm';

export const RUNTIMES = {
  'llama-cpp-cpu': llamaCppCpu,
  'llama-cpp-cuda': llamaCppCuda,
  vllm,
  sglang,
  ollama,
} as const satisfies Readonly<Record<string, Runtime>>;

export type RuntimeName = keyof typeof RUNTIMES;
export const RUNTIME_NAMES = Object.keys(RUNTIMES) as readonly RuntimeName[];

export function isRuntimeName(name: string): name is RuntimeName {
  return Object.prototype.hasOwnProperty.call(RUNTIMES, name);
}

/** The runtime of this name; Config error naming the runtimes there are. */
export function runtimeNamed(name: string, action = 'build a manifest for', object = 'the model'): Runtime {
  if (!isRuntimeName(name)) throw new RepoError('Config', action, object, `'${name}' is not a runtime (${RUNTIME_NAMES.join(', ')})`);
  return RUNTIMES[name];
}

/** True when the runtime can serve a version holding these files (one file of its formats, and for a
 *  folder runtime no weights in a format it does not read). */
export function servesFiles(rt: Runtime, files: readonly string[]): boolean {
  const formats = files.map(formatOf);
  if (!formats.some((f) => f !== undefined && rt.formats.includes(f))) return false;
  return rt.opens === 'file' || formats.every((f) => f === undefined || rt.formats.includes(f));
}

/** The runtimes that serve every one of these versions (their file names), in table order; all of them
 *  when none does (building then says why). */
export function runtimesServing(versions: readonly (readonly string[])[]): RuntimeName[] {
  const fit = RUNTIME_NAMES.filter((n) => versions.every((files) => servesFiles(RUNTIMES[n], files)));
  return fit.length > 0 ? fit : [...RUNTIME_NAMES];
}

/** The runtimes that read a format: `llama-cpp-cpu, llama-cpp-cuda or ollama`. */
export function runtimesReading(format: ModelFormat): string {
  const names = RUNTIME_NAMES.filter((n) => (RUNTIMES[n].formats as readonly string[]).includes(format));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join('');
}
