// Writes small but valid GGUF v3 files (header, metadata, tensor infos, aligned tensor data) for tests
// and the demo seed. Follows the spec in ggml/docs/gguf.md: little-endian, strings are a u64 length +
// UTF-8 bytes, tensor data starts at the header end padded to `general.alignment` (default 32).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Explicitly typed value when the inferred type is not the wanted one. */
export type GgufTyped =
  | { readonly type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; readonly value: number }
  | { readonly type: 'u64' | 'i64'; readonly value: bigint | number }
  | { readonly type: 'array-u32' | 'array-i32' | 'array-f32'; readonly value: readonly number[] };

/** string -> STRING, boolean -> BOOL, integer -> UINT32 (negative: INT32), other number -> FLOAT32,
 *  bigint -> UINT64, string[] -> ARRAY of STRING, number[] -> ARRAY of INT32. */
export type GgufValue = string | boolean | number | bigint | readonly string[] | readonly number[] | GgufTyped;

export interface GgufTensorSpec {
  readonly name: string;
  /** ggml order (innermost first), e.g. [4096, 32000] */
  readonly shape: readonly number[];
  /** F32 (4 bytes per element) or F16 (2); the data is zero-filled. Default F32. */
  readonly type?: 'F32' | 'F16';
}

export interface GgufSpec {
  readonly metadata: Readonly<Record<string, GgufValue>>;
  readonly tensors: readonly GgufTensorSpec[];
}

const TYPE_ID = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;
const GGML_TYPE = { F32: 0, F16: 1 } as const;
const ELEMENT_BYTES = { F32: 4, F16: 2 } as const;

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void { this.chunks.push(b); this.length += b.length; }
  u32(n: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(n); this.push(b); }
  i32(n: number): void { const b = Buffer.alloc(4); b.writeInt32LE(n); this.push(b); }
  u64(n: bigint | number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); this.push(b); }
  i64(n: bigint | number): void { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); this.push(b); }
  f32(n: number): void { const b = Buffer.alloc(4); b.writeFloatLE(n); this.push(b); }
  str(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.push(b); }
  bytes(): Buffer { return Buffer.concat(this.chunks); }
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  if (typeof v === 'string') { w.u32(TYPE_ID.string); w.str(v); return; }
  if (typeof v === 'boolean') { w.u32(TYPE_ID.bool); w.push(Buffer.from([v ? 1 : 0])); return; }
  if (typeof v === 'bigint') { w.u32(TYPE_ID.u64); w.u64(v); return; }
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) { w.u32(TYPE_ID.u32); w.u32(v); } else if (Number.isInteger(v)) { w.u32(TYPE_ID.i32); w.i32(v); } else { w.u32(TYPE_ID.f32); w.f32(v); }
    return;
  }
  if (Array.isArray(v)) {
    w.u32(TYPE_ID.array);
    const strings = v.length > 0 && typeof v[0] === 'string';
    w.u32(strings ? TYPE_ID.string : TYPE_ID.i32);
    w.u64(v.length);
    for (const x of v) if (strings) w.str(String(x)); else w.i32(Number(x));
    return;
  }
  const t = v as GgufTyped;
  if (t.type.startsWith('array-')) {
    const el = t.type.slice(6) as 'u32' | 'i32' | 'f32';
    const arr = t.value as readonly number[];
    w.u32(TYPE_ID.array); w.u32(TYPE_ID[el]); w.u64(arr.length);
    for (const x of arr) if (el === 'u32') w.u32(x); else if (el === 'i32') w.i32(x); else w.f32(x);
    return;
  }
  w.u32(TYPE_ID[t.type as keyof typeof TYPE_ID]);
  const n = t.value as number | bigint;
  const b = Buffer.alloc(8);
  switch (t.type) {
    case 'u8': w.push(Buffer.from([Number(n)])); break;
    case 'i8': b.writeInt8(Number(n)); w.push(b.subarray(0, 1)); break;
    case 'u16': b.writeUInt16LE(Number(n)); w.push(b.subarray(0, 2)); break;
    case 'i16': b.writeInt16LE(Number(n)); w.push(b.subarray(0, 2)); break;
    case 'u32': w.u32(Number(n)); break;
    case 'i32': w.i32(Number(n)); break;
    case 'f32': w.f32(Number(n)); break;
    case 'f64': b.writeDoubleLE(Number(n)); w.push(b); break;
    case 'u64': w.u64(n); break;
    case 'i64': w.i64(n); break;
  }
}

