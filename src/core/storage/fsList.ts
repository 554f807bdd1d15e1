// Listings of the filesystem backend, shaped like S3 ListObjectsV2: sorted by key, delimited or
// recursive, paged by a cursor that is the last key returned (startAfter is the same). Folders are read through their opened
// descriptor (fsConfine.ts) and never entered through a symlink. An entry that is a symlink (outside
// `<model>/tags/`), a FIFO, a socket or a device is left out and reported in `refused` with the reason.
// Entries are classified by their directory entry type; only the objects of the page returned are
// lstat'ed (for size, time and etag), through their folder reached again.
import { promises as fsp } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import * as path from 'node:path';
import type { ListOptions, ListPage, ObjectInfo } from './storage';
import type { FsRoot } from './fsConfine';
import { LINK_REASON, isTagKey, refusalReason } from './fsSafeOpen';
import { errno, fsError, isScratchName, throwIfAborted } from './fsPaths';

const DEFAULT_PAGE = 1000;

export function objectInfo(key: string, st: Stats): ObjectInfo {
  return { key, size: st.size, modified: st.mtime, etag: `${st.ino}-${st.size}-${st.mtimeMs}` };
}

type Entry =
  | { readonly key: string; readonly kind: 'dir' | 'object' }
  | { readonly key: string; readonly kind: 'refused'; readonly reason: string };

/** What a directory entry is, from its type alone. */
function classify(ent: Dirent, key: string): Entry['kind'] | string {
  if (ent.isDirectory()) return 'dir';
  if (ent.isFile() || (ent.isSymbolicLink() && isTagKey(key))) return 'object';
  return ent.isSymbolicLink() ? LINK_REASON : refusalReason(ent) ?? 'not a regular file';
}

/** All entries one level down (delimited) or all files below (recursive) matching `prefix`, by key. */
async function entries(root: FsRoot, prefix: string, delimited: boolean, signal?: AbortSignal): Promise<Entry[]> {
  const cut = prefix.lastIndexOf('/');
  const out: Entry[] = [];
  const walk = async (dirKey: string, filter: string): Promise<void> => {
    throwIfAborted(signal, 'list', prefix || '/');
    const below = await root.withDir(dirKey, 'list', async (dirPath) => {
      let ents;
      try {
        ents = await fsp.readdir(dirPath, { withFileTypes: true });
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return [];
        throw fsError(e, 'list', dirKey || '/');
      }
      const subdirs: string[] = [];
      for (const ent of ents) {
        if (!ent.name.startsWith(filter) || isScratchName(ent.name)) continue;
        const key = dirKey + ent.name;
        const kind = classify(ent, key);
        // A folder whose name no key can reach (a backslash) is named, not walked.
        if (kind === 'dir' && !delimited && ent.name.includes('\\')) out.push({ key: `${key}/`, kind: 'refused', reason: 'a folder whose name holds a backslash' });
        else if (kind === 'dir' && !delimited) subdirs.push(`${key}/`);
        else if (kind === 'dir') out.push({ key: `${key}/`, kind });
        else if (kind === 'object') out.push({ key, kind });
        else out.push({ key, kind: 'refused', reason: kind });
      }
      return subdirs;
    });
    for (const sub of below ?? []) await walk(sub, '');
  };
  const dirKey = cut >= 0 ? prefix.slice(0, cut + 1) : '';
  // Listing the root of a missing repository folder is NotFound; a folder inside it is just empty.
  if (dirKey !== '' && !(await root.exists('list'))) return [];
  await walk(dirKey, prefix.slice(cut + 1));
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** lstat of the page's objects, one folder at a time, each reached again safely. */
async function statPage(root: FsRoot, keys: readonly string[]): Promise<Map<string, Stats>> {
  const byDir = new Map<string, string[]>();
  for (const key of keys) {
    const dirKey = key.slice(0, key.lastIndexOf('/') + 1);
    byDir.set(dirKey, [...(byDir.get(dirKey) ?? []), key]);
  }
  const out = new Map<string, Stats>();
  for (const [dirKey, inDir] of byDir) {
    await root.withDir(dirKey, 'list', async (dirPath) => {
      for (const key of inDir) {
        const st = await fsp.lstat(path.join(dirPath, key.slice(dirKey.length))).catch(() => undefined);
        if (st) out.set(key, st); // else gone since it was listed
      }
    });
  }
  return out;
}

export async function listPage(root: FsRoot, prefix: string, options: ListOptions = {}): Promise<ListPage> {
  const all = await entries(root, prefix, options.delimited !== false, options.signal);
  const after = options.cursor ?? options.startAfter;
  const start = after === undefined ? 0 : all.findIndex((e) => e.key > after);
  const rest = start < 0 ? [] : all.slice(start);
  const limit = Math.max(1, options.limit ?? DEFAULT_PAGE);
  const page = rest.slice(0, limit);
  const stats = await statPage(root, page.filter((e) => e.kind === 'object').map((e) => e.key));
  const prefixes: string[] = [];
  const objects: ObjectInfo[] = [];
  const refused: { key: string; reason: string }[] = [];
  for (const e of page) {
    if (e.kind === 'dir') prefixes.push(e.key);
    else if (e.kind === 'refused') refused.push({ key: e.key, reason: e.reason });
    else {
      const st = stats.get(e.key);
      if (!st) continue;
      const why = st.isFile() || (st.isSymbolicLink() && isTagKey(e.key)) ? undefined : refusalReason(st) ?? 'a folder now';
      if (why) refused.push({ key: e.key, reason: why });
      else objects.push(objectInfo(e.key, st));
    }
  }
  const cursor = rest.length > limit ? page[page.length - 1].key : undefined;
  return refused.length > 0 ? { prefixes, objects, refused: refused.sort((a, b) => (a.key < b.key ? -1 : 1)), cursor } : { prefixes, objects, cursor };
}
