// Downloading one object to a local file: parallel ranged GETs written at their offsets, sha256
// computed strictly in order as the contiguous prefix arrives. A chunk's bytes stay in memory only
// until they are both written and hashed, and no chunk starts further than `window` chunks ahead of
// the hash, so memory is bounded whatever the size. A small object is one streamed GET. The file is
// written under a temporary name and renamed when complete; a failure or an abort removes it.
// On plain http:// endpoints the GETs of a presigned URL go over raw sockets that read straight into
// the chunk buffers (s3RawGet.ts); elsewhere through the SDK, copying each piece into the buffer.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { RepoError } from '../errors';
import type { DownloadOptions } from './storage';
import type { BufferPool } from './s3Buffers';
import type { S3Context } from './s3Client';
import { httpStatus, networkCode, toRepoError } from './s3Errors';
import { unquote } from './s3Links';
import { RawGetPool, RawGetUnsupported } from './s3RawGet';

export interface DownloadTuning {
  /** Bytes per ranged GET (default 16 MiB: fewer requests cost the server less CPU). */
  readonly chunkSize: number;
  /** GETs in flight when the caller does not say (default 4). */
  readonly parallel: number;
  /** Chunk buffers, shared by all transfers of the storage. */
  readonly pool: BufferPool;
  /** Raw-socket GETs on http:// endpoints (default true). */
  readonly rawSockets: boolean;
}

interface Chunk {
  /** A pooled buffer of chunkSize bytes: the body lands here (directly, or piece by piece from the
   *  SDK), so the file gets one write per chunk. */
  readonly buf: Buffer;
  got: number;
  hashed: number;
  /** Bytes handed to the write queue so far. */
  queued: number;
  received: boolean;
  written: boolean;
}

/** Writes go out in pieces of at least this size as the bytes arrive, while they are still in the CPU
 *  cache: writing a whole chunk later made the page-cache copy the largest cost of a download. */
const WRITE_PIECE = 1024 * 1024;

interface Job {
  readonly ctx: S3Context;
  readonly key: string;
  readonly fh: FileHandle;
  readonly size: number;
  readonly etag: string;
  readonly chunkSize: number;
  readonly pool: BufferPool;
  readonly signal?: AbortSignal;
  /** Raw-socket GETs; dropped for the rest of the download if the server answers in a way they do not handle. */
  raw: { readonly sockets: RawGetPool; url?: URL; signedAt: number } | undefined;
}

const RESIGN_MS = 10 * 60 * 1000;

async function presigned(job: Job, raw: NonNullable<Job['raw']>): Promise<URL> {
  if (!raw.url || Date.now() - raw.signedAt > RESIGN_MS) {
    raw.url = new URL(await getSignedUrl(job.ctx.client, new GetObjectCommand({ Bucket: job.ctx.bucket, Key: job.ctx.fullKey(job.key) }),
      { expiresIn: 3600 }));
    raw.signedAt = Date.now();
  }
  return raw.url;
}

const FS_SYSCALLS = new Set(['open', 'write', 'writev', 'rename', 'mkdir', 'close', 'fstat', 'unlink']);

const retriable = (e: unknown): boolean => {
  const status = httpStatus(e);
  return (status !== undefined && status >= 500) || (networkCode(e) !== undefined && networkCode(e) !== 'ECONNREFUSED');
};

/** One GET through the SDK for bytes [start + chunk.got, end], copied piece by piece into chunk.buf. */
async function sdkGet(job: Job, chunk: Chunk, start: number, end: number, onData: (from: number, to: number) => void): Promise<void> {
  const len = end - start + 1;
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
      onData(at, chunk.got);
    }
  } finally {
    job.signal?.removeEventListener('abort', stop);
  }
}

/** Fills chunk.buf with bytes [start, end], resuming the range after a broken connection. */
async function receive(job: Job, chunk: Chunk, start: number, end: number, onData: (from: number, to: number) => void): Promise<void> {
  const len = end - start + 1;
  for (let attempt = 0; chunk.got < len; attempt++) {
    try {
      const raw = job.raw;
      if (raw) {
        const base = chunk.got;
        await raw.sockets.get(await presigned(job, raw), start + base, end, job.etag || undefined, chunk.buf.subarray(base),
          (from, to) => {
            chunk.got = base + to;
            onData(base + from, base + to);
          }, job.signal);
      } else {
        await sdkGet(job, chunk, start, end, onData);
      }
      if (chunk.got < len) throw Object.assign(new Error('the connection closed early'), { code: 'ECONNRESET' });
    } catch (e) {
      if (e instanceof RawGetUnsupported) {
        job.raw?.sockets.destroy();
        job.raw = undefined;
        attempt--;
        continue;
      }
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
  // One write at a time: concurrent pwrite()s to one file contend for the inode lock (ext4, measured
  // here: 4 parallel 8 MiB writes took 2-10x longer than the same writes in a row).
  let writes: Promise<void> = Promise.resolve();
  let writeError: unknown;
  const queueWrite = (c: Chunk, start: number, to: number): Promise<void> => {
    const from = c.queued;
    c.queued = to;
    writes = writes.then(async () => {
      if (writeError !== undefined) return;
      try {
        for (let off = from; off < to;) off += (await job.fh.write(c.buf, off, to - off, start + off)).bytesWritten;
      } catch (e) {
        writeError = e;
      }
    });
    return writes;
  };
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
    const chunk: Chunk = { buf, got: 0, hashed: 0, queued: 0, received: false, written: false };
    chunks.set(i, chunk);
    await receive(job, chunk, start, start + len - 1, (from, to) => {
      if (to - chunk.queued >= WRITE_PIECE) void queueWrite(chunk, start, to);
      if (i !== frontier) return;
      // The usual case: hash the bytes just received while they are still in the CPU cache.
      if (chunk.hashed === from) {
        hash.update(chunk.buf.subarray(from, to));
        chunk.hashed = to;
      } else advance();
    });
    chunk.received = true;
    if (i === frontier) advance();
    await queueWrite(chunk, start, len);
    if (writeError !== undefined) throw writeError;
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
  const rawPools = new Set<Job>();
  const tmp = join(dirname(localPath), `.${basename(localPath)}.${randomBytes(4).toString('hex')}.partial`);
  let fh: FileHandle | undefined;
  try {
    await mkdir(dirname(localPath), { recursive: true });
    fh = await open(tmp, 'w');
    let stored = 0;
    const rawOk = tuning.rawSockets && ctx.endpointUrl?.protocol === 'http:' && size > 0;
    const job: Job = {
      ctx, key, fh, size, etag, chunkSize: tuning.chunkSize, pool: tuning.pool, signal: opts.signal,
      raw: rawOk && ctx.endpointUrl ? {
        sockets: new RawGetPool(ctx.endpointUrl.hostname.replace(/^\[|\]$/g, ''), Number(ctx.endpointUrl.port || 80),
          ctx.requestTimeoutMs),
        signedAt: 0,
      } : undefined,
    };
    rawPools.add(job);
    const sha256 = await transfer(job, Math.max(1, opts.concurrency ?? tuning.parallel), (bytes) => {
      stored += bytes;
      opts.onProgress?.({ stored, total: size });
    });
    job.raw?.sockets.destroy();
    await fh.close();
    fh = undefined;
    if (opts.signal?.aborted) throw abortedError();
    await rename(tmp, localPath);
    return { size, sha256 };
  } catch (e) {
    for (const j of rawPools) j.raw?.sockets.destroy();
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
