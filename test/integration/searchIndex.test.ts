// Search on the real S3 server, counting what it asks of storage: a name search is the model listing
// and nothing else (no GET of any object); a metadata search reads each header once, a second one reads
// none (the metadata index in the repository answers), a file replaced by another tool (new ETag) is read
// again; a corrupt or hostile index object is ignored with a warning and rebuilt; a cancelled search
// stops with Aborted and the next one reuses the headers read before the cancel.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { INDEX_KEY } from '../../src/core/metadata/headerIndex';
import { searchModels } from '../../src/core/metadata/search';
import { Repository } from '../../src/core/repository';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { Storage } from '../../src/core/storage/storage';
import { isRepoError } from '../../src/core/errors';
import { counting } from '../helpers/countingStorage';
import type { Counted } from '../helpers/countingStorage';
import { ggufHeader, tinyLlamaSpec } from '../helpers/gguf';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

// Enough models for search to list the repository flat first (from 50 on); the few-model path is what
// metadata.test.ts and cliMetadata.test.ts see.
const MODELS = 60;
const LLAMAS = Array.from({ length: MODELS / 2 }, (_, i) => `model-${String(2 * i + 1).padStart(2, '0')}`);

const gguf = (arch: string, fileType: number): Buffer => {
  const { header, dataBytes } = ggufHeader(tinyLlamaSpec({ 'general.architecture': arch, 'general.file_type': fileType }));
  return Buffer.concat([header, Buffer.alloc(dataBytes)]);
};

