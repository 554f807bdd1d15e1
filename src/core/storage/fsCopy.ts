// Copying between open files for the filesystem backend (upload: local file -> partial in the
// repository; download: repository file -> partial next to the destination). Each chunk passes
// through sha256 in the same pass; the next chunk is read while the previous one is written.
import type { Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { RepoError } from '../errors';
import { CREATE_FLAGS } from './fsSafeOpen';
import { TMP_SUFFIX, randomSuffix, scratchPath } from './fsPaths';

export const CHUNK = 1 << 20;
/** The mode bits a copied file keeps: permissions only, never setuid, setgid or sticky. */
export const MODE_BITS = 0o777;

export interface CopyRange {
  readonly src: FileHandle;
  readonly dst: FileHandle;
  readonly from: number;
  readonly to: number;
  readonly hash: Hash;
  /** Called after each chunk is written, with the new end position; may wait (a checkpoint). */
  readonly onWritten: (pos: number) => void | Promise<void>;
  readonly signal?: AbortSignal;
  /** What an error of the source or the destination means (their messages name different things). */
  readonly readError: (e: unknown) => Error;
  readonly writeError: (e: unknown) => Error;
  readonly object: string;
}

async function readChunk(fh: FileHandle, buf: Buffer, pos: number, to: number): Promise<number> {
  const want = Math.min(buf.length, to - pos);
  let got = 0;
  while (got < want) {
    const { bytesRead } = await fh.read(buf, got, want - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

export async function writeAll(fh: FileHandle, chunk: Buffer, pos: number): Promise<void> {
  for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off, chunk.length - off, pos + off)).bytesWritten;
}

/** Copies [from, to) of src to the same positions of dst; returns the end reached (less than `to`
 *  when the source is shorter than expected). */
export async function copyRange(c: CopyRange): Promise<number> {
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  const read = (i: number, pos: number): Promise<number> => (pos < c.to ? readChunk(c.src, bufs[i], pos, c.to).catch((e) => { throw c.readError(e); })
    : Promise.resolve(0));
  let i = 0;
  let pos = c.from;
  // Each pending read or write may fail while the loop awaits the other one; a handler is attached at
  // once so that such a failure is never an unhandled rejection (fatal in the CLI), only thrown here.
  const settled = <T>(p: Promise<T>): Promise<T> => { p.catch(() => undefined); return p; };
  let reading = settled(read(0, pos));
  let writing: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const n = await reading;
      if (n === 0) break;
      if (c.signal?.aborted) throw new RepoError('Aborted', 'copy', c.object, 'cancelled');
      const chunk = bufs[i].subarray(0, n);
      c.hash.update(chunk);
      await writing; // the other buffer is free once its write is done
      const at = pos;
      pos += n;
      i = 1 - i;
      reading = settled(read(i, pos));
      writing = settled(writeAll(c.dst, chunk, at).catch((e) => { throw c.writeError(e); }).then(() => c.onWritten(at + n)));
    }
    await writing;
    return pos;
  } catch (e) {
    await Promise.allSettled([reading, writing]);
    throw e;
  }
}

/** Feeds [0, end) of an open file to the hash (the bytes an earlier run already wrote). */
export async function hashRange(fh: FileHandle, end: number, hash: Hash, signal?: AbortSignal): Promise<void> {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let pos = 0; pos < end;) {
    if (signal?.aborted) throw new RepoError('Aborted', 'resume', 'a partial file', 'cancelled');
    const n = await readChunk(fh, buf, pos, end);
    if (n === 0) throw Object.assign(new Error('the partial file is shorter than recorded'), { code: 'ESHORT' });
    hash.update(buf.subarray(0, n));
    pos += n;
  }
}

/** Whether the last bytes before `end` are the same in both files: a cheap guard against a partial
 *  that belongs to other bytes than its sidecar says. */
export async function sameTail(a: FileHandle, b: FileHandle, end: number): Promise<boolean> {
  const n = Math.min(end, 64 * 1024);
  if (n === 0) return true;
  try {
    const [x, y] = [Buffer.alloc(n), Buffer.alloc(n)];
    const [rx, ry] = await Promise.all([readChunk(a, x, end - n, end), readChunk(b, y, end - n, end)]);
    return rx === n && ry === n && x.equals(y);
  } catch {
    return false;
  }
}

/** Writes a small JSON scratch file next to `target` atomically (exclusive temp name, then rename), so
 *  a kill never leaves half of it and nothing at the temp name is followed. */
export async function writeJsonAtomic(target: string, value: unknown,
  create: (tmp: string) => Promise<FileHandle> = (tmp) => fsp.open(tmp, CREATE_FLAGS, 0o666)): Promise<void> {
  const tmp = scratchPath(target, `.${randomSuffix()}${TMP_SUFFIX}`);
  try {
    const fh = await create(tmp);
    try {
      await fh.writeFile(JSON.stringify(value));
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
}
