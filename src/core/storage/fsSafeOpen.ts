// Opening entries of a folder repository safely: the flags every open uses (no symlink followed, no
// FIFO waited on, new files created exclusively), which entries are refused and why, the Unsafe error
// naming them (fsConfine.ts and fsWalk.ts use them).
import { constants as C, existsSync, promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { RepoError } from '../errors';
import { TAGS_DIR } from '../layout';
import { showName } from '../names';

const NOFOLLOW = C.O_NOFOLLOW ?? 0;
const NONBLOCK = C.O_NONBLOCK ?? 0;
/** Opens a folder to read it through its descriptor. */
export const DIR_FLAGS = C.O_RDONLY | (C.O_DIRECTORY ?? 0) | NOFOLLOW | NONBLOCK;
/** Flags of every read open: no symlink followed, no FIFO waited on. */
export const READ_FLAGS = C.O_RDONLY | NOFOLLOW | NONBLOCK;
/** Flags of every file this backend creates: a new file, never through a symlink at that name. */
export const CREATE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | NOFOLLOW;
/** Opens an existing scratch file (a partial) for appending, never through a symlink. */
export const UPDATE_FLAGS = C.O_RDWR | NOFOLLOW | NONBLOCK;

/** Where an open descriptor shows its path and can be read as a folder (Linux), else undefined. */
export const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd') ? '/proc/self/fd' : undefined;

export const LINK_REASON = 'a symbolic link; folder repositories follow links only in tags/';

/** Why a directory entry is refused (anything but a folder or a regular file), or undefined. */
export function refusalReason(st: Pick<Stats, 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isBlockDevice' | 'isCharacterDevice' | 'isFile' | 'isDirectory'>):
  string | undefined {
  if (st.isFile() || st.isDirectory()) return undefined;
  if (st.isSymbolicLink()) return LINK_REASON;
  if (st.isFIFO()) return 'a FIFO, not a regular file';
  if (st.isSocket()) return 'a socket, not a regular file';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device, not a regular file';
  return 'not a regular file';
}

/** `<model>/tags/<tag>`: the one place where a symlink is part of the layout. */
export function isTagKey(key: string): boolean {
  const segs = key.split('/');
  return segs.length === 3 && segs[1] === TAGS_DIR && segs[0] !== '' && segs[2] !== '';
}

/** The Unsafe error for `key`; `where` is the refused entry on the way when it is not the key itself. */
export function unsafe(action: string, key: string, reason: string, where?: string): RepoError {
  const what = where !== undefined && where !== key ? `${showName(where)} is ${reason}` : `it is ${reason}`;
  return new RepoError('Unsafe', action, showName(key), what, { details: { key, refused: where ?? key } });
}

/** Reads a small scratch file (a sidecar) without following a symlink or waiting on a FIFO; undefined
 *  when it is missing, not a regular file, or larger than `max`. */
export async function readSmall(abs: string, max: number): Promise<Buffer | undefined> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(abs, READ_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > max) return undefined;
    return await readAll(fh, max, st.size);
  } catch {
    return undefined;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Reads an open file to its end, at most `max` bytes; undefined when it holds more. `sizeHint` (its
 *  size from fstat) lets a file that did not grow be read in one call. */
export async function readAll(fh: FileHandle, max: number, sizeHint = 0): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  let want = Math.min(Math.max(sizeHint + 1, 4096), max + 1);
  for (;;) {
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, buf.length, total);
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
    if (total > max) return undefined;
    if (bytesRead < buf.length) return Buffer.concat(chunks, total); // a regular file reads short only at its end
    want = Math.min(1 << 20, max + 1 - total);
  }
}
