// The persistent metadata index of a repository: `.modelrepo/metadata-index.json` at its root, shared by
// everyone who searches it (the CLI, the extension, other machines). Entries are keyed by artifact key
// and used only while the listed ETag and size are the ones the header was read at, so files that
// other tools replaced are read again. The index is loaded once per search, refreshed lazily with
// what the search had to read, and written back at the end (also after a cancel, so the next run
// reuses the work done). Writing is best effort: a read-only user searches at full cost, with a note.
// Concurrent writers: the last one wins; entries lost that way are read again next time.
import { isAbort, isRepoError } from '../errors';
import { META_DIR } from '../layout';
import type { Storage } from '../storage/storage';
import { MAX_TEXT_BYTES } from '../storage/storage';
import type { IndexEntry } from './indexSchema';
import { parseIndex, serializeIndex } from './indexSchema';
import type { ModelMetadata } from './modelMetadata';

export const INDEX_KEY = `${META_DIR}/metadata-index.json`;
/** How long writing the index after a cancel may take (the run's own signal is already aborted). */
const SAVE_AFTER_CANCEL_MS = 15_000;

export class HeaderIndex {
  private entries = new Map<string, IndexEntry>();
  private readonly used = new Set<string>();
  private changed = false;

  constructor(private readonly storage: Storage) {}

  get size(): number {
    return this.entries.size;
  }

  /** Reads the stored index; returns a warning when it was unusable (then it is rebuilt). */
  async load(signal?: AbortSignal): Promise<string | undefined> {
    let text: string | undefined;
    try {
      text = await this.storage.readText(INDEX_KEY, signal);
    } catch (e) {
      if (isAbort(e)) throw e;
      const why = isRepoError(e, 'Corrupt') ? `it is larger than ${MAX_TEXT_BYTES} bytes` : e instanceof Error ? e.message : String(e);
      this.changed = true;
      return `the metadata index ${INDEX_KEY} was not used (${why}); it is rebuilt`;
    }
    if (text === undefined) return undefined;
    const parsed = parseIndex(text);
    this.entries = parsed.entries;
    if (!parsed.problem) return undefined;
    this.changed = true;
    return `the metadata index ${INDEX_KEY} was ${parsed.entries.size ? 'partly ' : ''}ignored (${parsed.problem}); it is rebuilt`;
  }

  /** The entry for this exact object (same ETag and size), if any. */
  lookup(key: string, etag: string | undefined, size: number): IndexEntry | undefined {
    const e = this.entries.get(key);
    if (!e || etag === undefined || e.etag !== etag || e.size !== size) return undefined;
    this.used.add(key);
    return e;
  }

  record(key: string, etag: string, size: number, result: { metadata: ModelMetadata } | { invalid: string }): void {
    this.entries.set(key, { etag, size, ...result });
    this.used.add(key);
    this.changed = true;
  }

  /** Writes the index when it changed. Returns a warning instead of throwing: the search itself worked. */
  async save(signal?: AbortSignal): Promise<string | undefined> {
    if (!this.changed) return undefined;
    let text = serializeIndex(this.entries);
    if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) {
      // Too many entries for one object: keep those this search used.
      text = serializeIndex(new Map([...this.entries].filter(([k]) => this.used.has(k))));
      if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) return `the metadata index would exceed ${MAX_TEXT_BYTES} bytes; it was not saved`;
    }
    const deadline = signal?.aborted ? AbortSignal.timeout(SAVE_AFTER_CANCEL_MS) : signal;
    try {
      await this.storage.putText(INDEX_KEY, text, { contentType: 'application/json', signal: deadline });
      this.changed = false;
      return undefined;
    } catch (e) {
      return `the metadata index could not be saved (${e instanceof Error ? e.message : String(e)}); the next search reads the headers again`;
    }
  }
}
