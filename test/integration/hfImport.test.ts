// Hugging Face import against a local server with the Hub's URL layout (test/helpers/fakeHub.ts):
// the live Hub is not reachable from the test machines and is not exercised here. The repository is
// a real folder (fs backend) and, when the S3 server runs, a real bucket.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { Storage } from '../../src/core/storage/storage';
import { Repository } from '../../src/core/repository';
import { isRepoError } from '../../src/core/errors';
import type { RepoError } from '../../src/core/errors';
import { versionManifestKey } from '../../src/core/layout';
import type { VersionManifest } from '../../src/core/layout';
import { importFromHub } from '../../src/core/hf/hubImport';
import { readArtifactMetadata } from '../../src/core/metadata/readMetadata';
import { createModelCard } from '../../src/core/metadata/versionMetadata';
import { startFakeHub } from '../helpers/fakeHub';
import type { FakeHub } from '../helpers/fakeHub';
import { ggufHeader, safetensorsBytes, tinyLlamaSpec } from '../helpers/gguf';
import type { GgufSpec } from '../helpers/gguf';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const ggufBytes = (spec: GgufSpec): Buffer => { const { header, dataBytes } = ggufHeader(spec); return Buffer.concat([header, Buffer.alloc(dataBytes, 7)]); };
const SHA_A = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';
const SHA_B = 'b'.repeat(40);
const TOKEN = 'hf_testGatedToken0123456789';

const q4 = ggufBytes(tinyLlamaSpec({ 'general.file_type': 15 }, [{ name: 'w', shape: [64, 1024] }]));
const q8 = ggufBytes(tinyLlamaSpec({ 'general.file_type': 7 }, [{ name: 'w', shape: [64, 2048] }]));
const shard1 = safetensorsBytes([{ name: 'a', dtype: 'BF16', shape: [256, 512] }]);
const shard2 = safetensorsBytes([{ name: 'b', dtype: 'BF16', shape: [512, 512] }]);
const index = Buffer.from(JSON.stringify({
  metadata: { total_size: shard1.length + shard2.length },
  weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
}));
const big = Buffer.alloc(3 * 1024 * 1024, 1);

