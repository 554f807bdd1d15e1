// The repository contract on the real S3 server (Ceph RGW): one fresh bucket per run, every harness
// under its own prefix `team-a/cN` (proving prefix support), with objects written outside the prefix
// right next to it. rawPut / rawLink are plain PutObject calls, as mc cp or aws s3 cp would make.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand, CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import { openStorage } from '../../src/core/openStorage';
import { Repository } from '../../src/core/repository';
import { repositoryContract } from '../contract/repositoryContract';
import type { ContractHarness } from '../contract/repositoryContract';
import { rejects, sha256 } from '../contract/contractHelpers';
import { bodyOf } from '../contract/streamUploadContract';
import { deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3, uniqueBucket } from '../helpers/s3env';

const env = s3TestEnv();
const bucket = uniqueBucket('contract');
let client: S3Client | undefined;
let bucketReady: Promise<void> | undefined;
let harnesses = 0;

function raw(): S3Client {
  if (!env) throw new Error('no S3 server');
  client ??= rawS3Client(env);
  return client;
}

async function emptyPrefix(prefix: string): Promise<void> {
  const c = raw();
  for (;;) {
    const page = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) break;
    await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  const ups = await c.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  for (const u of ups.Uploads ?? []) await c.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
}

async function makeS3(): Promise<ContractHarness> {
  if (!env) throw new Error('no S3 server');
  bucketReady ??= raw().send(new CreateBucketCommand({ Bucket: bucket })).then(() => undefined);
  await bucketReady;
  const prefix = `team-a/c${harnesses++}`;
  const storage = createS3Storage(s3Config(env, bucket, prefix));
  const put = async (key: string, body: string | Buffer): Promise<void> => {
    await raw().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  return {
    storage,
    rawPut: (key, body) => put(`${prefix}/${key}`, body),
    rawLink: (key, target) => put(`${prefix}/${key}`, target),
    // Same bucket, a sibling prefix that shares the text `team-a/cN` but not the folder.
    rawPutOutside: (key, body) => put(`${prefix}-sibling/${key}`, body),
    cleanup: async () => {
      storage.dispose?.();
      await emptyPrefix(`${prefix}/`);
      await emptyPrefix(`${prefix}-sibling/`);
    },
  };
}

describe('S3 (Ceph RGW)', { skip: skipWithoutS3 }, () => {
  after(async () => {
    client?.destroy();
    if (bucketReady) await deleteTestBucket(env, bucket);
  });

  repositoryContract(`S3 bucket ${bucket} under a prefix`, makeS3);

  describe('S3 specifics', () => {
    let h: ContractHarness;
    before(async () => {
      h = await makeS3();
    });
    after(() => h.cleanup());

    it('opens through openStorage (the S3 backend loads lazily)', async () => {
      const s = await openStorage(s3Config(env!, bucket, 'team-a/x'));
      assert.equal(s.kind, 's3');
      assert.match(s.root, /team-a\/x/);
      s.dispose?.();
    });
    it('stores a tag as a small object whose body is the link text, like the symlink', async () => {
      await h.rawPut('llama-3-8b/2024-03-20/llama-3-8b.Q5_K_M.gguf', 'q5');
      const repo = new Repository(h.storage);
      await repo.setTag('llama-3-8b', 'v2', '2024-03-20/llama-3-8b.Q5_K_M.gguf');
      await repo.setTag('llama-3-8b', 'latest', 'v2');
      const prefix = h.storage.root.replace(/^s3:\/\/[^/]+\//, '');
      const body = async (k: string): Promise<string> =>
        (await (await raw().send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${k}` }))).Body?.transformToString()) ?? '';
      assert.equal(await body('llama-3-8b/tags/latest'), 'v2');
      assert.equal(await body('llama-3-8b/tags/v2'), '../2024-03-20/llama-3-8b.Q5_K_M.gguf');
    });
    it('streams parts larger than the memory budget one at a time, with nothing left when one fails', async () => {
      const MiB = 1024 * 1024;
      const sent: number[] = [];
      const prefix = h.storage.root.replace(/^s3:\/\/[^/]+\//, '');
      const s = createS3Storage(s3Config(env!, bucket, prefix), { memoryBudget: 8 * MiB, upload: { onPartSent: (_k, n) => sent.push(n) } });
      try {
        const bytes = randomBytes(12 * MiB);
        const r = await s.uploadStream('piped/a.bin', bodyOf(bytes), bytes.length, { partSize: 5 * MiB, expectedSha256: sha256(bytes) });
        assert.equal(r.sha256, sha256(bytes));
        assert.deepEqual(sent, [1, 2, 3]);
        assert.match((await s.stat('piped/a.bin'))?.etag ?? '', /-3$/);
        const back: Buffer[] = [];
        for await (const c of await s.read('piped/a.bin')) back.push(c as Buffer);
        assert.ok(Buffer.concat(back).equals(bytes));
        await rejects(s.uploadStream('piped/bad.bin', bodyOf(bytes), bytes.length, { partSize: 5 * MiB, expectedSha256: sha256('x') }), 'Integrity');
        await rejects(s.uploadStream('piped/dropped.bin', bodyOf(bytes, { failAt: 7 * MiB }), bytes.length, { partSize: 5 * MiB }), 'Storage');
        assert.equal(await s.stat('piped/bad.bin'), undefined);
        assert.equal(await s.stat('piped/dropped.bin'), undefined);
        assert.deepEqual(await s.listPartialUploads('piped/'), []);
      } finally {
        s.dispose?.();
      }
    });
  });
});
