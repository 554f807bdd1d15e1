// Listing, creating and removing whole buckets: operations of a connection, kept out of the Storage
// interface (a repository lives inside a bucket, it does not own it). Listing needs no bucket at all.
import {
  AbortMultipartUploadCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand,
  ListBucketsCommand, ListMultipartUploadsCommand, ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { RepoError } from '../errors';
import type { S3ConnectionConfig, S3EndpointConfig } from '../connections/types';
import { createS3Clients, createS3Context } from './s3Client';
import type { S3ClientOptions } from './s3Client';
import { toRepoError } from './s3Errors';

/** The buckets the connection's keys can see, sorted. */
export async function listBuckets(cfg: S3EndpointConfig, signal?: AbortSignal, opts: S3ClientOptions = {}): Promise<string[]> {
  const label = cfg.endpoint ?? 'AWS S3';
  const clients = createS3Clients(cfg, label, opts);
  try {
    const out = await clients.client.send(new ListBucketsCommand({}), { abortSignal: signal });
    return (out.Buckets ?? []).flatMap((b) => (b.Name ? [b.Name] : [])).sort();
  } catch (e) {
    if (signal?.aborted) throw new RepoError('Aborted', 'list buckets of', clients.endpointLabel, 'cancelled', { cause: e });
    throw toRepoError(e, 'list buckets of', clients.endpointLabel, clients.endpointLabel);
  } finally {
    clients.client.destroy();
    clients.casClient.destroy();
  }
}

/** Creates cfg.bucket; an existing bucket owned by the same keys is fine. */
export async function createBucket(cfg: S3ConnectionConfig, opts: S3ClientOptions = {}): Promise<void> {
  const ctx = createS3Context(cfg, opts);
  try {
    await ctx.client.send(new CreateBucketCommand({ Bucket: cfg.bucket }));
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou') throw toRepoError(e, 'create bucket', `s3://${cfg.bucket}`, ctx.endpointLabel);
  } finally {
    ctx.client.destroy();
    ctx.casClient.destroy();
  }
}

/** Removes cfg.bucket with everything in it (objects and unfinished multipart uploads). */
export async function deleteBucket(cfg: S3ConnectionConfig, opts: S3ClientOptions = {}): Promise<void> {
  const ctx = createS3Context(cfg, opts);
  const { client } = ctx;
  const object = `s3://${cfg.bucket}`;
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: cfg.bucket, MaxKeys: 1000 }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: cfg.bucket, Delete: { Quiet: true, Objects: keys } }));
    }
    for (;;) {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: cfg.bucket }));
      const uploads = page.Uploads ?? [];
      if (uploads.length === 0) break;
      for (const u of uploads) {
        await client.send(new AbortMultipartUploadCommand({ Bucket: cfg.bucket, Key: u.Key, UploadId: u.UploadId }));
      }
    }
    await client.send(new DeleteBucketCommand({ Bucket: cfg.bucket }));
  } catch (e) {
    if ((e as { name?: string }).name !== 'NoSuchBucket') throw toRepoError(e, 'delete bucket', object, ctx.endpointLabel);
  } finally {
    client.destroy();
    ctx.casClient.destroy();
  }
}
