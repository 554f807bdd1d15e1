// The single read pass of a multipart upload: the file is read once, in order; every byte goes
// through sha256 as it is read, and each part is either sent (several in parallel) or, when an
// earlier run already stored it, checked against the stored part's ETag (md5) and skipped.
// Memory is bounded by the part buffers: (parallel + 1) x part size when that fits the budget;
// when parts are too large for that (files of hundreds of GB), one part at a time is streamed
// through a small pipe instead, so peak memory does not grow with the file. The part-sending queue
// (PartQueue) is shared with stream uploads (s3StreamUpload.ts).
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { RepoError } from '../errors';
import type { BufferPool } from './s3Buffers';
import type { S3Context } from './s3Client';
import type { StoredPart } from './s3Resume';
import { partCount, partLength } from './s3Resume';
import { unquote } from './s3Links';

const MiB = 1024 * 1024;
/** Chunks of a streamed part (file reads, pipe writes). */
export const STREAM_CHUNK = 1 * MiB;

/** Where parts go: one multipart upload. */
export interface PartTarget {
  readonly ctx: S3Context;
  readonly key: string;
  readonly uploadId: string;
  readonly signal?: AbortSignal;
}

export type CompletedPart = { PartNumber: number; ETag: string };

export interface PassInput extends PartTarget {
  readonly localPath: string;
  readonly fh: FileHandle;
  readonly size: number;
  readonly partSize: number;
  readonly parallel: number;
  /** Shared with every other transfer of this storage. */
  readonly pool: BufferPool;
  readonly existing: Map<number, StoredPart>;
  /** Called after each part is stored or found; bytes = the part's length. */
  readonly onPart: (n: number, bytes: number, resumed: boolean) => void;
}

export interface PassResult {
  readonly sha256: string;
  readonly parts: CompletedPart[];
  /** The first error that stopped the pass (the parts stored so far stay on the server). */
  readonly error?: unknown;
}

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');

async function readFully(fh: FileHandle, buf: Buffer, len: number, pos: number, path: string): Promise<void> {
  for (let off = 0; off < len;) {
    const { bytesRead } = await fh.read(buf, off, len - off, pos + off);
    if (bytesRead === 0) throw new RepoError('Integrity', 'upload', path, 'the file got shorter while it was being uploaded');
    off += bytesRead;
  }
}

export function sendPart(p: PartTarget, n: number, body: Buffer | NodeJS.ReadableStream, length: number): Promise<string> {
  // A stream cannot be replayed by an SDK retry: streamed parts go once (file parts are retried here).
  const client = Buffer.isBuffer(body) ? p.ctx.client : p.ctx.casClient;
  return client.send(new UploadPartCommand({
    Bucket: p.ctx.bucket, Key: p.ctx.fullKey(p.key), UploadId: p.uploadId, PartNumber: n,
    Body: body as Buffer, ContentLength: length,
  }), { abortSignal: p.signal }).then((out) => unquote(out.ETag));
}

/** Sends buffered parts, at most `parallel` at once, each buffer going back to the pool when its part
 *  is stored. The first failure stops it: nothing new starts, and drain() reports that failure. */
export class PartQueue {
  readonly parts: CompletedPart[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private error: unknown;

  constructor(private readonly target: PartTarget, private readonly parallel: number, private readonly pool: BufferPool,
    private readonly onSent: (n: number, bytes: number) => void) {}

  get stopped(): boolean {
    return this.error !== undefined || !!this.target.signal?.aborted;
  }

  fail(e: unknown): void {
    this.error ??= e;
  }

  /** Sends buf[0, len) as part n once a slot is free; returns false (buffer released) when stopped meanwhile. */
  async send(n: number, buf: Buffer, len: number): Promise<boolean> {
    while (this.inflight.size >= this.parallel) await Promise.race(this.inflight);
    if (this.stopped) {
      this.pool.release(buf);
      return false;
    }
    const task: Promise<void> = sendPart(this.target, n, buf.subarray(0, len), len)
      .then((etag) => {
        this.parts.push({ PartNumber: n, ETag: etag });
        this.onSent(n, len);
      })
      .catch((e: unknown) => this.fail(e))
      .finally(() => {
        this.pool.release(buf);
        this.inflight.delete(task);
      });
    this.inflight.add(task);
    return true;
  }

  /** Waits for the parts in flight; the first error, if any. */
  async drain(): Promise<unknown> {
    await Promise.all(this.inflight);
    return this.error;
  }
}

/** Parts held in memory: up to `parallel` sending while the next one is read. */
async function bufferedPass(p: PassInput, parallel: number, hash: Hash, parts: PassResult['parts']): Promise<unknown> {
  const count = partCount(p.size, p.partSize);
  const queue = new PartQueue(p, parallel, p.pool, (n, bytes) => p.onPart(n, bytes, false));
  for (let n = 1; n <= count && !queue.stopped; n++) {
    // At most `parallel` parts are sending while this one is read: parallel + 1 buffers in all.
    const buf = await p.pool.acquire(p.partSize);
    const len = partLength(p.size, p.partSize, n);
    const data = buf.subarray(0, len);
    let stored: StoredPart | undefined;
    try {
      await readFully(p.fh, buf, len, (n - 1) * p.partSize, p.localPath);
      hash.update(data);
      const have = p.existing.get(n);
      if (have && have.size === len && have.etag === md5(data)) stored = have;
    } catch (e) {
      p.pool.release(buf);
      queue.fail(e);
      break;
    }
    if (stored) {
      // Released exactly once, before the progress callback (which may throw).
      p.pool.release(buf);
      parts.push({ PartNumber: n, ETag: stored.etag });
      try {
        p.onPart(n, len, true);
      } catch (e) {
        queue.fail(e);
        break;
      }
      continue;
    }
    await queue.send(n, buf, len);
  }
  const error = await queue.drain();
  parts.push(...queue.parts);
  return error;
}

/** One part sent while it is produced, through a small pipe (no part buffer). The SDK cannot retry a
 *  stream, so a failed send is only reported: end() gives undefined and `error` says why. */
export class PartPipe {
  error: unknown;
  private readonly pipe = new PassThrough({ highWaterMark: 4 * STREAM_CHUNK });
  private readonly sending: Promise<string>;
  /** Ends the request itself: a destroyed body alone leaves it waiting for the server's timeout. */
  private readonly stop = new AbortController();

