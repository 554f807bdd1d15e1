// Conditional writes on S3: links (tags) and create-only objects. Compare-and-swap uses
// If-None-Match: * (must be absent) or If-Match: <etag> (must be unchanged). Each write carries a
// unique id in its metadata, so that an ambiguous answer (HTTP 500, a broken connection) is settled
// by reading the object back: our id there means our write landed. Ceph RGW 16 answers 500 instead
// of 412 to losing writers in a race, and accepts If-Match only with the ETag unquoted.
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { RepoError } from '../errors';
import type { LinkExpectation, LinkInfo } from './storage';
import type { S3Context } from './s3Client';
import { isAmbiguous, isNotFound, isPreconditionFailed, toRepoError } from './s3Errors';

export const WRITE_ID_META = 'modelrepo-write-id';
const MAX_LINK_BYTES = 1024;
const AMBIGUOUS_RETRIES = 3;

export const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^W\//, '').replace(/"/g, '');

/** S3 metadata travels in HTTP headers: keep keys to [a-z0-9-] and values to printable ASCII. */
export function safeMeta(meta: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta ?? {})) {
    const key = k.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    out[key] = /^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v);
  }
  return out;
}

export async function bodyBytes(body: GetObjectCommandOutput['Body']): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface Current {
  /** Empty when the object is larger than a link can be. */
  readonly bytes: Buffer;
  readonly size: number;
  readonly etag: string;
  readonly meta: Record<string, string>;
}

/** Reads a small object whole, with its ETag and metadata; undefined when absent. */
export async function getSmall(ctx: S3Context, key: string, action: string, signal?: AbortSignal): Promise<Current | undefined> {
  try {
    const out = await ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: ctx.fullKey(key) }), { abortSignal: signal });
    const size = out.ContentLength ?? 0;
    const meta = out.Metadata ?? {};
    if (size > MAX_LINK_BYTES) {
      (out.Body as Readable).destroy();
      return { bytes: Buffer.alloc(0), size, etag: unquote(out.ETag), meta };
    }
    const bytes = await bodyBytes(out.Body);
    return { bytes, size: bytes.length, etag: unquote(out.ETag), meta };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw toRepoError(e, action, key, ctx.endpointLabel);
  }
}

/** Link text from a stored object, or BrokenLink when it cannot be a link. */
export function linkText(cur: Current, key: string): string {
  if (cur.size > MAX_LINK_BYTES) {
    throw new RepoError('BrokenLink', 'read link', key, `the link object is ${cur.size} bytes (a link is at most ${MAX_LINK_BYTES})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(cur.bytes);
  } catch {
    throw new RepoError('BrokenLink', 'read link', key, 'the link object is not text');
  }
  // Tools like `echo v2 | mc pipe` add a newline; anything else non-printable is not a link.
  text = text.replace(/[\r\n]+$/, '');
  if (/[\x00-\x1f\x7f]/.test(text)) throw new RepoError('BrokenLink', 'read link', key, 'the link object is not text');
  return text;
}

export async function readLink(ctx: S3Context, key: string, signal?: AbortSignal): Promise<LinkInfo | undefined> {
  const cur = await getSmall(ctx, key, 'read link', signal);
  return cur && { target: linkText(cur, key), token: cur.etag };
}

function describe(cur: Current | undefined, key: string): Record<string, unknown> {
  if (!cur) return { current: undefined };
  let current: string | undefined;
  try {
    current = linkText(cur, key);
  } catch {
    current = undefined;
  }
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(cur.meta)) {
    try {
      meta[k] = decodeURIComponent(v);
    } catch {
      meta[k] = v;
    }
  }
  return { current, currentToken: cur.etag, currentMeta: meta };
}

export interface ConditionalPut {
  readonly key: string;
  readonly body: string;
  readonly expect: LinkExpectation;
  readonly meta?: Record<string, string>;
  readonly contentType?: string;
  readonly action: string;
  readonly signal?: AbortSignal;
}

/** Writes `body` only if the object matches `expect`. Returns the new ETag, or the current state on conflict. */
export async function conditionalPut(ctx: S3Context, p: ConditionalPut): Promise<{ etag: string } | { conflict: Current | undefined }> {
  const fullKey = ctx.fullKey(p.key);
  for (let attempt = 0; ; attempt++) {
    const id = randomUUID();
    try {
      const out = await ctx.casClient.send(new PutObjectCommand({
        Bucket: ctx.bucket, Key: fullKey, Body: p.body, ContentType: p.contentType ?? 'text/plain; charset=utf-8',
        Metadata: { ...safeMeta(p.meta), [WRITE_ID_META]: id },
        ...('absent' in p.expect ? { IfNoneMatch: '*' } : { IfMatch: unquote(p.expect.token) }),
      }), { abortSignal: p.signal });
      let etag = unquote(out.ETag);
      if (!etag) etag = (await getSmall(ctx, p.key, p.action))?.etag ?? '';
      return { etag };
    } catch (e) {
      // With retries off, a 412 is a plain "no": our request is the only one that was sent.
      if (isPreconditionFailed(e) || ('token' in p.expect && isNotFound(e))) {
        return { conflict: await getSmall(ctx, p.key, p.action) };
      }
      if (!isAmbiguous(e) || p.signal?.aborted) throw toRepoError(e, p.action, p.key, ctx.endpointLabel);
      const cur = await getSmall(ctx, p.key, p.action);
      if (cur?.meta[WRITE_ID_META] === id) return { etag: cur.etag };
      const stillExpected = 'absent' in p.expect ? cur === undefined : cur?.etag === unquote(p.expect.token);
      // Unchanged state: our write did not land (a transient failure), so trying again is safe.
      if (!stillExpected) return { conflict: cur };
      if (attempt + 1 >= AMBIGUOUS_RETRIES) throw toRepoError(e, p.action, p.key, ctx.endpointLabel);
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

export async function writeLink(ctx: S3Context, key: string, target: string, expect: LinkExpectation,
  meta?: Record<string, string>): Promise<LinkInfo> {
  if (Buffer.byteLength(target) > MAX_LINK_BYTES) {
    throw new RepoError('InvalidRef', 'write link', key, `the link text is longer than ${MAX_LINK_BYTES} bytes`);
  }
  const res = await conditionalPut(ctx, { key, body: target, expect, meta, action: 'write link' });
  if ('etag' in res) return { target, token: res.etag };
  const why = 'absent' in expect ? 'it already exists' : res.conflict ? 'it was moved by someone else' : 'it was deleted by someone else';
  throw new RepoError('Conflict', 'write link', key, why, { details: describe(res.conflict, key) });
}

export async function deleteLink(ctx: S3Context, key: string, expect: { readonly token: string }): Promise<void> {
  const fullKey = ctx.fullKey(key);
  let etag: string | undefined;
  try {
    etag = unquote((await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.bucket, Key: fullKey }))).ETag);
  } catch (e) {
    if (!isNotFound(e)) throw toRepoError(e, 'delete link', key, ctx.endpointLabel);
  }
  if (etag !== unquote(expect.token)) {
    const cur = await getSmall(ctx, key, 'delete link');
    throw new RepoError('Conflict', 'delete link', key, cur ? 'it was moved by someone else' : 'it was already deleted',
      { details: describe(cur, key) });
  }
  // Ceph 16 has no conditional DeleteObject: a move landing between the check above and this delete
  // (a few milliseconds) would be deleted with it. The repository's history record keeps the trace.
  try {
    await ctx.client.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: fullKey }));
  } catch (e) {
    throw toRepoError(e, 'delete link', key, ctx.endpointLabel);
  }
}
