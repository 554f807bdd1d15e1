// Downloads from a folder repository. The source is opened under the confinement rules (fsConfine.ts:
// a regular file, no symlink followed). The bytes go to `.<name>.modelrepo-download` next to the
// destination, with a sidecar `.<name>.modelrepo-download.json` recording which object it holds (key,
// etag, size) and how many bytes are durably written (updated every CHECKPOINT bytes after a datasync).
// A later download of the same unchanged object resumes: the recorded bytes are hashed again from the
// partial and checked against the source's tail; anything that does not match is discarded and the
// download starts over. The destination is replaced by rename() only when the bytes are complete and,
// with expectedSha256, verified (else Integrity and the old destination is untouched). A cancel or a
// failure removes the partial and its sidecar; a killed process leaves them for the next run. Nothing
// at the partial's or sidecar's name is ever followed (they are created with O_EXCL | O_NOFOLLOW and
// replaced by rename). The downloaded file keeps the repository file's mode bits (& 0o777).
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { RepoError, isAbort } from '../errors';
import { DOWNLOAD_PARTIAL_SUFFIX, DOWNLOAD_SIDECAR_SUFFIX } from './storage';
import type { DownloadOptions, ObjectInfo } from './storage';
import type { FsRoot } from './fsConfine';
import { CREATE_FLAGS, UPDATE_FLAGS, readSmall } from './fsSafeOpen';
import { MODE_BITS, copyRange, hashRange, sameTail, writeJsonAtomic } from './fsCopy';
import { objectInfo } from './fsList';
import { fsError, scratchPath, throwIfAborted } from './fsPaths';

/** Bytes between two durable checkpoints of a download's sidecar. */
export const CHECKPOINT = 16 * 1024 * 1024;

export interface DownloadSidecar {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  /** Bytes of the partial that were written and synced. */
  readonly written: number;
}

async function removeQuietly(...paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => fsp.unlink(p).catch(() => undefined)));
}

async function readSidecar(sidecar: string): Promise<DownloadSidecar | undefined> {
  try {
    const s = JSON.parse((await readSmall(sidecar, 64 * 1024))?.toString('utf8') ?? 'null') as Partial<DownloadSidecar> | null;
    if (s && typeof s.key === 'string' && typeof s.etag === 'string' && Number.isSafeInteger(s.size)
      && Number.isSafeInteger(s.written) && (s.written as number) >= 0) return s as DownloadSidecar;
  } catch {
    // unreadable: start over
  }
  return undefined;
}

/** The partial of an earlier run of this same object, truncated to what its sidecar says is written. */
async function resumePartial(partial: string, sidecar: string, info: ObjectInfo, src: FileHandle):
  Promise<{ fh: FileHandle; offset: number } | undefined> {
  const side = await readSidecar(sidecar);
  if (!side || side.key !== info.key || side.etag !== info.etag || side.size !== info.size || side.written > info.size
    || side.written === 0) return undefined;
  const pre = await fsp.lstat(partial).catch(() => undefined);
  if (!pre?.isFile() || pre.size < side.written) return undefined;
  let fh: FileHandle;
  try {
    fh = await fsp.open(partial, UPDATE_FLAGS);
  } catch {
    return undefined;
  }
  const st = await fh.stat();
  if (st.isFile() && st.ino === pre.ino && await sameTail(fh, src, side.written)) {
    await fh.truncate(side.written);
    return { fh, offset: side.written };
  }
  await fh.close();
  return undefined;
}

export async function fsDownloadFile(root: FsRoot, key: string, localPath: string,
  options: DownloadOptions = {}): Promise<{ size: number; sha256: string }> {
  const signal = options.signal;
  throwIfAborted(signal, 'download', key);
  const opened = await root.openFile(key, 'download');
  if (opened === 'missing' || opened === 'dir') throw new RepoError('NotFound', 'download', key, 'it does not exist');
  const { fh: src, st } = opened;
  const info = objectInfo(key, st);
  const dest = path.resolve(localPath);
  const partial = scratchPath(dest, DOWNLOAD_PARTIAL_SUFFIX);
  const sidecar = scratchPath(dest, DOWNLOAD_SIDECAR_SUFFIX);
  const local = (e: unknown): RepoError => fsError(e, 'write', dest, true);
  const record = (written: number): Promise<void> =>
    writeJsonAtomic(sidecar, { key, etag: info.etag, size: info.size, written } satisfies DownloadSidecar).catch((e) => { throw local(e); });
  let out: FileHandle | undefined;
  try {
    await fsp.mkdir(path.dirname(dest), { recursive: true }).catch((e) => { throw local(e); });
    const hash = createHash('sha256');
    const earlier = await resumePartial(partial, sidecar, info, src);
    let offset = 0;
    if (earlier) {
      out = earlier.fh;
      offset = earlier.offset;
      await hashRange(out, offset, hash, signal); // the bytes already there, hashed again from the partial
    } else {
      await removeQuietly(partial, sidecar); // unlink removes a link itself, never its target
      out = await fsp.open(partial, CREATE_FLAGS, 0o666).catch((e) => { throw local(e); });
      await record(0);
    }
    const dst = out;
    let synced = offset;
    options.onProgress?.({ stored: offset, total: info.size, resumed: offset });
    const end = await copyRange({
      src, dst, from: offset, to: info.size, hash, signal, object: key,
      onWritten: async (pos) => {
        if (pos - synced >= CHECKPOINT) {
          await dst.datasync();
          await record(pos);
          synced = pos;
        }
        options.onProgress?.({ stored: pos, total: info.size, resumed: offset });
      },
      readError: (e) => fsError(e, 'download', key),
      writeError: local,
    });
    const now = objectInfo(key, await src.stat());
    if (end !== info.size || now.etag !== info.etag) {
      throw new RepoError('Integrity', 'download', key, 'the file changed in the repository while it was being downloaded; download it again');
    }
    await dst.chmod(st.mode & MODE_BITS);
    await dst.datasync();
    await dst.close();
    out = undefined;
    const sha256 = hash.digest('hex');
    const expected = options.expectedSha256?.toLowerCase();
    if (expected !== undefined && sha256 !== expected) {
      throw new RepoError('Integrity', 'download', key,
        `the sha256 of the downloaded bytes is ${sha256}, expected ${expected}; ${dest} was left as it was`,
        { details: { expected, actual: sha256 } });
    }
    await fsp.rename(partial, dest).catch((e) => { throw local(e); });
    await removeQuietly(sidecar);
    return { size: info.size, sha256 };
  } catch (e) {
    await out?.close().catch(() => undefined);
    await removeQuietly(partial, sidecar);
    if (isAbort(e) || signal?.aborted) throw new RepoError('Aborted', 'download', key, 'cancelled', { cause: e });
    throw fsError(e, 'download', key);
  } finally {
    await src.close().catch(() => undefined);
  }
}
