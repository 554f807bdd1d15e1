// Uploads for the filesystem backend. Both hash with sha256 in the same pass that copies, write to a
// hidden name and rename() into place, so a reader never sees half a file; the checksum sidecar
// (fsChecksum.ts) is renamed into place just before the file. An uploaded file keeps the mode bits of
// the local file (& 0o777: no setuid, setgid or sticky bit).
// An interrupted upload leaves `.<name>.modelrepo-partial` plus a sidecar recording the local file's
// size and mtime; the next upload of the same local file hashes the already-written prefix from the
// local file (no rewrite) and appends the rest. An AbortSignal abort deletes the partial.
// A stream upload (uploadStream) is not resumable: it writes a hidden temp file and renames it into
// place only when the length and the sha256 are right; any failure deletes the temp file.
// Every file in the repository is created exclusively and opened without following symlinks, inside
// folders checked by fsConfine.ts.
import { createHash } from 'node:crypto';
import { constants as C, promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { RepoError, isAbort } from '../errors';
import type { StreamUploadOptions, UploadOptions, UploadResult } from './storage';
import type { FsRoot } from './fsConfine';
import { writeChecksum } from './fsChecksum';
import { CHUNK, MODE_BITS, copyRange, hashRange, sameTail, writeAll, writeJsonAtomic } from './fsCopy';
import { PARTIAL_SUFFIX, SIDECAR_SUFFIX, TMP_SUFFIX, errno, fsError, isScratchName, randomSuffix, scratchPath, throwIfAborted } from './fsPaths';
import { readSmall } from './fsSafeOpen';
import { BodyReader } from './streamBody';

interface Sidecar {
  readonly localPath: string;
  readonly size: number;
  readonly mtimeMs: number;
}

async function removeQuietly(...paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => fsp.unlink(p).catch(() => undefined)));
}

/** Opens the local file to upload: a regular file, opened so that a FIFO swapped in cannot block. */
async function openLocal(localPath: string): Promise<{ fh: FileHandle; st: Stats }> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(localPath, C.O_RDONLY | (C.O_NONBLOCK ?? 0));
  } catch (e) {
    throw fsError(e, 'read', localPath, true);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new RepoError('InvalidName', 'upload', localPath, 'it is not a regular file');
  }
  return { fh, st };
}

/** The partial of an earlier run of the same local file, opened to append, or undefined (and any
 *  stale partial removed). */
async function resumable(root: FsRoot, key: string, partial: string, sidecar: string, local: Stats, src: FileHandle):
  Promise<{ fh: FileHandle; offset: number } | undefined> {
  let side: Sidecar | undefined;
  try {
    side = JSON.parse((await readSmall(sidecar, 64 * 1024))?.toString('utf8') ?? 'null') as Sidecar | undefined;
  } catch {
    side = undefined;
  }
  const fh = await root.openScratch(partial, key, 'upload');
  if (fh) {
    const size = (await fh.stat()).size;
    if (side && side.size === local.size && side.mtimeMs === local.mtimeMs && size <= local.size && size > 0
      && await sameTail(fh, src, size)) return { fh, offset: size };
    await fh.close();
  }
  await removeQuietly(partial);
  return undefined;
}

/** Removes the scratch files of `key` named by `names` (suffixes of scratchPath), quietly. */
async function dropScratch(root: FsRoot, key: string, ...suffixes: string[]): Promise<void> {
  await root.at(key, 'upload', (abs) => removeQuietly(...suffixes.map((s) => scratchPath(abs, s)))).catch(() => undefined);
}

