// What search lists: listings only, no record or marker reads. Many models are listed flat from the
// root, 1,000 keys a request, for a bounded number of pages; a model not covered costs one listing of
// its whole tree when that fits one page (versions, files with their ETags, and whether an upload is
// still pending), else one delimited listing of `<model>/` plus one per version looked at. Version records are not read: search only
// reads headers, never hands out bytes, so the checks a download needs (record sizes, checksums) are
// left to `info`, `download` and the tree. Names pass the name rule here, as everywhere.
import { backendOf } from '../backends/index';
import { META_DIR, PENDING_MARKER, TAGS_DIR, VERSION_MANIFEST, modelPrefix, versionPrefix } from '../layout';
import { compareVersions, isHiddenName, nameProblem } from '../names';
import { judgeContents } from '../repo/contents';
import { listChecked } from '../repo/modelView';
import type { ObjectInfo, Storage } from '../storage/storage';
import type { ArtifactInfo } from '../types';

/** Version names of `model`, newest first (unsafe names and the tool's own folders left out). */
export async function versionNamesNewestFirst(storage: Storage, model: string, signal?: AbortSignal): Promise<string[]> {
  const prefix = modelPrefix(model);
  const listing = await listChecked(storage, prefix, { signal });
  return listing.prefixes.map((p) => p.slice(prefix.length, -1)).filter(isVersionName).sort((a, b) => compareVersions(b, a));
}

const isVersionName = (n: string): boolean => n !== TAGS_DIR && n !== META_DIR && !isHiddenName(n) && nameProblem('version', n) === undefined;

/** The files of a published version, or undefined when it is pending (an upload in progress) or empty. */
export async function publishedFiles(storage: Storage, model: string, version: string, signal?: AbortSignal): Promise<ArtifactInfo[] | undefined> {
  const prefix = versionPrefix(model, version);
  const listing = await listChecked(storage, prefix, { delimited: false, signal });
  const has = (name: string): boolean => listing.objects.some((o) => o.key === prefix + name);
  if (has(PENDING_MARKER) && !has(VERSION_MANIFEST)) return undefined;
  const { artifacts } = judgeContents({ model, version, prefix, objects: listing.objects, refused: listing.refused });
  return artifacts.length > 0 ? [...artifacts] : undefined;
}

/** Picks the versions to look at from a model's version names and a way to get each one's files. */
async function pick(names: readonly string[], which: 'latest' | 'all',
  filesOf: (version: string) => Promise<ArtifactInfo[] | undefined>): Promise<{ version: string; files: ArtifactInfo[] }[]> {
  const out: { version: string; files: ArtifactInfo[] }[] = [];
  for (const version of names) {
    const files = await filesOf(version);
    if (!files) continue;
    out.push({ version, files });
    if (which === 'latest') break;
  }
  return out.reverse(); // oldest first, as listings show versions
}

/** The files of a published version from the objects listed under its folder, as publishedFiles does. */
function filesFromListing(model: string, version: string, objects: readonly ObjectInfo[],
  refused: readonly { key: string; reason: string }[]): ArtifactInfo[] | undefined {
  const prefix = versionPrefix(model, version);
  const own = objects.filter((o) => o.key.startsWith(prefix));
  const has = (name: string): boolean => own.some((o) => o.key === prefix + name);
  if (has(PENDING_MARKER) && !has(VERSION_MANIFEST)) return undefined;
  const { artifacts } = judgeContents({ model, version, prefix, objects: own, refused: refused.filter((r) => r.key.startsWith(prefix)) });
  return artifacts.length > 0 ? [...artifacts] : undefined;
}

/** A model's keys as one listing showed them. */
export interface ModelTree {
  readonly objects: readonly ObjectInfo[];
  readonly refused: readonly { readonly key: string; readonly reason: string }[];
}

/** The versions search looks at ('latest': the newest published one) with their files, from a tree
 *  already listed, else from listings: one of the whole model when it fits a page (the usual case),
 *  else one level at a time. */
export async function filesToSearch(storage: Storage, model: string, which: 'latest' | 'all', signal?: AbortSignal, tree?: ModelTree):
  Promise<{ version: string; files: ArtifactInfo[] }[]> {
  const prefix = modelPrefix(model);
  if (!tree) {
    const page = await storage.list(prefix, { delimited: false, limit: 1000, signal });
    if (page.cursor) {
      const names = await versionNamesNewestFirst(storage, model, signal);
      return pick(names, which, (v) => publishedFiles(storage, model, v, signal));
    }
    tree = { objects: page.objects, refused: page.refused ?? [] };
  }
  const { objects, refused } = tree;
  const names = objects.map((o) => o.key.slice(prefix.length).split('/')).filter((segs) => segs.length > 1).map((segs) => segs[0]);
  const versions = [...new Set(names)].filter(isVersionName).sort((a, b) => compareVersions(b, a));
  return pick(versions, which, async (v) => filesFromListing(model, v, objects, refused));
}

/** Lists the whole repository flat, at most `maxPages` pages: for many small models a few requests
 *  instead of one per model. Returns the trees of the `wanted` models it saw completely: all of them
 *  when the listing ended; on S3, whose listings are in key order, those before the last key seen. */
export async function listTrees(storage: Storage, wanted: ReadonlySet<string>, maxPages: number, signal?: AbortSignal): Promise<Map<string, ModelTree>> {
  const trees = new Map<string, { objects: ObjectInfo[]; refused: { key: string; reason: string }[] }>();
  const tree = (key: string): { objects: ObjectInfo[]; refused: { key: string; reason: string }[] } | undefined => {
    const model = key.slice(0, key.indexOf('/'));
    if (!wanted.has(model)) return undefined;
    let t = trees.get(model);
    if (!t) trees.set(model, (t = { objects: [], refused: [] }));
    return t;
  };
  let cursor: string | undefined;
  let last = '';
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await storage.list('', { delimited: false, cursor, limit: 1000, signal });
    for (const o of page.objects) { tree(o.key)?.objects.push(o); last = o.key; }
    for (const r of page.refused ?? []) tree(r.key)?.refused.push(r);
    if (!page.cursor || page.cursor === cursor) return trees;
    cursor = page.cursor;
  }
  return backendOf(storage).sortedListing ? seenWhole(trees, last) : new Map();
}

/** The trees of models whose keys all sort before `lastKey` (S3 lists in UTF-8 byte order): a listing
 *  cut after `lastKey` has shown them whole; the model of `lastKey` itself may go on. */
export function seenWhole<T>(trees: ReadonlyMap<string, T>, lastKey: string): Map<string, T> {
  const lastModel = Buffer.from(lastKey.slice(0, lastKey.indexOf('/') + 1));
  return new Map([...trees].filter(([m]) => Buffer.compare(Buffer.from(`${m}/`), lastModel) < 0));
}