describe('search on the real S3 server, counting requests', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let raw: S3Client;
  let base: Storage;
  const put = (key: string, body: Buffer | string): Promise<unknown> => raw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const fresh = (): { storage: Counted; repo: Repository } => {
    const storage = counting(base);
    return { storage, repo: new Repository(storage, { who: 'test' }) };
  };

  before(async () => {
    const env = s3TestEnv()!;
    bucket = await createTestBucket(env, 'search-index');
    raw = rawS3Client(env);
    base = createS3Storage(s3Config(env, bucket));
    // Written as other tools write (no records): two versions each, the older one never looked at.
    await Promise.all(Array.from({ length: MODELS }, async (_, i) => {
      const m = `model-${String(i).padStart(2, '0')}`;
      await put(`${m}/2024-01-01/${m}.gguf`, gguf('qwen2', 7));
      await put(`${m}/2024-02-01/${m}.gguf`, gguf(i % 2 ? 'llama' : 'qwen2', 15));
    }));
    await put('model-03/2024-02-01/notes.gguf', 'not a gguf at all');
    await put('model-05/2024-02-01/weights.safetensors', 'nor a safetensors file');
  });

  after(async () => {
    raw?.destroy();
    base?.dispose?.();
    await deleteTestBucket(s3TestEnv(), bucket);
  });

  it('a name search lists the models and reads nothing else', async () => {
    const { storage, repo } = fresh();
    const r = await searchModels(repo, 'MODEL-0');
    assert.equal(r.hits.length, 10);
    assert.deepEqual(r.hits[0], { model: 'model-00', versions: [], artifacts: [] });
    assert.deepEqual(storage.calls, { list: 1 });
    assert.deepEqual((await searchModels(repo, 'name:model-1 5')).hits.map((h) => h.model), ['model-15']);
  });

  it('file: and format: read listings only, never a file', async () => {
    const { storage, repo } = fresh();
    const r = await searchModels(repo, 'format:safetensors');
    assert.deepEqual(r.hits.map((h) => [h.model, h.versions, h.artifacts.map((a) => a.artifact.name)]), [['model-05', ['2024-02-01'], ['weights.safetensors']]]);
    assert.equal(storage.reads.length, 0);
    assert.equal(storage.calls.readText, undefined, 'not even the metadata index');
  });

  it('the first metadata search reads each newest header once; the second reads none', async () => {
    const first = fresh();
    const r1 = await searchModels(first.repo, 'arch:llama quant:q4_k');
    assert.deepEqual(r1.hits.map((h) => h.model), LLAMAS);
    assert.equal(r1.headersRead, MODELS + 2);
    assert.equal(new Set(first.storage.reads).size, MODELS + 2);
    assert.ok(first.storage.reads.every((k) => k.includes('/2024-02-01/')), 'older versions are not opened');
    assert.deepEqual([...r1.skipped].sort(), ['model-03/2024-02-01/notes.gguf', 'model-05/2024-02-01/weights.safetensors']);
    assert.deepEqual(r1.problems, []);
    assert.equal(first.storage.calls.putText, 1, 'the index is written once');

    const second = fresh();
    const r2 = await searchModels(second.repo, 'arch:llama quant:q4_k');
    assert.deepEqual(r2.hits.map((h) => h.model), r1.hits.map((h) => h.model));
    assert.deepEqual(second.storage.reads, []);
    assert.equal(r2.reused, MODELS + 2);
    assert.equal(r2.skipped.length, 2, 'a file known not to be GGUF is still counted as skipped');
    assert.equal(second.storage.calls.putText, undefined, 'nothing changed: the index is not rewritten');
    assert.deepEqual([second.storage.calls.list, second.storage.calls.readText], [2, 1], 'the model list, one flat listing, the index');
    assert.equal(r2.hits[0].artifacts[0].metadata?.architecture, 'llama');
  });

  it('a file replaced by another tool (new ETag) is read again, and only that one', async () => {
    await searchModels(fresh().repo, 'arch:llama');
    await put('model-02/2024-02-01/model-02.gguf', gguf('llama', 15));
    const { storage, repo } = fresh();
    const r = await searchModels(repo, 'arch:llama');
    assert.deepEqual(storage.reads, ['model-02/2024-02-01/model-02.gguf']);
    assert.ok(r.hits.some((h) => h.model === 'model-02'));
    await put('model-02/2024-02-01/model-02.gguf', gguf('qwen2', 15)); // as it was, for the other tests
  });

  const hostile: [string, string | Buffer, RegExp | undefined][] = [
    ['not JSON', '{"schema": 1, "entries": {', /not JSON/],
    ['another schema', JSON.stringify({ schema: 9, entries: {} }), /schema 1/],
    ['lying entries under unsafe names', JSON.stringify({ schema: 1, entries: {
      '../../x/2024-02-01/a.gguf': { e: 'x', s: 1, m: { format: 'gguf', architecture: 'llama', bytesRead: 1 } },
      'model-00/2024-02-01/model-00.gguf': { e: 'x', s: 1, m: { format: 'gguf', architecture: 'llama\u001b[31m', bytesRead: 1 } },
    } }), /2 of its entries/],
    ['larger than a text object may be', Buffer.alloc(16 * 1024 * 1024 + 10, 0x20), /larger than/],
  ];
  for (const [what, body, warning] of hostile) {
    it(`an index object that is ${what} is ignored with a warning and rebuilt`, async () => {
      await put(INDEX_KEY, body);
      const { storage, repo } = fresh();
      const r = await searchModels(repo, 'arch:llama');
      assert.equal(r.warnings.length, 1, r.warnings.join('\n'));
      assert.match(r.warnings[0], warning!);
      assert.deepEqual(r.hits.map((h) => h.model), LLAMAS);
      assert.equal(r.headersRead, MODELS + 2, 'every header was read from the files, not taken from the index');
      assert.equal(storage.calls.putText, 1);
      const again = await searchModels(fresh().repo, 'arch:llama');
      assert.deepEqual([again.headersRead, again.warnings], [0, []], 'the rebuilt index is used');
    });
  }

  it('an index entry naming the listed ETag and size is believed: it only spares a header read', async () => {
    const listed = (await base.list('model-00/2024-02-01/')).objects.find((o) => o.key.endsWith('.gguf'))!;
    await put(INDEX_KEY, JSON.stringify({ schema: 1, entries: {
      [listed.key]: { e: listed.etag, s: listed.size, m: { format: 'gguf', architecture: 'llama', quantization: 'Q4_K_M', bytesRead: 1 } },
    } }));
    // Whoever can write the index can write the file itself: the index may say what a file holds,
    // but its values pass the same checks as any header value shown to people.
    const r = await searchModels(fresh().repo, 'arch:llama');
    assert.ok(r.hits.some((h) => h.model === 'model-00'));
    assert.equal(r.warnings.length, 0);
  });

  it('a cancelled search stops with Aborted; the next one reuses what was read before the cancel', async () => {
    await base.delete([INDEX_KEY]);
    const ac = new AbortController();
    let seen = 0;
    await assert.rejects(searchModels(fresh().repo, 'arch:llama', {
      signal: ac.signal, concurrency: 1,
      onProgress: (p) => { seen = p.models; if (p.models === 4) ac.abort(); },
    }), (e: unknown) => isRepoError(e, 'Aborted'));
    assert.equal(seen, 4, 'no model was looked at after the cancel');
    const next = await searchModels(fresh().repo, 'arch:llama');
    assert.equal(next.reused, 5, 'the four models looked at hold five headers (model-03 has two files)');
    assert.equal(next.headersRead, MODELS + 2 - 5);
  });
});