describe('import from a Hub-like server', () => {
  let hub: FakeHub;
  let dir: string;
  let storage: Storage;
  let repo: Repository;
  const base = (over: { repo: string; model: string }) => ({ endpoint: hub.url, token: '', storage, ...over });

  before(async () => {
    hub = await startFakeHub([
      { id: 'acme/tiny-gguf', sha: SHA_A, files: [
        { path: 'tiny.Q4_K_M.gguf', content: q4 }, { path: 'tiny.Q8_0.gguf', content: q8 },
        { path: 'README.md', content: Buffer.from('# tiny'), lfs: false }, { path: '.gitattributes', content: Buffer.from('*.gguf lfs'), lfs: false },
      ] },
      { id: 'acme/tiny-st', sha: SHA_B, files: [
        { path: 'model-00001-of-00002.safetensors', content: shard1 }, { path: 'model-00002-of-00002.safetensors', content: shard2 },
        { path: 'model.safetensors.index.json', content: index, lfs: false },
        { path: 'config.json', content: Buffer.from('{"model_type":"llama","max_position_embeddings":4096}'), lfs: false },
      ] },
      { id: 'acme/bad-hash', sha: SHA_A, files: [{ path: 'tiny.Q4_K_M.gguf', content: q4, lfsOid: sha256(Buffer.from('something else')) }] },
      { id: 'acme/gated', sha: SHA_A, token: TOKEN, files: [{ path: 'tiny.Q4_K_M.gguf', content: q4 }] },
      { id: 'acme/drop', sha: SHA_A, files: [{ path: 'ok.gguf', content: q4 }, { path: 'big.gguf', content: big, dropAfter: 1024 * 1024 }] },
      { id: 'acme/flaky', sha: SHA_A, files: [{ path: 'ok.gguf', content: q4 }, { path: 'big.gguf', content: big, dropAfter: 1024 * 1024, dropTimes: 1 }] },
      { id: 'acme/silent', sha: SHA_A, stallApi: true, files: [{ path: 'tiny.Q4_K_M.gguf', content: q4 }] },
      { id: 'acme/stall', sha: SHA_A, files: [{ path: 'ok.gguf', content: q4 }, { path: 'big.gguf', content: big, stallAfter: 512 * 1024 }] },
    ]);
    dir = await mkdtemp(join(tmpdir(), 'mr-hf-'));
    storage = createFsStorage({ kind: 'fs', path: dir });
    repo = new Repository(storage, { who: 'test' });
  });
  after(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports one GGUF quantization, following the redirect, with sha256 checked and the source recorded', async () => {
    const progress: number[] = [];
    const r = await importFromHub({ ...base({ repo: 'acme/tiny-gguf', model: 'tiny' }), files: ['*Q4_K_M.gguf'], onProgress: (p) => progress.push(p.stored) });
    assert.match(r.manifest.version, /^\d{4}-\d{2}-\d{2}-hf-aaaaaaaa0123$/);
    assert.equal(r.commit, SHA_A);
    const versions = await repo.listVersions('tiny');
    assert.deepEqual(versions.map((v) => [v.name, v.state]), [[r.manifest.version, 'complete']]);
    const manifest = JSON.parse((await storage.readText(versionManifestKey('tiny', r.manifest.version)))!) as VersionManifest;
    assert.deepEqual(manifest.files, [{ name: 'tiny.Q4_K_M.gguf', size: q4.length, sha256: sha256(q4) }]);
    assert.deepEqual(manifest.source, { huggingface: 'acme/tiny-gguf', revision: SHA_A, requestedRevision: 'main', endpoint: hub.url });
    assert.deepEqual(await readFile(join(dir, 'tiny', r.manifest.version, 'tiny.Q4_K_M.gguf')), q4);
    assert.ok(hub.requests.some((q) => q.url.startsWith('/cdn/')), 'the download went through the redirect');
    assert.ok(hub.requests.every((q) => q.authorization === undefined), 'no Authorization header without a token');
    assert.equal(progress.at(-1), q4.length);
    const meta = await readArtifactMetadata(storage, `tiny/${r.manifest.version}/tiny.Q4_K_M.gguf`);
    assert.equal(meta?.quantization, 'Q4_K_M');
    assert.match(await createModelCard(repo, 'tiny'), /Imported from Hugging Face \[acme\/tiny-gguf\]\(https:\/\/huggingface\.co\/acme\/tiny-gguf\) at revision `aaaaaaaa0123/);
  });

  it('imports a whole safetensors repository (shards, index, config), skipping dot files; the same version again is Exists', async () => {
    const r = await importFromHub({ ...base({ repo: 'acme/tiny-st', model: 'tiny-st' }), version: 'v1' });
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(r.manifest.files.map((f) => f.name).sort(),
      ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    const arts = await repo.listArtifacts('tiny-st', 'v1');
    assert.equal(arts.find((a) => a.name === 'model-00002-of-00002.safetensors')?.sha256, sha256(shard2));
    const idx = await readArtifactMetadata(storage, 'tiny-st/v1/model.safetensors.index.json');
    assert.deepEqual(idx?.shards, ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/tiny-st', model: 'tiny-st' }), version: 'v1' }), (e: unknown) => isRepoError(e, 'Exists'));
    const all = await importFromHub({ ...base({ repo: 'acme/tiny-gguf', model: 'tiny-all' }), version: 'v1' });
    assert.deepEqual(all.skipped, ['.gitattributes']);
    assert.equal(all.manifest.files.length, 3);
  });

  it('a wrong LFS hash fails with Integrity and leaves no version', async () => {
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/bad-hash', model: 'bad' }), version: 'v1' }), (e: unknown) =>
      isRepoError(e, 'Integrity') && e.message.includes('acme/bad-hash/tiny.Q4_K_M.gguf') && e.message.includes(sha256(q4)));
    await assert.rejects(repo.listVersions('bad', { includePending: true }), (e: unknown) => isRepoError(e, 'NotFound'));
    assert.deepEqual((await storage.list('bad/', { delimited: false })).objects, []);
  });

  it('a gated repository without a token is Auth naming the repo and HF_TOKEN; a wrong token is not shown; the right one works', async () => {
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/gated', model: 'gated' }) }), (e: unknown) =>
      isRepoError(e, 'Auth') && e.message.includes('acme/gated') && e.message.includes('HF_TOKEN'));
    const wrong = 'hf_wrongToken987654321';
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/gated', model: 'gated' }), token: wrong }), (e: unknown) =>
      isRepoError(e, 'Auth') && !e.message.includes(wrong) && !JSON.stringify((e as RepoError).details).includes(wrong));
    const r = await importFromHub({ ...base({ repo: 'acme/gated', model: 'gated' }), token: TOKEN, version: 'v1' });
    assert.equal(r.manifest.files[0].sha256, sha256(q4));
    assert.ok(hub.requests.some((q) => q.authorization === `Bearer ${TOKEN}`));
    assert.deepEqual(await repo.listVersions('gated', { includePending: true }).then((v) => v.map((x) => x.name)), ['v1']);
  });

  it('a dropped connection is a Network error and nothing is published', async () => {
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/drop', model: 'dropped' }), version: 'v1', concurrency: 1 }), (e: unknown) =>
      isRepoError(e, 'Network') && e.message.includes('big.gguf') && /dropped/.test(e.message) && e.message.includes('resume'));
    assert.deepEqual(await repo.listVersions('dropped'), []);
    assert.equal(await storage.stat(versionManifestKey('dropped', 'v1')), undefined);
    await assert.rejects(repo.resolve({ model: 'dropped', version: 'v1' }), (e: unknown) => isRepoError(e, 'Incomplete'));
  });

  it('running the same import again after a dropped connection resumes: finished files are not fetched again', async () => {
    const run = () => importFromHub({ ...base({ repo: 'acme/flaky', model: 'flaky' }), version: 'v1', concurrency: 1 });
    await assert.rejects(run(), (e: unknown) => isRepoError(e, 'Network'));
    const before = hub.requests.length;
    const progress: { file: string; resumed: number }[] = [];
    const r = await importFromHub({ ...base({ repo: 'acme/flaky', model: 'flaky' }), version: 'v1', concurrency: 1, onProgress: (p) => progress.push(p) });
    assert.deepEqual(r.manifest.files.map((f) => [f.name, f.sha256]), [['ok.gguf', sha256(q4)], ['big.gguf', sha256(big)]]);
    const fetched = hub.requests.slice(before).filter((q) => q.url.includes('/resolve/')).map((q) => q.url.split('/').pop());
    assert.ok(!fetched.includes('ok.gguf') && fetched.includes('big.gguf'), `fetched again: ${fetched.join(', ')}`);
    assert.ok(progress.some((p) => p.file === 'ok.gguf' && p.resumed === q4.length));
    assert.deepEqual((await repo.listVersions('flaky')).map((v) => [v.name, v.state]), [['v1', 'complete']]);
  });

  it('deadlines: no answer, or a body that stops, is a Network error naming the endpoint; the finished file is kept to resume', async () => {
    const fast = { connectMs: 200, firstByteMs: 300, stallMs: 400 };
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/silent', model: 'silent' }), timeouts: fast }), (e: unknown) =>
      isRepoError(e, 'Network') && e.message.includes(`the Hub at ${hub.url} sent no answer within 0.5 s`));
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/stall', model: 'stalled' }), version: 'v1', concurrency: 1, timeouts: fast }), (e: unknown) =>
      isRepoError(e, 'Network') && e.message.includes(`the Hub at ${hub.url} sent no data for 0.4 s while big.gguf was downloading`) && e.message.includes('resume'));
    assert.deepEqual(await repo.listVersions('stalled'), []);
    assert.ok(await storage.stat('stalled/v1/ok.gguf'), 'the file that arrived whole is kept for the next run');
  });

  it('an unknown revision or file is NotFound; a cancel stops and keeps nothing', async () => {
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/tiny-gguf', model: 'x' }), revision: 'nope' }), (e: unknown) => isRepoError(e, 'NotFound'));
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/tiny-gguf', model: 'x' }), files: ['*Q2_K*'] }), (e: unknown) =>
      isRepoError(e, 'NotFound') && e.message.includes('tiny.Q8_0.gguf'));
    const ac = new AbortController();
    await assert.rejects(importFromHub({ ...base({ repo: 'acme/drop', model: 'cancelled' }), version: 'v1', signal: ac.signal, concurrency: 1,
      files: ['big.gguf'], onProgress: () => ac.abort() }), (e: unknown) => isRepoError(e, 'Aborted'));
    assert.deepEqual((await storage.list('cancelled/', { delimited: false })).objects, []);
  });
});

describe('import from a Hub-like server into S3', { skip: skipWithoutS3 }, () => {
  let hub: FakeHub;
  let storage: Storage;
  let bucket = '';
  const large = randomBytes(20 * 1024 * 1024);

  before(async () => {
    hub = await startFakeHub([{ id: 'acme/tiny-st', sha: SHA_B, files: [
      { path: 'model-00001-of-00002.safetensors', content: shard1 }, { path: 'model-00002-of-00002.safetensors', content: shard2 },
      { path: 'model.safetensors.index.json', content: index, lfs: false },
    ] },
    { id: 'acme/large', sha: SHA_A, files: [{ path: 'large.gguf', content: large }] },
    { id: 'acme/large-bad', sha: SHA_A, files: [{ path: 'large.gguf', content: large, lfsOid: sha256(Buffer.from('something else')) }] }]);
    bucket = await createTestBucket(s3TestEnv()!, 'hf-import');
    storage = createS3Storage(s3Config(s3TestEnv()!, bucket));
  });
  after(async () => {
    await hub.close();
    storage?.dispose?.();
    await deleteTestBucket(s3TestEnv(), bucket);
  });

  it('lands a complete version with the Hub sha256 in the bucket', async () => {
    const r = await importFromHub({ repo: 'acme/tiny-st', endpoint: hub.url, token: '', storage, model: 'tiny-st' });
    const arts = await new Repository(storage).listArtifacts('tiny-st', r.manifest.version);
    assert.deepEqual(arts.map((a) => [a.name, a.size, a.sha256]).sort(), [
      ['model-00001-of-00002.safetensors', shard1.length, sha256(shard1)],
      ['model-00002-of-00002.safetensors', shard2.length, sha256(shard2)],
      ['model.safetensors.index.json', index.length, sha256(index)],
    ]);
    const m = await readArtifactMetadata(storage, `tiny-st/${r.manifest.version}/model-00002-of-00002.safetensors`);
    assert.equal(m?.parameterCount, 512 * 512);
  });

  it('streams a file larger than one part as a multipart upload; a wrong LFS hash leaves no object and no partial upload', async () => {
    const r = await importFromHub({ repo: 'acme/large', endpoint: hub.url, token: '', storage, model: 'large', version: 'v1' });
    assert.deepEqual(r.manifest.files, [{ name: 'large.gguf', size: large.length, sha256: sha256(large) }]);
    assert.match((await storage.stat('large/v1/large.gguf'))?.etag ?? '', /-3$/, 'three 8 MiB parts');
    await assert.rejects(importFromHub({ repo: 'acme/large-bad', endpoint: hub.url, token: '', storage, model: 'bad', version: 'v1' }),
      (e: unknown) => isRepoError(e, 'Integrity') && e.message.includes(sha256(large)));
    assert.deepEqual((await storage.list('bad/', { delimited: false })).objects, []);
    assert.deepEqual(await storage.listPartialUploads('bad/'), []);
  });
});
