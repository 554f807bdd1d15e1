// The S3 backend of the Storage interface (storage.ts), tested against Ceph RGW. This module wires
// the pieces: client and key mapping (s3Client.ts), conditional writes and links (s3Links.ts),
// resumable multipart uploads (s3Upload.ts, s3Parts.ts, s3Resume.ts), stream uploads (s3StreamUpload.ts),
// parallel downloads (s3Download.ts), checksum tags (s3Checksum.ts) and error mapping (s3Errors.ts).
// Keys are relative to bucket + prefix; a key that URL normalization would change is refused as
// Unsafe before any request (s3Keys.ts), and every request keeps the connection's deadlines (s3Http.ts).
import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { RepoError } from '../errors';
import type { S3ConnectionConfig } from '../connections/types';
import type {
  DownloadOptions, LinkExpectation, ListOptions, ListPage, ObjectInfo, PutOptions, Storage, UploadOptions,
} from './storage';
import { BufferPool } from './s3Buffers';
import { readChecksum } from './s3Checksum';
import { createS3Context } from './s3Client';
import type { S3ClientOptions } from './s3Client';
import { downloadFile } from './s3Download';
import type { DownloadTuning } from './s3Download';
import { isInvalidRange, isNotFound, toRepoError } from './s3Errors';
import { checkKey } from './s3Keys';
import { conditionalPut, deleteLink, readLink, unquote, writeLink } from './s3Links';
import { cappedBody, listPage, readerOf } from './s3Objects';
import { abortUploads, listParts, listPartialUploads, listUploads } from './s3Resume';
import { uploadStream } from './s3StreamUpload';
import { uploadFile } from './s3Upload';
import type { UploadTuning } from './s3Upload';

const MiB = 1024 * 1024;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface S3StorageOptions extends S3ClientOptions {
  /** Bytes of transfer buffers all uploads and downloads of this storage share (default 32 MiB). */
  readonly memoryBudget?: number;
  readonly upload?: Partial<Omit<UploadTuning, 'pool'>>;
  readonly download?: Partial<Omit<DownloadTuning, 'pool'>>;
}

export interface PartialUploadState {
  readonly uploadId: string;
  readonly initiated?: Date;
  readonly parts: readonly { readonly partNumber: number; readonly size: number }[];
}

/** The S3 storage, plus what only S3 can tell: the parts an interrupted upload left behind. */
export interface S3Storage extends Storage {
  partialUploadState(key: string): Promise<PartialUploadState[]>;
}

