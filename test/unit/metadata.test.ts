// Metadata readers on generated GGUF and safetensors files through the real filesystem backend:
// the values read back, how many bytes were fetched, the ETag cache, model cards.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import type { Storage } from '../../src/core/storage/storage';
import { isRepoError } from '../../src/core/errors';
import { readArtifactMetadata } from '../../src/core/metadata/readMetadata';
import { MetadataCache, loadMetadataCache, saveMetadataCache } from '../../src/core/metadata/metadataCache';
import { buildModelCard, readModelCard } from '../../src/core/metadata/modelCard';
import { describeMetadata, formatParameters } from '../../src/core/metadata/modelMetadata';
import { ggufHeader, safetensorsBytes, tinyLlamaSpec, writeGguf } from '../helpers/gguf';
import type { ArtifactInfo } from '../../src/core/types';

/** Delegates to a real storage and counts the calls and the bytes its read streams deliver. */
function counting(inner: Storage): Storage & { bytes: number; reads: number; stats: number } {
  const c = Object.create(inner) as Storage & { bytes: number; reads: number; stats: number };
  c.bytes = 0; c.reads = 0; c.stats = 0;
  c.read = async (key, range, signal) => {
    c.reads++;
    const s = await inner.read(key, range, signal);
    s.on('data', (b: Buffer) => { c.bytes += b.length; });
    return s;
  };
  c.stat = async (key, signal) => { c.stats++; return inner.stat(key, signal); };
  return c;
}

