// The filesystem backend: a local folder or an NFS/CephFS mount laid out exactly like the bucket, so
// `ls -l tags/` shows `latest -> v2`. Tags are real relative symlinks; moving one is compare-and-swap
// under a lock file (fsLock.ts): check the current link, create the new one under a temp name, rename()
// it into place. Small objects are written to a temp name and renamed (or hard-linked for ifAbsent),
// so readers never see half a file. Listings behave like S3 ListObjectsV2: sorted, delimited, paged
// by a cursor that is the last key returned; empty folders are pruned on delete.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { RepoError } from '../errors';
import type { FsConnectionConfig } from '../connections/types';
import type { LinkExpectation, LinkInfo, ListOptions, ListPage, ObjectInfo, PutOptions, Storage } from './storage';
import { META_SUFFIX, TMP_SUFFIX, errno, fsError, isScratchName, keyPath, pruneEmpty, randomSuffix, scratchPath, throwIfAborted, withParent } from './fsPaths';
import { withLock } from './fsLock';
import { fsAbortUploads, fsDownloadFile, fsListPartialUploads, fsUploadFile, fsUploadStream } from './fsTransfer';

const DEFAULT_PAGE = 1000;
const MAX_LINK_READ = 4096;

function objectInfo(key: string, st: Stats): ObjectInfo {
  return { key, size: st.size, modified: st.mtime, etag: `${st.ino}-${st.size}-${st.mtimeMs}` };
}

interface Entry { readonly key: string; readonly dir: boolean; readonly abs: string }

