// Runs the follow-the-tag init script (the very text the Pod carries, with a temp dir for /models) here
// with Debian's aws-cli v2 (/usr/bin/aws, not the pip v1 first on PATH) against the real S3 server.
// Versions and tags are written by the real Repository (so the script reads what modelrepo writes);
// the odd cases (shorthand links, cycles, a wrong sha256, a version by another tool) by plain PutObject.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pod } from 'kubernetes-types/core/v1';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import { CURRENT_MODEL, followScript } from '../../src/core/manifests/followScript';
import { fetchSummary } from '../../src/core/kube/apply';
import { Repository } from '../../src/core/repository';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import { runScript } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const AWS = '/usr/bin/aws';
const skip = skipWithoutS3 || (existsSync(AWS) ? false : `${AWS} (Debian's aws-cli v2) is not installed`);
const ROOT = 'team-a';
const MODEL = 'tiny';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('follow-the-tag init script against the real S3 server', { skip }, () => {
  const env = s3TestEnv()!;
  let bucket = '';
  const v1 = { version: '2024-01-15', file: 'tiny.Q4_K_M.gguf', body: randomBytes(700_000) };
  const v2 = { version: '2024-03-20', file: 'tiny.Q5_K_M.gguf', body: randomBytes(900_000) };
  let s3: S3Client;
  let repo: Repository;
  let work: string;

  const put = (key: string, body: string | Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${ROOT}/${MODEL}/${key}`, Body: body }));
  const script = (tag: string, targetDir: string, maxChain?: number): string => followScript({
    endpoint: env.endpoint, region: env.region, pathStyle: true, bucket, modelPrefix: `${ROOT}/${MODEL}/`, model: MODEL, tag, targetDir, maxChain,
  });
  const run = async (tag: string, dir?: string, maxChain?: number): Promise<Run & { dir: string }> => {
    const d = dir ?? await mkdtemp(join(work, `${tag}-`));
    const r = await runScript(script(tag, join(d, 'models'), maxChain), {
      AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: env.secretAccessKey, HOME: d, TMPDIR: d,
    });
    assert.ok(!`${r.stdout}${r.stderr}`.includes(env.secretAccessKey), 'the secret key is never printed');
    return { ...r, dir: d };
  };
  const served = (dir: string): Promise<Buffer> => readFile(join(dir, 'models', CURRENT_MODEL));

  before(async () => {
    bucket = await createTestBucket(env, 'follow-tag');
    s3 = rawS3Client(env);
    work = await mkdtemp(join(tmpdir(), 'follow-tag-'));
    repo = new Repository(createS3Storage(s3Config(env, bucket, ROOT)), { who: 'follow-test' });
    for (const v of [v1, v2]) {
      const local = join(work, v.file);
      await writeFile(local, v.body);
      await repo.upload(MODEL, v.version, [local]);
    }
    await repo.setTag(MODEL, 'v1', `${v1.version}/${v1.file}`);
    await repo.setTag(MODEL, 'v2', `${v2.version}/${v2.file}`);
    await repo.setTag(MODEL, 'latest', 'v2');
    // A version whose manifest records the wrong sha256, one written by another tool, one still uploading.
    await put('2024-06-01/tiny.Q8_0.gguf', v1.body);
    await put('2024-06-01/.modelrepo-version.json', `${JSON.stringify({
      schema: 1, model: MODEL, version: '2024-06-01', created: new Date().toISOString(), createdBy: 'x',
      files: [{ name: 'tiny.Q8_0.gguf', size: v1.body.length, sha256: sha(Buffer.from('something else')) }],
    }, null, 2)}\n`);
    await put('legacy/tiny.Q2_K.gguf', v2.body);
    await put('2024-07-01/.modelrepo-pending.json', '{}');
    await put('tags/bad', '../2024-06-01/tiny.Q8_0.gguf');
    await put('tags/short', `${v1.version}/${v1.file}\n`); // the shorthand, relative to the model
    await put('tags/old', 'legacy');                         // a bare name that is no tag: a version
    await put('tags/uploading', '../2024-07-01');
    await put('tags/c1', 'c2');
    await put('tags/c2', 'c1');
    await put('tags/escape', '../../other-model/2024-01-15/x.gguf');
  });

  after(async () => {
    s3?.destroy();
    await deleteTestBucket(env, bucket);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is the script a follow-mode Pod carries (only the target folder differs)', () => {
    const pod = buildManifests({
      model: MODEL, version: v2.version, mode: 'follow', chain: ['latest', 'v2', `${v2.version}/${v2.file}`],
      artifacts: [{ file: v2.file, size: v2.body.length, sha256: sha(v2.body), path: `${ROOT}/${MODEL}/${v2.version}/${v2.file}` }],
      location: { kind: 's3', endpoint: env.endpoint, region: env.region, bucket, pathStyle: true, prefix: ROOT },
    }).find((o) => o.kind === 'Pod') as Pod;
    assert.equal(pod.spec!.initContainers![0].args![0], script('latest', '/models'));
  });

  let shared: string;
  it('latest -> v2 -> ../2024-03-20/file: copies v2\'s file, sha256 ok, and serves it through the symlink', async () => {
    const r = await run('latest');
    shared = r.dir;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /modelrepo: latest -> v2 -> 2024-03-20\/tiny\.Q5_K_M\.gguf\n/);
    assert.match(r.stdout, new RegExp(`arrived, sha256 ok \\(${sha(v2.body)}\\)`));
    assert.deepEqual(await served(r.dir), v2.body);
    assert.equal(readlinkSync(join(r.dir, 'models', CURRENT_MODEL)), `${v2.version}/${v2.file}`);
    assert.equal(fetchSummary(r.stdout).ok, true);
  });

  it('after moving latest to v1, the next pod start gets v1\'s file (and drops v2 from the volume)', async () => {
    await repo.setTag(MODEL, 'latest', 'v1');
    const r = await run('latest', shared);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /modelrepo: latest -> v1 -> 2024-01-15\/tiny\.Q4_K_M\.gguf\n/);
    assert.match(r.stdout, new RegExp(`arrived, sha256 ok \\(${sha(v1.body)}\\)`));
    assert.deepEqual(await served(shared), v1.body);
    assert.ok(!existsSync(join(shared, 'models', v2.version)), 'the version no longer served is removed');
  });

  it('a wrong sha256 in the version manifest: non-zero exit, a clear message, nothing served', async () => {
    const r = await run('bad');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /sha256 MISMATCH for .*tiny\.Q8_0\.gguf: expected [0-9a-f]{64}, got [0-9a-f]{64}; refusing to start the server/);
    assert.ok(!existsSync(join(r.dir, 'models', CURRENT_MODEL)));
    assert.equal(fetchSummary(`${r.stdout}${r.stderr}`).ok, false);
  });

  it('a tag cycle, and a chain longer than the cap: non-zero exit naming the chain', async () => {
    const r = await run('c1');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /modelrepo: cannot follow tiny:c1: the tags form a cycle \(c1 -> c2 -> c1\)/);
    const long = await run('latest', undefined, 1);
    assert.notEqual(long.code, 0);
    assert.match(long.stderr, /the chain is longer than 1 links \(latest -> v1/);
  });

  it('the shorthand link, a bare version name, a link leaving the model, a missing tag and an unfinished upload', async () => {
    // One after the other: each aws call starts a Python interpreter, and this machine has 2 cores.
    const short = await run('short');
    const old = await run('old');
    const escape = await run('escape');
    const missing = await run('nope');
    const uploading = await run('uploading');
    assert.equal(short.code, 0, short.stderr);
    assert.deepEqual(await served(short.dir), v1.body);
    assert.equal(old.code, 0, old.stderr);
    assert.match(old.stdout, /old -> legacy\n[\s\S]*no \.modelrepo-version\.json[\s\S]*only its size was checked/);
    assert.deepEqual(await served(old.dir), v2.body);
    assert.notEqual(escape.code, 0);
    assert.match(escape.stderr, /tag 'escape' -> '..\/..\/other-model\/2024-01-15\/x\.gguf' leaves the model/);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /there is no tag 'nope' in tiny/);
    assert.notEqual(uploading.code, 0);
    assert.match(uploading.stderr, /version '2024-07-01' is still being uploaded/);
  });
});
