// Downloading one object to a local file (Storage.downloadFile): the bytes go to a partial file next
// to the destination (s3Partial.ts), fetched by parallel ranged GETs and hashed in order
// (s3Chunks.ts). A partial left by a killed run of the same unchanged object (same ETag and size) is
// resumed: its bytes are hashed again from the disk and only the rest is fetched. The destination is
// replaced by rename() only when every byte is in and, with expectedSha256, the hash matches; a
// cancel or a failure removes the partial and its sidecar and leaves the destination as it was.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { RepoError } from '../errors';
import type { DownloadOptions } from './storage';
import type { BufferPool } from './s3Buffers';
import type { S3Context } from './s3Client';
import { rawPoolFor, transfer } from './s3Chunks';
import type { ChunkJob } from './s3Chunks';
import { toRepoError } from './s3Errors';
import { unquote } from './s3Links';
import { PartialDownload } from './s3Partial';

export interface DownloadTuning {
  /** Bytes per ranged GET (default 2 MiB, see s3Storage.ts). */
  readonly chunkSize: number;
  /** GETs in flight when the caller does not say (default 6). */
  readonly parallel: number;
  /** Chunk buffers, shared by all transfers of the storage. */
  readonly pool: BufferPool;
  /** Raw-socket GETs on http:// endpoints (default true). */
  readonly rawSockets: boolean;
  /** Writes on the main thread as the bytes land (s3Chunks.ts: ChunkJob.inlineWrites; default false). */
  readonly inlineWrites?: boolean;
  /** Least time between two checkpoints of the partial file (default CHECKPOINT_MS). */
  readonly checkpointMs?: number;
}

/** A checkpoint flushes the partial to disk. Every 2 s that forced writeback made a 1 GiB download
 *  about 8 % slower here (6.2 -> 5.7 s, 4 alternating rounds), bytes the kernel would have written
 *  after the process ended. 30 s is the kernel's own age for dirty pages (vm.dirty_expire_centisecs),
 *  so by then most bytes are on disk anyway; a download killed sooner starts again from the start. */
const CHECKPOINT_MS = 30_000;

const FS_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EISDIR', 'ENOTDIR', 'EEXIST', 'ELOOP', 'EIO', 'EBADF']);

/** Feeds the first `length` bytes of the partial to the hash (the bytes a resumed run keeps). */
async function hashPrefix(fh: FileHandle, length: number, hash: Hash, signal: AbortSignal | undefined, key: string): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(4 * 1024 * 1024, Math.max(length, 1)));
  for (let off = 0; off < length;) {
    if (signal?.aborted) throw new RepoError('Aborted', 'download', key, 'cancelled');
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - off), off);
    if (bytesRead === 0) throw new RepoError('Integrity', 'download', key, 'the partial file got shorter while it was read');
    hash.update(buf.subarray(0, bytesRead));
    off += bytesRead;
  }
}

function localError(e: unknown, key: string, localPath: string): RepoError | undefined {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  if (!FS_CODES.has(code) || (e as NodeJS.ErrnoException).syscall === undefined) return undefined;
  return new RepoError(code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'Permission' : 'Storage', 'download', key,
    `cannot write ${localPath}: ${(e as Error).message}`, { cause: e });
}

export async function downloadFile(ctx: S3Context, key: string, localPath: string, opts: DownloadOptions,
  tuning: DownloadTuning): Promise<{ size: number; sha256: string }> {
  const abortedError = (): RepoError => new RepoError('Aborted', 'download', key, 'cancelled');
  if (opts.signal?.aborted) throw abortedError();
  const expected = opts.expectedSha256?.toLowerCase();
  let size: number;
  let etag: string;
  try {
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: ctx.fullKey(key) }), { abortSignal: opts.signal });
    size = head.ContentLength ?? 0;
    etag = unquote(head.ETag);
  } catch (e) {
    throw toRepoError(e, 'download', key, ctx.endpointLabel);
  }
  // The download's own stop: the first failing range ends the others; the caller's abort does too.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let partial: PartialDownload | undefined;
  let job: ChunkJob | undefined;
  try {
    await mkdir(dirname(localPath), { recursive: true });
    partial = await PartialDownload.open(localPath,
      { bucket: ctx.bucket, key: ctx.fullKey(key), etag, size, chunkSize: tuning.chunkSize }, 'download');
    const hash = createHash('sha256');
    await hashPrefix(partial.fh, partial.resumeAt, hash, opts.signal, key);
    const resumed = partial.resumeAt;
    let stored = resumed;
    if (resumed > 0) opts.onProgress?.({ stored, total: size, resumed });
    job = {
      ctx, key, fh: partial.fh, size, etag, base: resumed, chunkSize: tuning.chunkSize, pool: tuning.pool, signal: stop.signal,
      inlineWrites: tuning.inlineWrites,
      raw: size > resumed ? rawPoolFor(ctx, tuning.rawSockets) : undefined,
    };
    const every = tuning.checkpointMs ?? CHECKPOINT_MS;
    let lastCheckpoint = Date.now();
    const current = partial;
    const sha256 = await transfer(job, Math.max(1, opts.concurrency ?? tuning.parallel), hash, {
      onStored: (bytes) => {
        stored += bytes;
        opts.onProgress?.({ stored, total: size, resumed });
      },
      onContiguous: (offset) => {
        if (offset >= size || Date.now() - lastCheckpoint < every) return;
        lastCheckpoint = Date.now();
        current.checkpoint(offset);
      },
    }, stop);
    job.raw?.sockets.destroy();
    if (opts.signal?.aborted) throw abortedError();
    if (expected !== undefined && sha256 !== expected) {
      throw new RepoError('Integrity', 'download', key, `sha256 of the downloaded bytes is ${sha256}, expected ${expected}`,
        { details: { expected, actual: sha256 } });
    }
    await partial.commit(localPath, 'download');
    partial = undefined;
    return { size, sha256 };
  } catch (e) {
    job?.raw?.sockets.destroy();
    await partial?.discard().catch(() => undefined);
    if (opts.signal?.aborted) throw abortedError();
    if (e instanceof RepoError) throw e;
    throw localError(e, key, localPath) ?? toRepoError(e, 'download', key, ctx.endpointLabel);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
