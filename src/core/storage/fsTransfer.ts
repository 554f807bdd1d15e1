// Streamed upload and download for the filesystem backend. Both hash with sha256 in the same pass that
// copies, write to a hidden temp name and rename() into place, so a reader never sees half a file.
// An interrupted upload leaves `.<name>.modelrepo-partial` plus a sidecar recording the local file's
// size and mtime; the next upload of the same local file hashes the already-written prefix from the
// local file (no rewrite) and appends the rest. An AbortSignal abort deletes the partial.
// A stream upload (uploadStream) is not resumable: it writes a hidden temp file and renames it into
// place only when the length and the sha256 are right; any failure deletes the temp file.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RepoError, isAbort } from '../errors';
import type { DownloadOptions, StreamUploadOptions, UploadOptions, UploadResult } from './storage';
import {
  PARTIAL_SUFFIX, SIDECAR_SUFFIX, TMP_SUFFIX, errno, fsError, isScratchName, keyPath, randomSuffix, scratchPath, throwIfAborted, withParent,
} from './fsPaths';
import { BodyReader } from './streamBody';

const CHUNK = 1 << 20;

interface Sidecar {
  readonly localPath: string;
  readonly size: number;
  readonly mtimeMs: number;
}

function hasher(hash: Hash, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      try {
        onBytes(chunk.length); // a throwing progress callback fails the transfer, not the process
      } catch (e) {
        cb(e as Error);
        return;
      }
      cb(null, chunk);
    },
  });
}

async function removeQuietly(...paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => fsp.unlink(p).catch(() => undefined)));
}

/** Bytes of a compatible partial upload already in place, or 0 (and the stale partial removed). */
async function resumeOffset(partial: string, sidecar: string, local: Stats, localPath: string): Promise<number> {
  let side: Sidecar | undefined;
  try {
    side = JSON.parse(await fsp.readFile(sidecar, 'utf8')) as Sidecar;
  } catch {
    side = undefined;
  }
  const st = await fsp.stat(partial).catch(() => undefined);
  if (side && st && side.size === local.size && side.mtimeMs === local.mtimeMs && st.size <= local.size
    && await sameTail(partial, localPath, st.size)) return st.size;
  if (st) await removeQuietly(partial);
  return 0;
}

/** Whether the last bytes written match the local file there: a cheap guard against a sidecar
 *  describing some other file of the same size and time. */
async function sameTail(partial: string, localPath: string, size: number): Promise<boolean> {
  const n = Math.min(size, 64 * 1024);
  if (n === 0) return true;
  const readAt = async (p: string): Promise<Buffer> => {
    const fh = await fsp.open(p, 'r');
    try {
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, size - n);
      return buf;
    } finally {
      await fh.close();
    }
  };
  try {
    return (await readAt(partial)).equals(await readAt(localPath));
  } catch {
    return false;
  }
}

export async function fsUploadFile(root: string, key: string, localPath: string, options: UploadOptions = {}): Promise<UploadResult> {
  const object = key;
  const dest = keyPath(root, key, 'upload');
  const partial = scratchPath(dest, PARTIAL_SUFFIX);
  const sidecar = scratchPath(dest, SIDECAR_SUFFIX);
  const signal = options.signal;
  throwIfAborted(signal, 'upload', object);
  let local: Stats;
  try {
    local = await fsp.stat(localPath);
  } catch (e) {
    throw fsError(e, 'read', localPath);
  }
  if (!local.isFile()) throw new RepoError('Storage', 'upload', localPath, 'it is not a regular file');
  const total = local.size;
  const resumable = options.resumable !== false;
  const hash = createHash('sha256');
  try {
    const offset = resumable ? await resumeOffset(partial, sidecar, local, localPath) : 0;
    if (offset > 0) {
      await pipeline(createReadStream(localPath, { start: 0, end: offset - 1, highWaterMark: CHUNK }), hasher(hash, () => undefined),
        async function* drain(src: AsyncIterable<Buffer>) { for await (const _ of src) { /* hashed */ } }, { signal });
    } else {
      const side: Sidecar = { localPath: path.resolve(localPath), size: local.size, mtimeMs: local.mtimeMs };
      await withParent(sidecar, () => fsp.writeFile(sidecar, JSON.stringify(side)));
    }
    let stored = offset;
    options.onProgress?.({ stored, total, resumed: offset });
    // Not retried: the hash has consumed whatever passed through, so a second attempt would hash twice.
    await fsp.mkdir(path.dirname(partial), { recursive: true });
    await pipeline(
      createReadStream(localPath, { start: offset, highWaterMark: CHUNK }),
      hasher(hash, (n) => { stored += n; options.onProgress?.({ stored, total, resumed: offset }); }),
      createWriteStream(partial, { flags: offset > 0 ? 'r+' : 'w', start: offset }),
      { signal },
    );
    const fh = await fsp.open(partial, 'r+');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
    const after = await fsp.stat(localPath);
    if (after.size !== local.size || after.mtimeMs !== local.mtimeMs || stored !== total) {
      await removeQuietly(partial, sidecar);
      throw new RepoError('Integrity', 'upload', localPath, 'the local file changed while it was being uploaded');
    }
    await fsp.rename(partial, dest);
    await removeQuietly(sidecar);
    return { key, size: total, sha256: hash.digest('hex'), resumedBytes: offset };
  } catch (e) {
    if (isAbort(e) || signal?.aborted) {
      await removeQuietly(partial, sidecar);
      throw new RepoError('Aborted', 'upload', object, 'cancelled', { cause: e });
    }
    if (!resumable) await removeQuietly(partial, sidecar);
    throw fsError(e, 'upload', object);
  }
}

