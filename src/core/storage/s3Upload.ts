// Uploading one local file to S3, resumably. Not lib-storage's Upload: it keeps the upload id only in
// memory and cannot continue an upload after a crash, and it buffers and hashes parts again for
// signing. Here CreateMultipartUpload / UploadPart / CompleteMultipartUpload are driven directly:
// an interrupted run leaves its multipart upload on the server, and the next run for the same key and
// file finds it (s3Resume.ts) and sends only the parts that are missing. Small files go in one PUT.
// The sha256 travels with the object as a tag (s3Checksum.ts): inline with a single PUT, else set
// right after the multipart upload completes.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { RepoError } from '../errors';
import type { UploadOptions, UploadResult } from './storage';
import { tagChecksum, withInlineTag } from './s3Checksum';
import type { BufferPool } from './s3Buffers';
import type { S3Context } from './s3Client';
import { isNoSuchUpload, isNotFound, toRepoError } from './s3Errors';
import { unquote } from './s3Links';
import { runPass } from './s3Parts';
import type { CompletedPart } from './s3Parts';
import {
  abortUpload, choosePartSize, findResumable, listUploads, partCount, partLength, S3_MIN_PART,
} from './s3Resume';

const MiB = 1024 * 1024;
/** Files up to this size (and up to one part) go in a single PUT from memory. */
export const SINGLE_PUT_MAX = 32 * MiB;

export interface UploadTuning {
  /** Part buffers, shared by all transfers of the storage. */
  readonly pool: BufferPool;
  /** Parts in flight when the caller does not say (default 8). */
  readonly parallel: number;
  /** Observes each part actually sent (tests count them). */
  readonly onPartSent?: (key: string, partNumber: number, bytes: number) => void;
}

export const META_SIZE = 'modelrepo-size';
const META_MTIME = 'modelrepo-mtime';
export const META_PART = 'modelrepo-part-size';
export const META_SHA = 'modelrepo-sha256';

interface Job {
  readonly ctx: S3Context;
  readonly key: string;
  readonly localPath: string;
  readonly fh: FileHandle;
  readonly size: number;
  /** Seconds since the epoch, as stored in the object metadata. */
  readonly mtime: string;
  readonly mtimeMs: number;
  readonly opts: UploadOptions;
}

/** The file's mtime in whole seconds: what survives copies and utimes round trips. The fingerprint only
 *  picks candidates; the bytes themselves are checked against the stored md5s. */
const mtimeOf = (ms: number): string => String(Math.round(ms / 1000));

export const aborted = (key: string): RepoError => new RepoError('Aborted', 'upload', key, 'cancelled');

async function readAll(fh: FileHandle, size: number, path: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  for (let off = 0; off < size;) {
    const { bytesRead } = await fh.read(buf, off, size - off, off);
    if (bytesRead === 0) throw new RepoError('Integrity', 'upload', path, 'the file got shorter while it was being uploaded');
    off += bytesRead;
  }
  return buf;
}

async function singlePut(job: Job): Promise<UploadResult> {
  const { ctx, key, size } = job;
  const body = await readAll(job.fh, size, job.localPath);
  const sha256 = createHash('sha256').update(body).digest('hex');
  try {
    await withInlineTag(ctx, sha256, (Tagging) => ctx.client.send(new PutObjectCommand({
      Bucket: ctx.bucket, Key: ctx.fullKey(key), Body: body, ContentLength: size, Tagging,
      Metadata: { [META_SIZE]: String(size), [META_MTIME]: job.mtime, [META_SHA]: sha256 },
    }), { abortSignal: job.opts.signal }));
  } catch (e) {
    throw toRepoError(e, 'upload', key, ctx.endpointLabel);
  }
  job.opts.onProgress?.({ stored: size, total: size, resumed: 0 });
  return { key, size, sha256, resumedBytes: 0 };
}