export function createS3Storage(cfg: S3ConnectionConfig, options: S3StorageOptions = {}): S3Storage {
  const ctx = createS3Context(cfg, options);
  const { client, bucket } = ctx;
  // 32 MiB keeps a CLI transfer under 150 MiB of peak RSS at any size: an upload's parts of 8 MiB in
  // flight plus the one being read; a download's window of 8 chunks of 2 MiB. (48 MiB: upload of 4 GiB
  // 167 MiB, against 140 MiB at 32, in the same time: 22.5 and 21.5 s.)
  const pool = new BufferPool(options.memoryBudget ?? 32 * MiB);
  const uploadTuning: UploadTuning = { parallel: 8, ...options.upload, pool };
  // Ranged GETs of 2 MiB, 6 at a time: against Ceph RGW, 1 GiB took 3.0-3.8 s and 2.6-3.8 s of server
  // CPU, against 5.2-5.7 s and 5.3-6.1 s with 8 MiB x 4 (16 MiB x 4: 5.7-6.4 s; 2 or 3 alternating
  // rounds each, docs/benchmarks.md). Six in flight keep a link with some latency busy too.
  const downloadTuning: DownloadTuning = { chunkSize: 2 * MiB, parallel: 6, rawSockets: true, ...options.download, pool };
  // An abort can surface as a broken body or connection: the caller's signal says what it was.
  const fail = (e: unknown, action: string, key: string, signal?: AbortSignal): RepoError =>
    (signal?.aborted ? new RepoError('Aborted', action, key, 'cancelled', { cause: e }) : toRepoError(e, action, key, ctx.endpointLabel));
  const keyed = <A extends unknown[], R>(action: string, f: (key: string, ...rest: A) => Promise<R>) =>
    (key: string, ...rest: A): Promise<R> => {
      try {
        checkKey(key, action);
      } catch (e) {
        return Promise.reject(e);
      }
      return f(key, ...rest);
    };

  return {
    kind: 's3',
    root: ctx.root,

    async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
      try {
        return await listPage(ctx, prefix, opts);
      } catch (e) {
        throw fail(e, 'list', `${ctx.root}/${prefix}`, opts.signal);
      }
    },

    stat: keyed('read', async (key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> => {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: ctx.fullKey(key) }), { abortSignal: signal });
        return { key, size: out.ContentLength ?? 0, modified: out.LastModified ?? new Date(0), etag: unquote(out.ETag) };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw fail(e, 'read', key, signal);
      }
    }),

    read: keyed('read', async (key: string, range?: { start: number; end?: number }, signal?: AbortSignal): Promise<Readable> => {
      if (range && (range.start < 0 || (range.end !== undefined && range.end < range.start))) {
        throw new RepoError('InvalidRef', 'read', key, `bad byte range ${range.start}-${range.end ?? ''}`);
      }
      try {
        const out = await client.send(new GetObjectCommand({
          Bucket: bucket, Key: ctx.fullKey(key), Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }), { abortSignal: signal });
        return readerOf(ctx, out.Body as Readable, key, signal);
      } catch (e) {
        // A range starting at or past the end reads nothing, as on a filesystem.
        if (range && isInvalidRange(e)) return Readable.from([]);
        throw fail(e, 'read', key, signal);
      }
    }),

    readText: keyed('read', async (key: string, signal?: AbortSignal): Promise<string | undefined> => {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: ctx.fullKey(key) }), { abortSignal: signal });
        return (await cappedBody(out.Body as Readable, out.ContentLength, key)).toString('utf8');
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw fail(e, 'read', key, signal);
      }
    }),

    putText: keyed('write', async (key: string, body: string, opts: PutOptions = {}): Promise<ObjectInfo> => {
      const contentType = opts.contentType ?? (key.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8');
      const size = Buffer.byteLength(body);
      let etag: string;
      if (opts.ifAbsent && opts.ifMatch !== undefined) {
        throw new RepoError('InvalidRef', 'write', key, 'ifAbsent and ifMatch cannot both be given');
      }
      if (opts.ifAbsent || opts.ifMatch !== undefined) {
        const expect = opts.ifMatch !== undefined ? { token: opts.ifMatch } : { absent: true as const };
        const res = await conditionalPut(ctx, { key, body, expect, contentType, action: 'write', signal: opts.signal });
        if (!('etag' in res)) {
          if (opts.ifAbsent) throw new RepoError('Exists', 'write', key, 'it already exists');
          throw new RepoError('Conflict', 'write', key, res.conflict ? 'it was changed by someone else' : 'it was deleted by someone else',
            { details: { currentToken: res.conflict?.etag } });
        }
        etag = res.etag;
      } else {
        try {
          const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: ctx.fullKey(key), Body: body, ContentType: contentType }),
            { abortSignal: opts.signal });
          etag = unquote(out.ETag);
        } catch (e) {
          throw fail(e, 'write', key, opts.signal);
        }
      }
      return { key, size, modified: new Date(), etag };
    }),

    uploadFile: keyed('upload', (key, localPath: string, opts: UploadOptions = {}) =>
      pool.run(() => uploadFile(ctx, key, localPath, opts, uploadTuning))),
    uploadStream: (key, body, size, opts = {}) => {
      try {
        checkKey(key, 'upload');
      } catch (e) {
        body.destroy();
        return Promise.reject(e);
      }
      return pool.run(() => uploadStream(ctx, key, body, size, opts, uploadTuning));
    },
    downloadFile: keyed('download', (key, localPath: string, opts: DownloadOptions = {}) =>
      pool.run(() => downloadFile(ctx, key, localPath, opts, downloadTuning))),
    abortUploads: keyed('abort uploads of', (key) => abortUploads(ctx, key)),
    listPartialUploads: (prefix) => listPartialUploads(ctx, prefix),
    readChecksum: keyed('read the checksum of', (key, signal?: AbortSignal) => readChecksum(ctx, key, signal)),

    async partialUploadState(key: string): Promise<PartialUploadState[]> {
      const fullKey = ctx.fullKey(key);
      const uploads = (await listUploads(ctx, fullKey, 'list partial uploads of', key)).filter((u) => u.key === fullKey);
      const out: PartialUploadState[] = [];
      for (const u of uploads) {
        try {
          const parts = await listParts(ctx, fullKey, u.uploadId);
          out.push({ uploadId: u.uploadId, initiated: u.initiated,
            parts: [...parts].map(([partNumber, p]) => ({ partNumber, size: p.size })).sort((a, b) => a.partNumber - b.partNumber) });
        } catch (e) {
          if (!isNotFound(e)) throw fail(e, 'list partial uploads of', key);
        }
      }
      return out;
    },

    async delete(keys: readonly string[], signal?: AbortSignal): Promise<void> {
      for (const k of keys) checkKey(k, 'delete');
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        let errors;
        try {
          const out = await client.send(new DeleteObjectsCommand({
            Bucket: bucket, Delete: { Quiet: true, Objects: batch.map((k) => ({ Key: ctx.fullKey(k) })) },
          }), { abortSignal: signal });
          errors = out.Errors ?? [];
        } catch (e) {
          throw fail(e, 'delete', batch.length === 1 ? batch[0] : `${batch.length} objects in ${ctx.root}`, signal);
        }
        const bad = errors.filter((er) => er.Code !== 'NoSuchKey');
        if (bad.length > 0) {
          const first = bad[0];
          throw new RepoError(first.Code === 'AccessDenied' ? 'Auth' : 'Storage', 'delete', ctx.relativeKey(first.Key ?? ''),
            `${first.Code ?? 'error'}: ${first.Message ?? ''}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}`);
        }
      }
    },

    readLink: keyed('read link', (key, signal?: AbortSignal) => readLink(ctx, key, signal)),
    writeLink: keyed('write link', (key, target: string, expect: LinkExpectation, meta?: Record<string, string>) =>
      writeLink(ctx, key, target, expect, meta)),
    deleteLink: keyed('delete link', (key, expect: { readonly token: string }) => deleteLink(ctx, key, expect)),

    shareUrl: keyed('share', async (key: string, expiresInSeconds: number): Promise<string> => {
      if (!(expiresInSeconds >= 1 && expiresInSeconds <= MAX_PRESIGN_SECONDS)) {
        throw new RepoError('Config', 'share', key, `the expiry must be between 1 second and 7 days (got ${expiresInSeconds})`);
      }
      try {
        return await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: ctx.fullKey(key) }),
          { expiresIn: Math.floor(expiresInSeconds) });
      } catch (e) {
        throw fail(e, 'share', key);
      }
    }),

    dispose(): void {
      client.destroy();
      ctx.casClient.destroy();
    },
  };
}

