// The search query (what each field costs and matches) and the stored metadata index read as untrusted
// input: malformed documents and entries, unsafe key names and unshowable header values are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkIndexKey, checkMetadata, parseIndex, serializeIndex } from '../../src/core/metadata/indexSchema';
import type { IndexEntry } from '../../src/core/metadata/indexSchema';
import { seenWhole } from '../../src/core/metadata/searchListing';
import { fileMatches, headerMatches, nameMatches, parseQuery, queryCost } from '../../src/core/metadata/searchQuery';
import { MAX_TEXT_BYTES } from '../../src/core/storage/storage';
import type { ArtifactInfo } from '../../src/core/types';

const meta = { format: 'gguf', architecture: 'qwen2', quantization: 'Q4_K_M', bytesRead: 1 } as const;
const art: ArtifactInfo = { model: 'm', version: '1', name: 'tiny.Q4_K_M.gguf', key: 'm/1/tiny.Q4_K_M.gguf', size: 1, modified: new Date(0) };

describe('search query', () => {
  it('parses field qualifiers; an unknown prefix stays part of a bare word', () => {
    assert.deepEqual(parseQuery('  Llama arch:LLAMA quant:q4_k  bogus:x '), [
      { field: undefined, text: 'llama' }, { field: 'architecture', text: 'llama' }, { field: 'quantization', text: 'q4_k' }, { field: undefined, text: 'bogus:x' },
    ]);
  });

  const costs: [string, string][] = [
    ['model-05', 'names'], ['name:llama chat', 'names'], ['', 'names'], ['file:q4', 'files'], ['llama format:gguf', 'files'],
    ['arch:llama', 'headers'], ['chat quant:q4 file:x', 'headers'], ['dtype:bf16', 'headers'],
  ];
  for (const [q, cost] of costs) it(`'${q}' needs ${cost}`, () => assert.equal(queryCost(parseQuery(q)), cost));

  it('a bare word matches the model name only; file:, format:, arch: and quant: match the file and its header', () => {
    assert.ok(nameMatches(parseQuery('chat MODEL'), 'chat-model'));
    assert.ok(!nameMatches(parseQuery('qwen'), 'chat-model'));
    assert.ok(nameMatches(parseQuery('arch:nope'), 'chat-model'), 'only name terms are checked against the name');
    assert.ok(fileMatches(parseQuery('file:q4_k format:gguf'), art));
    assert.ok(!fileMatches(parseQuery('format:safetensors'), art));
    assert.ok(headerMatches(parseQuery('arch:qwen quant:q4_k'), meta));
    assert.ok(!headerMatches(parseQuery('quant:q8'), meta));
    assert.ok(!headerMatches(parseQuery('arch:qwen'), undefined));
    assert.ok(headerMatches(parseQuery('dtype:bf16'), { format: 'safetensors', dtypes: ['BF16'], bytesRead: 1 }));
  });
});

describe('a flat listing cut after some pages', () => {
  it('has shown whole the models before the last key, in UTF-8 byte order, not the last one', () => {
    const trees = new Map([['a', 1], ['a-b', 2], ['ab', 3], ['\uff5e', 4], ['\u{1f600}', 5]]);
    assert.deepEqual([...seenWhole(trees, 'ab/1.0/x.gguf').keys()], ['a', 'a-b']);
    // U+FF5E sorts after U+1F600 in UTF-16 but before it in UTF-8, as S3 lists
    assert.deepEqual([...seenWhole(trees, '\u{1f600}/1/x').keys()], ['a', 'a-b', 'ab', '\uff5e']);
  });
});

describe('metadata index as stored', () => {
  const entries = new Map<string, IndexEntry>([
    ['m/1/a.gguf', { etag: 'e1', size: 10, metadata: meta }],
    ['m/1/b.gguf', { etag: 'e2', size: 3, invalid: 'not a valid GGUF file' }],
  ]);

  it('reads back what it wrote', () => {
    const back = parseIndex(serializeIndex(entries));
    assert.equal(back.problem, undefined);
    assert.deepEqual([...back.entries], [...entries]);
  });

  const broken: [string, string, RegExp][] = [
    ['not JSON', '{"schema":1,', /not JSON/],
    ['another schema', JSON.stringify({ schema: 2, entries: {} }), /schema 1/],
    ['entries as a list', JSON.stringify({ schema: 1, entries: [] }), /schema 1/],
    ['null', 'null', /schema 1/],
    ['too large', `${' '.repeat(MAX_TEXT_BYTES)}{}`, /larger than/],
  ];
  for (const [what, text, why] of broken) {
    it(`ignores a document that is ${what}`, () => {
      const r = parseIndex(text);
      assert.equal(r.entries.size, 0);
      assert.match(r.problem ?? '', why);
    });
  }

  const hostile: [string, unknown][] = [
    ['a key that walks up', { '../etc/passwd': { e: 'x', s: 1, m: meta } }],
    ['a key with a control character', { 'm/1/a\u001b[2J.gguf': { e: 'x', s: 1, m: meta } }],
    ['a key of one segment', { 'a.gguf': { e: 'x', s: 1, m: meta } }],
    ['a reserved version name', { 'm/tags/a.gguf': { e: 'x', s: 1, m: meta } }],
    ['a negative size', { 'm/1/a.gguf': { e: 'x', s: -1, m: meta } }],
    ['a size that is not an integer', { 'm/1/a.gguf': { e: 'x', s: 1.5, m: meta } }],
    ['no ETag', { 'm/1/a.gguf': { s: 1, m: meta } }],
    ['an unknown format', { 'm/1/a.gguf': { e: 'x', s: 1, m: { ...meta, format: 'exe' } } }],
    ['an escape sequence in a value', { 'm/1/a.gguf': { e: 'x', s: 1, m: { ...meta, architecture: 'llama\u001b]8;;http://x\u0007' } } }],
    ['a direction override in a value', { 'm/1/a.gguf': { e: 'x', s: 1, m: { ...meta, quantization: 'Q4\u202eK' } } }],
    ['a huge string', { 'm/1/a.gguf': { e: 'x', s: 1, m: { ...meta, name: 'x'.repeat(10_000) } } }],
    ['a count that is a string', { 'm/1/a.gguf': { e: 'x', s: 1, m: { ...meta, parameterCount: '8B' } } }],
    ['dtypes that are not strings', { 'm/1/a.gguf': { e: 'x', s: 1, m: { ...meta, dtypes: [{}] } } }],
    ['neither metadata nor a reason', { 'm/1/a.gguf': { e: 'x', s: 1 } }],
  ];
  for (const [what, bad] of hostile) {
    it(`drops an entry with ${what} and keeps the others`, () => {
      const good = { 'ok/1/f.gguf': { e: 'y', s: 2, m: meta } };
      const r = parseIndex(JSON.stringify({ schema: 1, entries: { ...good, ...(bad as object) } }));
      assert.deepEqual([...r.entries.keys()], ['ok/1/f.gguf']);
      assert.match(r.problem ?? '', /1 of its entries/);
    });
  }

  it('keeps only the fields a reader produces', () => {
    const m = checkMetadata(JSON.parse(JSON.stringify({ ...meta, extra: 'x', toString: 'y' }).replace('{', '{"__proto__":{"polluted":true},')));
    assert.deepEqual(m, meta);
    assert.equal((m as unknown as Record<string, unknown>).polluted, undefined);
    assert.equal(checkIndexKey('model/2024-01-01/sub/file.gguf'), true);
    assert.equal(checkIndexKey('model/2024-01-01/.hidden/../file.gguf'), false);
  });
});
