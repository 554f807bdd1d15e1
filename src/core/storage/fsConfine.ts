// Confinement of the filesystem backend to its repository folder. The folder is shared: other people,
// and sometimes an attacker, write into it, so a key must never reach outside it (rsync --safe-links,
// git with an untrusted tree). The root is resolved with realpath once (the user named it, so a root
// that is a symlink is fine); below it nothing is followed:
//   - every folder on the way to a key must be a real folder: realpath(parent) must equal the lexical
//     path, else the first symlink on the way is named in an Unsafe error;
//   - files are opened with O_NOFOLLOW | O_NONBLOCK (a symlink is never followed, a FIFO never blocks)
//     and must be regular files (fstat); on Linux the opened descriptor's path (/proc/self/fd/N) must
//     be the lexical path, which catches a folder swapped for a symlink between check and open;
//   - folders are opened the same way (O_DIRECTORY | O_NOFOLLOW) and read through /proc/self/fd/N;
//   - missing parents of a write are created one level at a time (mkdir never follows a symlink at its
//     last component), then checked again.
// Symlinks are only ever read as link text (readlink) in `<model>/tags/`, never followed.
// Gaps that remain (time of check to time of use; noted for reviewers):
//   - lstat/unlink/rename/mkdir/rmdir go by path: a folder swapped for a symlink in the instant between
//     the check and that call can make it act (metadata read, an unlink, a rename of our own temp file,
//     an empty folder created or removed) in the folder the symlink points at. Reads and newly created
//     files are verified through their descriptor on Linux; elsewhere they are only checked before and
//     (for reads) by inode after the open, and folders are listed by path right after the check.
//   - the rename() that publishes a temp file goes by path too: a folder swapped in that instant makes
//     the rename fail (our temp file is not there) unless the swapper planted a file of the same random
//     name in the other folder, in which case only their own file moves within that folder.
//   - hard links cannot be told from the original file; with fs.protected_hardlinks=1 (the Linux
//     default) a writer can only hard-link files it owns or may write.
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { RepoError } from '../errors';
import { showName } from '../names';
import { CHECKSUM_SUFFIX, errno, fsError, keyPath } from './fsPaths';
import { CREATE_FLAGS, DIR_FLAGS, LINK_REASON, PROC_FD, READ_FLAGS, UPDATE_FLAGS, refusalReason, unsafe, verifyOpened } from './fsSafeOpen';

