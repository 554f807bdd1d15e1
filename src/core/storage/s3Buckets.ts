// Creating and removing whole buckets: what tests, benchmarks and a "new repository" command need,
// kept out of the Storage interface (a repository lives inside a bucket, it does not own it).
import {
  AbortMultipartUploadCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import type { S3ConnectionConfig } from '../connections/types';
import { createS3Context } from './s3Client';
import type { S3ClientOptions } from './s3Client';
import { toRepoError } from './s3Errors';

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