/** The object is already there from an earlier run of this same file: verify it (md5 = ETag) while hashing. */
async function alreadyStored(job: Job): Promise<UploadResult | undefined> {
  const { ctx, key, size } = job;
  let head;
  try {
    head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: ctx.fullKey(key) }), { abortSignal: job.opts.signal });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw toRepoError(e, 'upload', key, ctx.endpointLabel);
  }
  const meta = head.Metadata ?? {};
  if (head.ContentLength !== size || meta[META_SIZE] !== String(size) || meta[META_MTIME] !== job.mtime) return undefined;
  const etag = unquote(head.ETag).toLowerCase();
  const multipart = /-(\d+)$/.exec(etag);
  const partSize = multipart ? Number(meta[META_PART]) : Math.max(size, 1);
  if (!(partSize > 0) || (multipart && Number(multipart[1]) !== partCount(size, partSize))) return undefined;
  const sha = createHash('sha256');
  const partMd5s: Buffer[] = [];
  const buf = Buffer.allocUnsafe(Math.min(8 * MiB, Math.max(size, 1)));
  for (let n = 1; n <= partCount(size, partSize); n++) {
    const md5 = createHash('md5');
    const start = (n - 1) * partSize;
    const len = size === 0 ? 0 : partLength(size, partSize, n);
    for (let off = 0; off < len;) {
      if (job.opts.signal?.aborted) throw aborted(key);
      const { bytesRead } = await job.fh.read(buf, 0, Math.min(buf.length, len - off), start + off);
      if (bytesRead === 0) return undefined;
      sha.update(buf.subarray(0, bytesRead));
      md5.update(buf.subarray(0, bytesRead));
      off += bytesRead;
    }
    partMd5s.push(md5.digest());
  }
  const sha256 = sha.digest('hex');
  const expected = multipart
    ? `${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-${partMd5s.length}`
    : partMd5s[0].toString('hex');
  if (expected !== etag || (meta[META_SHA] !== undefined && meta[META_SHA] !== sha256)) return undefined;
  // The earlier run may have ended between completing the object and tagging it.
  await tagChecksum(ctx, key, sha256, job.opts.signal);
  job.opts.onProgress?.({ stored: size, total: size, resumed: size });
  return { key, size, sha256, resumedBytes: size };
}

/** Starts a multipart upload; its id. The request itself is not cancelled by `signal`, since an
 *  upload created by a request cut short would never be known; the caller gets Aborted at once, and
 *  the upload, if the request still creates it, is aborted when its id arrives. No checksum tag goes
 *  with it, even when the hash is known: Ceph RGW 16 accepts x-amz-tagging on CreateMultipartUpload
 *  but the completed object has no tag (measured), so multipart objects are tagged after completion. */