export async function fsUploadStream(root: string, key: string, body: Readable, size: number,
  options: StreamUploadOptions = {}): Promise<UploadResult> {
  const dest = keyPath(root, key, 'upload');
  const tmp = scratchPath(dest, `.${randomSuffix()}${TMP_SUFFIX}`);
  const signal = options.signal;
  const reader = new BodyReader(body, key, size, signal);
  let fh: FileHandle | undefined;
  try {
    throwIfAborted(signal, 'upload', key);
    fh = await withParent(tmp, () => fsp.open(tmp, 'wx'));
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
    options.onProgress?.({ stored: 0, total: size, resumed: 0 });
    while (reader.received < size) {
      const len = Math.min(buf.length, size - reader.received);
      await reader.fill(buf, len);
      for (let off = 0; off < len;) off += (await fh.write(buf, off, len - off)).bytesWritten;
      options.onProgress?.({ stored: reader.received, total: size, resumed: 0 });
    }
    const sha256 = await reader.finish(options.expectedSha256);
    await fh.datasync();
    await fh.close();
    fh = undefined;
    throwIfAborted(signal, 'upload', key);
    await fsp.rename(tmp, dest);
    return { key, size, sha256, resumedBytes: 0 };
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await removeQuietly(tmp);
    if (isAbort(e) || signal?.aborted) throw new RepoError('Aborted', 'upload', key, 'cancelled', { cause: e });
    throw fsError(e, 'upload', key);
  } finally {
    reader.close();
  }
}

export async function fsDownloadFile(root: string, key: string, localPath: string,
  options: DownloadOptions = {}): Promise<{ size: number; sha256: string }> {
  const src = keyPath(root, key, 'download');
  const signal = options.signal;
  throwIfAborted(signal, 'download', key);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(src, 'r');
  } catch (e) {
    throw fsError(e, 'download', key);
  }
  const tmp = scratchPath(localPath, PARTIAL_SUFFIX);
  const hash = createHash('sha256');
  try {
    const total = (await fh.stat()).size;
    let stored = 0;
    options.onProgress?.({ stored, total });
    await fsp.mkdir(path.dirname(localPath), { recursive: true });
    await pipeline(
      fh.createReadStream({ highWaterMark: CHUNK, autoClose: false }),
      hasher(hash, (n) => { stored += n; options.onProgress?.({ stored, total }); }),
      createWriteStream(tmp),
      { signal },
    );
    await fsp.rename(tmp, localPath);
    return { size: stored, sha256: hash.digest('hex') };
  } catch (e) {
    await removeQuietly(tmp);
    throw fsError(e, 'download', key);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export async function fsAbortUploads(root: string, key: string): Promise<void> {
  const dest = keyPath(root, key, 'abort upload of');
  await removeQuietly(scratchPath(dest, PARTIAL_SUFFIX), scratchPath(dest, SIDECAR_SUFFIX));
}

/** Keys with a partial upload under `prefix` (a folder prefix ending in '/' or any key prefix). */
export async function fsListPartialUploads(root: string, prefix: string): Promise<string[]> {
  const cut = prefix.lastIndexOf('/');
  const dirKey = cut >= 0 ? prefix.slice(0, cut) : '';
  const out: string[] = [];
  const walk = async (dirPath: string, relDir: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(dirPath, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
      throw fsError(e, 'list partial uploads in', relDir || '/');
    }
    for (const ent of entries) {
      const rel = relDir ? `${relDir}/${ent.name}` : ent.name;
      if (ent.isDirectory()) await walk(path.join(dirPath, ent.name), rel);
      else if (isScratchName(ent.name) && ent.name.endsWith(PARTIAL_SUFFIX)) {
        const name = ent.name.slice(1, -PARTIAL_SUFFIX.length);
        const k = relDir ? `${relDir}/${name}` : name;
        if (k.startsWith(prefix)) out.push(k);
      }
    }
  };
  await walk(keyPath(root, dirKey, 'list partial uploads in'), dirKey);
  return out.sort();
}
