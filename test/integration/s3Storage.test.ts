// The S3 backend against the real server (Ceph RGW): listing with delimiters and paging, object reads
// and writes, bulk delete, presigned URLs, and the errors a user meets first (wrong keys, a dead
// endpoint, a missing bucket). Links and transfers have their own files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { s3Backend } from '../../src/core/backends/s3';
import { redactSecrets } from '../../src/core/errors';
import type { ListPage, Storage } from '../../src/core/storage/storage';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import { rejects } from '../contract/contractHelpers';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3, uniqueBucket } from '../helpers/s3env';

const env = s3TestEnv();

async function readAll(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('S3 storage: listing, objects, errors', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let storage: Storage;
  let whole: Storage; // the same bucket without a prefix, to write outside the repository root

  before(async () => {
    if (!env) return;
    bucket = await createTestBucket(env, 's3-basic');
    storage = createS3Storage(s3Config(env, bucket, 'team-a/repo'));
    whole = createS3Storage(s3Config(env, bucket));
  });
  after(async () => {
    storage?.dispose?.();
    whole?.dispose?.();
    await deleteTestBucket(env, bucket);
  });

  it('lists one level with delimiters, pages with a cursor, and stays inside the root', async () => {
    for (const k of ['m1/v1/a.gguf', 'm1/v1/b.gguf', 'm1/v2/c.gguf', 'm1/tags/latest', 'm1/readme.md', 'm2/v1/x.bin']) {
      await storage.putText(k, `body of ${k}`);
    }
    await whole.putText('team-a/repo-sibling/m1/v9/z', 'outside');
    await whole.putText('elsewhere/m1/v1/a.gguf', 'outside');

    const top = await storage.list('');
    assert.deepEqual(top.prefixes, ['m1/', 'm2/']);
    assert.deepEqual(top.objects, []);

    const pages: ListPage[] = [];
    let cursor: string | undefined;
    do {
      const page = await storage.list('m1/', { limit: 2, cursor });
      assert.ok(page.prefixes.length + page.objects.length <= 2, 'a page holds at most `limit` entries');
      pages.push(page);
      cursor = page.cursor;
    } while (cursor);
    assert.ok(pages.length >= 2, 'four entries at limit 2 take more than one page');
    assert.deepEqual(pages.flatMap((p) => p.prefixes), ['m1/tags/', 'm1/v1/', 'm1/v2/']);
    assert.deepEqual(pages.flatMap((p) => p.objects.map((o) => o.key)), ['m1/readme.md']);

    const deep = await storage.list('m1/', { delimited: false });
    assert.deepEqual(deep.prefixes, []);
    assert.deepEqual(deep.objects.map((o) => o.key),
      ['m1/readme.md', 'm1/tags/latest', 'm1/v1/a.gguf', 'm1/v1/b.gguf', 'm1/v2/c.gguf']);
    const a = deep.objects.find((o) => o.key === 'm1/v1/a.gguf');
    assert.equal(a?.size, Buffer.byteLength('body of m1/v1/a.gguf'));
    assert.match(a?.etag ?? '', /^[0-9a-f]{32}$/, 'ETag without quotes');
  });

  it('stats, reads byte ranges and text, and writes text only-if-absent', async () => {
    const info = await storage.putText('m3/v1/notes.txt', '0123456789');
    const st = await storage.stat('m3/v1/notes.txt');
    assert.equal(st?.size, 10);
    assert.equal(st?.etag, info.etag);
    assert.equal(await readAll(await storage.read('m3/v1/notes.txt', { start: 2, end: 5 })), '2345');
    assert.equal(await readAll(await storage.read('m3/v1/notes.txt', { start: 7 })), '789');
    assert.equal(await readAll(await storage.read('m3/v1/notes.txt', { start: 10 })), '', 'a range past the end reads nothing');
    assert.equal(await storage.readText('m3/v1/notes.txt'), '0123456789');
    assert.equal(await storage.readText('m3/v1/missing.txt'), undefined);
    assert.equal(await storage.stat('m3/v1/missing.txt'), undefined);
    await rejects(storage.read('m3/v1/missing.txt'), 'NotFound');

    await storage.putText('m3/v1/manifest.json', '{"a":1}', { ifAbsent: true });
    const e = await rejects(storage.putText('m3/v1/manifest.json', '{"a":2}', { ifAbsent: true }), 'Exists');
    assert.match(e.message, /m3\/v1\/manifest\.json/);
    assert.equal(await storage.readText('m3/v1/manifest.json'), '{"a":1}', 'the refused write changed nothing');
  });

  it('deletes more than 1000 keys (several DeleteObjects batches), missing keys included', async () => {
    const keys = Array.from({ length: 1003 }, (_, i) => `bulk/v1/f${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => storage.putText(k, 'x')));
    assert.equal((await storage.list('bulk/v1/', { delimited: false })).objects.length, 1000, 'one page is 1000 keys');
    await storage.delete([...keys, 'bulk/v1/never-existed']);
    const left = await storage.list('bulk/', { delimited: false });
    assert.deepEqual(left.objects, []);
  });

  it('shares a presigned URL that works without keys; a tampered one is refused', async () => {
    await storage.putText('m4/v1/model.gguf', 'weights');
    const url = await storage.shareUrl('m4/v1/model.gguf', 300);
    assert.ok(!url.includes(env?.secretAccessKey ?? '\u0000'), 'no secret in the URL');
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'weights');
    const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    assert.notEqual(tampered, url);
    assert.equal((await fetch(tampered)).status, 403);
    await rejects(storage.shareUrl('m4/v1/model.gguf', 8 * 24 * 3600), 'Config');
  });

  it('lists buckets at the connection level, without a bucket chosen', async () => {
    if (!env) return;
    const { bucket: _b, prefix: _p, ...connection } = s3Config(env, bucket, 'team-a/repo');
    assert.ok((await s3Backend.listBuckets(connection)).includes(bucket));
    await rejects(s3Backend.listBuckets({ ...connection, credentials: { accessKeyId: env.accessKeyId, secretAccessKey: 'wrong-secret-key' } }), 'Auth');
  });

  it('a wrong secret key gives Auth, and the secret appears nowhere in the error', async () => {
    if (!env) return;
    const secret = `wrong-${randomBytes(12).toString('hex')}`;
    const bad = createS3Storage({ ...s3Config(env, bucket, 'team-a/repo'), credentials: { accessKeyId: env.accessKeyId, secretAccessKey: secret } });
    try {
      for (const call of [() => bad.list('m1/'), () => bad.putText('m9/x', 'y'), () => bad.readLink('m1/tags/latest')]) {
        const e = await rejects(call(), 'Auth');
        assert.match(e.message, /rejected the access key \/ secret key/);
        const everything = `${e.message}\n${e.stack}\n${JSON.stringify(e.details)}\n${String((e.cause as Error | undefined)?.message)}`;
        assert.ok(!everything.includes(secret), 'the secret must not leak into the error');
      }
    } finally {
      bad.dispose?.();
    }
  });

  it('takes keys from an AWS profile or the environment when none are given, and registers the secret', async () => {
    if (!env) return;
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-profile-'));
    const saved = process.env.AWS_SHARED_CREDENTIALS_FILE;
    try {
      const file = path.join(dir, 'credentials');
      const wrongSecret = `profile-wrong-${randomBytes(8).toString('hex')}`;
      await fsp.writeFile(file, `[modelrepo-test]\naws_access_key_id = ${env.accessKeyId}\naws_secret_access_key = ${env.secretAccessKey}\n`
        + `[modelrepo-wrong]\naws_access_key_id = ${env.accessKeyId}\naws_secret_access_key = ${wrongSecret}\n`);
      process.env.AWS_SHARED_CREDENTIALS_FILE = file;
      const { credentials: _keys, ...noKeys } = s3Config(env, bucket, 'team-a/repo');
      const open = (profile?: string): Storage => createS3Storage(profile ? { ...noKeys, profile } : noKeys);
      for (const s of [open('modelrepo-test'), open()]) { // open(): the AWS_* variables of the test run
        try {
          assert.deepEqual((await s.list('')).prefixes, (await storage.list('')).prefixes);
        } finally {
          s.dispose?.();
        }
      }
      const wrong = open('modelrepo-wrong');
      try {
        await rejects(wrong.list(''), 'Auth');
        assert.equal(redactSecrets(`key ${wrongSecret}`), 'key ***', 'a secret read from a profile is registered for redaction');
      } finally {
        wrong.dispose?.();
      }
      const missing = open('no-such-profile');
      try {
        await rejects(missing.list(''), 'Config');
      } finally {
        missing.dispose?.();
      }
    } finally {
      if (saved === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      else process.env.AWS_SHARED_CREDENTIALS_FILE = saved;
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('an unknown access key gives Auth', async () => {
    if (!env) return;
    const bad = createS3Storage({ ...s3Config(env, bucket), credentials: { accessKeyId: 'NOSUCHKEY123', secretAccessKey: 'whatever-secret' } });
    try {
      await rejects(bad.stat('x'), 'Auth');
    } finally {
      bad.dispose?.();
    }
  });

  it('a dead endpoint gives Network naming the endpoint', async () => {
    if (!env) return;
    const port = await closedPort();
    const dead = createS3Storage({ ...s3Config(env, bucket), endpoint: `http://127.0.0.1:${port}` },
      { maxAttempts: 1, connectionTimeoutMs: 2000 });
    try {
      const e = await rejects(dead.list(''), 'Network');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(e.message, /^Cannot list /);
    } finally {
      dead.dispose?.();
    }
  });

  it('a missing bucket gives NotFound', async () => {
    if (!env) return;
    const missing = createS3Storage(s3Config(env, uniqueBucket('missing')));
    try {
      const e = await rejects(missing.list(''), 'NotFound');
      assert.match(e.message, /bucket does not exist/);
    } finally {
      missing.dispose?.();
    }
  });
});
