// GGUF header reader. It uses @huggingface/gguf, which reads a header over HTTP Range requests in 2 MB
// chunks and accepts a custom `fetch`: we hand it a fetch that answers each Range request from
// Storage.read(key, range), so the same parser serves S3 and filesystem repositories and reads only
// the chunks the header spans (a 5 GB model with a 3 MB header costs two 2 MB reads, never the file).
// The parser is loaded on first use: with its quantization tables it costs ~250 ms to load, which
// neither extension activation nor quick CLI commands should pay.
import type * as GgufLib from '@huggingface/gguf';
import type { GGUFParseOutput } from '@huggingface/gguf';
import { RepoError } from '../errors';
import type { ModelMetadata } from './modelMetadata';
import { ByteCounter, readRange } from './rangeRead';
import type { RangeSource } from './rangeRead';

/** The parser needs an http(s) URI to take the fetch path; it never leaves this process. */
const PSEUDO_ORIGIN = 'https://storage.modelrepo.invalid/';

function storageFetch(storage: RangeSource, key: string, size: number, counter: ByteCounter, signal?: AbortSignal): typeof fetch {
  return (async (_input: unknown, init?: { headers?: unknown }) => {
    signal?.throwIfAborted();
    const range = new Headers(init?.headers as Record<string, string> | undefined).get('range') ?? '';
    const m = /^bytes=(\d+)-(\d*)$/.exec(range);
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Number(m[2]) : size - 1;
    const body = await readRange(storage, key, start, end, size, counter, signal);
    const last = start + body.length - 1;
    return new Response(body, {
      status: 206,
      headers: { 'content-range': body.length > 0 ? `bytes ${start}-${last}/${size}` : `bytes */${size}` },
    });
  }) as typeof fetch;
}

const toNumber = (v: unknown): number | undefined =>
  typeof v === 'bigint' ? Number(v) : typeof v === 'number' && Number.isFinite(v) ? v : undefined;

type GgufModule = typeof GgufLib;
let loaded: Promise<GgufModule> | undefined;
const loadGguf = (): Promise<GgufModule> => (loaded ??= import('@huggingface/gguf'));

/** general.file_type by name; without it, the most common tensor type (weights dominate the count). */
function quantizationOf(lib: GgufModule, meta: Record<string, unknown>, tensors: GGUFParseOutput['tensorInfos']): string | undefined {
  const { GGMLFileQuantizationType, GGMLQuantizationType } = lib;
  const ft = toNumber(meta['general.file_type']);
  if (ft !== undefined) return (GGMLFileQuantizationType as Record<number, string>)[ft] ?? `file type ${ft}`;
  const counts = new Map<number, number>();
  for (const t of tensors) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + 1);
  let best: number | undefined;
  for (const [dtype, n] of counts) if (best === undefined || n > (counts.get(best) ?? 0)) best = dtype;
  return best === undefined ? undefined : (GGMLQuantizationType as Record<number, string>)[best];
}

/** Reads the GGUF header of `key` (size bytes long). Throws Integrity when it is not a valid GGUF file. */
export async function readGgufMetadata(storage: RangeSource, key: string, size: number, signal?: AbortSignal): Promise<ModelMetadata> {
  const counter = new ByteCounter();
  const lib = await loadGguf();
  let parsed: GGUFParseOutput & { parameterCount: number };
  try {
    parsed = await lib.gguf(PSEUDO_ORIGIN + encodeURI(key), {
      fetch: storageFetch(storage, key, size, counter, signal),
      computeParametersCount: true,
    });
  } catch (e) {
    if (e instanceof RepoError) throw e;
    if ((e as { name?: string }).name === 'AbortError') throw new RepoError('Aborted', 'read metadata of', key, 'cancelled', { cause: e });
    const reason = e instanceof Error ? e.message : String(e);
    throw new RepoError('Integrity', 'read metadata of', key, `not a valid GGUF file (${reason})`, { cause: e });
  }
  const meta = parsed.metadata as Record<string, unknown>;
  const arch = typeof meta['general.architecture'] === 'string' ? meta['general.architecture'] : undefined;
  return {
    format: 'gguf',
    name: typeof meta['general.name'] === 'string' ? meta['general.name'] : undefined,
    architecture: arch,
    parameterCount: toNumber(meta['general.parameter_count']) ?? parsed.parameterCount,
    quantization: quantizationOf(lib, meta, parsed.tensorInfos),
    contextLength: arch ? toNumber(meta[`${arch}.context_length`]) : undefined,
    tensorCount: toNumber(meta.tensor_count) ?? parsed.tensorInfos.length,
    ggufVersion: toNumber(meta.version),
    bytesRead: counter.bytes,
  };
}
