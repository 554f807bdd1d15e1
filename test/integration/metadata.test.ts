// Metadata on the real S3 server: a GGUF file with 64 MiB of tensor data is described after reading
// only its header (bytes counted as they leave storage.read), the S3 ETag from a listing makes the
// second look free, and search finds models by architecture and quantization through the Repository.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { Storage } from '../../src/core/storage/storage';
import { Repository } from '../../src/core/repository';
import { readArtifactMetadata } from '../../src/core/metadata/readMetadata';
import { MetadataCache } from '../../src/core/metadata/metadataCache';
import { searchModels } from '../../src/core/metadata/search';
import { readModelCard, modelCardKey } from '../../src/core/metadata/modelCard';
import { createModelCard, readVersionMetadata } from '../../src/core/metadata/versionMetadata';
import { safetensorsBytes, tinyLlamaSpec, writeGguf } from '../helpers/gguf';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const MiB = 1024 * 1024;

function counting(inner: Storage): Storage & { bytes: number; reads: number } {
  const c = Object.create(inner) as Storage & { bytes: number; reads: number };
  c.bytes = 0; c.reads = 0;
  c.read = async (key, range, signal) => {
    c.reads++;
    const s = await inner.read(key, range, signal);
    s.on('data', (b: Buffer) => { c.bytes += b.length; });
    return s;
  };
  return c;
}

describe('metadata on the real S3 server', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let storage: Storage;
  let repo: Repository;
  let work: string;
  let ggufSize = 0;

  before(async () => {
    bucket = await createTestBucket(s3TestEnv()!, 'metadata');
    storage = createS3Storage(s3Config(s3TestEnv()!, bucket, 'team'));
    repo = new Repository(storage, { who: 'test' });
    work = await mkdtemp(join(tmpdir(), 'mr-meta-s3-'));
    const big = join(work, 'llama-3-8b.Q5_K_M.gguf');
    ggufSize = await writeGguf(big, tinyLlamaSpec({ 'general.file_type': 17, 'general.parameter_count': { type: 'u64', value: 8_030_261_248n } },
      [{ name: 'token_embd.weight', shape: [4096, 4096] }, { name: 'output_norm.weight', shape: [4096] }])); // 64 MiB of F32 data
    await repo.upload('llama-3-8b', '2024-03-20', [big]);
    const st = join(work, 'model.safetensors');
    await writeFile(st, safetensorsBytes([{ name: 'w', dtype: 'BF16', shape: [2048, 2048] }]));
    await writeFile(join(work, 'config.json'), JSON.stringify({ model_type: 'mistral', max_position_embeddings: 32768 }));
    await repo.upload('mistral-7b', '1.0.0', [st, join(work, 'config.json')]);
    const q4 = join(work, 'qwen.Q4_K_M.gguf');
    await writeGguf(q4, tinyLlamaSpec({ 'general.architecture': 'qwen2', 'general.file_type': 15 }));
    await repo.upload('chat-small', '2024-01-01', [q4]);
    await writeFile(join(work, 'broken.gguf'), 'not a gguf');
    await repo.upload('chat-small', '2024-01-02', [q4, join(work, 'broken.gguf')]);
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
    storage?.dispose?.();
    await deleteTestBucket(s3TestEnv(), bucket);
  });

  it('reads a GGUF header with ranged GETs only: 64 MiB of tensors, about 2 MB read', async () => {
    const c = counting(storage);
    const m = await readArtifactMetadata(c, 'llama-3-8b/2024-03-20/llama-3-8b.Q5_K_M.gguf', { cache: null });
    assert.equal(m?.architecture, 'llama');
    assert.equal(m?.quantization, 'Q5_K_M');
    assert.equal(m?.parameterCount, 8_030_261_248);
    assert.equal(m?.contextLength, 8192);
    assert.equal(m?.tensorCount, 2);
    assert.ok(ggufSize > 64 * MiB);
    assert.equal(m?.bytesRead, c.bytes);
    assert.ok(c.bytes <= 2_000_000, `read ${c.bytes} bytes of a ${ggufSize}-byte file`);
    assert.equal(c.reads, 1);
    console.log(`# GGUF header: ${c.bytes} bytes read of ${ggufSize} (${(100 * c.bytes / ggufSize).toFixed(2)} %) in ${c.reads} ranged GET`);
  });

  it('reads a safetensors header with one 512 KiB ranged GET; a listing ETag makes the next look free', async () => {
    const cache = new MetadataCache();
    const c = counting(storage);
    const key = 'mistral-7b/1.0.0/model.safetensors';
    const m = await readArtifactMetadata(c, key, { cache });
    assert.equal(m?.parameterCount, 2048 * 2048);
    assert.deepEqual(m?.dtypes, ['BF16']);
    assert.equal(c.bytes, 512 * 1024);
    const listed = (await storage.list('mistral-7b/1.0.0/')).objects.find((o) => o.key === key);
    const reads = c.reads;
    assert.deepEqual(await readArtifactMetadata(c, key, { cache, etag: listed!.etag }), m);
    assert.equal(c.reads, reads);
  });

  it('finds models by architecture and quantization through the Repository, reading only the newest version', async () => {
    const byArch = await searchModels(repo, 'arch:llama');
    assert.deepEqual(byArch.hits.map((h) => h.model), ['llama-3-8b']);
    assert.deepEqual(byArch.hits[0].artifacts.map((a) => a.artifact.name), ['llama-3-8b.Q5_K_M.gguf']);
    const q4 = await searchModels(repo, 'quant:q4_k');
    assert.deepEqual(q4.hits.map((h) => [h.model, h.versions]), [['chat-small', ['2024-01-02']]]);
    assert.deepEqual(q4.problems, []); // broken.gguf is counted as skipped, not fatal
    assert.deepEqual(q4.skipped, ['chat-small/2024-01-02/broken.gguf']);
    assert.deepEqual((await searchModels(repo, 'mistral')).hits.map((h) => h.model), ['mistral-7b']);
    assert.deepEqual((await searchModels(repo, 'arch:qwen2 quant:q5')).hits, []);
    const all = await searchModels(repo, '');
    assert.equal(all.scanned, 3);
    const details = await readVersionMetadata(repo, 'chat-small', '2024-01-02');
    assert.deepEqual(details.map((d) => [d.artifact.name, d.metadata?.architecture, !!d.problem]), [['broken.gguf', undefined, true], ['qwen.Q4_K_M.gguf', 'qwen2', false]]);
  });

  it('writes a model card built from the metadata and reads it back', async () => {
    assert.equal(await readModelCard(storage, 'llama-3-8b'), undefined);
    const md = await createModelCard(repo, 'llama-3-8b');
    await storage.putText(modelCardKey('llama-3-8b'), md, { contentType: 'text/markdown' });
    assert.equal(await readModelCard(storage, 'llama-3-8b'), md);
    assert.match(md, /\*\*8\.0B\*\* parameters/);
    assert.match(md, /\| 2024-03-20 \| llama-3-8b\.Q5_K_M\.gguf \| 64\.0 MiB \| gguf \| llama \| 8\.0B \| Q5_K_M \| 8192 \|/);
    assert.deepEqual((await repo.listModels()).models, ['chat-small', 'llama-3-8b', 'mistral-7b']); // README.md is not a model
  });
});