export async function createUpload(ctx: S3Context, key: string, command: CreateMultipartUploadCommand,
  signal: AbortSignal | undefined): Promise<string> {
  const creating = ctx.client.send(command).then((out) => out.UploadId ?? '');
  if (!signal) return creating;
  if (signal.aborted) {
    void creating.then((id) => dropUpload(ctx, ctx.fullKey(key), id)).catch(() => undefined);
    throw aborted(key);
  }
  return new Promise<string>((resolve, reject) => {
    const onAbort = (): void => {
      reject(aborted(key));
      void creating.then((id) => dropUpload(ctx, ctx.fullKey(key), id)).catch(() => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    creating.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Aborts the upload and makes sure ListMultipartUploads no longer shows it. */
export async function dropUpload(ctx: S3Context, fullKey: string, uploadId: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await abortUpload(ctx, fullKey, uploadId);
    const left = await listUploads(ctx, fullKey, 'abort upload of', fullKey);
    if (!left.some((u) => u.uploadId === uploadId)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function complete(ctx: S3Context, key: string, size: number, uploadId: string, parts: CompletedPart[]): Promise<void> {
  try {
    await ctx.client.send(new CompleteMultipartUploadCommand({
      Bucket: ctx.bucket, Key: ctx.fullKey(key), UploadId: uploadId, MultipartUpload: { Parts: parts },
    }));
  } catch (e) {
    // A retried Complete whose first attempt landed finds the upload gone: check the object instead.
    if (isNoSuchUpload(e)) {
      const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: ctx.fullKey(key) })).catch(() => undefined);
      if (head?.ContentLength === size && unquote(head.ETag).endsWith(`-${parts.length}`)) return;
    }
    throw toRepoError(e, 'upload', key, ctx.endpointLabel);
  }
}

async function multipart(job: Job, tuning: UploadTuning): Promise<UploadResult> {
  const { ctx, key, size, opts } = job;
  const fullKey = ctx.fullKey(key);
  const wanted = choosePartSize(size, opts.partSize);
  let plan = size > S3_MIN_PART ? await findResumable(ctx, key, size, Number(job.mtime) * 1000, wanted, opts.signal) : undefined;
  if (!plan) {
    const done = await alreadyStored(job);
    if (done) return done;
    if (size <= wanted && size <= SINGLE_PUT_MAX) return singlePut(job);
    try {
      const uploadId = await createUpload(ctx, key, new CreateMultipartUploadCommand({
        Bucket: ctx.bucket, Key: fullKey,
        Metadata: { [META_SIZE]: String(size), [META_MTIME]: job.mtime, [META_PART]: String(wanted) },
      }), opts.signal);
      plan = { uploadId, partSize: wanted, parts: new Map() };
    } catch (e) {
      throw toRepoError(e, 'upload', key, ctx.endpointLabel);
    }
  }
  let stored = 0;
  let resumed = 0;
  const res = await runPass({
    ctx, key, localPath: job.localPath, fh: job.fh, size, uploadId: plan.uploadId, partSize: plan.partSize,
    parallel: Math.max(1, opts.concurrency ?? tuning.parallel), pool: tuning.pool,
    existing: plan.parts, signal: opts.signal,
    onPart: (n, bytes, wasStored) => {
      stored += bytes;
      if (wasStored) resumed += bytes;
      else tuning.onPartSent?.(key, n, bytes);
      opts.onProgress?.({ stored, total: size, resumed });
    },
  });
  if (opts.signal?.aborted) {
    await dropUpload(ctx, fullKey, plan.uploadId);
    throw aborted(key);
  }
  const st = await job.fh.stat();
  const changed = st.mtimeMs !== job.mtimeMs || st.size !== size;
  if (res.error !== undefined || changed) {
    // A file that changed mid-way left parts of two contents: never worth resuming.
    if (opts.resumable === false || changed) await dropUpload(ctx, fullKey, plan.uploadId).catch(() => undefined);
    if (changed) throw new RepoError('Integrity', 'upload', job.localPath, 'the file changed while it was being uploaded');
    throw toRepoError(res.error, 'upload', key, ctx.endpointLabel);
  }
  await complete(ctx, key, size, plan.uploadId, res.parts);
  await tagChecksum(ctx, key, res.sha256, opts.signal);
  return { key, size, sha256: res.sha256, resumedBytes: resumed };
}

export async function uploadFile(ctx: S3Context, key: string, localPath: string, opts: UploadOptions,
  tuning: UploadTuning): Promise<UploadResult> {
  if (opts.signal?.aborted) throw aborted(key);
  let fh: FileHandle;
  try {
    fh = await open(localPath, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RepoError(code === 'ENOENT' ? 'NotFound' : 'Storage', 'upload', localPath,
      code === 'ENOENT' ? 'the file does not exist' : (e as Error).message, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new RepoError('InvalidName', 'upload', localPath, 'not a regular file');
    const job: Job = { ctx, key, localPath, fh, size: st.size, mtime: mtimeOf(st.mtimeMs), mtimeMs: st.mtimeMs, opts };
    return await multipart(job, tuning);
  } catch (e) {
    if (opts.signal?.aborted) throw aborted(key);
    throw toRepoError(e, 'upload', key, ctx.endpointLabel);
  } finally {
    await fh.close();
  }
}
