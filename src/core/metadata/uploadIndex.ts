// Metadata index entries for files just uploaded: the uploader has each file on its disk, so the header
// of a GGUF / safetensors / config file is read there (a few KiB) and merged into the repository's
// metadata index (headerIndex.ts) under the ETag and size the server now reports. The first search
// after an upload then reads no header of these files. Best effort: a failure is a warning, the
// upload itself succeeded.
import { createReadStream } from 'node:fs';
import { isAbort, isRepoError } from '../errors';
import { forEachLimit } from '../repo/util';
import type { Storage } from '../storage/storage';
import { mergeIntoIndex } from './headerIndex';
import type { IndexEntry } from './indexSchema';
import { metadataFormatOf } from './modelMetadata';
import type { RangeSource } from './rangeRead';
import { readHeaderOf } from './readMetadata';

export interface UploadedFile {
  /** The artifact key it was stored at. */
  readonly key: string;
  readonly localPath: string;
  readonly size: number;
}

/** Ranged reads of one local file, in the shape the header readers take. */
function localFile(path: string): RangeSource {
  return {
    read: async (_key, range) => createReadStream(path, { start: range?.start ?? 0, ...(range?.end !== undefined ? { end: range.end } : {}) }),
  };
}

/** The index entry of one uploaded file, or undefined when it has no header we read or it changed since. */
async function entryOf(storage: Storage, f: UploadedFile, signal?: AbortSignal): Promise<IndexEntry | undefined> {
  const format = metadataFormatOf(f.key);
  if (!format) return undefined;
  const info = await storage.stat(f.key, signal);
  // Replaced by someone else right after our upload: its header is not the one on our disk.
  if (!info || info.size !== f.size || !info.etag) return undefined;
  try {
    return { etag: info.etag, size: f.size, metadata: await readHeaderOf(localFile(f.localPath), f.key, format, f.size, signal) };
  } catch (e) {
    // The same verdict a search would record: not a valid file of its kind.
    if (isRepoError(e, 'Integrity')) return { etag: info.etag, size: f.size, invalid: e.reason };
    throw e;
  }
}

/** Adds the uploaded files' entries to the metadata index; returns a warning when that did not work. */
export async function indexUploadedFiles(storage: Storage, files: readonly UploadedFile[], signal?: AbortSignal): Promise<string | undefined> {
  const add = new Map<string, IndexEntry>();
  try {
    await forEachLimit(files, 8, async (f) => {
      const entry = await entryOf(storage, f, signal);
      if (entry) add.set(f.key, entry);
    });
  } catch (e) {
    if (isAbort(e)) return undefined;
    return `the metadata index was not updated (${e instanceof Error ? e.message : String(e)}); the next search reads these headers`;
  }
  return add.size === 0 ? undefined : mergeIntoIndex(storage, add, { signal });
}