export function isBelow(root: string, p: string): boolean {
  return p !== root && p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function segments(key: string): string[] {
  return key.split('/').filter((s) => s.length > 0);
}

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

  /** The lexical path of `key` below the real root (InvalidName for '..', '.' or backslashes). */
  async pathOf(key: string, action: string, create = false): Promise<string> {
    return keyPath(await this.realRoot(action, create), key, action);
  }

  /** Checks that the first `depth` segments of `key` are real folders. 'missing' when one does not
   *  exist (or is a file); Unsafe naming the first symlink or special file on the way. */
  async folders(key: string, depth: number, action: string): Promise<'ok' | 'missing'> {
    const root = await this.realRoot(action);
    const segs = segments(key);
    if (depth <= 0) return 'ok';
    const dir = path.join(root, ...segs.slice(0, depth));
    try {
      if (await fsp.realpath(dir) === dir) return 'ok';
    } catch (e) {
      if (!['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errno(e) ?? '')) throw fsError(e, action, key);
    }
    // Walk it to name the culprit (or learn that it is missing, or differs only in letter case).
    let cur = root;
    for (let i = 0; i < depth; i++) {
      cur = path.join(cur, segs[i]);
      let st: Stats;
      try {
        st = await fsp.lstat(cur);
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return 'missing';
        throw fsError(e, action, key);
      }
      if (st.isDirectory()) continue;
      if (st.isFile()) return 'missing';
      throw unsafe(action, key, refusalReason(st) ?? 'not a folder', segs.slice(0, i + 1).join('/'));
    }
    return 'ok';
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

  /** Path of `key` when every folder above it is real; undefined when one of them (or the repository
   *  folder) is missing. */
  async checkedPath(key: string, action: string): Promise<string | undefined> {
    if (!(await this.exists(action))) return undefined;
    const abs = await this.pathOf(key, action);
    return (await this.folders(key, segments(key).length - 1, action)) === 'ok' ? abs : undefined;
  }

  /** Path of the folder `dirKey` when it and every folder above it are real; undefined when missing. */
  async checkedDir(dirKey: string, action: string): Promise<string | undefined> {
    if (!(await this.exists(action))) return undefined;
    const abs = await this.pathOf(dirKey, action);
    return (await this.folders(dirKey, segments(dirKey).length, action)) === 'ok' ? abs : undefined;
  }

  /** Path of `key` for a write: the folders above it are created one level at a time, never through a
   *  symlink, then checked again. */
  async writablePath(key: string, action: string): Promise<string> {
    const abs = await this.pathOf(key, action, true);
    const segs = segments(key);
    const depth = segs.length - 1;
    if (await this.folders(key, depth, action) === 'ok') return abs;
    let cur = await this.realRoot(action);
    for (let i = 0; i < depth; i++) {
      cur = path.join(cur, segs[i]);
      try {
        await fsp.mkdir(cur);
        continue;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw fsError(e, action, key);
      }
      const st = await fsp.lstat(cur).catch((e) => { throw fsError(e, action, key); });
      if (st.isDirectory()) continue;
      const where = segs.slice(0, i + 1).join('/');
      if (st.isFile()) throw new RepoError('Exists', action, showName(key), `${showName(where)} is a file, not a folder`);
      throw unsafe(action, key, refusalReason(st) ?? 'not a folder', where);
    }
    if (await this.folders(key, depth, action) !== 'ok') {
      const e = Object.assign(new Error('a folder vanished while it was being created'), { code: 'ENOENT' });
      throw e; // withParent retries: a concurrent delete pruned the new folder
    }
    return abs;
  }

  /** Runs `fn` on the writable path of `key`; retries when a concurrent delete pruned the folder. */
  async within<T>(key: string, action: string, fn: (abs: string) => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      const abs = await this.writablePath(key, action);
      try {
        return await fn(abs);
      } catch (e) {
        if (errno(e) !== 'ENOENT' || i >= 4) throw e;
      }
    }
  }

  /** Opens the regular file at `key` for reading without following anything. 'missing' when it does
   *  not exist, 'dir' for a folder; Unsafe for a symlink, FIFO, socket or device. */
  async openFile(key: string, action: string): Promise<{ fh: FileHandle; st: Stats } | 'missing' | 'dir'> {
    const abs = await this.checkedPath(key, action);
    if (abs === undefined) return 'missing';
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
      await verifyOpened(fh, abs, action, key, st);
      return { fh, st };
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Runs `fn` with a path that reads the folder at `key` (its descriptor's /proc path on Linux), or
   *  returns undefined when the folder does not exist. Unsafe when it or a folder above is a symlink. */
  async withDir<T>(key: string, action: string, fn: (dirPath: string) => Promise<T>): Promise<T | undefined> {
    const abs = await this.pathOf(key, action);
    if (await this.folders(key, segments(key).length, action) !== 'ok') return undefined;
    // Without /proc there is no way to read a folder through its descriptor: read it by path, checked
    // just before (Windows cannot open a folder as a file anyway).
    if (!PROC_FD) return fn(abs);
    let fh: FileHandle;
    try {
      fh = await fsp.open(abs, DIR_FLAGS);
    } catch (e) {
      if (['ELOOP', 'EMLINK', 'ENOTDIR'].includes(errno(e) ?? '')) {
        const st = await fsp.lstat(abs).catch(() => undefined);
        if (st?.isSymbolicLink()) throw unsafe(action, key, LINK_REASON);
        return undefined;
      }
      if (errno(e) === 'ENOENT') return undefined;
      throw fsError(e, action, key || '/');
    }
    try {
      await verifyOpened(fh, abs, action, key, await fh.stat());
      return await fn(`${PROC_FD}/${fh.fd}`);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** Creates the new file `abs` (a temp or scratch name next to `key`) exclusively, never through a
   *  symlink; on Linux checks that it was created where it was meant to be. */
  async createFile(abs: string, key: string, action: string, mode = 0o666): Promise<FileHandle> {
    const fh = await fsp.open(abs, CREATE_FLAGS, mode);
    try {
      await verifyOpened(fh, abs, action, key, await fh.stat());
      return fh;
    } catch (e) {
      const real = PROC_FD ? await fsp.readlink(`${PROC_FD}/${fh.fd}`).catch(() => undefined) : undefined;
      await fh.close().catch(() => undefined);
      if (real !== undefined) await fsp.unlink(real).catch(() => undefined); // ours: created exclusively
      throw e;
    }
  }

  /** Opens an existing scratch file next to `key` (a partial upload) for reading and writing, never
   *  through a symlink; undefined when it is missing or not a regular file (the caller starts over). */
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
      await verifyOpened(fh, abs, action, key, st);
      return fh;
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Removes empty folders from `dir` up to (not including) the root, as S3 "folders" vanish when
   *  empty; never through a symlink. */
  async pruneEmpty(dir: string): Promise<void> {
    const root = await this.realRoot('delete').catch(() => undefined);
    if (root === undefined) return;
    for (let d = dir; isBelow(root, d); d = path.dirname(d)) {
      try {
        if (await fsp.realpath(d) !== d) return;
        await fsp.rmdir(d).catch(async (e) => {
          if (errno(e) !== 'ENOTEMPTY' && errno(e) !== 'EEXIST') throw e;
          if (!(await dropOrphanChecksums(d))) throw e;
          await fsp.rmdir(d);
        });
      } catch {
        return; // not empty, gone already, or not ours to remove
      }
    }
  }
}

/** Removes checksum sidecars whose file is gone (a crash between renaming the sidecar and the file);
 *  true when nothing else is left in `dir`. */
async function dropOrphanChecksums(dir: string): Promise<boolean> {
  const names = await fsp.readdir(dir);
  const orphans = names.filter((n) => n.startsWith('.') && n.endsWith(CHECKSUM_SUFFIX)
    && !names.includes(n.slice(1, -CHECKSUM_SUFFIX.length)));
  if (orphans.length !== names.length) return false;
  await Promise.all(orphans.map((n) => fsp.unlink(path.join(dir, n)).catch(() => undefined)));
  return true;
}
