// The sha256 that travels with each object the tool stores: an object tag CHECKSUM_TAG (storage.ts)
// holding the hex digest. Where the hash is known before the write (a single PUT, a stream upload
// with an expected hash) it goes inline with the write (x-amz-tagging); otherwise PutObjectTagging
// follows CompleteMultipartUpload. Tagging changes neither the bytes nor the ETag of an object.
// A server without tagging (NotImplemented), or keys that may not tag, must not fail uploads: the
// tag is then skipped for the rest of the connection and readChecksum() answers undefined.
import { GetObjectTaggingCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { RepoError } from '../errors';
import { CHECKSUM_TAG } from './storage';
import type { S3Context } from './s3Client';
import { httpStatus, isNotFound, toRepoError } from './s3Errors';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const REFUSALS = new Set(['NotImplemented', 'AccessDenied', 'MethodNotAllowed', 'InvalidTag', 'InvalidArgument', 'InvalidRequest']);

/** The server does not do tagging, or these keys may not tag. */
export function taggingRefused(e: unknown): boolean {
  const name = (e as { name?: string; Code?: string }).name ?? (e as { Code?: string }).Code ?? '';
  const status = httpStatus(e);
  return REFUSALS.has(name) || status === 501 || status === 405;
}

/** The x-amz-tagging value for a write whose hash is known, or undefined when tagging is off. */
export function inlineTag(ctx: S3Context, sha256: string): string | undefined {
  return ctx.features.taggingRefused ? undefined : `${CHECKSUM_TAG}=${sha256}`;
}

/** Runs a write with its inline tag; when the server refuses the tag, once more without it. */
export async function withInlineTag<T>(ctx: S3Context, sha256: string, write: (tagging: string | undefined) => Promise<T>): Promise<T> {
  const tagging = inlineTag(ctx, sha256);
  if (!tagging) return write(undefined);
  try {
    return await write(tagging);
  } catch (e) {
    if (!taggingRefused(e)) throw e;
    ctx.features.taggingRefused = true;
    return write(undefined);
  }
}

/** Tags a stored object with its sha256 (after a multipart upload). */
export async function tagChecksum(ctx: S3Context, key: string, sha256: string, signal?: AbortSignal): Promise<void> {
  if (ctx.features.taggingRefused) return;
  try {
    await ctx.client.send(new PutObjectTaggingCommand({
      Bucket: ctx.bucket, Key: ctx.fullKey(key), Tagging: { TagSet: [{ Key: CHECKSUM_TAG, Value: sha256 }] },
    }), { abortSignal: signal });
  } catch (e) {
    if (taggingRefused(e)) {
      ctx.features.taggingRefused = true;
      return;
    }
    throw toRepoError(e, 'upload', key, ctx.endpointLabel);
  }
}

/** The sha256 tag of an object, undefined when it has none (written by another tool); Corrupt when
 *  the tag is not a sha256 (as the filesystem's sidecar that contradicts its file). */
export async function readChecksum(ctx: S3Context, key: string, signal?: AbortSignal): Promise<string | undefined> {
  let tags;
  try {
    tags = await ctx.client.send(new GetObjectTaggingCommand({ Bucket: ctx.bucket, Key: ctx.fullKey(key) }), { abortSignal: signal });
  } catch (e) {
    if (e instanceof RepoError) throw e;
    if (isNotFound(e) || taggingRefused(e)) return undefined;
    throw toRepoError(e, 'read the checksum of', key, ctx.endpointLabel);
  }
  const value = tags.TagSet?.find((t) => t.Key === CHECKSUM_TAG)?.Value;
  if (value === undefined) return undefined;
  // Only this tool writes the tag: one that is not a sha256 was changed by someone else.
  if (!SHA256_HEX.test(value)) throw new RepoError('Corrupt', 'read the checksum of', key, `its ${CHECKSUM_TAG} tag is not a sha256`);
  return value;
}
