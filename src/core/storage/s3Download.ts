// Downloading one object to a local file: parallel ranged GETs written at their offsets, sha256
// computed strictly in order as the contiguous prefix arrives. A chunk's bytes stay in memory only
// until they are both written and hashed, and no chunk starts further than `window` chunks ahead of
// the hash, so memory is bounded whatever the size. A small object is one streamed GET. The file is
// written under a temporary name and renamed when complete; a failure or an abort removes it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { RepoError } from '../errors';
import type { DownloadOptions } from './storage';
import type { BufferPool } from './s3Buffers';
import type { S3Context } from './s3Client';
import { httpStatus, networkCode, toRepoError } from './s3Errors';
import { unquote } from './s3Links';

export interface DownloadTuning {
  /** Bytes per ranged GET (default 8 MiB). */
  readonly chunkSize: number;
  /** GETs in flight when the caller does not say (default 6). */
  readonly parallel: number;
  /** Chunk buffers, shared by all transfers of the storage. */
  readonly pool: BufferPool;
}

interface Chunk {
  /** A pooled buffer of chunkSize bytes: pieces are copied in as they arrive, so the socket's
   *  buffers die young and the file gets one write per chunk. */
  readonly buf: Buffer;
  got: number;
  hashed: number;
  received: boolean;
  written: boolean;
}

interface Job {
  readonly ctx: S3Context;
  readonly key: string;
  readonly fh: FileHandle;
  readonly size: number;
  readonly etag: string;
  readonly chunkSize: number;
  readonly pool: BufferPool;
  readonly signal?: AbortSignal;
}

const FS_SYSCALLS = new Set(['open', 'write', 'writev', 'rename', 'mkdir', 'close', 'fstat', 'unlink']);

const retriable = (e: unknown): boolean => {
  const status = httpStatus(e);
  return (status !== undefined && status >= 500) || (networkCode(e) !== undefined && networkCode(e) !== 'ECONNREFUSED');
};

