// The metadata index as stored in the repository (`.modelrepo/metadata-index.json`): one entry per
// artifact key with the ETag and size it was read at, and either the metadata or why the file is not
// GGUF/safetensors. Anyone who can write the bucket can write this object, so it is parsed here as
// untrusted input: size-limited, schema-checked field by field, every key segment through the name
// rule. An entry that fails is dropped; a document that fails as a whole is ignored (and rebuilt).
// The index only spares header reads: nothing security-relevant (names, paths, checksums) comes from it.
import { checkStoredName } from '../names';
import { MAX_TEXT_BYTES } from '../storage/storage';
import type { MetadataFormat, ModelMetadata } from './modelMetadata';

export const INDEX_SCHEMA = 1;

export interface IndexEntry {
  /** ETag and size of the object when its header was read: a different one means it changed. */
  readonly etag: string;
  readonly size: number;
  readonly metadata?: ModelMetadata;
  /** Set instead of metadata when the file is not a valid GGUF/safetensors file. */
  readonly invalid?: string;
}

export interface ParsedIndex {
  readonly entries: Map<string, IndexEntry>;
  /** Why the document or some of its entries were not used (shown as one warning), if so. */
  readonly problem?: string;
}

const FORMATS: readonly MetadataFormat[] = ['gguf', 'safetensors', 'safetensors-index', 'hf-config'];
const MAX_STRING = 256;
const MAX_LIST = 100_000;
// Control, invisible and direction-changing characters: a header value is shown in a terminal.
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/u;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const okString = (v: unknown, max = MAX_STRING): v is string => typeof v === 'string' && v.length <= max && !UNSHOWABLE.test(v);
const okCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The metadata as it may be shown, or undefined when any field is not what a reader produces. */
export function checkMetadata(v: unknown): ModelMetadata | undefined {
  if (!isObject(v) || !FORMATS.includes(v.format as MetadataFormat) || !okCount(v.bytesRead)) return undefined;
  for (const f of ['name', 'architecture', 'quantization'] as const) if (v[f] !== undefined && !okString(v[f])) return undefined;
  for (const f of ['parameterCount', 'contextLength', 'tensorCount', 'totalSize', 'ggufVersion'] as const) {
    if (v[f] !== undefined && !okCount(v[f])) return undefined;
  }
  for (const f of ['dtypes', 'shards'] as const) {
    const list = v[f];
    if (list !== undefined && !(Array.isArray(list) && list.length <= MAX_LIST && list.every((s) => okString(s)))) return undefined;
  }
  const keep = ['format', 'name', 'architecture', 'parameterCount', 'quantization', 'contextLength', 'tensorCount', 'dtypes',
    'shards', 'totalSize', 'ggufVersion', 'bytesRead'];
  return Object.fromEntries(keep.filter((k) => v[k] !== undefined).map((k) => [k, v[k]])) as unknown as ModelMetadata;
}

/** True when `key` is `<model>/<version>/<file path>` with every segment passing the name rule. */
export function checkIndexKey(key: string): boolean {
  const segs = key.split('/');
  if (segs.length < 3 || key.length > 4096) return false;
  try {
    checkStoredName('model', segs[0], 'read the metadata index', key);
    checkStoredName('version', segs[1], 'read the metadata index', key);
    segs.slice(2).forEach((s) => checkStoredName('file', s, 'read the metadata index', key));
    return true;
  } catch {
    return false;
  }
}

function checkEntry(key: string, v: unknown): IndexEntry | undefined {
  if (!checkIndexKey(key) || !isObject(v) || !okString(v.e, 1024) || !okCount(v.s) || !Number.isSafeInteger(v.s)) return undefined;
  if (v.x !== undefined) return okString(v.x, 1024) ? { etag: v.e, size: v.s, invalid: v.x } : undefined;
  const metadata = checkMetadata(v.m);
  return metadata ? { etag: v.e, size: v.s, metadata } : undefined;
}

/** Parses a stored index. Never throws: a bad document yields no entries and a problem to warn about. */
export function parseIndex(text: string): ParsedIndex {
  const none = (problem: string): ParsedIndex => ({ entries: new Map(), problem });
  if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) return none(`it is larger than ${MAX_TEXT_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return none('it is not JSON');
  }
  if (!isObject(doc) || doc.schema !== INDEX_SCHEMA || !isObject(doc.entries)) return none(`it is not a schema ${INDEX_SCHEMA} index`);
  const entries = new Map<string, IndexEntry>();
  let dropped = 0;
  for (const [key, v] of Object.entries(doc.entries)) {
    const e = checkEntry(key, v);
    if (e) entries.set(key, e);
    else dropped++;
  }
  return dropped > 0 ? { entries, problem: `${dropped} of its entries are malformed or name unsafe files` } : { entries };
}

/** The stored form: short field names keep 100,000 entries within a few MB. */
export function serializeIndex(entries: ReadonlyMap<string, IndexEntry>): string {
  const out: Record<string, unknown> = {};
  for (const [k, e] of entries) out[k] = e.invalid !== undefined ? { e: e.etag, s: e.size, x: e.invalid } : { e: e.etag, s: e.size, m: e.metadata };
  return JSON.stringify({ schema: INDEX_SCHEMA, entries: out });
}
