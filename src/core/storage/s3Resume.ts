// Finding what an earlier, interrupted upload left on the server: multipart uploads of the key
// (ListMultipartUploads) and their parts (ListParts), and whether the part layout fits the local
// file. ListMultipartUploads does not return an upload's metadata, so a candidate is judged by what
// can be checked: it started after the file was last modified, and every stored part has the size
// the layout gives it. The content of each part is checked later against the local bytes (md5 =
// part ETag) in the same read pass that hashes the file, so a wrong guess costs bytes, never data.
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import type { S3Context } from './s3Client';
import { isNoSuchUpload, toRepoError } from './s3Errors';
import { unquote } from './s3Links';

const MiB = 1024 * 1024;
export const S3_MIN_PART = 5 * MiB;
export const DEFAULT_MIN_PART = 8 * MiB;
const MAX_PART = 5 * 1024 * MiB;
/** Below S3's 10,000 so that a resumed upload with a slightly different layout still fits. */
const TARGET_MAX_PARTS = 9000;
/** Clock skew and coarse timestamps between this machine and the server. */
const MTIME_SLACK_MS = 60_000;

export interface PartialUpload { readonly key: string; readonly uploadId: string; readonly initiated?: Date }
export interface StoredPart { readonly size: number; readonly etag: string }
export interface ResumePlan { readonly uploadId: string; readonly partSize: number; readonly parts: Map<number, StoredPart> }

/** The part size for a file: at least 8 MiB, growing so that 5 TiB stays well under 10,000 parts. */
export function choosePartSize(size: number, forced?: number): number {
  const floor = Math.max(S3_MIN_PART, Math.ceil(size / TARGET_MAX_PARTS / MiB) * MiB);
  const wanted = forced ?? Math.max(DEFAULT_MIN_PART, floor);
  return Math.min(MAX_PART, Math.max(wanted, floor));
}

export const partCount = (size: number, partSize: number): number => Math.max(1, Math.ceil(size / partSize));
export const partLength = (size: number, partSize: number, n: number): number => Math.min(partSize, size - (n - 1) * partSize);

/** Multipart uploads whose key starts with `fullPrefix` (all pages). */
export async function listUploads(ctx: S3Context, fullPrefix: string, action: string, object: string,
  signal?: AbortSignal): Promise<PartialUpload[]> {
  const out: PartialUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    for (;;) {
      const page = await ctx.client.send(new ListMultipartUploadsCommand({
        Bucket: ctx.bucket, Prefix: fullPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker,
      }), { abortSignal: signal });
      for (const u of page.Uploads ?? []) {
        if (u.Key && u.UploadId) out.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated });
      }
      if (!page.IsTruncated || (!page.NextKeyMarker && !page.NextUploadIdMarker)) return out;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  } catch (e) {
    throw toRepoError(e, action, object, ctx.endpointLabel);
  }
}

/** All parts stored for an upload (ListParts is paged by 1000). */
export async function listParts(ctx: S3Context, fullKey: string, uploadId: string, signal?: AbortSignal): Promise<Map<number, StoredPart>> {
  const parts = new Map<number, StoredPart>();
  let marker: string | undefined;
  for (;;) {
    const page = await ctx.client.send(new ListPartsCommand({
      Bucket: ctx.bucket, Key: fullKey, UploadId: uploadId, PartNumberMarker: marker,
    }), { abortSignal: signal });
    for (const p of page.Parts ?? []) {
      if (p.PartNumber !== undefined) parts.set(p.PartNumber, { size: p.Size ?? 0, etag: unquote(p.ETag).toLowerCase() });
    }
    if (!page.IsTruncated || !page.NextPartNumberMarker) return parts;
    marker = String(page.NextPartNumberMarker);
  }
}

/** The part size that explains every stored part of a file of `size` bytes, if any. */
function layoutOf(parts: Map<number, StoredPart>, size: number, guesses: number[]): number | undefined {
  for (const partSize of guesses) {
    if (partSize < S3_MIN_PART) continue;
    const count = partCount(size, partSize);
    let fits = true;
    for (const [n, p] of parts) {
      if (n < 1 || n > count || p.size !== partLength(size, partSize, n)) fits = false;
    }
    if (fits) return partSize;
  }
  return undefined;
}

/** An upload of this key that this local file can continue, with its stored parts. */
export async function findResumable(ctx: S3Context, key: string, size: number, mtimeMs: number,
  partSize: number, signal?: AbortSignal): Promise<ResumePlan | undefined> {
  const fullKey = ctx.fullKey(key);
  const uploads = (await listUploads(ctx, fullKey, 'upload', key, signal))
    .filter((u) => u.key === fullKey && (!u.initiated || u.initiated.getTime() + MTIME_SLACK_MS >= mtimeMs))
    .sort((a, b) => (b.initiated?.getTime() ?? 0) - (a.initiated?.getTime() ?? 0));
  for (const u of uploads) {
    let parts: Map<number, StoredPart>;
    try {
      parts = await listParts(ctx, fullKey, u.uploadId, signal);
    } catch (e) {
      if (isNoSuchUpload(e)) continue; // finished or aborted meanwhile
      throw toRepoError(e, 'upload', key, ctx.endpointLabel);
    }
    // All parts but the last have the part size: the largest stored part is the best guess.
    const largest = Math.max(0, ...[...parts.values()].map((p) => p.size));
    const found = layoutOf(parts, size, [largest, partSize]);
    if (found !== undefined) return { uploadId: u.uploadId, partSize: found, parts };
  }
  return undefined;
}

/** A clean-up after a failure waits at least this long for its answer, whatever the connection's
 *  first-byte deadline: a server slow to answer should not leave a partial upload behind. */
const CLEANUP_FIRST_BYTE_MS = 15_000;

/** Aborts one upload; tolerates it being gone already. */
export async function abortUpload(ctx: S3Context, fullKey: string, uploadId: string): Promise<void> {
  try {
    await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: fullKey, UploadId: uploadId }),
      { requestTimeout: Math.max(ctx.timeouts.firstByteMs, CLEANUP_FIRST_BYTE_MS) });
  } catch (e) {
    if (!isNoSuchUpload(e) && (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw e;
  }
}

export async function abortUploads(ctx: S3Context, key: string): Promise<void> {
  const fullKey = ctx.fullKey(key);
  for (const u of await listUploads(ctx, fullKey, 'abort uploads of', key)) {
    if (u.key !== fullKey) continue;
    try {
      await abortUpload(ctx, fullKey, u.uploadId);
    } catch (e) {
      throw toRepoError(e, 'abort uploads of', key, ctx.endpointLabel);
    }
  }
}

export async function listPartialUploads(ctx: S3Context, prefix: string): Promise<string[]> {
  const uploads = await listUploads(ctx, ctx.fullKey(prefix), 'list partial uploads in', prefix || ctx.root);
  return [...new Set(uploads.map((u) => ctx.relativeKey(u.key)))].sort();
}
