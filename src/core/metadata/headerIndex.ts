// The persistent metadata index of a repository: `.modelrepo/metadata-index.json` at its root, shared by
// everyone who searches it (the CLI, the extension, other machines). Entries are keyed by artifact key
// and used only while the listed ETag and size are the ones the header was read at, so files that
// other tools replaced are read again. The index is loaded once per search, refreshed lazily with
// what the search had to read, and written back at the end (also after a cancel, so the next run
// reuses the work done). Writing is best effort: a read-only user searches at full cost, with a note.
// Concurrent writers (searches, uploads adding the files they sent: uploadIndex.ts) merge: each
// writes only its own new entries into the index as stored now, by compare-and-swap (If-Match, or
// If-None-Match for the first one), and reads again on a conflict, so no writer drops another's work.
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
  /** The entries this run read, the only ones it writes. */
  private readonly recorded = new Map<string, IndexEntry>();
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
    const entry = { etag, size, ...result };
    this.entries.set(key, entry);
    this.recorded.set(key, entry);
    this.used.add(key);
    this.changed = true;
  }

  /** Writes the index when it changed. Returns a warning instead of throwing: the search itself worked. */
  async save(signal?: AbortSignal): Promise<string | undefined> {
    if (!this.changed) return undefined;
    const deadline = signal?.aborted ? AbortSignal.timeout(SAVE_AFTER_CANCEL_MS) : signal;
    const warning = await mergeIntoIndex(this.storage, this.recorded, { signal: deadline, keep: (k) => this.used.has(k) });
    if (warning === undefined) this.changed = false;
    return warning;
  }
}

const CAS_TRIES = 5;

/** The stored index's entries and ETag (undefined: there is none). An unusable one counts as empty: it is replaced. */
async function readStored(storage: Storage, signal: AbortSignal | undefined): Promise<{ entries: Map<string, IndexEntry>; etag?: string }> {
  const before = await storage.stat(INDEX_KEY, signal);
  if (!before) return { entries: new Map() };
  let text: string | undefined;
  try {
    text = await storage.readText(INDEX_KEY, signal);
  } catch (e) {
    if (!isRepoError(e, 'Corrupt')) throw e;
  }
  // Read after the stat: a write in between makes the conditional write below fail, and we read again.
  return { entries: text === undefined ? new Map() : parseIndex(text).entries, etag: before.etag };
}

/**
 * Adds `add` to the stored index by compare-and-swap, keeping every other writer's entries. When the
 * result is too large for one object, only the entries `keep` names (and `add`) stay. Returns a
 * warning instead of throwing (also for a cancel): the index only spares work.
 */
export async function mergeIntoIndex(storage: Storage, add: ReadonlyMap<string, IndexEntry>,
  opts: { signal?: AbortSignal; keep?: (key: string) => boolean } = {}): Promise<string | undefined> {
  const notSaved = (why: string): string => `the metadata index could not be saved (${why}); the next search reads the headers again`;
  try {
    for (let attempt = 0; attempt < CAS_TRIES; attempt++) {
      const stored = await readStored(storage, opts.signal);
      for (const [k, v] of add) stored.entries.set(k, v);
      let text = serializeIndex(stored.entries);
      if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) {
        text = serializeIndex(new Map([...stored.entries].filter(([k]) => add.has(k) || opts.keep?.(k))));
        if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) return `the metadata index would exceed ${MAX_TEXT_BYTES} bytes; it was not saved`;
      }
      try {
        await storage.putText(INDEX_KEY, text, {
          contentType: 'application/json', signal: opts.signal,
          ...(stored.etag === undefined ? { ifAbsent: true } : { ifMatch: stored.etag }),
        });
        return undefined;
      } catch (e) {
        if (!isRepoError(e, 'Conflict') && !isRepoError(e, 'Exists')) throw e;
      }
    }
    return notSaved(`it kept changing while it was written, ${CAS_TRIES} times`);
  } catch (e) {
    return notSaved(e instanceof Error ? e.message : String(e));
  }
}