describe('artifact metadata (filesystem backend)', () => {
  let dir: string;
  let storage: Storage;
  const put = async (key: string, data: Buffer | string): Promise<void> => {
    await mkdir(join(dir, key, '..'), { recursive: true });
    await writeFile(join(dir, key), data);
  };
  const fresh = { cache: null } as const;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mr-meta-'));
    storage = createFsStorage({ kind: 'fs', path: dir });
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads architecture, parameters, quantization, context length and tensor count from a GGUF file', async () => {
    const size = await writeGguf(join(dir, 'tiny.Q4_K_M.gguf'), tinyLlamaSpec());
    const m = await readArtifactMetadata(storage, 'tiny.Q4_K_M.gguf', fresh);
    assert.ok(m);
    assert.equal(m.format, 'gguf');
    assert.equal(m.architecture, 'llama');
    assert.equal(m.name, 'Tiny Llama Test');
    assert.equal(m.quantization, 'Q4_K_M');
    assert.equal(m.contextLength, 8192);
    assert.equal(m.tensorCount, 2);
    assert.equal(m.parameterCount, 16 * 32 + 16); // computed from the tensor shapes
    assert.equal(m.ggufVersion, 3);
    assert.equal(m.bytesRead, size); // a small file is read whole, never more
    assert.equal(describeMetadata(m), 'llama · 528 params · Q4_K_M · ctx 8192 · 2 tensors');
  });

  it('prefers general.parameter_count and maps other file types (F16, Q5_K_M)', async () => {
    await writeGguf(join(dir, 'a.gguf'), tinyLlamaSpec({ 'general.parameter_count': { type: 'u64', value: 8_030_261_248n }, 'general.file_type': 17 }));
    const a = await readArtifactMetadata(storage, 'a.gguf', fresh);
    assert.equal(a?.parameterCount, 8_030_261_248);
    assert.equal(a?.quantization, 'Q5_K_M');
    assert.equal(formatParameters(a!.parameterCount!), '8.0B');
    await writeGguf(join(dir, 'b.gguf'), tinyLlamaSpec({ 'general.file_type': 1, 'general.architecture': 'qwen2', 'qwen2.context_length': 32768 }));
    const b = await readArtifactMetadata(storage, 'b.gguf', fresh);
    assert.equal(b?.quantization, 'F16');
    assert.equal(b?.architecture, 'qwen2');
    assert.equal(b?.contextLength, 32768);
  });

  it('without general.file_type names the quantization after the most common tensor type', async () => {
    const spec = tinyLlamaSpec({}, [{ name: 'a', shape: [8], type: 'F16' }, { name: 'b', shape: [8], type: 'F16' }, { name: 'n', shape: [8] }]);
    const { 'general.file_type': _drop, ...metadata } = spec.metadata;
    await writeGguf(join(dir, 'c.gguf'), { ...spec, metadata });
    assert.equal((await readArtifactMetadata(storage, 'c.gguf', fresh))?.quantization, 'F16');
  });

  it('grows the ranged read only while a large header needs it (3 MB vocabulary, 24 MiB of tensors)', async () => {
    const tokens = Array.from({ length: 150_000 }, (_, i) => `token-${i.toString(36).padStart(8, 'x')}`);
    const spec = tinyLlamaSpec({ 'tokenizer.ggml.tokens': tokens }, [{ name: 'big', shape: [6 * 1024 * 1024] }]);
    const headerLength = ggufHeader(spec).header.length;
    const size = await writeGguf(join(dir, 'big.gguf'), spec);
    assert.ok(headerLength > 2_000_000, `header is ${headerLength} bytes`);
    const c = counting(storage);
    const m = await readArtifactMetadata(c, 'big.gguf', fresh);
    assert.equal(m?.tensorCount, 1);
    assert.equal(m?.parameterCount, 6 * 1024 * 1024);
    assert.equal(m?.bytesRead, c.bytes);
    assert.ok(c.bytes >= headerLength && c.bytes <= headerLength + 2_000_000, `read ${c.bytes} for a ${headerLength}-byte header`);
    assert.ok(c.bytes < size / 4, `read ${c.bytes} of ${size}`);
  });

  it('rejects a file that is not GGUF with Integrity naming the key', async () => {
    await put('fake.gguf', Buffer.from('this is not a gguf file at all, only text'));
    await assert.rejects(readArtifactMetadata(storage, 'fake.gguf', fresh), (e: unknown) =>
      isRepoError(e, 'Integrity') && e.message.includes('fake.gguf') && /GGUF/.test(e.message));
  });

  it('reads a safetensors header: dtypes, total parameters, tensor count', async () => {
    await put('m/1/model.safetensors', safetensorsBytes([
      { name: 'embed', dtype: 'BF16', shape: [32, 16] }, { name: 'norm', dtype: 'F32', shape: [16] },
    ], { metadata: { format: 'pt' } }));
    const m = await readArtifactMetadata(storage, 'm/1/model.safetensors', fresh);
    assert.deepEqual(m?.dtypes, ['BF16', 'F32']);
    assert.equal(m?.parameterCount, 32 * 16 + 16);
    assert.equal(m?.tensorCount, 2);
  });

  it('reads a safetensors header longer than the first 512 KiB read with exactly one more read', async () => {
    const bytes = safetensorsBytes([{ name: 'w', dtype: 'F16', shape: [1024, 1024] }], { headerPad: 700_000 });
    const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
    await put('long.safetensors', bytes);
    const c = counting(storage);
    const m = await readArtifactMetadata(c, 'long.safetensors', fresh);
    assert.equal(m?.parameterCount, 1024 * 1024);
    assert.equal(c.reads, 2);
    assert.equal(c.bytes, headerEnd);
    assert.equal(m?.bytesRead, headerEnd);
    assert.ok(headerEnd < bytes.length);
  });

  it('reads a safetensors index (shards, total size) and config.json (architecture, context)', async () => {
    await put('m/1/model.safetensors.index.json', JSON.stringify({
      metadata: { total_size: 123456 },
      weight_map: { a: 'model-00002-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' },
    }));
    const idx = await readArtifactMetadata(storage, 'm/1/model.safetensors.index.json', fresh);
    assert.deepEqual(idx?.shards, ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    assert.equal(idx?.totalSize, 123456);
    assert.equal(idx?.tensorCount, 3);
    await put('m/1/config.json', JSON.stringify({ model_type: 'mistral', max_position_embeddings: 32768, torch_dtype: 'bfloat16' }));
    const cfg = await readArtifactMetadata(storage, 'm/1/config.json', fresh);
    assert.equal(cfg?.architecture, 'mistral');
    assert.equal(cfg?.contextLength, 32768);
    assert.deepEqual(cfg?.dtypes, ['bfloat16']);
  });

  it('returns undefined for files without model metadata and NotFound for a missing model file', async () => {
    await put('m/README.md', '# m');
    assert.equal(await readArtifactMetadata(storage, 'm/README.md'), undefined);
    await assert.rejects(readArtifactMetadata(storage, 'nope/1/x.gguf'), (e: unknown) => isRepoError(e, 'NotFound') && e.message.includes('nope/1/x.gguf'));
  });

  it('caches per ETag: a known ETag costs no request, a changed file is read again', async () => {
    await writeGguf(join(dir, 'cached.gguf'), tinyLlamaSpec());
    const cache = new MetadataCache(10);
    const c = counting(storage);
    const first = await readArtifactMetadata(c, 'cached.gguf', { cache });
    const etag = (await storage.stat('cached.gguf'))!.etag;
    const before = { reads: c.reads, stats: c.stats };
    assert.deepEqual(await readArtifactMetadata(c, 'cached.gguf', { cache, etag }), first);
    assert.deepEqual({ reads: c.reads, stats: c.stats }, before);
    await readArtifactMetadata(c, 'cached.gguf', { cache }); // no ETag given: one stat, no read
    assert.equal(c.reads, before.reads);
    await writeGguf(join(dir, 'cached.gguf'), tinyLlamaSpec({ 'general.file_type': 18 }));
    await appendFile(join(dir, 'cached.gguf'), Buffer.alloc(64)); // size changes, so the ETag does
    assert.equal((await readArtifactMetadata(c, 'cached.gguf', { cache }))?.quantization, 'Q6_K');
    assert.ok(c.reads > before.reads);
  });

  it('keeps at most maxEntries (least recently used goes) and persists to a JSON file', async () => {
    const cache = new MetadataCache(2);
    const m = { format: 'gguf', bytesRead: 1 } as const;
    cache.set('a', m); cache.set('b', m); cache.get('a'); cache.set('c', m);
    assert.equal(cache.get('b'), undefined);
    assert.ok(cache.get('a') && cache.get('c'));
    const file = join(dir, 'state', 'metadata-cache.json');
    await saveMetadataCache(cache, file);
    const loaded = new MetadataCache();
    await loadMetadataCache(loaded, file);
    assert.deepEqual(loaded.get('c'), m);
    assert.equal(loaded.size, 2);
    await loadMetadataCache(loaded, join(dir, 'missing.json')); // no file: nothing changes, no throw
    assert.equal(loaded.size, 2);
  });
});

