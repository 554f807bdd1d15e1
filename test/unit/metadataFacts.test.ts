// The labelled facts every front shows for a file's metadata (tooltip, details view, `modelrepo info`):
// which fields appear, in which order and words, and which are left out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatName, metadataFacts } from '../../src/core/metadata/metadataFacts';

describe('metadataFacts', () => {
  it('a GGUF file: format with version, architecture, parameters, quantization, context, tensors in that order', () => {
    const facts = metadataFacts({
      format: 'gguf', ggufVersion: 3, architecture: 'llama', parameterCount: 8_030_261_248, quantization: 'Q4_K_M',
      contextLength: 8192, tensorCount: 291, bytesRead: 2 << 20,
    });
    assert.deepEqual(facts, [
      ['Format', 'GGUF v3'], ['Architecture', 'llama'], ['Parameters', '8.0B (8,030,261,248)'], ['Quantization', 'Q4_K_M'],
      ['Context length', '8,192'], ['Tensors', '291'],
    ]);
  });

  it('safetensors: dtypes and parameters; an index: shards and tensor data; config.json: dtype', () => {
    assert.deepEqual(metadataFacts({ format: 'safetensors', parameterCount: 124_439_808, tensorCount: 148, dtypes: ['BF16', 'F32'], bytesRead: 10 }),
      [['Format', 'safetensors'], ['Parameters', '124M (124,439,808)'], ['Dtypes', 'BF16, F32'], ['Tensors', '148']]);
    assert.deepEqual(metadataFacts({ format: 'safetensors-index', shards: ['a.safetensors', 'b.safetensors'], totalSize: 3 * 1024 ** 3, bytesRead: 10 }),
      [['Format', 'safetensors index'], ['Shards', '2: a.safetensors, b.safetensors'], ['Tensor data', '3.0 GiB']]);
    assert.deepEqual(metadataFacts({ format: 'hf-config', architecture: 'mistral', contextLength: 32768, dtypes: ['bfloat16'], bytesRead: 10 }),
      [['Format', 'transformers config.json'], ['Architecture', 'mistral'], ['dtype', 'bfloat16'], ['Context length', '32,768']]);
  });

  it('leaves out what the file does not carry', () => {
    assert.deepEqual(metadataFacts({ format: 'gguf', bytesRead: 0 }), [['Format', 'GGUF']]);
    assert.equal(formatName({ format: 'gguf', ggufVersion: 2, bytesRead: 0 }), 'GGUF v2');
  });
});