const tensorBytes = (t: GgufTensorSpec): number => t.shape.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[t.type ?? 'F32'];
const pad = (n: number, align: number): number => Math.ceil(n / align) * align;

/** The header (everything before the tensor data, padded) and the size of the tensor data that follows. */
export function ggufHeader(spec: GgufSpec): { header: Buffer; dataBytes: number } {
  const align = typeof spec.metadata['general.alignment'] === 'number' ? spec.metadata['general.alignment'] : 32;
  const w = new ByteWriter();
  w.push(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(spec.tensors.length);
  const entries = Object.entries(spec.metadata);
  w.u64(entries.length);
  for (const [k, v] of entries) { w.str(k); writeValue(w, v); }
  let offset = 0;
  for (const t of spec.tensors) {
    w.str(t.name);
    w.u32(t.shape.length);
    for (const d of t.shape) w.u64(d);
    w.u32(GGML_TYPE[t.type ?? 'F32']);
    w.u64(offset);
    offset = pad(offset + tensorBytes(t), align);
  }
  const head = w.bytes();
  return { header: Buffer.concat([head, Buffer.alloc(pad(head.length, align) - head.length)]), dataBytes: offset };
}

/** Writes the file (tensor data zero-filled, streamed in 1 MiB pieces) and returns its size. */
export async function writeGguf(path: string, spec: GgufSpec): Promise<number> {
  const { header, dataBytes } = ggufHeader(spec);
  const out = createWriteStream(path);
  const zero = Buffer.alloc(1 << 20);
  const write = async (b: Buffer): Promise<void> => { if (!out.write(b)) await once(out, 'drain'); };
  await write(header);
  for (let left = dataBytes; left > 0; left -= zero.length) await write(left >= zero.length ? zero : zero.subarray(0, left));
  out.end();
  await once(out, 'finish');
  return header.length + dataBytes;
}

/** A llama-like spec: 2 tiny tensors, file type 15 (Q4_K_M), context length 8192 unless overridden. */
export function tinyLlamaSpec(overrides: Readonly<Record<string, GgufValue>> = {}, tensors?: readonly GgufTensorSpec[]): GgufSpec {
  return {
    metadata: {
      'general.architecture': 'llama',
      'general.name': 'Tiny Llama Test',
      'general.file_type': 15,
      'llama.context_length': 8192,
      'llama.embedding_length': 16,
      'llama.block_count': 1,
      ...overrides,
    },
    tensors: tensors ?? [
      { name: 'token_embd.weight', shape: [16, 32] },
      { name: 'output_norm.weight', shape: [16] },
    ],
  };
}

// safetensors files for the same tests: u64 header length, JSON header, zero-filled tensor data.
export interface SafetensorsTensorSpec {
  readonly name: string;
  readonly dtype: 'F32' | 'F16' | 'BF16';
  readonly shape: readonly number[];
}

/** The whole file as a Buffer (`metadata` goes to __metadata__; `headerPad` pads the JSON with spaces). */
export function safetensorsBytes(tensors: readonly SafetensorsTensorSpec[], opts: { metadata?: Record<string, string>; headerPad?: number } = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (opts.metadata) header.__metadata__ = opts.metadata;
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'F32' ? 4 : 2);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(opts.headerPad ?? 0), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(offset)]);
}
