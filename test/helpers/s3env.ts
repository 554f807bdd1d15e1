// Finds the real S3 server the test run started (scripts/s3-server.sh exports S3_ENDPOINT and keys).
// Tests that need it are skipped, visibly, when it is absent; scripts/test.sh always starts it.
import { randomBytes } from 'node:crypto';
import type { S3ConnectionConfig } from '../../src/core/connections/types';

export interface S3TestEnv {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export function s3TestEnv(): S3TestEnv | undefined {
  const endpoint = process.env.S3_ENDPOINT;
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) return undefined;
  return { endpoint, region: process.env.AWS_REGION ?? 'us-east-1', accessKeyId, secretAccessKey };
}

/** Reason to pass as node:test `skip` when no server is configured, else false. */
export const skipWithoutS3: string | false = s3TestEnv() ? false : 'no S3 server: run scripts/s3-server.sh and export S3_ENDPOINT + keys';

/** A bucket name unique to this run and purpose (S3 rules: lowercase, 3-63 chars). */
export function uniqueBucket(purpose: string): string {
  return `t-${purpose.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 30)}-${randomBytes(4).toString('hex')}`;
}

export function s3Config(env: S3TestEnv, bucket: string, prefix?: string): S3ConnectionConfig {
  return {
    kind: 's3', endpoint: env.endpoint, region: env.region, forcePathStyle: true, bucket, prefix,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  };
}
