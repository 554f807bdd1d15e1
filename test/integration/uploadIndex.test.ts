// Uploads fill the metadata index, on the real S3 server: after an upload of GGUF / safetensors files
// the first metadata search reads no header of them (counted storage calls); a writer that changes the
// index between our read and our write does not lose its entries (compare-and-swap, read again); an
// index that cannot be written costs a warning, never the upload.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { RepoError } from '../../src/core/errors';
import { INDEX_KEY } from '../../src/core/metadata/headerIndex';
import { parseIndex } from '../../src/core/metadata/indexSchema';
import { searchModels } from '../../src/core/metadata/search';
import { Repository } from '../../src/core/repository';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { PutOptions, Storage } from '../../src/core/storage/storage';
import { counting } from '../helpers/countingStorage';
import { ggufHeader, safetensorsBytes, tinyLlamaSpec } from '../helpers/gguf';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const FILES = ['llama.gguf', 'weights.safetensors', 'broken.safetensors', 'README.md'];

/** The storage with putText of the index replaced by `put` (the other methods as they are). */
function indexWrites(inner: Storage, put: (orig: Storage['putText'], body: string, o?: PutOptions) => Promise<unknown>): Storage {
  const s = Object.create(inner) as Storage;
  s.putText = async (key, body, o) => {
    if (key !== INDEX_KEY) return inner.putText(key, body, o);
    return (await put(inner.putText.bind(inner), body, o)) as Awaited<ReturnType<Storage['putText']>>;
  };
  return s;
}

describe('uploads write metadata index entries, on the real S3 server', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let dir = '';
  let raw: S3Client;
  let base: Storage;
  const paths = (): string[] => FILES.map((f) => join(dir, f));
  const storedIndex = async (): Promise<Map<string, unknown>> => parseIndex((await base.readText(INDEX_KEY)) ?? '{}').entries;

  before(async () => {
    const env = s3TestEnv()!;
    bucket = await createTestBucket(env, 'upload-index');
    raw = rawS3Client(env);
    base = createS3Storage(s3Config(env, bucket));
    dir = await mkdtemp(join(tmpdir(), 'upload-index-'));
    const { header, dataBytes } = ggufHeader(tinyLlamaSpec({ 'general.architecture': 'llama', 'general.file_type': 15 }));
    await writeFile(join(dir, 'llama.gguf'), Buffer.concat([header, Buffer.alloc(dataBytes)]));
    await writeFile(join(dir, 'weights.safetensors'), safetensorsBytes([{ name: 'w', dtype: 'F16', shape: [4, 4] }]));
    await writeFile(join(dir, 'broken.safetensors'), 'not a safetensors file');
    await writeFile(join(dir, 'README.md'), '# a model\n');
  });

  after(async () => {
    raw?.destroy();
    base?.dispose?.();
    await deleteTestBucket(s3TestEnv(), bucket);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the first metadata search after an upload reads no header of the uploaded files', async () => {
    const warnings: string[] = [];
    await new Repository(base, { who: 'test' }).upload('llama-a', '1.0', paths(), { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(warnings, []);
    assert.deepEqual([...(await storedIndex()).keys()].sort(),
      ['llama-a/1.0/broken.safetensors', 'llama-a/1.0/llama.gguf', 'llama-a/1.0/weights.safetensors']);

    const storage = counting(base);
    const r = await searchModels(new Repository(storage, { who: 'test' }), 'arch:llama');
    assert.deepEqual(r.hits.map((h) => h.model), ['llama-a']);
    assert.equal(r.headersRead, 0);
    assert.deepEqual(storage.reads, [], 'no byte of any uploaded file was read');
    assert.equal(r.reused, 3);
    assert.deepEqual(r.skipped, ['llama-a/1.0/broken.safetensors'], 'the index knows the broken file for what it is');
  });

  it('a writer that changes the index between our read and our write keeps its entries', async () => {
    const other = { 'other/1.0/x.gguf': { e: 'abc', s: 10, m: { format: 'gguf', architecture: 'qwen2', bytesRead: 1 } } };
    let raced = 0;
    const racing = indexWrites(base, async (orig, body, o) => {
      if (raced++ === 0) {
        // Someone else writes the index after we read it: our conditional write must fail and be redone.
        const now = JSON.parse((await base.readText(INDEX_KEY)) ?? '{"schema":1,"entries":{}}') as { entries: object };
        await raw.send(new PutObjectCommand({ Bucket: bucket, Key: INDEX_KEY,
          Body: JSON.stringify({ schema: 1, entries: { ...now.entries, ...other } }) }));
      }
      return orig(INDEX_KEY, body, o);
    });
    const warnings: string[] = [];
    await new Repository(racing, { who: 'test' }).upload('llama-b', '1.0', paths(), { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(warnings, []);
    assert.equal(raced, 2, 'the first write met the change and was done again');
    const keys = [...(await storedIndex()).keys()];
    for (const k of ['other/1.0/x.gguf', 'llama-a/1.0/llama.gguf', 'llama-b/1.0/llama.gguf']) assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
  });

  it('an index that cannot be written is a warning; the upload is published all the same', async () => {
    const failing = indexWrites(base, () => Promise.reject(new RepoError('Permission', 'write', INDEX_KEY, 'access denied')));
    const warnings: string[] = [];
    const manifest = await new Repository(failing, { who: 'test' }).upload('llama-c', '1.0', paths(), { onWarning: (m) => warnings.push(m) });
    assert.equal(manifest.files.length, FILES.length);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /metadata index could not be saved.*access denied/);
    assert.equal((await new Repository(base, { who: 'test' }).listArtifacts('llama-c', '1.0')).length, FILES.length);
    assert.ok(![...(await storedIndex()).keys()].some((k) => k.startsWith('llama-c/')));
  });
});
