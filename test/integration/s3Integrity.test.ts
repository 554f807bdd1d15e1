// What the S3 backend guarantees about the objects themselves, against the real server: the sha256
// travels with each stored object as a tag (and a server without tagging does not fail uploads),
// putText's If-Match lets exactly one of many racing writers land, readText refuses an oversized
// object without reading it, and keys that URL normalization would change are refused before any
// request, while unusual keys that are safe reach the server byte for byte.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectTaggingCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { isRepoError } from '../../src/core/errors';
import { CHECKSUM_TAG, MAX_TEXT_BYTES } from '../../src/core/storage/storage';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { S3Storage } from '../../src/core/storage/s3Storage';
import { requestTarget } from '../../src/core/storage/s3RawGet';
import { s3Proxy } from '../helpers/faultServers';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';
import { tempDir } from './fixtures/s3Files';
import { rejects } from '../contract/contractHelpers';

const env = s3TestEnv();
const MiB = 1024 * 1024;
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();

describe('S3 integrity: checksum tags, If-Match, size cap, key rule', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let storage: S3Storage;
  let raw: S3Client;
  let dir = '';

  before(async () => {
    if (!env) return;
    bucket = await createTestBucket(env, 's3-integrity');
    storage = createS3Storage(s3Config(env, bucket, 'repo'));
    raw = rawS3Client(env);
    dir = await tempDir('s3-integrity');
  });
  after(async () => {
    storage?.dispose?.();
    raw?.destroy();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
    await deleteTestBucket(env, bucket);
  });

  const file = async (name: string, size: number): Promise<{ path: string; bytes: Buffer }> => {
    const bytes = randomBytes(size);
    const p = path.join(dir, name);
    await fsp.writeFile(p, bytes);
    return { path: p, bytes };
  };
  const tagsOf = async (key: string): Promise<Record<string, string>> => {
    const out = await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: `repo/${key}` }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  };

  describe('the sha256 travels with each object as a tag', () => {
    const uploads: [string, (key: string, bytes: Buffer, p: string, s: S3Storage) => Promise<unknown>, number][] = [
      ['uploadFile, one PUT', (k, _b, p, s) => s.uploadFile(k, p), 300_000],
      ['uploadFile, multipart', (k, _b, p, s) => s.uploadFile(k, p, { partSize: 5 * MiB }), 12 * MiB],
      ['uploadStream, one PUT', (k, b, _p, s) => s.uploadStream(k, Readable.from([b]), b.length), 300_000],
      ['uploadStream, multipart', (k, b, _p, s) => s.uploadStream(k, Readable.from([b]), b.length, { partSize: 5 * MiB }), 11 * MiB],
      ['uploadStream, multipart with expectedSha256 (tag inline)', (k, b, _p, s) =>
        s.uploadStream(k, Readable.from([b]), b.length, { partSize: 5 * MiB, expectedSha256: sha(b) }), 11 * MiB],
    ];
    for (const [how, upload, size] of uploads) {
      it(`${how}: readChecksum gives the file's sha256`, async () => {
        const key = `tag/${how.replace(/\W+/g, '-')}.bin`;
        const { path: p, bytes } = await file('src.bin', size);
        await upload(key, bytes, p, storage);
        assert.equal(await storage.readChecksum(key), sha(bytes));
        assert.deepEqual(await tagsOf(key), { [CHECKSUM_TAG]: sha(bytes) });
      });
    }

    it('tagging changes neither the ETag nor the bytes of an object', async () => {
      const { path: p, bytes } = await file('etag.bin', 12 * MiB);
      await storage.uploadFile('tag/etag.bin', p, { partSize: 5 * MiB });
      const parts = [0, 5, 10].map((m) => md5(bytes.subarray(m * MiB, Math.min(bytes.length, (m + 5) * MiB))));
      const expected = `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-3`;
      assert.equal((await storage.stat('tag/etag.bin'))?.etag, expected, 'the tagged object has the ETag of its parts');
      await raw.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'repo/tag/etag.bin', Tagging: { TagSet: [{ Key: 'other', Value: 'x' }] } }));
      assert.equal((await storage.stat('tag/etag.bin'))?.etag, expected, 'tagging again keeps the ETag');
      const back = await storage.downloadFile('tag/etag.bin', path.join(dir, 'etag.out'));
      assert.equal(back.sha256, sha(bytes));
    });

    it('objects written by other tools and missing keys give undefined; a malformed tag is Corrupt', async () => {
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'repo/tag/other.bin', Body: 'by another tool' }));
      assert.equal(await storage.readChecksum('tag/other.bin'), undefined);
      for (const bad of ['xyz', sha('a').toUpperCase(), `${sha('a')}0`, sha('a').slice(1)]) {
        await raw.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'repo/tag/other.bin', Tagging: { TagSet: [{ Key: CHECKSUM_TAG, Value: bad }] } }));
        await assert.rejects(storage.readChecksum('tag/other.bin'), (e) => isRepoError(e, 'Corrupt') && /not a sha256/.test(e.message), `tag value ${bad}`);
      }
      assert.equal(await storage.readChecksum('tag/missing.bin'), undefined);
    });

    it('a server without tagging (NotImplemented) does not fail uploads; readChecksum gives undefined', async () => {
      const proxy = await s3Proxy(env!.endpoint, {
        refuse: (req) => /[?&]tagging(=|&|$)/.test(req.url ?? '') || req.headers['x-amz-tagging'] !== undefined,
      });
      const s = createS3Storage({ ...s3Config(env!, bucket, 'repo'), endpoint: proxy.url });
      try {
        for (const [how, upload, size] of uploads) {
          const key = `notag/${how.replace(/\W+/g, '-')}.bin`;
          const { path: p, bytes } = await file('src.bin', size);
          await upload(key, bytes, p, s);
          assert.equal(await s.readChecksum(key), undefined, how);
          const back = await storage.downloadFile(key, path.join(dir, 'notag.out'));
          assert.equal(back.sha256, sha(bytes), `${how}: the object is complete`);
        }
      } finally {
        s.dispose?.();
        await proxy.close();
      }
    });
  });

  describe('putText with ifMatch', () => {
    it('writes only over the expected ETag; anything else is Conflict', async () => {
      const v1 = await storage.putText('cas/record.json', '{"v":1}');
      const v2 = await storage.putText('cas/record.json', '{"v":2}', { ifMatch: v1.etag });
      assert.equal(await storage.readText('cas/record.json'), '{"v":2}');
      const e = await rejects(storage.putText('cas/record.json', '{"v":3}', { ifMatch: v1.etag }), 'Conflict');
      assert.match(e.message, /changed by someone else/);
      assert.equal(e.details.currentToken, v2.etag);
      await rejects(storage.putText('cas/missing.json', '{}', { ifMatch: v1.etag }), 'Conflict');
      await rejects(storage.putText('cas/record.json', '{}', { ifMatch: v2.etag, ifAbsent: true }), 'InvalidRef');
      assert.equal(await storage.readText('cas/record.json'), '{"v":2}');
    });

    it('12 writers with the same ifMatch at once: exactly one lands, the others get Conflict', async () => {
      const base = await storage.putText('cas/race.json', 'base');
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) =>
        storage.putText('cas/race.json', `writer ${i}`, { ifMatch: base.etag })));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(won.length, 1, `winners: ${won.join(', ')}`);
      for (const r of results) if (r.status === 'rejected') assert.ok(isRepoError(r.reason, 'Conflict'), String(r.reason));
      assert.equal(await storage.readText('cas/race.json'), `writer ${won[0]}`);
    });
  });

  it(`readText refuses an object over ${MAX_TEXT_BYTES} bytes as Corrupt without reading it; one of exactly that size reads`, async () => {
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'repo/big/record.json', Body: Buffer.alloc(MAX_TEXT_BYTES + 1, 0x20) }));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'repo/big/fits.json', Body: Buffer.alloc(MAX_TEXT_BYTES, 0x20) }));
    const proxy = await s3Proxy(env!.endpoint);
    const s = createS3Storage({ ...s3Config(env!, bucket, 'repo'), endpoint: proxy.url });
    try {
      const e = await rejects(s.readText('big/record.json'), 'Corrupt');
      assert.match(e.message, new RegExp(`${MAX_TEXT_BYTES + 1} bytes`));
      // The refusal comes from the response headers; what the proxy relayed before the socket closed is what
      // the kernel's socket buffers took meanwhile (about 2 MiB on a quiet machine), far from the whole object.
      assert.ok(proxy.stats.responseBytes < MAX_TEXT_BYTES / 2, `${proxy.stats.responseBytes} body bytes were relayed`);
      assert.equal((await s.readText('big/fits.json'))?.length, MAX_TEXT_BYTES);
    } finally {
      s.dispose?.();
      await proxy.close();
    }
  });

  describe('the key rule', () => {
    const UNSAFE = ['a/../b', '../x', 'm/v1/..', 'a/./b', '.', '..', '/a', 'a//b'];
    const OPS: [string, (s: S3Storage, key: string) => Promise<unknown>][] = [
      ['stat', (s, k) => s.stat(k)],
      ['read', (s, k) => s.read(k)],
      ['readText', (s, k) => s.readText(k)],
      ['putText', (s, k) => s.putText(k, 'x')],
      ['uploadFile', (s, k) => s.uploadFile(k, path.join(dir, 'src.bin'))],
      ['uploadStream', (s, k) => s.uploadStream(k, Readable.from([Buffer.from('x')]), 1)],
      ['downloadFile', (s, k) => s.downloadFile(k, path.join(dir, 'refused.out'))],
      ['readChecksum', (s, k) => s.readChecksum(k)],
      ['delete', (s, k) => s.delete([k])],
      ['readLink', (s, k) => s.readLink(k)],
      ['writeLink', (s, k) => s.writeLink(k, 'v1', { absent: true })],
      ['shareUrl', (s, k) => s.shareUrl(k, 60)],
    ];

    it(`refuses keys with '.', '..' or empty parts as Unsafe before any request (${UNSAFE.length} keys x ${OPS.length} operations)`, async () => {
      await file('src.bin', 10);
      const proxy = await s3Proxy(env!.endpoint);
      const s = createS3Storage({ ...s3Config(env!, bucket, 'repo'), endpoint: proxy.url });
      try {
        for (const key of UNSAFE) {
          for (const [op, call] of OPS) {
            const e = await rejects(call(s, key), 'Unsafe');
            assert.match(e.message, /the object key is refused/, `${op} ${key}`);
          }
        }
        assert.equal(proxy.stats.requests, 0, 'no request reached the server');
        await assert.rejects(fsp.stat(path.join(dir, 'refused.out')));
      } finally {
        s.dispose?.();
        await proxy.close();
      }
    });

    it('a listing hands out no key that URL normalization would change: such keys are refused, with the reason', async () => {
      for (const k of ['hostile/../x', 'hostile/./y', 'hostile//z', 'hostile/ok', 'hostile/sub/../w']) {
        await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `repo/${k}`, Body: 'planted' }));
      }
      const one = await storage.list('hostile/');
      assert.deepEqual(one.objects.map((o) => o.key), ['hostile/ok']);
      assert.deepEqual(one.prefixes, ['hostile/sub/']);
      assert.deepEqual(one.refused?.map((r) => r.key).sort(), ['hostile/../', 'hostile/./', 'hostile//']);
      const all = await storage.list('hostile/', { delimited: false });
      assert.deepEqual(all.objects.map((o) => o.key), ['hostile/ok']);
      assert.deepEqual(all.refused?.map((r) => r.key).sort(), ['hostile/../x', 'hostile/./y', 'hostile//z', 'hostile/sub/../w']);
      for (const r of all.refused ?? []) assert.match(r.reason, /refused/);
    });

    it('unusual keys that are safe reach the server byte for byte, over raw GETs and the SDK', async () => {
      const keys = ['odd/a..b/c.', 'odd/.../x', 'odd/%2e%2e/y', 'odd/sp ace+plus&amp=?.bin', 'odd/ünï/😀.bin', 'odd/trailing.'];
      for (const key of keys) {
        const body = randomBytes(70_000);
        await storage.uploadStream(key, Readable.from([body]), body.length);
        for (const rawSockets of [true, false]) {
          const s = createS3Storage(s3Config(env!, bucket, 'repo'), { download: { rawSockets } });
          try {
            const out = await s.downloadFile(key, path.join(dir, 'odd.out'));
            assert.equal(out.sha256, sha(body), `${key} (${rawSockets ? 'raw' : 'sdk'})`);
          } finally {
            s.dispose?.();
          }
        }
      }
      const listed = (await storage.list('odd/', { delimited: false })).objects.map((o) => o.key).sort();
      assert.deepEqual(listed, [...keys].sort());
    });

    it('the raw GET sends the presigned path exactly as signed (no normalization)', () => {
      assert.deepEqual(requestTarget('http://127.0.0.1:7480/b/a/../c/./d?X-Amz-Signature=s'),
        { authority: '127.0.0.1:7480', target: '/b/a/../c/./d?X-Amz-Signature=s' });
      assert.deepEqual(requestTarget('http://h:1/b//k%2F'), { authority: 'h:1', target: '/b//k%2F' });
    });
  });
});
