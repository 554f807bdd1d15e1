// A model's versions, files and tags from a handful of listings (modelScan.ts): the whole model for
// `ls <model>`, or one page of versions, newest first, for a tree that shows a few hundred at a time.
// Requests grow with listing pages, not with versions: states come from the listing; version records
// are read only where checksums are shown (describeModel) or corruption is reported (`records`), and
// only for versions that have one; each tag link is read once.
import { RepoError, isRepoError } from '../errors';
import { compareVersions, nameProblem, showName, validateName } from '../names';
import type { Storage } from '../storage/storage';
import type { ArtifactInfo, TagInfo, VersionInfo } from '../types';
import { tagInfos, tagsPerVersion } from './browse';
import { listLevel, scanVersions } from './modelScan';
import type { ModelLevel } from './modelScan';
import { ModelView } from './modelView';
import { mapLimit } from './util';

const READ_CONCURRENCY = 16;

export interface VersionsOpts {
  readonly includePending?: boolean;
  /** Read the records of published versions to report corrupt ones (and their recorded time). */
  readonly records?: boolean;
  readonly signal?: AbortSignal;
}

export interface VersionPage {
  /** Newest first. */
  readonly versions: VersionInfo[];
  readonly cursor?: string;
}

export interface ModelListing {
  readonly versions: VersionInfo[];
  /** The files of each version listed without a problem. */
  readonly files: ReadonlyMap<string, ArtifactInfo[]>;
  readonly tags: TagInfo[];
}

function notFound(storage: Storage, model: string): RepoError {
  return new RepoError('NotFound', 'list versions of', model, `there is no model '${model}' in ${storage.root}`);
}

/** The level and the flat listing of the whole model, read side by side, given to the view. */
async function wholeModel(view: ModelView, signal?: AbortSignal): Promise<ModelLevel> {
  const [level, scan] = await Promise.all([listLevel(view.storage, view.model, signal), scanVersions(view.storage, view.model, undefined, { signal })]);
  if (level.empty) throw notFound(view.storage, view.model);
  view.useScan({ ...scan, covered: new Set(level.names), known: new Set([...level.names, ...level.refused.map((r) => r.raw)]) });
  return level;
}

/** VersionInfo of `names` (raw, from the level) plus the level's refused entries among `refused`. */
async function versionInfos(view: ModelView, names: readonly string[], refused: ModelLevel['refused'], opts: VersionsOpts):
  Promise<VersionInfo[]> {
  const model = view.model;
  const safe = names.filter((n) => nameProblem('version', n) === undefined);
  const [states, tagsByVersion] = await Promise.all([
    mapLimit(safe, READ_CONCURRENCY, async (n): Promise<{ state: VersionInfo['state'] | 'missing'; created?: Date; problem?: string }> => {
      try {
        const s = await view.version(n, true);
        if (s.state !== 'complete' || !opts.records) return s;
        const r = await view.record(n);
        if (r.kind === 'corrupt') return { ...s, problem: `its version record is corrupt: ${r.problem}` };
        const when = r.kind === 'ok' ? Date.parse(r.record.created) : NaN;
        return Number.isNaN(when) ? s : { ...s, created: new Date(when) };
      } catch (e) {
        if (isRepoError(e, 'Unsafe')) return { state: 'legacy', problem: e.reason };
        throw e;
      }
    }),
    tagsPerVersion(view),
  ]);
  const out: VersionInfo[] = [];
  safe.forEach((name, i) => {
    const s = states[i];
    if (s.state === 'missing' || (s.state === 'pending' && !opts.includePending)) return;
    if (s.problem !== undefined && s.state === 'legacy') {
      out.push({ model, name, state: 'legacy', tags: [], problem: s.problem });
      return;
    }
    out.push({ model, name, state: s.state, tags: tagsByVersion.get(name) ?? [], created: s.created, ...(s.problem ? { problem: s.problem } : {}) });
  });
  const bad = [
    ...names.flatMap((n) => {
      const p = nameProblem('version', n);
      return p ? [{ raw: n, reason: `unsafe name: ${p}` }] : [];
    }),
    ...refused,
  ];
  for (const r of bad) out.push({ model, name: showName(r.raw), state: 'legacy', tags: [], problem: r.reason });
  return out;
}

