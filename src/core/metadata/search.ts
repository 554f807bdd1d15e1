// Search across models by name and by what their files say about themselves. Written against the
// Repository listing API (any object with listModels/listVersions/listArtifacts) plus the metadata
// reader, so it works on S3 and filesystem repositories alike. Headers are read once per ETag (cache),
// models are scanned a few at a time, and a model that fails to list is reported, not fatal.
import { isAbort, RepoError } from '../errors';
import type { Storage } from '../storage/storage';
import type { ArtifactInfo, VersionInfo } from '../types';
import type { ArtifactWithMetadata } from './modelCard';
import type { ModelMetadata } from './modelMetadata';
import { readArtifactMetadata } from './readMetadata';

/** A Repository, or anything with its listing methods and the storage they read. */
export interface SearchSource {
  readonly storage: Storage;
  listModels(opts?: { cursor?: string; limit?: number; signal?: AbortSignal }): Promise<{ models: string[]; cursor?: string }>;
  listVersions(model: string, opts?: { includePending?: boolean; signal?: AbortSignal }): Promise<VersionInfo[]>;
  listArtifacts(model: string, version: string, signal?: AbortSignal): Promise<ArtifactInfo[]>;
}

export type SearchField = 'name' | 'architecture' | 'quantization' | 'format' | 'file';

/** One query term: `llama`, or with a field: `arch:llama`, `quant:q4_k`, `format:gguf`, `name:mistral`. */
export interface SearchTerm {
  readonly field?: SearchField;
  readonly text: string;
}

export interface SearchHit {
  readonly model: string;
  /** Versions looked at (the newest published one, or all with versions: 'all'). */
  readonly versions: readonly string[];
  /** Artifacts that match every term (empty when the model name alone matched). */
  readonly artifacts: readonly ArtifactWithMetadata[];
}

export interface SearchOptions {
  readonly signal?: AbortSignal;
  /** 'latest' (default): the newest published version of each model; 'all': every published version. */
  readonly versions?: 'latest' | 'all';
  /** Stop after this many hits. */
  readonly limit?: number;
  /** Models scanned in parallel (default 4). */
  readonly concurrency?: number;
  /** Called as each hit is found, for fronts that show results as they come. */
  readonly onHit?: (hit: SearchHit) => void;
}

export interface SearchResult {
  readonly hits: readonly SearchHit[];
  readonly scanned: number;
  /** Models or files that could not be read, with the reason ("Cannot list versions of x: ..."). */
  readonly problems: readonly { readonly model: string; readonly message: string }[];
}

const FIELD_ALIASES: Record<string, SearchField> = {
  name: 'name', model: 'name', arch: 'architecture', architecture: 'architecture',
  quant: 'quantization', quantization: 'quantization', dtype: 'quantization', format: 'format', file: 'file',
};

export function parseQuery(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  for (const raw of query.trim().split(/\s+/).filter((t) => t.length > 0)) {
    const i = raw.indexOf(':');
    const field = i > 0 ? FIELD_ALIASES[raw.slice(0, i).toLowerCase()] : undefined;
    const text = (field ? raw.slice(i + 1) : raw).toLowerCase();
    if (text.length > 0) terms.push({ field, text });
  }
  return terms;
}

function fieldValues(field: SearchField, model: string, a?: ArtifactInfo, m?: ModelMetadata): string[] {
  switch (field) {
    case 'name': return [model, ...(m?.name ? [m.name] : [])];
    case 'architecture': return m?.architecture ? [m.architecture] : [];
    case 'quantization': return [...(m?.quantization ? [m.quantization] : []), ...(m?.dtypes ?? [])];
    case 'format': return m ? [m.format] : [];
    case 'file': return a ? [a.name] : [];
  }
}

const ALL_FIELDS: readonly SearchField[] = ['name', 'architecture', 'quantization', 'format', 'file'];

/** True when the term matches the model name or this artifact (case-insensitive substring). */
export function termMatches(t: SearchTerm, model: string, a?: ArtifactInfo, m?: ModelMetadata): boolean {
  const fields = t.field ? [t.field] : ALL_FIELDS;
  return fields.some((f) => fieldValues(f, model, a, m).some((v) => v.toLowerCase().includes(t.text)));
}

async function scanModel(source: SearchSource, model: string, terms: readonly SearchTerm[],
  opts: SearchOptions, problems: { model: string; message: string }[]): Promise<SearchHit | undefined> {
  const signal = opts.signal;
  const nameOnly = terms.every((t) => (t.field === undefined || t.field === 'name') && termMatches({ ...t, field: 'name' }, model));
  const all = await source.listVersions(model, { signal });
  // Versions and files with a problem (unsafe names, corrupt records) are not opened.
  const published = all.filter((v) => v.state !== 'pending' && !v.problem).map((v) => v.name);
  const versions = opts.versions === 'all' ? published : published.slice(-1);
  if (nameOnly) return { model, versions, artifacts: [] }; // no need to open any file
  const matched: ArtifactWithMetadata[] = [];
  for (const version of versions) {
    for (const artifact of await source.listArtifacts(model, version, signal)) {
      if (artifact.problem) continue;
      let metadata: ModelMetadata | undefined;
      try {
        metadata = await readArtifactMetadata(source.storage, artifact.key, { signal });
      } catch (e) {
        if (isAbort(e)) throw e;
        problems.push({ model, message: e instanceof Error ? e.message : String(e) });
      }
      if (terms.every((t) => termMatches(t, model, artifact, metadata))) matched.push({ artifact, metadata });
    }
  }
  return matched.length > 0 ? { model, versions, artifacts: matched } : undefined;
}

/** Models whose name or artifact metadata match every term of `query` (an empty query matches all). */
export async function searchModels(source: SearchSource, query: string, opts: SearchOptions = {}): Promise<SearchResult> {
  const terms = parseQuery(query);
  const hits: SearchHit[] = [];
  const problems: { model: string; message: string }[] = [];
  const limit = opts.limit ?? Infinity;
  let scanned = 0;
  let cursor: string | undefined;
  do {
    opts.signal?.throwIfAborted();
    const page = await source.listModels({ cursor, limit: 200, signal: opts.signal });
    cursor = page.cursor;
    const queue = [...page.models];
    const worker = async (): Promise<void> => {
      for (let model = queue.shift(); model !== undefined && hits.length < limit; model = queue.shift()) {
        scanned++;
        try {
          const hit = await scanModel(source, model, terms, opts, problems);
          if (hit && hits.length < limit) { hits.push(hit); opts.onHit?.(hit); }
        } catch (e) {
          if (isAbort(e)) throw new RepoError('Aborted', 'search', source.storage.root, 'cancelled', { cause: e });
          problems.push({ model, message: e instanceof Error ? e.message : String(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  } while (cursor && hits.length < limit);
  hits.sort((a, b) => a.model.localeCompare(b.model));
  return { hits, scanned, problems };
}