describe('model cards', () => {
  const art = (version: string, name: string, size: number): ArtifactInfo =>
    ({ model: 'llama-3-8b', version, name, key: `llama-3-8b/${version}/${name}`, size, modified: new Date(0) });

  it('builds markdown from versions and metadata, newest version first', () => {
    const md = buildModelCard('llama-3-8b', [
      { model: 'llama-3-8b', name: '2024-01-15', state: 'complete', tags: ['v1'] },
      { model: 'llama-3-8b', name: '2024-03-20', state: 'complete', tags: ['latest', 'v2'], created: new Date('2024-03-20T10:00:00Z') },
    ], [
      { artifact: art('2024-01-15', 'llama-3-8b.Q4_K_M.gguf', 4_920_000_000), metadata: { format: 'gguf', architecture: 'llama', parameterCount: 8.03e9, quantization: 'Q4_K_M', contextLength: 8192, bytesRead: 1 } },
      { artifact: art('2024-03-20', 'llama-3-8b.Q5_K_M.gguf', 5_730_000_000), metadata: { format: 'gguf', architecture: 'llama', parameterCount: 8.03e9, quantization: 'Q5_K_M', contextLength: 8192, bytesRead: 1 } },
      { artifact: art('2024-03-20', 'notes.txt', 10) },
    ], { source: { huggingface: 'org/llama', revision: 'abc' } });
    assert.match(md, /^---\ntags:\n {2}- "gguf"\n {2}- "llama"\n {2}- "Q5_K_M"\n {2}- "Q4_K_M"\nbase_model: "org\/llama"\n---\n\n# llama-3-8b\n/);
    assert.match(md, /Architecture \*\*llama\*\*, \*\*8\.0B\*\* parameters, context length \*\*8192\*\*/);
    assert.ok(md.indexOf('| 2024-03-20 | latest, v2 |') < md.indexOf('| 2024-01-15 | v1 |'));
    assert.match(md, /\| 2024-03-20 \| llama-3-8b\.Q5_K_M\.gguf \| 5\.3 GiB \| gguf \| llama \| 8\.0B \| Q5_K_M \| 8192 \|/);
    assert.match(md, /\| notes\.txt \| 10 B \| - \| - \| - \| - \| - \|/);
    assert.match(md, /Imported from Hugging Face \[org\/llama\]/);
  });

  it('reads <model>/README.md when present', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mr-card-'));
    try {
      const storage = createFsStorage({ kind: 'fs', path: dir });
      assert.equal(await readModelCard(storage, 'm'), undefined);
      await mkdir(join(dir, 'm'));
      await writeFile(join(dir, 'm', 'README.md'), '# Hello');
      assert.equal(await readModelCard(storage, 'm'), '# Hello');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
