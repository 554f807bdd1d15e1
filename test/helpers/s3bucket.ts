// A bucket of its own for a test file on the real S3 server: created in before() under a unique name,
// removed in after() with everything in it (objects and unfinished multipart uploads), so a run leaves
// no buckets behind. Kept apart from s3env.ts, which must not load the AWS SDK.
import { S3Client } from '@aws-sdk/client-s3';
import { createBucket, deleteBucket } from '../../src/core/storage/s3Buckets';
import type { S3TestEnv } from './s3env';
import { s3Config, uniqueBucket } from './s3env';

/** Creates a fresh bucket named after `purpose`; returns its name. */
export async function createTestBucket(env: S3TestEnv, purpose: string): Promise<string> {
  const bucket = uniqueBucket(purpose);
  await createBucket(s3Config(env, bucket));
  return bucket;
}

/** Removes the bucket and all in it; does nothing when there is no server or the bucket was never made. */
export async function deleteTestBucket(env: S3TestEnv | undefined, bucket: string | undefined): Promise<void> {
  if (env && bucket) await deleteBucket(s3Config(env, bucket));
}

/** A plain SDK client on the test server, for writing the way other tools do (aws s3 cp, mc cp). */
export function rawS3Client(env: S3TestEnv): S3Client {
  return new S3Client({
    endpoint: env.endpoint, region: env.region, forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
}
