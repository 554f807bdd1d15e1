// The filesystem backend: a local folder or an NFS/CephFS mount laid out exactly like the bucket, so
// `ls -l tags/` shows `latest -> v2` (fsLinks.ts). The folder is shared and not trusted: every access
// stays inside it (fsConfine.ts): no symlink is followed except as the text of a tag link, and FIFOs,
// sockets and devices are never opened. Small objects are written to a temp name and renamed (or
// hard-linked for ifAbsent), so readers never see half a file; a compare-and-swap put (ifMatch) holds
// the lock file of the key (fsLock.ts). Listings behave like S3 ListObjectsV2 (fsList.ts); empty
// folders are pruned on delete.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { RepoError } from '../errors';
import type { FsConnectionConfig } from '../connections/types';
import { MAX_TEXT_BYTES } from './storage';
import type { ListOptions, ListPage, ObjectInfo, PutOptions, Storage } from './storage';
import { FsRoot } from './fsConfine';
import { isTagKey, readAll, refusalReason, unsafe } from './fsSafeOpen';
import { dropChecksum, fsReadChecksum } from './fsChecksum';
import { fsDownloadFile } from './fsDownload';
import { fsDeleteLink, fsReadLink, fsWriteLink } from './fsLinks';
import { listPage, objectInfo } from './fsList';
import { withLock } from './fsLock';
import { TMP_SUFFIX, errno, fsError, keyPath, randomSuffix, scratchPath, throwIfAborted } from './fsPaths';
import { fsAbortUploads, fsListPartialUploads, fsUploadFile, fsUploadStream } from './fsTransfer';

