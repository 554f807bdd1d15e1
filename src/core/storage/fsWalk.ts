// Reaching a folder of the repository without following anything, two ways:
//   - on Linux, by descriptor: the folder is opened (O_DIRECTORY | O_NOFOLLOW) and accepted when
//     /proc/self/fd/N shows exactly its lexical path; else the root is opened and each folder below it
//     relative to the one above (through /proc/self/fd/N, which is openat()), naming what is wrong.
//     The caller works through `/proc/self/fd/N/<name>`: a folder swapped for a symlink at any moment
//     is never entered, as the path the caller uses is bound to the folder that was checked.
//   - elsewhere, by path: realpath(folder) must equal the lexical path (else the first symlink on the
//     way is named), and the caller works through the lexical path, checked just before (a gap: a
//     folder swapped in between is followed).
// Missing folders of a write are created one level at a time (mkdir never follows a symlink at its
// last component).
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { RepoError } from '../errors';
import { showName } from '../names';
import { errno, fsError } from './fsPaths';
import { DIR_FLAGS, PROC_FD, refusalReason, unsafe } from './fsSafeOpen';

/** A folder reached safely: `path` reaches its entries; close() when done with it. */
export interface Folder {
  readonly path: string;
  close(): Promise<void>;
}

export function segments(key: string): string[] {
  return key.split('/').filter((s) => s.length > 0);
}

/** What a non-folder at `where` means for reaching `key`: missing (a file, for a read), Exists (a
 *  file, for a write), or Unsafe (a symlink or special file). */
function notAFolder(st: Stats, where: string, key: string, action: string, create: boolean): undefined {
  if (!st.isFile()) throw unsafe(action, key, refusalReason(st) ?? 'not a folder', where);
  if (create) throw new RepoError('Exists', action, showName(key), `${showName(where)} is a file, not a folder`);
  return undefined;
}

/** Opens the folder at `p` (inside a folder already reached) without following a symlink, creating it
 *  when asked; undefined when it is missing. */
async function openStep(p: string, where: string, key: string, action: string, create: boolean): Promise<FileHandle | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fsp.open(p, DIR_FLAGS);
    } catch (e) {
      if (!['ENOENT', 'ELOOP', 'EMLINK', 'ENOTDIR'].includes(errno(e) ?? '')) throw fsError(e, action, key);
      if (errno(e) === 'ENOENT' && create && attempt < 3) {
        await fsp.mkdir(p).catch((err) => { if (errno(err) !== 'EEXIST') throw fsError(err, action, key); });
        continue;
      }
    }
    const st = await fsp.lstat(p).catch(() => undefined);
    if (!st || st.isDirectory()) {
      if (attempt < 3) continue; // it changed under us: look again
      return undefined;
    }
    return notAFolder(st, where, key, action, create);
  }
}

/** The common case in one open: the folder opened by its whole path is accepted when its descriptor
 *  shows exactly that path (no symlink on the way at that instant; everything after goes through the
 *  descriptor). Anything else (missing, a symlink, another case) takes the walk, which names it. */
async function openDirect(procFd: string, dir: string): Promise<FileHandle | undefined> {
  const fh = await fsp.open(dir, DIR_FLAGS).catch(() => undefined);
  if (!fh) return undefined;
  if (await fsp.readlink(`${procFd}/${fh.fd}`).catch(() => undefined) === dir) return fh;
  await fh.close().catch(() => undefined);
  return undefined;
}

async function byDescriptor(procFd: string, root: string, segs: readonly string[], key: string, action: string, create: boolean):
  Promise<Folder | undefined> {
  const direct = await openDirect(procFd, path.join(root, ...segs));
  if (direct) return { path: `${procFd}/${direct.fd}`, close: () => direct.close() };
  let fh: FileHandle;
  try {
    fh = await fsp.open(root, DIR_FLAGS);
  } catch (e) {
    throw errno(e) === 'ENOENT' ? new RepoError('NotFound', action, root, 'the repository folder does not exist', { cause: e })
      : fsError(e, action, key || '/');
  }
  try {
    for (let i = 0; i < segs.length; i++) {
      const next = await openStep(`${procFd}/${fh.fd}/${segs[i]}`, segs.slice(0, i + 1).join('/'), key, action, create);
      await fh.close();
      if (!next) return undefined;
      fh = next;
    }
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
  const held = fh;
  return { path: `${procFd}/${held.fd}`, close: () => held.close() };
}

/** Checks that every folder of `segs` below `root` is a real folder: 'missing' when one does not exist
 *  (or is a file); Unsafe naming the first symlink or special file on the way. */
async function checkByPath(root: string, segs: readonly string[], key: string, action: string, create: boolean): Promise<'ok' | 'missing'> {
  const dir = path.join(root, ...segs);
  try {
    if (await fsp.realpath(dir) === dir) return 'ok';
  } catch (e) {
    if (!['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errno(e) ?? '')) throw fsError(e, action, key);
  }
  // Walk it to name the culprit (or learn that it is missing, or that it differs only in letter case).
  let cur = root;
  for (let i = 0; i < segs.length; i++) {
    cur = path.join(cur, segs[i]);
    let st: Stats;
    try {
      st = await fsp.lstat(cur);
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return 'missing';
      throw fsError(e, action, key);
    }
    if (!st.isDirectory()) return notAFolder(st, segs.slice(0, i + 1).join('/'), key, action, create) ?? 'missing';
  }
  return 'ok';
}

async function byPath(root: string, segs: readonly string[], key: string, action: string, create: boolean): Promise<Folder | undefined> {
  let state = await checkByPath(root, segs, key, action, create);
  if (state === 'missing' && create) {
    let cur = root;
    for (const seg of segs) {
      cur = path.join(cur, seg);
      await fsp.mkdir(cur).catch((e) => { if (errno(e) !== 'EEXIST') throw fsError(e, action, key); });
    }
    state = await checkByPath(root, segs, key, action, create);
  }
  return state === 'ok' ? { path: path.join(root, ...segs), close: async () => undefined } : undefined;
}

/** Reaches the folder `dirKey` below the real root `root`; undefined when it is missing. */
export function openFolder(root: string, dirKey: string, key: string, action: string, create: boolean): Promise<Folder | undefined> {
  const segs = segments(dirKey);
  return PROC_FD ? byDescriptor(PROC_FD, root, segs, key, action, create) : byPath(root, segs, key, action, create);
}
