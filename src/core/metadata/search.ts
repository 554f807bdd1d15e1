// Search across models by name and by what their files say about themselves, on S3 and filesystem
// repositories alike. Each query pays only for what it asks (searchQuery.ts): a name search is the
// model listing and nothing else; file: and format: add one listing per model and version looked at;
// arch: and quant: add header reads, at most once per file and ETag thanks to the repository's
// metadata index (headerIndex.ts), which is saved even when the search is cancelled. Files that are not
// GGUF/safetensors are counted, not reported one by one; a model that fails to list is reported, not fatal.
import { RepoError, isAbort, isRepoError } from '../errors';
import type { Storage } from '../storage/storage';
import type { ArtifactInfo, ModelPage } from '../types';
import { HeaderIndex } from './headerIndex';
import type { ArtifactWithMetadata } from './modelCard';
import { metadataFormatOf } from './modelMetadata';
import type { ModelMetadata } from './modelMetadata';
import { readHeaderOf } from './readMetadata';
import { filesToSearch, listTrees } from './searchListing';
import type { ModelTree } from './searchListing';
import { fileMatches, headerMatches, nameMatches, parseQuery, queryCost } from './searchQuery';
import type { SearchTerm } from './searchQuery';

export { parseQuery } from './searchQuery';
export type { SearchField, SearchTerm } from './searchQuery';

/** A Repository, or anything with its model listing and the storage it reads. */
export interface SearchSource {
  readonly storage: Storage;
  listModels(opts?: { cursor?: string; limit?: number; signal?: AbortSignal }): Promise<ModelPage>;
}

export interface SearchHit {
  readonly model: string;
  /** Versions looked at (the newest published one, or all with versions: 'all'); empty for a name search. */
  readonly versions: readonly string[];
  /** Artifacts that match every term (empty when the model name alone matched). */
  readonly artifacts: readonly ArtifactWithMetadata[];
}

export interface SearchProgress {
  /** Models looked at so far, of `total` whose names fit the query. */
  readonly models: number;
  readonly total: number;
  readonly headersRead: number;
  /** Headers answered by the metadata index. */
  readonly reused: number;
}

export interface SearchOptions {
  readonly signal?: AbortSignal;
  /** 'latest' (default): the newest published version of each model; 'all': every published version. */
  readonly versions?: 'latest' | 'all';
  /** Stop after this many hits. */
  readonly limit?: number;
  /** Models looked at in parallel (default 16: each costs a few small requests). */
  readonly concurrency?: number;
  /** false: neither read nor write the repository's metadata index (every header is read). */
  readonly useIndex?: boolean;
  /** Called as each hit is found, for fronts that show results as they come. */
  readonly onHit?: (hit: SearchHit) => void;
  /** Called after each model looked at (only when the query needs more than the model listing). */
  readonly onProgress?: (p: SearchProgress) => void;
}

export interface SearchResult {
  readonly hits: readonly SearchHit[];
  /** Models whose names were looked at. */
  readonly scanned: number;
  /** Models or files that could not be read, with the reason ("Cannot list ... of x: ..."). */
  readonly problems: readonly { readonly model: string; readonly message: string }[];
  /** Keys of files named like GGUF/safetensors whose contents are not: skipped, shown as one count. */
  readonly skipped: readonly string[];
  readonly headersRead: number;
  readonly reused: number;
  /** About the metadata index (unusable, or not saved); the search itself worked. */
  readonly warnings: readonly string[];
}

/** From this many models on, the repository is first listed flat (models of a few files each then cost
 *  a thousandth of a request each); past the pages allowed, the remaining models are listed one by one. */
const FLAT_LISTING_MIN_MODELS = 50;
const FLAT_LISTING_MAX_PAGES = 20;

async function allModels(source: SearchSource, signal?: AbortSignal): Promise<string[]> {
  const models: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await source.listModels({ cursor, limit: 1000, signal });
    models.push(...page.models);
    cursor = page.cursor;
  } while (cursor);
  return models;
}

class Scan {
  readonly hits: SearchHit[] = [];
  readonly problems: { model: string; message: string }[] = [];
  readonly skipped: string[] = [];
  headersRead = 0;
  reused = 0;

  constructor(private readonly storage: Storage, private readonly terms: readonly SearchTerm[],
    private readonly index: HeaderIndex | undefined, private readonly opts: SearchOptions) {}

