// Entry point for model metadata: picks the reader by file name, serves repeats from the ETag-keyed
// cache, and reads only headers (see gguf.ts and safetensors.ts).
import { RepoError, wrapError } from '../errors';
import type { Storage } from '../storage/storage';
import { readGgufMetadata } from './gguf';
import { cacheKey, defaultMetadataCache } from './metadataCache';
import type { MetadataCache } from './metadataCache';
import { metadataFormatOf } from './modelMetadata';
import type { MetadataFormat, ModelMetadata } from './modelMetadata';
import type { RangeSource } from './rangeRead';
import { readHfConfig, readSafetensorsIndex, readSafetensorsMetadata } from './safetensors';

export interface ReadMetadataOptions {
  readonly signal?: AbortSignal;
  /** The object's ETag when the caller already knows it (a listing): a cache hit then costs no request. */
  readonly etag?: string;
  /** Defaults to the process-wide cache; pass null to bypass caching. */
  readonly cache?: MetadataCache | null;
}

/**
 * Metadata of the artifact at `key`, or undefined when its kind holds none we read (.bin, README.md...).
 * Throws NotFound (no such key), Integrity (not a valid GGUF/safetensors file), Aborted, or what the
 * storage reports (Auth, Network, Storage).
 */
export async function readArtifactMetadata(storage: Storage, key: string, opts: ReadMetadataOptions = {}): Promise<ModelMetadata | undefined> {
  const format = metadataFormatOf(key);
  if (!format) return undefined;
  const cache = opts.cache === null ? undefined : opts.cache ?? defaultMetadataCache;
  if (opts.etag && cache) {
    const hit = cache.get(cacheKey(storage.root, key, opts.etag));
    if (hit) return hit;
  }
  try {
    const info = await storage.stat(key, opts.signal);
    if (!info) throw new RepoError('NotFound', 'read metadata of', key, 'no such file');
    const ck = cacheKey(storage.root, key, info.etag);
    const hit = cache?.get(ck);
    if (hit) return hit;
    const meta = await readHeaderOf(storage, key, format, info.size, opts.signal);
    cache?.set(ck, meta);
    return meta;
  } catch (e) {
    throw wrapError(e, 'read metadata of', key);
  }
}

/** Reads the header of a file whose format and size are known (a listing said so): no stat request. */
export function readHeaderOf(storage: RangeSource, key: string, format: MetadataFormat, size: number, signal?: AbortSignal): Promise<ModelMetadata> {
  switch (format) {
    case 'gguf': return readGgufMetadata(storage, key, size, signal);
    case 'safetensors': return readSafetensorsMetadata(storage, key, size, signal);
    case 'safetensors-index': return readSafetensorsIndex(storage, key, size, signal);
    case 'hf-config': return readHfConfig(storage, key, size, signal);
  }
}
