// The byte-moving part of a download (s3Download.ts): parallel ranged GETs written at their
// offsets, sha256 computed strictly in order as the contiguous prefix arrives. A chunk's bytes stay
// in memory only until they are both written and hashed, and no chunk starts further than `window`
// chunks ahead of the hash, so memory is bounded whatever the size. On plain http:// endpoints the
// GETs of a presigned URL go over raw sockets that read straight into the chunk buffers
// (s3RawGet.ts); elsewhere through the SDK, copying each piece into the buffer. A range that breaks
// or stalls is resumed where it stopped, at most RESUMES times, and a try that brought no byte
// before its deadline passed is not repeated: a silent server fails the download at its first
// deadline. The first failure stops every other range at once.
import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { RepoError } from '../errors';
import type { BufferPool } from './s3Buffers';
import type { S3Context } from './s3Client';
import { deadlineOf } from './s3Deadlines';
import { httpStatus, networkCode } from './s3Errors';
import { RawGetPool, RawGetUnsupported } from './s3RawGet';

/** Tries after the first for one range (each must have brought bytes, see above). */
const RESUMES = 3;
const RESIGN_MS = 10 * 60 * 1000;
/** Writes go out in pieces of at least this size as the bytes arrive, while they are still in the CPU
 *  cache: writing a whole chunk later made the page-cache copy the largest cost of a download. */
const WRITE_PIECE = 1024 * 1024;
/** Inline writes (ChunkJob.inlineWrites) go out in pieces of this size: on Linux 6.x (ext4) a pwrite()
 *  of 128 KiB or more costs 5-10x the system time per GiB of 64 KiB ones (measured: 1 GiB in 1 MiB
 *  writes 2.8 s of system time, in 64 KiB writes 0.25 s). Queued writes stay at WRITE_PIECE: in the
 *  thread pool 64 KiB pieces saved no system time and cost user time (measured, 3 rounds). */
const INLINE_SLICE = 64 * 1024;

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

export interface ChunkJob {
  readonly ctx: S3Context;
  readonly key: string;
  readonly fh: FileHandle;
  readonly size: number;
  readonly etag: string;
  /** The first byte to fetch: the bytes before it are already in the file (and in the hash). */
  readonly base: number;
  readonly chunkSize: number;
  readonly pool: BufferPool;
  /** The caller's signal combined with the download's own stop. */
  readonly signal: AbortSignal;
  /** Write each piece on the calling thread as it lands (blocking, in 64 KiB pieces), instead of queued
   *  to libuv's thread pool: for a process that does nothing else while it downloads (the CLI). */
  readonly inlineWrites?: boolean;
  /** Raw-socket GETs; dropped for the rest of the download if the server answers in a way they do not handle. */
  raw: { readonly sockets: RawGetPool; url?: string; signedAt: number } | undefined;
}

/** The raw-socket pool for an http:// endpoint, or undefined where the SDK must be used. */
export function rawPoolFor(ctx: S3Context, wanted: boolean): ChunkJob['raw'] {
  const url = ctx.endpointUrl;
  if (!wanted || url?.protocol !== 'http:') return undefined;
  return { sockets: new RawGetPool(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 80), ctx.timeouts), signedAt: 0 };
}

async function presigned(job: ChunkJob, raw: NonNullable<ChunkJob['raw']>): Promise<string> {
  if (!raw.url || Date.now() - raw.signedAt > RESIGN_MS) {
    raw.url = await getSignedUrl(job.ctx.client, new GetObjectCommand({ Bucket: job.ctx.bucket, Key: job.ctx.fullKey(job.key) }),
      { expiresIn: 3600 });
    raw.signedAt = Date.now();
  }
  return raw.url;
}

const retriable = (e: unknown): boolean => {
  const status = httpStatus(e);
  return (status !== undefined && status >= 500) || (networkCode(e) !== undefined && networkCode(e) !== 'ECONNREFUSED');
};

