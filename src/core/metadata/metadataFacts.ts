// One reading of ModelMetadata as labelled facts ("Architecture", "llama"), shared by every front that
// shows metadata (the tree's tooltip, the version details view, `modelrepo info`) so they say the same
// things in the same order and words.
import { formatParameters } from './modelMetadata';
import type { MetadataFormat, ModelMetadata } from './modelMetadata';

export type Fact = readonly [label: string, value: string];

const FORMAT_NAMES: Record<MetadataFormat, string> = {
  gguf: 'GGUF',
  safetensors: 'safetensors',
  'safetensors-index': 'safetensors index',
  'hf-config': 'transformers config.json',
};

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function formatName(m: ModelMetadata): string {
  const name = FORMAT_NAMES[m.format] ?? m.format;
  return m.format === 'gguf' && m.ggufVersion !== undefined ? `${name} v${m.ggufVersion}` : name;
}

/** The facts worth showing, in a fixed order; fields the file does not carry are left out. */
export function metadataFacts(m: ModelMetadata): Fact[] {
  const out: Fact[] = [['Format', formatName(m)]];
  if (m.name) out.push(['Name', m.name]);
  if (m.architecture) out.push(['Architecture', m.architecture]);
  if (m.parameterCount !== undefined) {
    out.push(['Parameters', `${formatParameters(m.parameterCount)} (${m.parameterCount.toLocaleString('en-US')})`]);
  }
  if (m.quantization) out.push(['Quantization', m.quantization]);
  if (m.dtypes && m.dtypes.length > 0) out.push([m.format === 'hf-config' ? 'dtype' : 'Dtypes', m.dtypes.join(', ')]);
  if (m.contextLength !== undefined) out.push(['Context length', m.contextLength.toLocaleString('en-US')]);
  if (m.tensorCount !== undefined) out.push(['Tensors', m.tensorCount.toLocaleString('en-US')]);
  if (m.shards) out.push(['Shards', `${m.shards.length}: ${m.shards.join(', ')}`]);
  if (m.totalSize !== undefined) out.push(['Tensor data', bytes(m.totalSize)]);
  return out;
}
