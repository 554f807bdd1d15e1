// safetensors: an 8-byte little-endian header length, then that many bytes of JSON
// ({ name: { dtype, shape, data_offsets }, __metadata__? }), then the tensor data. The first read takes
// 512 KiB (most headers fit); a longer header costs exactly one more read of the missing bytes.
// Also the small JSON companions: model.safetensors.index.json (shards) and config.json (architecture).
import { RepoError } from '../errors';
import type { ModelMetadata } from './modelMetadata';
import { ByteCounter, readRange } from './rangeRead';
import type { RangeSource } from './rangeRead';

export const FIRST_READ = 512 * 1024;
/** The safetensors format caps the header at 100 MB. */
const MAX_HEADER = 100 * 1024 * 1024;
const MAX_JSON_FILE = 16 * 1024 * 1024;

const invalid = (key: string, why: string): RepoError => new RepoError('Integrity', 'read metadata of', key, why);

export async function readSafetensorsMetadata(storage: RangeSource, key: string, size: number, signal?: AbortSignal): Promise<ModelMetadata> {
  const counter = new ByteCounter();
  if (size < 8) throw invalid(key, `not a valid safetensors file (${size} bytes)`);
  let buf = await readRange(storage, key, 0, FIRST_READ - 1, size, counter, signal);
  const n = Number(buf.readBigUInt64LE(0));
  if (n < 2 || n > MAX_HEADER || 8 + n > size) throw invalid(key, `not a valid safetensors file (header length ${n})`);
  if (buf.length < 8 + n) {
    const rest = await readRange(storage, key, buf.length, 8 + n - 1, size, counter, signal);
    buf = Buffer.concat([buf, rest]);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw invalid(key, `not a valid safetensors file (header is not JSON: ${(e as Error).message})`);
  }
  const dtypes = new Set<string>();
  let params = 0;
  let tensors = 0;
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = info as { dtype?: unknown; shape?: unknown };
    if (typeof t?.dtype !== 'string' || !Array.isArray(t.shape)) throw invalid(key, `not a valid safetensors file (tensor '${name}' has no dtype or shape)`);
    dtypes.add(t.dtype);
    params += (t.shape as number[]).reduce((a, b) => a * Number(b), 1);
    tensors++;
  }
  return { format: 'safetensors', parameterCount: params, tensorCount: tensors, dtypes: [...dtypes].sort(), bytesRead: counter.bytes };
}

async function readJson(storage: RangeSource, key: string, size: number, counter: ByteCounter, signal?: AbortSignal): Promise<Record<string, unknown>> {
  if (size > MAX_JSON_FILE) throw invalid(key, `the file is ${size} bytes, too large for a JSON description`);
  const buf = await readRange(storage, key, 0, size - 1, size, counter, signal);
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* reported below */ }
  throw invalid(key, 'not a JSON object');
}

/** model.safetensors.index.json: { metadata: { total_size }, weight_map: { tensor: shard } }. */
export async function readSafetensorsIndex(storage: RangeSource, key: string, size: number, signal?: AbortSignal): Promise<ModelMetadata> {
  const counter = new ByteCounter();
  const json = await readJson(storage, key, size, counter, signal);
  const map = json.weight_map;
  if (!map || typeof map !== 'object') throw invalid(key, 'not a safetensors index (no weight_map)');
  const shards: string[] = [];
  for (const shard of Object.values(map as Record<string, unknown>)) {
    if (typeof shard === 'string' && !shards.includes(shard)) shards.push(shard);
  }
  shards.sort();
  const total = Number((json.metadata as { total_size?: unknown } | undefined)?.total_size);
  return {
    format: 'safetensors-index', shards, tensorCount: Object.keys(map).length,
    totalSize: Number.isFinite(total) ? total : undefined, bytesRead: counter.bytes,
  };
}

/** config.json of a transformers model: model_type, max_position_embeddings, torch_dtype. */
export async function readHfConfig(storage: RangeSource, key: string, size: number, signal?: AbortSignal): Promise<ModelMetadata> {
  const counter = new ByteCounter();
  const json = await readJson(storage, key, size, counter, signal);
  const text = json.text_config as Record<string, unknown> | undefined; // multimodal configs nest the LM
  const pick = (k: string): unknown => json[k] ?? text?.[k];
  const ctx = Number(pick('max_position_embeddings'));
  const dtype = pick('torch_dtype') ?? pick('dtype');
  const arch = pick('model_type');
  return {
    format: 'hf-config',
    architecture: typeof arch === 'string' ? arch : undefined,
    contextLength: Number.isFinite(ctx) ? ctx : undefined,
    dtypes: typeof dtype === 'string' ? [dtype] : undefined,
    bytesRead: counter.bytes,
  };
}