/** Versions oldest first (see Repository.listVersions), from two listings plus one read per tag. */
export async function listVersions(storage: Storage, model: string, opts: VersionsOpts = {}): Promise<VersionInfo[]> {
  validateName('model', model);
  const view = new ModelView(storage, model, opts.signal);
  const level = await wholeModel(view, opts.signal);
  const out = await versionInfos(view, level.names, level.refused, { records: true, ...opts });
  return out.sort((a, b) => compareVersions(a.name, b.name));
}

/** Everything `ls <model>` shows: versions (oldest first, pending included), the files of each with
 *  their recorded sha256, and the tags. The records of published versions are read (the checksums). */
export async function describeModel(storage: Storage, model: string, signal?: AbortSignal): Promise<ModelListing> {
  validateName('model', model);
  const view = new ModelView(storage, model, signal);
  const level = await wholeModel(view, signal);
  const versions = (await versionInfos(view, level.names, level.refused, { includePending: true, records: true, signal }))
    .sort((a, b) => compareVersions(a.name, b.name));
  const usable = versions.filter((v) => !v.problem);
  const [arts, tags] = await Promise.all([mapLimit(usable, READ_CONCURRENCY, (v) => view.artifacts(v.name)), tagInfos(view)]);
  return { versions, files: new Map(usable.map((v, i) => [v.name, arts[i]])), tags };
}

interface PageCursor { readonly a: string }

function decodeCursor(s: string): PageCursor {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as PageCursor;
    if (typeof c.a === 'string') return c;
  } catch {
    // fall through
  }
  throw new RepoError('InvalidRef', 'list versions with cursor', `'${s}'`, 'the cursor is not one this tool handed out');
}

/** Newest first; among equals by raw name, so a cursor (the last raw name shown) stays stable. */
const newestFirst = (a: string, b: string): number => compareVersions(b, a) || (a < b ? -1 : a > b ? 1 : 0);

/** One page of versions, newest first: the level is listed whole (one page per 1,000 versions), the
 *  objects only over the key range of the page's versions. Records are not read. */
export async function listVersionsPage(storage: Storage, model: string,
  opts: { cursor?: string; limit?: number; includePending?: boolean; signal?: AbortSignal } = {}): Promise<VersionPage> {
  validateName('model', model);
  const limit = Math.max(1, opts.limit ?? 200);
  const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor).a;
  const level = await listLevel(storage, model, opts.signal);
  if (level.empty) throw notFound(storage, model);
  const refusedBy = new Map(level.refused.map((r) => [r.raw, r.reason]));
  const all = [...level.names, ...refusedBy.keys()].sort(newestFirst);
  const rest = after === undefined ? all : all.filter((n) => newestFirst(n, after) > 0);
  const slice = rest.slice(0, limit);
  const view = new ModelView(storage, model, opts.signal);
  const names = slice.filter((n) => !refusedBy.has(n));
  view.useScan(await scanVersions(storage, model, names.filter((n) => nameProblem('version', n) === undefined), { signal: opts.signal }));
  const refused = slice.flatMap((n) => (refusedBy.has(n) ? [{ raw: n, reason: refusedBy.get(n) ?? '' }] : []));
  const infos = await versionInfos(view, names, refused, { includePending: opts.includePending, records: false, signal: opts.signal });
  const order = new Map(slice.map((n, i) => [n, i]));
  const rank = (v: VersionInfo): number => order.get(v.problem !== undefined && !order.has(v.name) ? rawOf(v, slice) : v.name) ?? 0;
  infos.sort((a, b) => rank(a) - rank(b));
  const more = rest.length > limit;
  return { versions: infos, ...(more ? { cursor: Buffer.from(JSON.stringify({ a: slice[slice.length - 1] })).toString('base64url') } : {}) };
}

/** The raw name of a refused version whose `name` is its escaped form. */
function rawOf(v: VersionInfo, slice: readonly string[]): string {
  return slice.find((n) => showName(n) === v.name) ?? v.name;
}