/** One GET through the SDK for bytes [start + chunk.got, end], copied piece by piece into chunk.buf. */
async function sdkGet(job: ChunkJob, chunk: Chunk, start: number, end: number, onData: (from: number, to: number) => void): Promise<void> {
  const len = end - start + 1;
  const out = await job.ctx.client.send(new GetObjectCommand({
    Bucket: job.ctx.bucket, Key: job.ctx.fullKey(job.key), Range: `bytes=${start + chunk.got}-${end}`,
    IfMatch: job.etag || undefined,
  }), { abortSignal: job.signal });
  const body = out.Body as Readable;
  const stop = (): void => {
    body.destroy(new RepoError('Aborted', 'download', job.key, 'cancelled'));
  };
  if (job.signal.aborted) stop();
  job.signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const piece of body as AsyncIterable<Buffer>) {
      const at = chunk.got;
      if (at + piece.length > len) throw new RepoError('Integrity', 'download', job.key, 'the server sent more bytes than asked');
      piece.copy(chunk.buf, at);
      chunk.got += piece.length;
      onData(at, chunk.got);
    }
  } finally {
    job.signal.removeEventListener('abort', stop);
  }
}

/** Fills chunk.buf with bytes [start, end], resuming the range after a broken or stalled connection. */
async function receive(job: ChunkJob, chunk: Chunk, start: number, end: number, onData: (from: number, to: number) => void): Promise<void> {
  const len = end - start + 1;
  for (let attempt = 0; chunk.got < len; attempt++) {
    const before = chunk.got;
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
      const fruitless = deadlineOf(e) !== undefined && chunk.got === before;
      if (job.signal.aborted || attempt >= RESUMES || !retriable(e) || fruitless) throw e;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

export interface ChunkEvents {
  /** Bytes of a chunk that are now in the file. */
  readonly onStored: (bytes: number) => void;
  /** Every byte below `offset` is in the file (written, not necessarily on disk). */
  readonly onContiguous: (offset: number) => void;
}

/** Fetches [job.base, job.size) into the file; `hash` already holds the bytes before job.base. */
export async function transfer(job: ChunkJob, parallel: number, hash: Hash, events: ChunkEvents, stop: AbortController): Promise<string> {
  const count = Math.ceil((job.size - job.base) / job.chunkSize);
  const window = parallel + 2;
  const chunks = new Map<number, Chunk>();
  const held = new Set<Buffer>();
  const release = (buf: Buffer): void => {
    if (held.delete(buf)) job.pool.release(buf);
  };
  let frontier = 0;
  // Chunks written to the file: the contiguous run from the start, and the ones beyond it.
  let writtenRun = 0;
  const writtenAhead = new Set<number>();
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
  // An error thrown here ends the range (a local file error is not retried) and with it the download.
  const writeInline = (c: Chunk, start: number, to: number): void => {
    if (writeError !== undefined) throw writeError;
    try {
      for (let off = c.queued; off < to;) off += writeSync(job.fh.fd, c.buf, off, Math.min(INLINE_SLICE, to - off), start + off);
    } catch (e) {
      writeError = e;
      throw e;
    }
    c.queued = to;
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
    const start = job.base + i * job.chunkSize;
    const len = Math.min(job.size - start, job.chunkSize);
    const buf = await job.pool.acquire(count === 1 ? len : job.chunkSize);
    held.add(buf);
    const chunk: Chunk = { buf, got: 0, hashed: 0, queued: 0, received: false, written: false };
    chunks.set(i, chunk);
    await receive(job, chunk, start, start + len - 1, (from, to) => {
      if (job.inlineWrites) writeInline(chunk, start, to);
      else if (to - chunk.queued >= WRITE_PIECE) void queueWrite(chunk, start, to);
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
    events.onStored(len);
    writtenAhead.add(i);
    const runBefore = writtenRun;
    while (writtenAhead.delete(writtenRun)) writtenRun++;
    if (writtenRun > runBefore) events.onContiguous(Math.min(job.size, job.base + writtenRun * job.chunkSize));
  };
  const active = new Set<Promise<void>>();
  let failure: unknown;
  for (let next = 0; next < count || active.size > 0;) {
    while (failure === undefined && next < count && active.size < parallel && next < frontier + window) {
      const p: Promise<void> = run(next++)
        .catch((e) => {
          failure ??= e;
          stop.abort(); // the other ranges end now instead of at their own deadlines
        })
        .finally(() => active.delete(p));
      active.add(p);
    }
    if (active.size === 0) break;
    await Promise.race(active);
  }
  await writes;
  for (const buf of [...held]) release(buf);
  if (failure !== undefined) throw failure;
  if (frontier !== count) throw new RepoError('Integrity', 'download', job.key, 'not every byte was hashed');
  return hash.digest('hex');
}