  constructor(target: PartTarget, n: number, len: number) {
    const onAbort = (): void => this.stop.abort();
    target.signal?.addEventListener('abort', onAbort, { once: true });
    this.sending = sendPart({ ...target, signal: this.stop.signal }, n, this.pipe, len).catch((e: unknown) => {
      this.error = e;
      this.pipe.destroy();
      return '';
    }).finally(() => target.signal?.removeEventListener('abort', onAbort));
  }

  /** Writes a chunk, waiting while the request is behind; ignored once the send failed. */
  async write(chunk: Buffer): Promise<void> {
    if (this.error !== undefined || this.pipe.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.pipe.off('drain', done).off('close', done);
        resolve();
      };
      this.pipe.on('drain', done).on('close', done);
    });
  }

  /** All bytes written: the part's ETag, or undefined when the send failed. */
  async end(): Promise<string | undefined> {
    this.pipe.end();
    const etag = await this.sending;
    return this.error === undefined ? etag : undefined;
  }

  /** Gives the part up (its request fails), e.g. when the source failed. */
  async abandon(): Promise<void> {
    this.stop.abort();
    this.pipe.destroy();
    await this.sending;
  }
}

/** One part at a time through a small pipe: memory stays at a few MiB whatever the part size. */
async function streamedPass(p: PassInput, hash: Hash, parts: PassResult['parts']): Promise<unknown> {
  const count = partCount(p.size, p.partSize);
  let pipe: PartPipe | undefined;
  try {
    for (let n = 1; n <= count; n++) {
      if (p.signal?.aborted) return undefined;
      const start = (n - 1) * p.partSize;
      const len = partLength(p.size, p.partSize, n);
      const have = p.existing.get(n);
      const check = have && have.size === len ? createHash('md5') : undefined;
      pipe = check ? undefined : new PartPipe(p, n, len);
      for (let off = 0; off < len;) {
        const chunk = Buffer.allocUnsafe(Math.min(STREAM_CHUNK, len - off));
        await readFully(p.fh, chunk, chunk.length, start + off, p.localPath);
        off += chunk.length;
        hash.update(chunk);
        check?.update(chunk);
        await pipe?.write(chunk);
      }
      let etag = await pipe?.end();
      pipe = undefined;
      if (check && have?.etag === check.digest('hex')) {
        parts.push({ PartNumber: n, ETag: have.etag });
        p.onPart(n, len, true);
        continue;
      }
      if (p.signal?.aborted) return undefined;
      // A failed send, or a stored part that differs: send it again from the file (the hash is done).
      etag ??= await sendPart(p, n, createReadStream(p.localPath, { start, end: start + len - 1 }), len);
      parts.push({ PartNumber: n, ETag: etag });
      p.onPart(n, len, false);
    }
    return undefined;
  } catch (e) {
    await pipe?.abandon();
    return e;
  }
}

/** Reads the whole file once, sending the parts that are missing. */
export async function runPass(p: PassInput): Promise<PassResult> {
  const hash = createHash('sha256');
  const parts: PassResult['parts'] = [];
  const fitting = Math.floor(p.pool.budget / p.partSize) - 1;
  const error = fitting >= 1
    ? await bufferedPass(p, Math.max(1, Math.min(p.parallel, fitting)), hash, parts)
    : await streamedPass(p, hash, parts);
  parts.sort((a, b) => a.PartNumber - b.PartNumber);
  return { sha256: hash.digest('hex'), parts, error };
}