  async model(model: string, tree?: ModelTree): Promise<void> {
    const headers = queryCost(this.terms) === 'headers';
    const picked = await filesToSearch(this.storage, model, this.opts.versions ?? 'latest', this.opts.signal, tree);
    const matched: ArtifactWithMetadata[] = [];
    for (const { files } of picked) {
      for (const artifact of files) {
        // Files with a problem (an unsafe name) are not opened.
        if (artifact.problem || !fileMatches(this.terms, artifact)) continue;
        const metadata = headers ? await this.header(model, artifact) : undefined;
        if (headers && !headerMatches(this.terms, metadata)) continue;
        matched.push({ artifact, ...(metadata ? { metadata } : {}) });
      }
    }
    if (matched.length > 0 && this.hits.length < (this.opts.limit ?? Infinity)) {
      const hit = { model, versions: picked.map((p) => p.version), artifacts: matched };
      this.hits.push(hit);
      this.opts.onHit?.(hit);
    }
  }

  private async header(model: string, a: ArtifactInfo): Promise<ModelMetadata | undefined> {
    const format = metadataFormatOf(a.name);
    if (!format) return undefined;
    const known = this.index?.lookup(a.key, a.etag, a.size);
    if (known) {
      this.reused++;
      if (known.invalid !== undefined) this.skipped.push(a.key);
      return known.metadata;
    }
    try {
      this.headersRead++;
      const metadata = await readHeaderOf(this.storage, a.key, format, a.size, this.opts.signal);
      if (a.etag) this.index?.record(a.key, a.etag, a.size, { metadata });
      return metadata;
    } catch (e) {
      if (isAbort(e)) throw e;
      if (isRepoError(e, 'Integrity')) {
        this.skipped.push(a.key);
        if (a.etag) this.index?.record(a.key, a.etag, a.size, { invalid: e.reason });
      } else {
        this.problems.push({ model, message: e instanceof Error ? e.message : String(e) });
      }
      return undefined;
    }
  }
}

/** Models whose name or artifact metadata match every term of `query` (an empty query matches all). */
export async function searchModels(source: SearchSource, query: string, opts: SearchOptions = {}): Promise<SearchResult> {
  const terms = parseQuery(query);
  const limit = opts.limit ?? Infinity;
  const signal = opts.signal;
  const cancelled = (e: unknown): RepoError => new RepoError('Aborted', 'search', source.storage.root, 'cancelled', { cause: e });
  let models: string[];
  try {
    models = await allModels(source, signal);
  } catch (e) {
    throw isAbort(e) ? cancelled(e) : e;
  }
  const candidates = models.filter((m) => nameMatches(terms, m));
  const cost = queryCost(terms);
  if (cost === 'names') {
    const hits = candidates.slice(0, limit).map((model) => ({ model, versions: [], artifacts: [] }));
    hits.forEach((h) => opts.onHit?.(h));
    return { hits, scanned: models.length, problems: [], skipped: [], headersRead: 0, reused: 0, warnings: [] };
  }
  const warnings: string[] = [];
  const index = cost === 'headers' && opts.useIndex !== false ? new HeaderIndex(source.storage) : undefined;
  const scan = new Scan(source.storage, terms, index, opts);
  let trees = new Map<string, ModelTree>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length && scan.hits.length < limit) {
      const model = candidates[next++];
      signal?.throwIfAborted();
      try {
        await scan.model(model, trees.get(model));
      } catch (e) {
        if (isAbort(e)) throw e;
        scan.problems.push({ model, message: e instanceof Error ? e.message : String(e) });
      }
      done++;
      opts.onProgress?.({ models: done, total: candidates.length, headersRead: scan.headersRead, reused: scan.reused });
    }
  };
  try {
    const loaded = await index?.load(signal);
    if (loaded) warnings.push(loaded);
    if (candidates.length >= FLAT_LISTING_MIN_MODELS) trees = await listTrees(source.storage, new Set(candidates), FLAT_LISTING_MAX_PAGES, signal);
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 16) }, worker));
  } catch (e) {
    throw isAbort(e) ? cancelled(e) : e;
  } finally {
    // Also after a cancel or a failure: the next search reuses every header read so far.
    const saved = await index?.save(signal);
    if (saved) warnings.push(saved);
  }
  scan.hits.sort((a, b) => a.model.localeCompare(b.model));
  return {
    hits: scan.hits, scanned: models.length, problems: scan.problems, skipped: scan.skipped,
    headersRead: scan.headersRead, reused: scan.reused, warnings,
  };
}
