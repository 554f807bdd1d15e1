// The single read pass of a multipart upload: the file is read once, in order; every byte goes
// through sha256 as it is read, and each part is either sent (several in parallel) or, when an
// earlier run already stored it, checked against the stored part's ETag (md5) and skipped.
// Memory is bounded by the part buffers: (parallel + 1) x part size when that fits the budget;
// when parts are too large for that (files of hundreds of GB), one part at a time is streamed
// through a small pipe instead, so peak memory does not grow with the file.
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
const STREAM_CHUNK = 1 * MiB;

export interface PassInput {
  readonly ctx: S3Context;
  readonly key: string;
  readonly localPath: string;
  readonly fh: FileHandle;
  readonly size: number;
  readonly uploadId: string;
  readonly partSize: number;
  readonly parallel: number;
  /** Shared with every other transfer of this storage. */
  readonly pool: BufferPool;
  readonly existing: Map<number, StoredPart>;
  readonly signal?: AbortSignal;
  /** Called after each part is stored or found; bytes = the part's length. */
  readonly onPart: (n: number, bytes: number, resumed: boolean) => void;
}

export interface PassResult {
  readonly sha256: string;
  readonly parts: { PartNumber: number; ETag: string }[];
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

function sendPart(p: PassInput, n: number, body: Buffer | NodeJS.ReadableStream, length: number): Promise<string> {
  // A stream cannot be replayed by an SDK retry: streamed parts go once, and are retried here.
  const client = Buffer.isBuffer(body) ? p.ctx.client : p.ctx.casClient;
  return client.send(new UploadPartCommand({
    Bucket: p.ctx.bucket, Key: p.ctx.fullKey(p.key), UploadId: p.uploadId, PartNumber: n,
    Body: body as Buffer, ContentLength: length,
  }), { abortSignal: p.signal }).then((out) => out.ETag ?? '');
}

/** Parts held in memory: up to `parallel` sending while the next one is read. */
async function bufferedPass(p: PassInput, parallel: number, hash: Hash, parts: PassResult['parts']): Promise<unknown> {
  const count = partCount(p.size, p.partSize);
  const inflight = new Set<Promise<void>>();
  let error: unknown;
  const fail = (e: unknown): void => {
    error ??= e;
  };
  for (let n = 1; n <= count && error === undefined && !p.signal?.aborted; n++) {
    // At most `parallel` parts are sending while this one is read: parallel + 1 buffers in all.
    const buf = await p.pool.acquire(p.partSize);
    const len = partLength(p.size, p.partSize, n);
    const data = buf.subarray(0, len);
    try {
      await readFully(p.fh, buf, len, (n - 1) * p.partSize, p.localPath);
      hash.update(data);
      const have = p.existing.get(n);
      if (have && have.size === len && have.etag === md5(data)) {
        parts.push({ PartNumber: n, ETag: have.etag });
        p.pool.release(buf);
        p.onPart(n, len, true);
        continue;
      }
    } catch (e) {
      p.pool.release(buf);
      fail(e);
      break;
    }
    while (inflight.size >= parallel) await Promise.race(inflight);
    if (error !== undefined || p.signal?.aborted) {
      p.pool.release(buf);
      break;
    }
    const task: Promise<void> = sendPart(p, n, data, len)
      .then((etag) => {
        parts.push({ PartNumber: n, ETag: unquote(etag) });
        p.onPart(n, len, false);
      }, fail)
      .catch(fail)
      .finally(() => {
        p.pool.release(buf);
        inflight.delete(task);
      });
    inflight.add(task);
  }
  await Promise.all(inflight);
  return error;
}

/** One part at a time through a small pipe: memory stays at a few MiB whatever the part size. */
async function streamedPass(p: PassInput, hash: Hash, parts: PassResult['parts']): Promise<unknown> {
  const count = partCount(p.size, p.partSize);
  try {
    for (let n = 1; n <= count; n++) {
      if (p.signal?.aborted) return undefined;
      const start = (n - 1) * p.partSize;
      const len = partLength(p.size, p.partSize, n);
      const have = p.existing.get(n);
      const check = have && have.size === len ? createHash('md5') : undefined;
      const pipe = check ? undefined : new PassThrough({ highWaterMark: 4 * STREAM_CHUNK });
      let sendError: unknown;
      const sending = pipe && sendPart(p, n, pipe, len).catch((e) => {
        sendError = e;
        pipe.destroy();
        return '';
      });
      for (let off = 0; off < len;) {
        const chunk = Buffer.allocUnsafe(Math.min(STREAM_CHUNK, len - off));
        await readFully(p.fh, chunk, chunk.length, start + off, p.localPath);
        off += chunk.length;
        hash.update(chunk);
        check?.update(chunk);
        if (pipe && sendError === undefined && !pipe.write(chunk)) {
          await new Promise<void>((resolve) => {
            pipe.once('drain', resolve);
            pipe.once('close', resolve);
          });
        }
      }
      pipe?.end();
      let etag = sending ? await sending : '';
      if (check && have?.etag === check.digest('hex')) {
        parts.push({ PartNumber: n, ETag: have.etag });
        p.onPart(n, len, true);
        continue;
      }
      if (p.signal?.aborted) return undefined;
      // A failed send, or a stored part that differs: send it again from the file (the hash is done).
      if (!sending || sendError !== undefined) {
        etag = await sendPart(p, n, createReadStream(p.localPath, { start, end: start + len - 1 }), len);
      }
      parts.push({ PartNumber: n, ETag: unquote(etag) });
      p.onPart(n, len, false);
    }
    return undefined;
  } catch (e) {
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

export { STREAM_CHUNK };
