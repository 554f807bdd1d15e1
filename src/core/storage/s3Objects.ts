// Reading objects and listings on S3 at the trust boundary: a listing hands out only keys that can
// be used as they are (s3Keys.ts) and reports the others as refused; a record is read only when it is
// small enough to be one; a streamed body's failures (a stall, a broken connection) reach the reader
// as RepoErrors that name the endpoint.
import { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { RepoError, isAbort } from '../errors';
import { showName } from '../names';
import { MAX_TEXT_BYTES } from './storage';
import type { ListOptions, ListPage } from './storage';
import type { S3Context } from './s3Client';
import { toRepoError } from './s3Errors';
import { keyProblem } from './s3Keys';
import { unquote } from './s3Links';

/** One page of a listing below `prefix`; keys the backend will not hand out are in `refused`. */
export async function listPage(ctx: S3Context, prefix: string, opts: ListOptions): Promise<ListPage> {
  const full = ctx.fullKey(prefix);
  const out = await ctx.client.send(new ListObjectsV2Command({
    Bucket: ctx.bucket, Prefix: full, Delimiter: opts.delimited === false ? undefined : '/',
    MaxKeys: opts.limit === undefined ? undefined : Math.min(opts.limit, 1000), ContinuationToken: opts.cursor,
    StartAfter: opts.cursor === undefined && opts.startAfter !== undefined ? ctx.fullKey(opts.startAfter) : undefined,
  }), { abortSignal: opts.signal });
  const refused: { key: string; reason: string }[] = [];
  const usable = (key: string): boolean => {
    const problem = keyProblem(key);
    if (problem) refused.push({ key, reason: `the object key ${showName(key)} is refused: ${problem}` });
    return !problem;
  };
  const prefixes = (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [ctx.relativeKey(p.Prefix)] : [])).filter(usable);
  // A zero-byte "folder" object some consoles create for the prefix itself is not an entry.
  const objects = (out.Contents ?? []).filter((o) => o.Key && !(o.Key === full && full.endsWith('/')))
    .map((o) => ({ key: ctx.relativeKey(o.Key ?? ''), size: o.Size ?? 0, modified: o.LastModified ?? new Date(0), etag: unquote(o.ETag) }))
    .filter((o) => usable(o.key));
  return {
    prefixes, objects, ...(refused.length > 0 ? { refused } : {}),
    cursor: out.IsTruncated && out.NextContinuationToken ? out.NextContinuationToken : undefined,
  };
}

/** A small object's body, refused unread (Corrupt) when it is larger than MAX_TEXT_BYTES. */
export async function cappedBody(body: Readable, announced: number | undefined, key: string): Promise<Buffer> {
  const tooBig = (): RepoError => new RepoError('Corrupt', 'read', key, announced !== undefined
    ? `the object is ${announced} bytes, larger than the ${MAX_TEXT_BYTES} bytes a record can be`
    : `the object is larger than the ${MAX_TEXT_BYTES} bytes a record can be`);
  if (announced !== undefined && announced > MAX_TEXT_BYTES) {
    body.destroy();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > MAX_TEXT_BYTES) {
      body.destroy();
      throw tooBig();
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** The body as a stream whose errors are RepoErrors (Network for a stall, Aborted on cancel). */
export function readerOf(ctx: S3Context, body: Readable, key: string, signal?: AbortSignal): Readable {
  const out = new Readable({
    read: () => {
      body.resume();
    },
    destroy: (err, cb) => {
      if (!body.destroyed) body.destroy();
      cb(err);
    },
  });
  body.on('data', (chunk: Buffer) => {
    if (!out.push(chunk)) body.pause();
  });
  body.once('end', () => out.push(null));
  body.once('error', (e) => out.destroy(signal?.aborted || isAbort(e)
    ? new RepoError('Aborted', 'read', key, 'cancelled', { cause: e })
    : toRepoError(e, 'read', key, ctx.endpointLabel)));
  body.pause();
  return out;
}