export async function fsUploadFile(root: FsRoot, key: string, localPath: string, options: UploadOptions = {}): Promise<UploadResult> {
  const signal = options.signal;
  throwIfAborted(signal, 'upload', key);
  const { fh: src, st: local } = await openLocal(localPath);
  const total = local.size;
  const keep = options.resumable !== false;
  const hash = createHash('sha256');
  let out: FileHandle | undefined;
  try {
    // The partial (an earlier run's, or a new one) is opened in its folder; the copy needs no folder.
    out = await root.within(key, 'upload', async (abs) => {
      const partial = scratchPath(abs, PARTIAL_SUFFIX);
      const sidecar = scratchPath(abs, SIDECAR_SUFFIX);
      const earlier = keep ? await resumable(root, key, partial, sidecar, local, src) : undefined;
      if (earlier) return earlier.fh;
      await removeQuietly(partial);
      const fh = await root.createFile(partial, key, 'upload');
      try {
        const side: Sidecar = { localPath: path.resolve(localPath), size: local.size, mtimeMs: local.mtimeMs };
        await writeJsonAtomic(sidecar, side, (tmp) => root.createFile(tmp, key, 'upload'));
        return fh;
      } catch (e) {
        await fh.close().catch(() => undefined); // within() may try again
        throw e;
      }
    });
    const dst = out;
    const offset = (await dst.stat()).size;
    await hashRange(src, offset, hash, signal);
    options.onProgress?.({ stored: offset, total, resumed: offset });
    const end = await copyRange({
      src, dst, from: offset, to: total, hash, signal, object: key,
      onWritten: (pos) => options.onProgress?.({ stored: pos, total, resumed: offset }),
      readError: (e) => fsError(e, 'read', localPath, true),
      writeError: (e) => fsError(e, 'upload', key),
    });
    await dst.chmod(local.mode & MODE_BITS);
    await dst.datasync();
    await dst.close();
    out = undefined;
    const after = await src.stat();
    if (end !== total || after.size !== local.size || after.mtimeMs !== local.mtimeMs) {
      await dropScratch(root, key, PARTIAL_SUFFIX, SIDECAR_SUFFIX);
      throw new RepoError('Integrity', 'upload', localPath, 'the local file changed while it was being uploaded');
    }
    const sha256 = hash.digest('hex');
    await root.within(key, 'upload', async (dest) => {
      await writeChecksum(root, dest, key, sha256, total);
      await fsp.rename(scratchPath(dest, PARTIAL_SUFFIX), dest);
      await removeQuietly(scratchPath(dest, SIDECAR_SUFFIX));
    });
    return { key, size: total, sha256, resumedBytes: offset };
  } catch (e) {
    await out?.close().catch(() => undefined);
    if (isAbort(e) || signal?.aborted) {
      await dropScratch(root, key, PARTIAL_SUFFIX, SIDECAR_SUFFIX);
      throw new RepoError('Aborted', 'upload', key, 'cancelled', { cause: e });
    }
    if (!keep) await dropScratch(root, key, PARTIAL_SUFFIX, SIDECAR_SUFFIX);
    throw fsError(e, 'upload', key);
  } finally {
    await src.close().catch(() => undefined);
  }
}

export async function fsUploadStream(root: FsRoot, key: string, body: Readable, size: number,
  options: StreamUploadOptions = {}): Promise<UploadResult> {
  const signal = options.signal;
  const reader = new BodyReader(body, key, size, signal);
  const tmpSuffix = `.${randomSuffix()}${TMP_SUFFIX}`;
  let fh: FileHandle | undefined;
  try {
    throwIfAborted(signal, 'upload', key);
    fh = await root.within(key, 'upload', (abs) => root.createFile(scratchPath(abs, tmpSuffix), key, 'upload'));
    const out = fh;
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
    options.onProgress?.({ stored: 0, total: size, resumed: 0 });
    while (reader.received < size) {
      const len = Math.min(buf.length, size - reader.received);
      const at = reader.received;
      await reader.fill(buf, len);
      await writeAll(out, buf.subarray(0, len), at);
      options.onProgress?.({ stored: reader.received, total: size, resumed: 0 });
    }
    const sha256 = await reader.finish(options.expectedSha256);
    await out.datasync();
    await out.close();
    fh = undefined;
    throwIfAborted(signal, 'upload', key);
    await root.within(key, 'upload', async (dest) => {
      await writeChecksum(root, dest, key, sha256, size);
      await fsp.rename(scratchPath(dest, tmpSuffix), dest);
    });
    return { key, size, sha256, resumedBytes: 0 };
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await dropScratch(root, key, tmpSuffix);
    if (isAbort(e) || signal?.aborted) throw new RepoError('Aborted', 'upload', key, 'cancelled', { cause: e });
    throw fsError(e, 'upload', key);
  } finally {
    reader.close();
  }
}

export async function fsAbortUploads(root: FsRoot, key: string): Promise<void> {
  await root.at(key, 'abort upload of', (abs) => removeQuietly(scratchPath(abs, PARTIAL_SUFFIX), scratchPath(abs, SIDECAR_SUFFIX)));
}

/** Keys with a partial upload under `prefix` (a folder prefix ending in '/' or any key prefix). */
export async function fsListPartialUploads(root: FsRoot, prefix: string): Promise<string[]> {
  if (!(await root.exists('list partial uploads in'))) return [];
  const cut = prefix.lastIndexOf('/');
  const out: string[] = [];
  const walk = async (dirKey: string): Promise<void> => {
    const subdirs = await root.withDir(dirKey, 'list partial uploads in', async (dirPath) => {
      let entries;
      try {
        entries = await fsp.readdir(dirPath, { withFileTypes: true });
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return [];
        throw fsError(e, 'list partial uploads in', dirKey || '/');
      }
      const below: string[] = [];
      for (const ent of entries) {
        if (ent.isDirectory()) below.push(`${dirKey}${ent.name}/`);
        else if (ent.isFile() && isScratchName(ent.name) && ent.name.endsWith(PARTIAL_SUFFIX)) {
          const k = dirKey + ent.name.slice(1, -PARTIAL_SUFFIX.length);
          if (k.startsWith(prefix)) out.push(k);
        }
      }
      return below;
    });
    for (const sub of subdirs ?? []) if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walk(sub);
  };
  await walk(cut >= 0 ? prefix.slice(0, cut + 1) : '');
  return out.sort();
}
