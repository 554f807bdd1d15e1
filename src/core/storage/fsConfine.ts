// Confinement of the filesystem backend to its repository folder. The folder is shared: other people,
// and sometimes an attacker, write into it, so a key must never reach outside it (rsync --safe-links,
// git with an untrusted tree). The root is resolved with realpath once (the user named it, so a root
// that is a symlink is fine); below it nothing is followed:
//   - every folder on the way to a key is reached without following a symlink (fsWalk.ts: on Linux by
//     descriptor, openat-style, so the check and the use are the same folder; elsewhere checked by
//     realpath just before use), and a symlink or special file on the way is named in an Unsafe error;
//   - files are opened with O_NOFOLLOW | O_NONBLOCK (a symlink is never followed, a FIFO never blocks)
//     after an lstat, and must be regular files (fstat); new files are created with O_EXCL;
//   - missing folders of a write are created one level at a time, then reached the same way.
// Symlinks are only ever read as link text (readlink) in `<model>/tags/`, never followed.
// Gaps that remain (noted for reviewers):
//   - without /proc (macOS, Windows; Node has no openat) every call goes by the lexical path checked
//     just before it: a folder swapped for a symlink in that instant is followed. An opened file is
//     checked again afterwards (folder still clean, same inode at the path), but a writer swapping the
//     folder back and forth as fast as it can still wins now and then (test/integration/fsRace.test.ts
//     shows it when forced onto this path); lstat, unlink, rename, mkdir and rmdir are not re-checked.
//     Windows has no O_NOFOLLOW either: there only the lstat before each open guards the last component.
//   - on Linux the last component is still lstat'ed and then opened by name: a regular file swapped for
//     a device node in between (which needs mknod rights in the folder) would be opened, non-blocking.
//   - hard links cannot be told from the original file; with fs.protected_hardlinks=1 (the Linux
//     default) a writer can only hard-link files it owns or may write.
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { RepoError } from '../errors';
import { CHECKSUM_SUFFIX, errno, fsError, keyPath } from './fsPaths';
import { CREATE_FLAGS, DIR_FLAGS, LINK_REASON, PROC_FD, READ_FLAGS, UPDATE_FLAGS, refusalReason, unsafe } from './fsSafeOpen';
import { openFolder, segments } from './fsWalk';

const MISSING = Symbol('missing');

/** The repository folder and the checks that keep every access inside it. */
export class FsRoot {
  private real?: Promise<string>;

  /** `shown` is the folder as the user named it (absolute). */
  constructor(readonly shown: string) {}

  /** realpath of the root, resolved once; NotFound while the folder does not exist (unless `create`). */
  realRoot(action: string, create = false): Promise<string> {
    this.real ??= fsp.realpath(this.shown);
    return this.real.catch(async (e) => {
      this.real = undefined; // a folder created later is found then
      if (errno(e) !== 'ENOENT') throw fsError(e, action, this.shown);
      if (!create) throw new RepoError('NotFound', action, this.shown, 'the repository folder does not exist', { cause: e });
      await fsp.mkdir(this.shown, { recursive: true }).catch((err) => { throw fsError(err, action, this.shown); });
      return this.realRoot(action);
    });
  }

  /** Whether the repository folder exists (a key in a missing folder is simply missing). */
  async exists(action: string): Promise<boolean> {
    try {
      await this.realRoot(action);
      return true;
    } catch (e) {
      if (e instanceof RepoError && e.code === 'NotFound') return false;
      throw e;
    }
  }

  /** Runs `fn` with a path that reaches the entries of folder `dirKey` (NotFound when the repository
   *  folder is missing); MISSING when the folder is. `key` names what it is for in errors. */
  private async inFolder<T>(dirKey: string, key: string, action: string, fn: (dirPath: string) => Promise<T>, create = false):
    Promise<T | typeof MISSING> {
    const root = await this.realRoot(action, create);
    keyPath(root, key, action); // InvalidName for '..', '.' and backslashes
    const folder = await openFolder(root, dirKey, key, action, create);
    if (!folder) return MISSING;
    try {
      return await fn(folder.path);
    } finally {
      await folder.close().catch(() => undefined);
    }
  }

  /** Runs `fn` with a path reaching the folder `dirKey` itself (a listing); undefined when it is
   *  missing, NotFound when the repository folder is. */
  async withDir<T>(dirKey: string, action: string, fn: (dirPath: string) => Promise<T>): Promise<T | undefined> {
    const r = await this.inFolder(dirKey, dirKey || '/', action, fn);
    return r === MISSING ? undefined : r;
  }

  /** Runs `fn` with a path reaching `key` in its folder; undefined when the folder (or the repository
   *  folder) is missing. Unsafe when a folder on the way is a symlink or a special file. */
  async at<T>(key: string, action: string, fn: (abs: string) => Promise<T>): Promise<T | undefined> {
    const segs = segments(key);
    if (segs.length === 0 || !(await this.exists(action))) return undefined;
    const r = await this.inFolder(segs.slice(0, -1).join('/'), key, action, (dir) => fn(path.join(dir, segs[segs.length - 1])));
    return r === MISSING ? undefined : r;
  }

