// The node cache's init scripts (pinned and follow-the-tag, the very text the Pod carries) run here with
// Debian's aws-cli against the real S3 server through a counting proxy, with temp folders as the node's
// cache and as each pod's /models: a second pod on the node reads nothing from S3, four pods starting
// together make one download, a damaged blob is replaced, and a full cache evicts the oldest unleased blob.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { CURRENT_MODEL, followScript } from '../../src/core/manifests/followScript';
import { copyScript } from '../../src/core/manifests/initScript';
import type { ManifestArtifact } from '../../src/core/manifests/manifestInput';
import { LOCK_STALE_SECONDS } from '../../src/core/manifests/nodeCacheScript';
import type { NodeCacheScript } from '../../src/core/manifests/nodeCacheScript';
import { Repository } from '../../src/core/repository';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import { runScript } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { s3Proxy } from '../helpers/faultServers';
import type { ProxyStats } from '../helpers/faultServers';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const AWS = '/usr/bin/aws';
const skip = skipWithoutS3 || (existsSync(AWS) ? false : `${AWS} (Debian's aws-cli v2) is not installed`);
const MIB = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('node cache init scripts against the real S3 server', { skip }, () => {
  const env = s3TestEnv()!;
  let bucket = '';
  let s3: S3Client;
  let work: string;
  let proxy: Awaited<ReturnType<typeof s3Proxy>>;
  const files = ['a', 'b', 'c'].map((n) => {
    const body = randomBytes(MIB + n.charCodeAt(0));
    return { body, artifact: { file: `${n}.gguf`, size: body.length, sha256: sha(body), path: `team-a/tiny/2024-03-20/${n}.gguf` } as ManifestArtifact };
  });
  const [A, B, C] = files;

  const cacheOf = (dir: string, over: Partial<NodeCacheScript> = {}, target = join(dir, 'models')): NodeCacheScript => ({
    dir, highBytes: 100 * MIB, lowBytes: 80 * MIB, leaseMinutes: 10, leaseList: join(target, '.modelrepo-blobs'), ...over,
  });
  /** One pod's init container on the node whose cache is `cache`. */
  const pod = async (name: string, cache: string, artifacts: readonly ManifestArtifact[], over: Partial<NodeCacheScript> = {}, path?: string): Promise<Run & { models: string }> => {
    const dir = await mkdtemp(join(work, `${name}-`));
    const models = join(dir, 'models');
    const script = copyScript({
      endpoint: proxy.url, region: env.region, pathStyle: true, bucket, artifacts, targetDir: models, label: 'tiny@2024-03-20',
      nodeCache: cacheOf(cache, over, models),
    });
    const r = await runScript(script, { AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: env.secretAccessKey, HOME: dir, TMPDIR: dir, POD_NAME: name, ...(path ? { PATH: path } : {}) });
    assert.ok(!`${r.stdout}${r.stderr}`.includes(env.secretAccessKey), 'the secret key is never printed');
    return { ...r, models };
  };
  const gets = (stats: ProxyStats, a: ManifestArtifact): number => stats.log.filter((l) => l === `GET /${bucket}/${a.path}`).length;
  const newCache = (): Promise<string> => mkdtemp(join(work, 'node-'));
  let noFlock: string | undefined;
  /** A PATH of every tool of /usr/bin and /bin but flock, as in an image without util-linux. */
  const noFlockPath = async (): Promise<string> => {
    if (noFlock) return noFlock;
    const bin = await mkdtemp(join(work, 'no-flock-'));
    for (const dir of ['/usr/bin', '/bin']) {
      for (const tool of await readdir(dir).catch(() => [] as string[])) {
        if (tool !== 'flock' && !existsSync(join(bin, tool))) await symlink(join(dir, tool), join(bin, tool));
      }
    }
    noFlock = bin;
    return bin;
  };

  before(async () => {
    bucket = await createTestBucket(env, 'node-cache');
    s3 = rawS3Client(env);
    for (const f of files) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: f.artifact.path, Body: f.body }));
    work = await mkdtemp(join(tmpdir(), 'node-cache-'));
    proxy = await s3Proxy(env.endpoint);
  });

  after(async () => {
    await proxy?.close();
    s3?.destroy();
    await deleteTestBucket(env, bucket);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('downloads on the first pod of a node; the second sends no request at all and serves the same blob', async () => {
    const cache = await newCache();
    const before = proxy.stats.log.length;
    const first = await pod('first', cache, [A.artifact]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(gets(proxy.stats, A.artifact), 1);
    assert.match(first.stdout, /arrived in the node cache, sha256 ok/);
    const blob = join(cache, 'blobs', A.artifact.sha256!);
    assert.equal(readlinkSync(join(first.models, 'a.gguf')), blob, 'the pod reads the blob through a symlink, no copy');
    assert.deepEqual(await readFile(join(first.models, 'a.gguf')), A.body);
    const afterFirst = proxy.stats.log.length;
    assert.ok(afterFirst > before);
    const second = await pod('second', cache, [A.artifact]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(proxy.stats.log.length, afterFirst, `no request reached S3: ${proxy.stats.log.slice(afterFirst).join(', ')}`);
    assert.match(second.stdout, /is in the node cache/);
    assert.deepEqual(await readFile(join(second.models, 'a.gguf')), A.body);
    assert.deepEqual((await readdir(join(cache, 'blobs', `${A.artifact.sha256}.leases`))).sort(), ['first', 'second']);
    assert.deepEqual(await readdir(join(cache, 'tmp')), [], 'no temp file left behind');
  });

  it('makes exactly one download when four pods start together on one node', async () => {
    const cache = await newCache();
    const n = gets(proxy.stats, B.artifact);
    const runs = await Promise.all([1, 2, 3, 4].map((i) => pod(`together-${i}`, cache, [B.artifact])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.equal(gets(proxy.stats, B.artifact) - n, 1);
    assert.equal(runs.filter((r) => /arrived in the node cache/.test(r.stdout)).length, 1);
    for (const r of runs) assert.deepEqual(await readFile(join(r.models, 'b.gguf')), B.body);
  });

  it('without flock in the image (PATH lacks it): four pods together still make one download, through the mkdir lock', async () => {
    const bin = await noFlockPath();
    const cache = await newCache();
    const n = gets(proxy.stats, A.artifact);
    const runs = await Promise.all([1, 2, 3, 4].map((i) => pod(`mkdir-${i}`, cache, [A.artifact], {}, bin)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    for (const r of runs) assert.match(r.stdout, /no flock in this image: the node cache locks with mkdir/);
    assert.equal(gets(proxy.stats, A.artifact) - n, 1, 'one download for four pods');
    assert.equal(runs.filter((r) => /arrived in the node cache/.test(r.stdout)).length, 1);
    for (const r of runs) assert.deepEqual(await readFile(join(r.models, 'a.gguf')), A.body);
    assert.deepEqual(await readdir(join(cache, 'locks')), [], 'every lock folder dropped');
  });

  it('without flock: a lock folder left by a killed holder is taken over once its heartbeat is older than the stale limit', async () => {
    const cache = await newCache();
    const lock = join(cache, 'locks', `${B.artifact.sha256}.d`);
    await mkdir(lock, { recursive: true });
    await writeFile(join(lock, 'owner'), 'killed-pod\n');
    const old = new Date(Date.now() - (LOCK_STALE_SECONDS + 60) * 1000);
    await utimes(join(lock, 'owner'), old, old);
    await utimes(lock, old, old);
    const r = await pod('after-kill', cache, [B.artifact], {}, await noFlockPath());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /taking over the lock of [0-9a-f]{64} \(its holder stopped\)/);
    assert.match(r.stdout, /arrived in the node cache/);
    assert.ok(!existsSync(lock), 'the lock folder is dropped after use');
  });

  it('removes and fetches again a blob whose bytes changed (same size) or whose size changed', async () => {
    const cache = await newCache();
    assert.equal((await pod('fill', cache, [C.artifact])).code, 0);
    const blob = join(cache, 'blobs', C.artifact.sha256!);
    const bad = Buffer.from(C.body);
    bad[1000] ^= 0xff;
    await chmod(blob, 0o644);
    await writeFile(blob, bad);
    const n = gets(proxy.stats, C.artifact);
    const r = await pod('after-damage', cache, [C.artifact]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no longer matches its sha256: removing it/);
    assert.equal(gets(proxy.stats, C.artifact) - n, 1);
    assert.deepEqual(await readFile(blob), C.body);
    await chmod(blob, 0o644);
    await writeFile(blob, C.body.subarray(0, 10));
    const t = await pod('after-truncation', cache, [C.artifact]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stderr, /has 10 bytes, expected \d+: removing it/);
    assert.equal(gets(proxy.stats, C.artifact) - n, 2);
    assert.deepEqual(await readFile(blob), C.body);
  });

  for (const lock of ['flock', 'mkdir'] as const) {
    it(`evicts the least recently used blob without a fresh lease, and keeps a leased one even if older (${lock} lock)`, async () => {
      const path = lock === 'mkdir' ? await noFlockPath() : undefined;
      const cache = await newCache();
      // Room for two of the three blobs: publishing the third evicts one.
      const budget = { highBytes: 2.5 * MIB, lowBytes: 2.2 * MIB };
      assert.equal((await pod('uses-a', cache, [A.artifact], budget, path)).code, 0);
      assert.equal((await pod('used-b', cache, [B.artifact], budget, path)).code, 0);
      const blobs = join(cache, 'blobs');
      const hoursAgo = (h: number): Date => new Date(Date.now() - h * 3600_000);
      // A: used longest ago but leased by a running pod; B: used later, its pod gone (lease an hour old).
      await utimes(join(blobs, `${A.artifact.sha256}.used`), hoursAgo(3), hoursAgo(3));
      await utimes(join(blobs, `${B.artifact.sha256}.used`), hoursAgo(2), hoursAgo(2));
      await utimes(join(blobs, `${B.artifact.sha256}.leases`, 'used-b'), hoursAgo(1), hoursAgo(1));
      const r = await pod('uses-c', cache, [C.artifact], budget, path);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`keeping ${A.artifact.sha256} \\(leased`));
      assert.match(r.stdout, new RegExp(`evicted ${B.artifact.sha256}`));
      assert.ok(existsSync(join(blobs, A.artifact.sha256!)), 'the leased blob stays');
      assert.ok(!existsSync(join(blobs, B.artifact.sha256!)), 'the unleased least recently used blob is gone');
      assert.ok(existsSync(join(blobs, C.artifact.sha256!)), 'the new blob is published');
      if (lock === 'mkdir') assert.deepEqual(await readdir(join(cache, 'locks')), [], 'every lock folder dropped');
    });
  }

  it('refuses a file without a recorded sha256, and a cache folder it cannot write', async () => {
    const cache = await newCache();
    const legacy = await pod('legacy', cache, [{ ...A.artifact, sha256: undefined }]);
    assert.notEqual(legacy.code, 0);
    assert.match(legacy.stderr, /node cache needs a recorded sha256/);
    const notDir = join(cache, 'a-file');
    await writeFile(notDir, 'x');
    const unwritable = await pod('unwritable', join(notDir, 'cache'), [A.artifact]);
    assert.notEqual(unwritable.code, 0);
    assert.match(unwritable.stderr, /is not writable by uid \d+: prepare it on the node/);
  });

  it('following a tag: the second pod reads the tag but not the model from S3', async () => {
    const body = randomBytes(600_000);
    const local = join(work, 'f.Q4_K_M.gguf');
    await writeFile(local, body);
    const repo = new Repository(createS3Storage(s3Config(env, bucket, 'team-b')), { who: 'node-cache-test' });
    await repo.upload('tiny', '2024-05-01', [local]);
    await repo.setTag('tiny', 'latest', '2024-05-01/f.Q4_K_M.gguf');
    const cache = await newCache();
    const follow = async (name: string): Promise<Run & { models: string }> => {
      const dir = await mkdtemp(join(work, `${name}-`));
      const models = join(dir, 'models');
      const script = followScript({
        endpoint: proxy.url, region: env.region, pathStyle: true, bucket, modelPrefix: 'team-b/tiny/', model: 'tiny', tag: 'latest',
        targetDir: models, nodeCache: cacheOf(cache, {}, models),
      });
      const r = await runScript(script, { AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: env.secretAccessKey, HOME: dir, TMPDIR: dir, POD_NAME: name });
      return { ...r, models };
    };
    const modelGets = (): number => proxy.stats.log.filter((l) => l === `GET /${bucket}/team-b/tiny/2024-05-01/f.Q4_K_M.gguf`).length;
    const first = await follow('follow-1');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(modelGets(), 1);
    const second = await follow('follow-2');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(modelGets(), 1, 'the model itself is not read again');
    assert.deepEqual(await readFile(join(second.models, CURRENT_MODEL)), body);
  });
});