/** Streams bytes [start, end] into chunk.buf, resuming the range after a broken connection. */
async function receive(job: Job, chunk: Chunk, start: number, end: number, onPiece: (piece: Buffer, at: number) => void): Promise<void> {
  const len = end - start + 1;
  for (let attempt = 0; chunk.got < len; attempt++) {
    try {
      const out = await job.ctx.client.send(new GetObjectCommand({
        Bucket: job.ctx.bucket, Key: job.ctx.fullKey(job.key), Range: `bytes=${start + chunk.got}-${end}`,
        IfMatch: job.etag || undefined,
      }), { abortSignal: job.signal });
      const body = out.Body as Readable;
      const stop = (): void => {
        body.destroy(new RepoError('Aborted', 'download', job.key, 'cancelled'));
      };
      job.signal?.addEventListener('abort', stop, { once: true });
      try {
        for await (const piece of body as AsyncIterable<Buffer>) {
          const at = chunk.got;
          if (at + piece.length > len) throw new RepoError('Integrity', 'download', job.key, 'the server sent more bytes than asked');
          piece.copy(chunk.buf, at);
          chunk.got += piece.length;
          onPiece(piece, at);
        }
      } finally {
        job.signal?.removeEventListener('abort', stop);
      }
      if (chunk.got < len) throw Object.assign(new Error('the connection closed early'), { code: 'ECONNRESET' });
    } catch (e) {
      if (job.signal?.aborted || attempt >= 3 || !retriable(e)) throw e;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

async function transfer(job: Job, parallel: number, onStored: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const count = Math.ceil(job.size / job.chunkSize);
  const window = parallel + 2;
  const chunks = new Map<number, Chunk>();
  const held = new Set<Buffer>();
  const release = (buf: Buffer): void => {
    if (held.delete(buf)) job.pool.release(buf);
  };
  let frontier = 0;
  // Hashes whatever is contiguous from the frontier; recycles chunks that are hashed and written.
  const advance = (): void => {
    for (let c = chunks.get(frontier); c; c = chunks.get(frontier)) {
      if (c.hashed < c.got) hash.update(c.buf.subarray(c.hashed, c.got));
      c.hashed = c.got;
      if (!c.received) return;
      if (c.written) {
        chunks.delete(frontier);
        release(c.buf);
      }
      frontier++;
    }
  };
  const run = async (i: number): Promise<void> => {
    const start = i * job.chunkSize;
    const len = Math.min(job.size - start, job.chunkSize);
    const buf = await job.pool.acquire(count === 1 ? len : job.chunkSize);
    held.add(buf);
    const chunk: Chunk = { buf, got: 0, hashed: 0, received: false, written: false };
    chunks.set(i, chunk);
    await receive(job, chunk, start, start + len - 1, (piece, at) => {
      if (i !== frontier) return;
      // The usual case: hash the piece while it is still in the CPU cache.
      if (chunk.hashed === at) {
        hash.update(piece);
        chunk.hashed += piece.length;
      } else advance();
    });
    chunk.received = true;
    if (i === frontier) advance();
    for (let off = 0; off < len;) off += (await job.fh.write(chunk.buf, off, len - off, start + off)).bytesWritten;
    chunk.written = true;
    if (i < frontier) {
      chunks.delete(i);
      release(chunk.buf);
    }
    onStored(len);
  };
  const active = new Set<Promise<void>>();
  let failure: unknown;
  for (let next = 0; next < count || active.size > 0;) {
    while (failure === undefined && next < count && active.size < parallel && next < frontier + window) {
      const p: Promise<void> = run(next++)
        .catch((e) => {
          failure ??= e;
        })
        .finally(() => active.delete(p));
      active.add(p);
    }
    if (active.size === 0) break;
    await Promise.race(active);
  }
  for (const buf of [...held]) release(buf);
  if (failure !== undefined) throw failure;
  if (frontier !== count) throw new RepoError('Integrity', 'download', job.key, 'not every byte was hashed');
  return hash.digest('hex');
}

export async function downloadFile(ctx: S3Context, key: string, localPath: string, opts: DownloadOptions,
  tuning: DownloadTuning): Promise<{ size: number; sha256: string }> {
  const abortedError = (): RepoError => new RepoError('Aborted', 'download', key, 'cancelled');
  if (opts.signal?.aborted) throw abortedError();
  let size: number;
  let etag: string;
  try {
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: ctx.fullKey(key) }), { abortSignal: opts.signal });
    size = head.ContentLength ?? 0;
    etag = unquote(head.ETag);
  } catch (e) {
    throw toRepoError(e, 'download', key, ctx.endpointLabel);
  }
  const tmp = join(dirname(localPath), `.${basename(localPath)}.${randomBytes(4).toString('hex')}.partial`);
  let fh: FileHandle | undefined;
  try {
    await mkdir(dirname(localPath), { recursive: true });
    fh = await open(tmp, 'w');
    let stored = 0;
    const job: Job = { ctx, key, fh, size, etag, chunkSize: tuning.chunkSize, pool: tuning.pool, signal: opts.signal };
    const sha256 = await transfer(job, Math.max(1, opts.concurrency ?? tuning.parallel), (bytes) => {
      stored += bytes;
      opts.onProgress?.({ stored, total: size });
    });
    await fh.close();
    fh = undefined;
    if (opts.signal?.aborted) throw abortedError();
    await rename(tmp, localPath);
    return { size, sha256 };
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    if (opts.signal?.aborted) throw abortedError();
    if (e instanceof RepoError) throw e;
    if (FS_SYSCALLS.has((e as NodeJS.ErrnoException).syscall ?? '')) {
      throw new RepoError('Storage', 'download', key, `cannot write ${localPath}: ${(e as Error).message}`, { cause: e });
    }
    throw toRepoError(e, 'download', key, ctx.endpointLabel);
  }
}