  /** Like at(), for a write: missing folders are created. Retries when a concurrent delete pruned the
   *  folder (ENOENT). */
  async within<T>(key: string, action: string, fn: (abs: string) => Promise<T>): Promise<T> {
    const segs = segments(key);
    if (segs.length === 0) throw new RepoError('InvalidName', action, "''", 'the key is empty');
    for (let i = 0; ; i++) {
      try {
        const r = await this.inFolder(segs.slice(0, -1).join('/'), key, action, (dir) => fn(path.join(dir, segs[segs.length - 1])), true);
        if (r !== MISSING) return r;
        if (i >= 4) throw new RepoError('Storage', action, key, 'its folder keeps vanishing while it is being created');
      } catch (e) {
        if (errno(e) !== 'ENOENT' || i >= 4) throw e;
      }
    }
  }

  /** Opens the regular file at `key` for reading without following anything. 'missing' when it does
   *  not exist, 'dir' for a folder; Unsafe for a symlink, FIFO, socket or device. */
  async openFile(key: string, action: string): Promise<{ fh: FileHandle; st: Stats } | 'missing' | 'dir'> {
    return (await this.at(key, action, async (abs) => {
      let pre: Stats;
      try {
        pre = await fsp.lstat(abs);
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return 'missing';
        throw fsError(e, action, key);
      }
      if (pre.isDirectory()) return 'dir';
      const why = refusalReason(pre);
      if (why) throw unsafe(action, key, why); // never opened: a FIFO could block, a device act
      let fh: FileHandle;
      try {
        fh = await fsp.open(abs, READ_FLAGS);
      } catch (e) {
        if (errno(e) === 'ELOOP' || errno(e) === 'EMLINK') throw unsafe(action, key, LINK_REASON);
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return 'missing';
        throw fsError(e, action, key);
      }
      try {
        const st = await fh.stat();
        if (st.isDirectory()) {
          await fh.close();
          return 'dir';
        }
        const late = refusalReason(st);
        if (late) throw unsafe(action, key, late);
        await this.stillInside(abs, key, action, st);
        return { fh, st };
      } catch (e) {
        await fh.close().catch(() => undefined);
        throw e;
      }
    })) ?? 'missing';
  }

  /** Creates the new file `abs` (reached through at() or within()) exclusively, never through a symlink. */
  async createFile(abs: string, key: string, action: string, mode = 0o666): Promise<FileHandle> {
    const fh = await fsp.open(abs, CREATE_FLAGS, mode);
    try {
      await this.stillInside(abs, key, action, await fh.stat());
      return fh;
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Opens an existing scratch file (a partial upload) for reading and writing, never through a
   *  symlink; undefined when it is missing or not a regular file (the caller starts over). */
  async openScratch(abs: string, key: string, action: string): Promise<FileHandle | undefined> {
    const pre = await fsp.lstat(abs).catch(() => undefined);
    if (!pre?.isFile()) return undefined;
    let fh: FileHandle;
    try {
      fh = await fsp.open(abs, UPDATE_FLAGS);
    } catch {
      return undefined;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        await fh.close();
        return undefined;
      }
      await this.stillInside(abs, key, action, st);
      return fh;
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Without /proc a file is opened by its checked path: after the open its folder must still check
   *  clean and the path must show the same inode, else a folder was swapped for a symlink meanwhile. */
  private async stillInside(abs: string, key: string, action: string, st: Stats): Promise<void> {
    if (PROC_FD) return; // reached through the folder's descriptor: nothing can have moved
    const segs = segments(key);
    const folder = await openFolder(await this.realRoot(action), segs.slice(0, -1).join('/'), key, action, false);
    const now = folder && await fsp.lstat(abs).catch(() => undefined);
    if (!now || now.ino !== st.ino || now.dev !== st.dev) {
      throw unsafe(action, key, 'reached through a symbolic link (a folder changed while it was opened)');
    }
  }

  /** Removes the empty folder `dirKey` and then its empty parents up to the root, as S3 "folders"
   *  vanish when empty; never through a symlink. */
  async pruneEmpty(dirKey: string): Promise<void> {
    if (!(await this.exists('delete').catch(() => false))) return;
    for (let segs = segments(dirKey); segs.length > 0; segs = segs.slice(0, -1)) {
      const removed = await this.at(segs.join('/'), 'delete', async (abs) => {
        try {
          await fsp.rmdir(abs); // a symlink is never removed this way (ENOTDIR)
          return true;
        } catch (e) {
          if (errno(e) !== 'ENOTEMPTY' && errno(e) !== 'EEXIST') return false;
          if (!(await dropOrphanChecksums(abs))) return false;
          return fsp.rmdir(abs).then(() => true, () => false);
        }
      }).catch(() => false);
      if (removed !== true) return;
    }
  }
}

/** Removes checksum sidecars whose file is gone (a crash between renaming the sidecar and the file);
 *  true when nothing else is left in the folder `dir`. */
async function dropOrphanChecksums(dir: string): Promise<boolean> {
  const fh = await fsp.open(dir, DIR_FLAGS).catch(() => undefined);
  if (!fh) return false;
  try {
    const at = PROC_FD ? `${PROC_FD}/${fh.fd}` : dir;
    const names = await fsp.readdir(at);
    const orphans = names.filter((n) => n.startsWith('.') && n.endsWith(CHECKSUM_SUFFIX)
      && !names.includes(n.slice(1, -CHECKSUM_SUFFIX.length)));
    if (orphans.length !== names.length) return false;
    await Promise.all(orphans.map((n) => fsp.unlink(path.join(at, n)).catch(() => undefined)));
    return true;
  } catch {
    return false;
  } finally {
    await fh.close().catch(() => undefined);
  }
}