export function createFsStorage(cfg: FsConnectionConfig): Storage {
  if (!path.isAbsolute(cfg.path)) throw new RepoError('Config', 'open', cfg.path, 'the repository folder must be an absolute path');
  const fs = new FsRoot(path.resolve(cfg.path));

  async function stat(key: string): Promise<ObjectInfo | undefined> {
    return fs.at(key, 'stat', async (abs) => {
      try {
        const st = await fsp.lstat(abs);
        if (st.isDirectory()) return undefined;
        if (st.isFile() || (st.isSymbolicLink() && isTagKey(key))) return objectInfo(key, st); // a tag: the link itself
        throw unsafe('stat', key, refusalReason(st) ?? 'not a regular file');
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
        throw fsError(e, 'stat', key);
      }
    });
  }

  async function read(key: string, range?: { start: number; end?: number }, signal?: AbortSignal): Promise<Readable> {
    throwIfAborted(signal, 'read', key);
    const opened = await fs.openFile(key, 'read');
    if (opened === 'missing' || opened === 'dir') throw new RepoError('NotFound', 'read', key, 'it does not exist');
    return opened.fh.createReadStream({ start: range?.start, end: range?.end, signal });
  }

  async function readText(key: string): Promise<string | undefined> {
    const opened = await fs.openFile(key, 'read');
    if (opened === 'missing' || opened === 'dir') return undefined;
    try {
      const tooBig = (n: string): RepoError => new RepoError('Corrupt', 'read', key,
        `it holds ${n} bytes, more than any record this tool writes (at most ${MAX_TEXT_BYTES})`);
      if (opened.st.size > MAX_TEXT_BYTES) throw tooBig(String(opened.st.size));
      const bytes = await readAll(opened.fh, MAX_TEXT_BYTES, opened.st.size);
      if (bytes === undefined) throw tooBig('more than that'); // it grew while being read
      return bytes.toString('utf8');
    } catch (e) {
      throw fsError(e, 'read', key);
    } finally {
      await opened.fh.close().catch(() => undefined);
    }
  }

  /** Writes `body` to a temp name next to `dest` and publishes it whole. */
  async function writeText(dest: string, key: string, body: string, ifAbsent: boolean): Promise<ObjectInfo> {
    const tmp = scratchPath(dest, `.${randomSuffix()}${TMP_SUFFIX}`);
    try {
      const fh = await fs.createFile(tmp, key, 'write');
      try {
        await fh.writeFile(body);
      } finally {
        await fh.close();
      }
      if (ifAbsent) {
        // link() fails with EEXIST if the name is taken (even by a symlink), and publishes the whole file at once.
        await fsp.link(tmp, dest).catch(async (e) => {
          if (errno(e) === 'EEXIST') throw new RepoError('Exists', 'write', key, 'it already exists');
          if (errno(e) !== 'EPERM' && errno(e) !== 'ENOTSUP') throw e;
          const fh2 = await fs.createFile(dest, key, 'write').catch((err) => { // filesystems without hard links: O_EXCL
            throw errno(err) === 'EEXIST' ? new RepoError('Exists', 'write', key, 'it already exists') : err;
          });
          try {
            await fh2.writeFile(body);
          } finally {
            await fh2.close();
          }
        });
        await fsp.unlink(tmp).catch(() => undefined);
        await dropChecksum(dest); // a stale sidecar of an earlier file of that name
      } else {
        await dropChecksum(dest);
        await fsp.rename(tmp, dest);
      }
      return objectInfo(key, await fsp.lstat(dest));
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  async function putText(key: string, body: string, options: PutOptions = {}): Promise<ObjectInfo> {
    throwIfAborted(options.signal, 'write', key);
    const ifMatch = options.ifMatch;
    try {
      if (ifMatch === undefined) return await fs.within(key, 'write', (dest) => writeText(dest, key, body, options.ifAbsent === true));
      return await withLock(fs, key, 'write', async (dest) => {
        const cur = await fsp.lstat(dest).catch((e) => {
          if (errno(e) === 'ENOENT') return undefined;
          throw e;
        });
        if (cur && !cur.isFile()) throw unsafe('write', key, refusalReason(cur) ?? 'a folder, not a file');
        const etag = cur && objectInfo(key, cur).etag;
        if (etag !== ifMatch) {
          throw new RepoError('Conflict', 'write', key, cur ? 'it was changed by someone else since it was read' : 'it no longer exists',
            { details: { expected: ifMatch, current: etag } });
        }
        return writeText(dest, key, body, false);
      });
    } catch (e) {
      throw fsError(e, 'write', key);
    }
  }

  async function del(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    if (keys.length === 0 || !(await fs.exists('delete'))) return;
    const dirs = new Set<string>();
    for (const key of keys) {
      throwIfAborted(signal, 'delete', key);
      // Only the folders above are checked: unlinking a symlink or a FIFO removes that entry itself.
      const found = await fs.at(key, 'delete', async (abs) => {
        try {
          await fsp.unlink(abs);
        } catch (e) {
          if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') throw fsError(e, 'delete', key);
        }
        await dropChecksum(abs);
        return true;
      });
      if (found) dirs.add(key.slice(0, key.lastIndexOf('/') + 1));
    }
    // Deepest first, so a parent is tried after its children.
    for (const d of [...dirs].sort((a, b) => b.length - a.length)) await fs.pruneEmpty(d);
  }

  return {
    kind: 'fs',
    root: fs.shown,
    list: (prefix: string, options?: ListOptions): Promise<ListPage> => listPage(fs, prefix, options),
    stat,
    read,
    readText,
    putText,
    uploadFile: (key, localPath, options) => fsUploadFile(fs, key, localPath, options),
    uploadStream: (key, body, size, options) => fsUploadStream(fs, key, body, size, options),
    downloadFile: (key, localPath, options) => fsDownloadFile(fs, key, localPath, options),
    readChecksum: (key) => fsReadChecksum(fs, key),
    abortUploads: (key) => fsAbortUploads(fs, key),
    listPartialUploads: (prefix) => fsListPartialUploads(fs, prefix),
    delete: del,
    readLink: (key) => fsReadLink(fs, key),
    writeLink: (key, target, expect, meta) => fsWriteLink(fs, key, target, expect, meta),
    deleteLink: (key, expect) => fsDeleteLink(fs, key, expect),
    shareUrl: async (key) => {
      const opened = await fs.openFile(key, 'share');
      if (opened === 'missing' || opened === 'dir') throw new RepoError('NotFound', 'share', key, 'it does not exist');
      await opened.fh.close();
      return pathToFileURL(keyPath(fs.shown, key, 'share')).href;
    },
  };
}
