// Streaming a body of known size to S3 (Storage.uploadStream), for sources that are not local files
// (the Hugging Face import): no local copy. One pass: every byte is hashed as it is read (streamBody.ts)
// and the parts go through the same sending queue as file uploads (s3Parts.ts). Nothing becomes
// visible before the whole body is in and checked: a body up to one part is held in memory and sent
// with one PutObject after the check; a larger one is a multipart upload that is completed only when
// the length and sha256 match, and aborted on any error, mismatch or cancel. Memory stays within the
// storage's budget: parts that do not fit it go one at a time through a pipe (sent once: an SDK retry
// cannot replay a stream, and neither can this code, so such a failure fails the upload).
// The sha256 is tagged on the object (s3Checksum.ts): inline with a single PUT, else right after
// the multipart upload completes.
import type { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { StreamUploadOptions, UploadResult } from './storage';
import { tagChecksum, withInlineTag } from './s3Checksum';
import type { S3Context } from './s3Client';
import { toRepoError } from './s3Errors';
import { PartPipe, PartQueue, STREAM_CHUNK } from './s3Parts';
import type { CompletedPart, PartTarget } from './s3Parts';
import { choosePartSize, partCount, partLength } from './s3Resume';
import { META_PART, META_SHA, META_SIZE, SINGLE_PUT_MAX, aborted, complete, createUpload, dropUpload } from './s3Upload';
import type { UploadTuning } from './s3Upload';
import { BodyReader } from './streamBody';

interface StreamJob {
  readonly ctx: S3Context;
  readonly key: string;
  readonly size: number;
  readonly partSize: number;
  readonly reader: BodyReader;
  readonly opts: StreamUploadOptions;
  readonly tuning: UploadTuning;
  /** Counts a stored part of a multipart upload and reports progress. */
  readonly onSent: (n: number, bytes: number) => void;
}

export async function uploadStream(ctx: S3Context, key: string, body: Readable, size: number, opts: StreamUploadOptions,
  tuning: UploadTuning): Promise<UploadResult> {
  const reader = new BodyReader(body, key, size, opts.signal);
  let stored = 0;
  const job: StreamJob = {
    ctx, key, size, partSize: choosePartSize(size, opts.partSize), reader, opts, tuning,
    onSent: (n, bytes) => {
      stored += bytes;
      tuning.onPartSent?.(key, n, bytes);
      opts.onProgress?.({ stored, total: size, resumed: 0 });
    },
  };
  try {
    if (opts.signal?.aborted) throw aborted(key);
    const sha256 = size <= job.partSize && size <= SINGLE_PUT_MAX ? await singlePut(job) : await multipart(job);
    return { key, size, sha256, resumedBytes: 0 };
  } catch (e) {
    if (opts.signal?.aborted) throw aborted(key);
    throw toRepoError(e, 'upload', key, ctx.endpointLabel);
  } finally {
    reader.close();
  }
}

/** Up to one part: read whole, checked, then one PutObject. */
async function singlePut(job: StreamJob): Promise<string> {
  const { ctx, key, size, opts } = job;
  const buf = await job.tuning.pool.acquire(size);
  try {
    await job.reader.fill(buf, size);
    const sha256 = await job.reader.finish(opts.expectedSha256);
    await withInlineTag(ctx, sha256, (Tagging) => ctx.client.send(new PutObjectCommand({
      Bucket: ctx.bucket, Key: ctx.fullKey(key), Body: buf.subarray(0, size), ContentLength: size, Tagging,
      Metadata: { [META_SIZE]: String(size), [META_SHA]: sha256 },
    }), { abortSignal: opts.signal }));
    opts.onProgress?.({ stored: size, total: size, resumed: 0 });
    return sha256;
  } finally {
    job.tuning.pool.release(buf);
  }
}

async function multipart(job: StreamJob): Promise<string> {
  const { ctx, key, size, partSize, opts } = job;
  const fullKey = ctx.fullKey(key);
  const uploadId = await createUpload(ctx, key, new CreateMultipartUploadCommand({
    Bucket: ctx.bucket, Key: fullKey, Metadata: { [META_SIZE]: String(size), [META_PART]: String(partSize) },
  }), opts.signal);
  try {
    const target: PartTarget = { ctx, key, uploadId, signal: opts.signal };
    const fitting = Math.floor(job.tuning.pool.budget / partSize) - 1;
    const parallel = Math.max(1, Math.min(opts.concurrency ?? job.tuning.parallel, fitting));
    const parts = fitting >= 1 ? await bufferedParts(job, target, parallel) : await streamedParts(job, target);
    const sha256 = await job.reader.finish(opts.expectedSha256);
    if (opts.signal?.aborted) throw aborted(key);
    await complete(ctx, key, size, uploadId, parts);
    await tagChecksum(ctx, key, sha256, opts.signal);
    return sha256;
  } catch (e) {
    await dropUpload(ctx, fullKey, uploadId).catch(() => undefined);
    throw e;
  }
}

/** Parts read into pool buffers: up to `parallel` sending while the next one is read. */
async function bufferedParts(job: StreamJob, target: PartTarget, parallel: number): Promise<CompletedPart[]> {
  const { size, partSize, tuning } = job;
  const queue = new PartQueue(target, parallel, tuning.pool, job.onSent);
  for (let n = 1; n <= partCount(size, partSize) && !queue.stopped; n++) {
    const buf = await tuning.pool.acquire(partSize);
    try {
      await job.reader.fill(buf, partLength(size, partSize, n));
    } catch (e) {
      tuning.pool.release(buf);
      queue.fail(e);
      break;
    }
    await queue.send(n, buf, partLength(size, partSize, n));
  }
  const error = await queue.drain();
  if (error !== undefined) throw error;
  if (job.opts.signal?.aborted) throw aborted(job.key);
  return queue.parts.sort((a, b) => a.PartNumber - b.PartNumber);
}

/** One part at a time through a small pipe: a few MiB of memory whatever the part size. */
async function streamedParts(job: StreamJob, target: PartTarget): Promise<CompletedPart[]> {
  const { size, partSize } = job;
  const parts: CompletedPart[] = [];
  for (let n = 1; n <= partCount(size, partSize); n++) {
    if (job.opts.signal?.aborted) throw aborted(job.key);
    const len = partLength(size, partSize, n);
    const pipe = new PartPipe(target, n, len);
    try {
      for (let off = 0; off < len && pipe.error === undefined;) {
        const chunk = await job.reader.take(Math.min(STREAM_CHUNK, len - off));
        off += chunk.length;
        await pipe.write(chunk);
      }
    } catch (e) {
      await pipe.abandon();
      throw e;
    }
    const etag = await pipe.end();
    if (etag === undefined) throw pipe.error;
    parts.push({ PartNumber: n, ETag: etag });
    job.onSent(n, len);
  }
  return parts;
}
