// Reading a repository: models, versions, artifacts, tags and reference resolution. Everything is a
// delimited listing of one level plus cheap per-version marker checks (bounded concurrency), so
// drawing one level of a tree never lists a whole bucket.
import { RepoError } from '../errors';
import { META_DIR, TAGS_DIR, baseName, modelPrefix } from '../layout';
import { compareVersions, validateName } from '../names';
import type { Storage } from '../storage/storage';
import type { ArtifactInfo, ModelRef, ResolvedRef, TagInfo, VersionInfo } from '../types';
import { ModelView } from './modelView';
import { listAll, mapLimit } from './util';

const MARKER_CONCURRENCY = 8;

interface ModelCursor { readonly p: string | null; readonly a: string }

function encodeCursor(c: ModelCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(s: string): ModelCursor {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as ModelCursor;
    if (typeof c.a === 'string' && (c.p === null || typeof c.p === 'string')) return c;
  } catch {
    // fall through
  }
  throw new RepoError('InvalidRef', 'list models with cursor', `'${s}'`, 'the cursor is not one this tool handed out');
}

/** Models (top-level folders), sorted, paged. The cursor remembers the storage page it came from and
 *  the last model returned, so paging works whatever the backend's own cursor means. */
export async function listModels(storage: Storage, opts: { cursor?: string; limit?: number; filter?: string; signal?: AbortSignal } = {}):
  Promise<{ models: string[]; cursor?: string }> {
  const limit = Math.max(1, opts.limit ?? 1000);
  const filter = opts.filter?.toLowerCase();
  const start = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  let pageCursor: string | undefined = start?.p ?? undefined;
  let after = start?.a;
  const models: string[] = [];
  for (;;) {
    const page = await storage.list('', { delimited: true, cursor: pageCursor, limit: Math.max(limit, 100), signal: opts.signal });
    const names = page.prefixes.map(baseName).filter((n) => n.length > 0 && !n.startsWith('.'));
    for (let i = 0; i < names.length; i++) {
      const n = names[i];
      if (after !== undefined && n <= after) continue;
      if (filter && !n.toLowerCase().includes(filter)) continue;
      models.push(n);
      if (models.length === limit) {
        const more = names.slice(i + 1).some((m) => !filter || m.toLowerCase().includes(filter)) || page.cursor !== undefined;
        return { models, cursor: more ? encodeCursor({ p: pageCursor ?? null, a: n }) : undefined };
      }
    }
    if (!page.cursor) return { models };
    pageCursor = page.cursor;
    after = undefined;
  }
}

/** Versions of a model, oldest first, each with its state and the tags that resolve into it. */
export async function listVersions(storage: Storage, model: string, opts: { includePending?: boolean; signal?: AbortSignal } = {}):
  Promise<VersionInfo[]> {
  validateName('model', model);
  const view = new ModelView(storage, model, opts.signal);
  const { prefixes } = await listAll(storage, modelPrefix(model), { signal: opts.signal });
  const names = prefixes.map(baseName).filter((n) => n !== TAGS_DIR && n !== META_DIR && !n.startsWith('.'));
  const [states, tagsByVersion] = await Promise.all([
    mapLimit(names, MARKER_CONCURRENCY, (n) => view.version(n, true)),
    tagsPerVersion(view),
  ]);
  const out: VersionInfo[] = [];
  names.forEach((name, i) => {
    const s = states[i];
    if (s.state === 'missing' || (s.state === 'pending' && !opts.includePending)) return;
    out.push({ model, name, state: s.state, tags: tagsByVersion.get(name) ?? [], created: s.manifestInfo?.modified });
  });
  return out.sort((a, b) => compareVersions(a.name, b.name));
}

/** version -> tags whose chain ends in it (broken tags are left out). */
export async function tagsPerVersion(view: ModelView): Promise<Map<string, string[]>> {
  const tags = await view.tagNames();
  const ends = await mapLimit(tags, MARKER_CONCURRENCY, (t) => view.resolveTag(t).then((r) => r.end.version, () => undefined));
  const map = new Map<string, string[]>();
  tags.forEach((t, i) => {
    const v = ends[i];
    if (v !== undefined) map.set(v, [...(map.get(v) ?? []), t]);
  });
  return map;
}

export async function listArtifacts(storage: Storage, model: string, version: string, signal?: AbortSignal): Promise<ArtifactInfo[]> {
  validateName('model', model);
  validateName('version', version);
  const view = new ModelView(storage, model, signal);
  const [v, artifacts] = await Promise.all([view.version(version), view.artifacts(version)]);
  if (v.state === 'missing') throw new RepoError('NotFound', 'list files of', `${model}@${version}`, 'the version does not exist');
  return artifacts;
}

export async function listTags(storage: Storage, model: string, signal?: AbortSignal): Promise<TagInfo[]> {
  validateName('model', model);
  const view = new ModelView(storage, model, signal);
  const names = await view.tagNames();
  return mapLimit(names, MARKER_CONCURRENCY, async (name): Promise<TagInfo> => {
    let link;
    try {
      link = await view.readTag(name);
    } catch (e) {
      if (e instanceof RepoError && e.code === 'BrokenLink') return { model, name, target: '', token: '', problem: e.reason };
      throw e;
    }
    if (!link) return { model, name, target: '', token: '', problem: 'the tag vanished while it was being read' };
    try {
      const r = await view.resolveTag(name);
      return { model, name, target: link.target, token: link.token, resolved: await view.refFor(r.end, r.chain) };
    } catch (e) {
      if (e instanceof RepoError && ['BrokenLink', 'Incomplete', 'NotFound'].includes(e.code)) {
        return { model, name, target: link.target, token: link.token, problem: e.reason };
      }
      throw e;
    }
  });
}

/** Resolves a tag (following its chain) or a version (optionally one file) to its artifacts.
 *  Throws NotFound, BrokenLink, or Incomplete for a version whose upload is unfinished. */
export async function resolveRef(storage: Storage, ref: ModelRef, signal?: AbortSignal): Promise<ResolvedRef> {
  validateName('model', ref.model);
  const view = new ModelView(storage, ref.model, signal);
  if ('tag' in ref) {
    validateName('tag', ref.tag);
    const r = await view.resolveTag(ref.tag);
    return view.refFor(r.end, r.chain);
  }
  validateName('version', ref.version);
  if (ref.file !== undefined) ref.file.split('/').forEach((seg) => validateName('file', seg));
  const obj = `${ref.model}@${ref.version}`;
  const v = await view.version(ref.version);
  if (v.state === 'missing') throw new RepoError('NotFound', 'resolve', obj, `there is no version '${ref.version}' of ${ref.model}`);
  if (v.state === 'pending') throw new RepoError('Incomplete', 'resolve', obj, 'the upload of this version is not finished');
  const chain = [ref.file ? `${ref.version}/${ref.file}` : ref.version];
  return view.refFor({ version: ref.version, file: ref.file }, chain);
}