export function createFsStorage(cfg: FsConnectionConfig): Storage {
  if (!path.isAbsolute(cfg.path)) throw new RepoError('Config', 'open', cfg.path, 'the repository folder must be an absolute path');
  const root = path.resolve(cfg.path);
  const p = (key: string, action?: string): string => keyPath(root, key, action);

  /** All entries one level (delimited) or all files below (recursive) matching `prefix`, sorted by key. */
  async function entries(prefix: string, delimited: boolean, signal?: AbortSignal): Promise<Entry[]> {
    const cut = prefix.lastIndexOf('/');
    const dirKey = cut >= 0 ? prefix.slice(0, cut + 1) : '';
    const namePrefix = prefix.slice(dirKey.length);
    const out: Entry[] = [];
    const walk = async (abs: string, keyDir: string, filter: string): Promise<void> => {
      throwIfAborted(signal, 'list', prefix || '/');
      let ents;
      try {
        ents = await fsp.readdir(abs, { withFileTypes: true });
      } catch (e) {
        if ((errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') && abs !== root) return; // no such "folder": nothing in it
        throw errno(e) === 'ENOENT' ? new RepoError('NotFound', 'list', root, 'the repository folder does not exist', { cause: e })
          : fsError(e, 'list', prefix || root);
      }
      for (const ent of ents) {
        if (!ent.name.startsWith(filter) || isScratchName(ent.name)) continue;
        const childAbs = path.join(abs, ent.name);
        const key = keyDir + ent.name;
        if (ent.isDirectory()) {
          if (delimited) out.push({ key: `${key}/`, dir: true, abs: childAbs });
          else await walk(childAbs, `${key}/`, '');
        } else {
          out.push({ key, dir: false, abs: childAbs });
        }
      }
    };
    await walk(p(dirKey, 'list'), dirKey, namePrefix);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async function list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const all = await entries(prefix, options.delimited !== false, options.signal);
    const after = options.cursor;
    const start = after === undefined ? 0 : all.findIndex((e) => e.key > after);
    const rest = start < 0 ? [] : all.slice(start);
    const limit = Math.max(1, options.limit ?? DEFAULT_PAGE);
    const page = rest.slice(0, limit);
    const prefixes: string[] = [];
    const objects: ObjectInfo[] = [];
    for (const e of page) {
      if (e.dir) {
        prefixes.push(e.key);
        continue;
      }
      const st = await fsp.lstat(e.abs).catch(() => undefined);
      if (st) objects.push(objectInfo(e.key, st));
    }
    return { prefixes, objects, cursor: rest.length > limit ? page[page.length - 1].key : undefined };
  }

  async function stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fsp.stat(p(key, 'stat')).catch(async (e) => {
        if (errno(e) === 'ENOENT') return fsp.lstat(p(key)); // a dangling symlink still is an object
        throw e;
      });
      return st.isDirectory() ? undefined : objectInfo(key, st);
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
      throw fsError(e, 'stat', key);
    }
  }

  async function read(key: string, range?: { start: number; end?: number }, signal?: AbortSignal): Promise<Readable> {
    throwIfAborted(signal, 'read', key);
    try {
      const fh = await fsp.open(p(key, 'read'), 'r');
      return fh.createReadStream({ start: range?.start, end: range?.end, signal });
    } catch (e) {
      throw fsError(e, 'read', key);
    }
  }

  async function readText(key: string): Promise<string | undefined> {
    try {
      return await fsp.readFile(p(key, 'read'), 'utf8');
    } catch (e) {
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errno(e) ?? '')) return undefined;
      throw fsError(e, 'read', key);
    }
  }

  async function putText(key: string, body: string, options: PutOptions = {}): Promise<ObjectInfo> {
    throwIfAborted(options.signal, 'write', key);
    const dest = p(key, 'write');
    const tmp = scratchPath(dest, `.${randomSuffix()}${TMP_SUFFIX}`);
    try {
      await withParent(tmp, () => fsp.writeFile(tmp, body));
      if (options.ifAbsent) {
        // link() fails with EEXIST if the name is taken, and publishes the whole file at once.
        await fsp.link(tmp, dest).catch(async (e) => {
          if (errno(e) === 'EEXIST') throw new RepoError('Exists', 'write', key, 'it already exists');
          if (errno(e) !== 'EPERM' && errno(e) !== 'ENOTSUP') throw e;
          await fsp.writeFile(dest, body, { flag: 'wx' }); // filesystems without hard links
        });
        await fsp.unlink(tmp).catch(() => undefined);
      } else {
        await fsp.rename(tmp, dest);
      }
      return objectInfo(key, await fsp.stat(dest));
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw fsError(e, 'write', key);
    }
  }

  async function del(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      throwIfAborted(signal, 'delete', key);
      const abs = p(key, 'delete');
      try {
        await fsp.unlink(abs);
      } catch (e) {
        if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') throw fsError(e, 'delete', key);
      }
      dirs.add(path.dirname(abs));
    }
    // Deepest first, so a parent is tried after its children.
    for (const d of [...dirs].sort((a, b) => b.length - a.length)) await pruneEmpty(root, d);
  }

  async function readLinkAt(abs: string, key: string): Promise<LinkInfo | undefined> {
    let st: Stats;
    try {
      st = await fsp.lstat(abs, { bigint: false });
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
      throw fsError(e, 'read tag', key);
    }
    let target: string;
    if (st.isSymbolicLink()) {
      target = await fsp.readlink(abs, 'utf8');
    } else if (st.isFile()) {
      // A tag copied from S3 (aws s3 sync) or written by hand: a small file holding the link text.
      const fh = await fsp.open(abs, 'r');
      try {
        const buf = Buffer.alloc(Math.min(st.size, MAX_LINK_READ));
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        target = buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await fh.close();
      }
    } else {
      throw new RepoError('BrokenLink', 'read tag', key, 'it is a folder, not a link');
    }
    const digest = createHash('sha256').update(target).digest('hex').slice(0, 16);
    return { target, token: `${st.ino}-${st.mtimeMs}-${digest}` };
  }

  async function readLink(key: string): Promise<LinkInfo | undefined> {
    return readLinkAt(p(key, 'read tag'), key);
  }

  /** What a Conflict reports: the current link text, its token, and the metadata its writer left. */
  async function conflictDetails(abs: string, current: LinkInfo | undefined): Promise<Record<string, unknown>> {
    let currentMeta: Record<string, string> | undefined;
    try {
      const m = JSON.parse(await fsp.readFile(scratchPath(abs, META_SUFFIX), 'utf8')) as { target: string; meta: Record<string, string> };
      if (current && m.target === current.target) currentMeta = m.meta;
    } catch {
      currentMeta = undefined;
    }
    return { current: current?.target, currentToken: current?.token, currentMeta };
  }

  async function writeLink(key: string, target: string, expect: LinkExpectation, meta?: Record<string, string>): Promise<LinkInfo> {
    const abs = p(key, 'write tag');
    return withLock(abs, key, async () => {
      const current = await readLinkAt(abs, key);
      const ok = 'absent' in expect ? current === undefined : current?.token === expect.token;
      if (!ok) {
        throw new RepoError('Conflict', 'write tag', key,
          current ? `it now points at '${current.target}'` : 'it no longer exists', { details: await conflictDetails(abs, current) });
      }
      const tmp = scratchPath(abs, `.${randomSuffix()}${TMP_SUFFIX}`);
      try {
        const metaPath = scratchPath(abs, META_SUFFIX);
        if (meta) {
          await withParent(tmp, () => fsp.writeFile(tmp, JSON.stringify({ target, meta })));
          await fsp.rename(tmp, metaPath);
        } else {
          await fsp.unlink(metaPath).catch(() => undefined);
        }
        await withParent(tmp, () => fsp.symlink(target, tmp));
        await fsp.rename(tmp, abs);
      } catch (e) {
        await fsp.unlink(tmp).catch(() => undefined);
        throw fsError(e, 'write tag', key);
      }
      const written = await readLinkAt(abs, key);
      if (!written) throw new RepoError('Storage', 'write tag', key, 'the link vanished right after it was written');
      return written;
    });
  }

  async function deleteLink(key: string, expect: { readonly token: string }): Promise<void> {
    const abs = p(key, 'delete tag');
    await withLock(abs, key, async () => {
      const current = await readLinkAt(abs, key);
      if (current?.token !== expect.token) {
        throw new RepoError('Conflict', 'delete tag', key,
          current ? `it now points at '${current.target}'` : 'it no longer exists', { details: await conflictDetails(abs, current) });
      }
      await fsp.unlink(abs).catch((e) => { throw fsError(e, 'delete tag', key); });
      await fsp.unlink(scratchPath(abs, META_SUFFIX)).catch(() => undefined);
    });
    await pruneEmpty(root, path.dirname(abs));
  }

  return {
    kind: 'fs',
    root,
    list,
    stat,
    read,
    readText,
    putText,
    uploadFile: (key, localPath, options) => fsUploadFile(root, key, localPath, options),
    uploadStream: (key, body, size, options) => fsUploadStream(root, key, body, size, options),
    downloadFile: (key, localPath, options) => fsDownloadFile(root, key, localPath, options),
    abortUploads: (key) => fsAbortUploads(root, key),
    listPartialUploads: (prefix) => fsListPartialUploads(root, prefix),
    delete: del,
    readLink,
    writeLink,
    deleteLink,
    shareUrl: async (key) => {
      const abs = p(key, 'share');
      if (!(await stat(key))) throw new RepoError('NotFound', 'share', key, 'it does not exist');
      return pathToFileURL(abs).href;
    },
    listBuckets: async () => [],
    readChecksum: async () => undefined,
  };
}
