// Listings of the filesystem backend, shaped like S3 ListObjectsV2: sorted by key, delimited or
// recursive, paged by a cursor that is the last key returned. Folders are read through their opened
// descriptor (fsConfine.ts) and never entered through a symlink. An entry that is a symlink (outside
// `<model>/tags/`), a FIFO, a socket or a device is left out and reported in `refused` with the reason.
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import type { ListOptions, ListPage, ObjectInfo } from './storage';
import type { FsRoot } from './fsConfine';
import { isTagKey, refusalReason } from './fsSafeOpen';
import { errno, fsError, isScratchName, throwIfAborted } from './fsPaths';

const DEFAULT_PAGE = 1000;

export function objectInfo(key: string, st: Stats): ObjectInfo {
  return { key, size: st.size, modified: st.mtime, etag: `${st.ino}-${st.size}-${st.mtimeMs}` };
}

type Entry =
  | { readonly key: string; readonly kind: 'dir' }
  | { readonly key: string; readonly kind: 'object'; readonly st: Stats }
  | { readonly key: string; readonly kind: 'refused'; readonly reason: string };

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
        let st: Stats | undefined;
        if (!ent.isDirectory()) {
          st = await fsp.lstat(path.join(dirPath, ent.name)).catch(() => undefined);
          if (!st) continue; // gone since readdir
        }
        if (ent.isDirectory() || st?.isDirectory()) {
          if (delimited) out.push({ key: `${key}/`, kind: 'dir' });
          else subdirs.push(`${key}/`);
        } else if (st && (st.isFile() || (st.isSymbolicLink() && isTagKey(key)))) {
          out.push({ key, kind: 'object', st });
        } else if (st) {
          out.push({ key, kind: 'refused', reason: refusalReason(st) ?? 'not a regular file' });
        }
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

export async function listPage(root: FsRoot, prefix: string, options: ListOptions = {}): Promise<ListPage> {
  const all = await entries(root, prefix, options.delimited !== false, options.signal);
  const after = options.cursor;
  const start = after === undefined ? 0 : all.findIndex((e) => e.key > after);
  const rest = start < 0 ? [] : all.slice(start);
  const limit = Math.max(1, options.limit ?? DEFAULT_PAGE);
  const page = rest.slice(0, limit);
  const prefixes: string[] = [];
  const objects: ObjectInfo[] = [];
  const refused: { key: string; reason: string }[] = [];
  for (const e of page) {
    if (e.kind === 'dir') prefixes.push(e.key);
    else if (e.kind === 'object') objects.push(objectInfo(e.key, e.st));
    else refused.push({ key: e.key, reason: e.reason });
  }
  const cursor = rest.length > limit ? page[page.length - 1].key : undefined;
  return refused.length > 0 ? { prefixes, objects, refused, cursor } : { prefixes, objects, cursor };
}
