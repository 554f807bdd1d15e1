// Reading a repository: models, artifacts, tags and reference resolution (a model's versions are
// listed in modelListing.ts). Each is a delimited listing of one level or a few small reads, so
// drawing one level of a tree never lists a whole bucket nor reads per-file checksums.
// Every name read here passes the one name rule (names.ts): listings keep the safe entries and report
// the others escaped, with `problem` or in `refused`.
import { RepoError } from '../errors';
import { isHiddenName, nameProblem, showName, validateName } from '../names';
import type { ListPage, Storage } from '../storage/storage';
import type { ArtifactInfo, ModelPage, ModelRef, RefusedEntry, ResolvedRef, TagInfo } from '../types';
import { ModelView } from './modelView';
import { escapedText } from './record';
import { mapLimit } from './util';

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

/** One top-level entry in listing order: a model, or an entry refused with its reason. */
interface TopEntry { readonly raw: string; readonly reason?: string }

function topEntries(page: ListPage): TopEntry[] {
  const out: TopEntry[] = [];
  for (const p of page.prefixes) {
    const raw = p.slice(0, -1);
    if (isHiddenName(raw)) continue; // hidden: the tool's or a console's own
    out.push({ raw, reason: nameProblem('model', raw) });
  }
  for (const r of page.refused ?? []) {
    const raw = r.key.replace(/\/$/, '');
    if (raw.includes('/') || isHiddenName(raw)) continue;
    out.push({ raw, reason: r.reason });
  }
  return out.sort((a, b) => (a.raw < b.raw ? -1 : a.raw > b.raw ? 1 : 0));
}

/** Models (top-level folders), sorted, paged. The cursor remembers the storage page it came from and
 *  the last model returned, so paging works whatever the backend's own cursor means. Folders whose
 *  names break the name rule, and entries the backend refused, are not models: they come back in
 *  `refused` (on the page where they fall). */
export async function listModels(storage: Storage, opts: { cursor?: string; limit?: number; filter?: string; signal?: AbortSignal } = {}):
  Promise<ModelPage> {
  const limit = Math.max(1, opts.limit ?? 1000);
  const filter = opts.filter?.toLowerCase();
  const start = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  let pageCursor: string | undefined = start?.p ?? undefined;
  let after = start?.a;
  const models: string[] = [];
  const refused: RefusedEntry[] = [];
  const done = (cursor?: string): ModelPage => ({ models, ...(cursor ? { cursor } : {}), ...(refused.length ? { refused } : {}) });
  for (;;) {
    const page = await storage.list('', { delimited: true, cursor: pageCursor, limit: Math.max(limit, 100), signal: opts.signal });
    const entries = topEntries(page).filter((e) => !filter || e.raw.toLowerCase().includes(filter));
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (after !== undefined && e.raw <= after) continue;
      if (e.reason !== undefined) {
        refused.push({ name: showName(e.raw), reason: e.reason });
        continue;
      }
      models.push(e.raw);
      if (models.length === limit) {
        const more = i + 1 < entries.length || page.cursor !== undefined;
        return done(more ? encodeCursor({ p: pageCursor ?? null, a: e.raw }) : undefined);
      }
    }
    if (!page.cursor) return done();
    pageCursor = page.cursor;
    after = undefined;
  }
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

/** Problems a tag can have that listTags shows instead of failing. */
const TAG_PROBLEMS = ['BrokenLink', 'Incomplete', 'NotFound', 'Unsafe', 'Corrupt', 'Integrity'];

export async function listTags(storage: Storage, model: string, signal?: AbortSignal): Promise<TagInfo[]> {
  validateName('model', model);
  return tagInfos(new ModelView(storage, model, signal));
}

/** Every tag of the view's model as listTags shows it. */
export async function tagInfos(view: ModelView): Promise<TagInfo[]> {
  const model = view.model;
  const { names, refused } = await view.tagListing();
  const tags = await mapLimit(names, MARKER_CONCURRENCY, async (name): Promise<TagInfo> =>
    (await describeTag(view, name)) ?? { model, name, target: '', token: '', problem: 'the tag vanished while it was being read' });
  const bad = refused.map((r): TagInfo => ({ model, name: r.name, target: '', token: '', refused: true, problem: r.reason }));
  return [...tags, ...bad].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A tag as listings show it: resolved, or with `problem` set; link text escaped for display.
 *  undefined when there is no such tag. */
export async function describeTag(view: ModelView, name: string): Promise<TagInfo | undefined> {
  const model = view.model;
  let link;
  try {
    link = await view.readTag(name);
  } catch (e) {
    if (e instanceof RepoError && e.code === 'BrokenLink') return { model, name, target: '', token: '', problem: e.reason };
    throw e;
  }
  if (!link) return undefined;
  const target = escapedText(link.target);
  try {
    const r = await view.resolveTag(name);
    return { model, name, target, token: link.token, resolved: await view.refFor(r.end, r.chain) };
  } catch (e) {
    if (e instanceof RepoError && TAG_PROBLEMS.includes(e.code)) return { model, name, target, token: link.token, problem: e.reason };
    throw e;
  }
}

/** Resolves a tag (following its chain) or a version (optionally one file) to its artifacts.
 *  Throws NotFound, BrokenLink, Incomplete for a version whose upload is unfinished, and Unsafe,
 *  Corrupt or Integrity when the reference would use an entry that cannot be trusted (refFor). */
export async function resolveRef(storage: Storage, ref: ModelRef, signal?: AbortSignal, view = new ModelView(storage, ref.model, signal),
  action = 'resolve'): Promise<ResolvedRef> {
  validateName('model', ref.model);
  if ('tag' in ref) {
    validateName('tag', ref.tag);
    const r = await view.resolveTag(ref.tag);
    return view.refFor(r.end, r.chain, action);
  }
  validateName('version', ref.version);
  if (ref.file !== undefined) ref.file.split('/').forEach((seg) => validateName('file', seg));
  const obj = `${ref.model}@${ref.version}`;
  const v = await view.version(ref.version);
  if (v.state === 'missing') throw new RepoError('NotFound', action, obj, `there is no version '${ref.version}' of ${ref.model}`);
  if (v.state === 'pending') throw new RepoError('Incomplete', action, obj, 'the upload of this version is not finished');
  const chain = [ref.file ? `${ref.version}/${ref.file}` : ref.version];
  return view.refFor({ version: ref.version, file: ref.file }, chain, action);
}
