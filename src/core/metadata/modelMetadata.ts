// What the metadata readers report about one artifact, as plain JSON-safe data (numbers, not bigints)
// so it can be cached on disk and shown in a tooltip, a details view, a model card or search results.

export type MetadataFormat = 'gguf' | 'safetensors' | 'safetensors-index' | 'hf-config';

export interface ModelMetadata {
  readonly format: MetadataFormat;
  /** general.name (GGUF) */
  readonly name?: string;
  /** general.architecture (GGUF) or model_type (config.json), e.g. 'llama' */
  readonly architecture?: string;
  /** general.parameter_count, else the sum of tensor element counts (GGUF, safetensors) */
  readonly parameterCount?: number;
  /** GGUF general.file_type by name, e.g. 'Q4_K_M', 'F16' */
  readonly quantization?: string;
  /** <arch>.context_length (GGUF) or max_position_embeddings (config.json) */
  readonly contextLength?: number;
  readonly tensorCount?: number;
  /** safetensors: the tensor dtypes present, e.g. ['BF16', 'F32']; config.json: torch_dtype */
  readonly dtypes?: readonly string[];
  /** safetensors index: the shard file names, in order */
  readonly shards?: readonly string[];
  /** safetensors index: metadata.total_size (bytes of tensor data over all shards) */
  readonly totalSize?: number;
  /** GGUF format version (1-3) */
  readonly ggufVersion?: number;
  /** Bytes fetched from storage to read this (the header only, never the whole file). */
  readonly bytesRead: number;
}

const UNITS: readonly [number, string][] = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];

/** 8030261248 -> '8.0B', 124439808 -> '124M'. */
export function formatParameters(n: number): string {
  for (const [size, unit] of UNITS) {
    if (n >= size) {
      const v = n / size;
      return `${v >= 100 ? Math.round(v) : v.toFixed(1)}${unit}`;
    }
  }
  return String(n);
}

/** One-line summary for a tooltip or a description: 'llama · 8.0B params · Q4_K_M · ctx 8192'. */
export function describeMetadata(m: ModelMetadata): string {
  const parts: string[] = [];
  if (m.architecture) parts.push(m.architecture);
  if (m.parameterCount !== undefined) parts.push(`${formatParameters(m.parameterCount)} params`);
  if (m.quantization) parts.push(m.quantization);
  else if (m.dtypes && m.dtypes.length > 0) parts.push(m.dtypes.join('/'));
  if (m.contextLength !== undefined) parts.push(`ctx ${m.contextLength}`);
  if (m.tensorCount !== undefined) parts.push(`${m.tensorCount} tensors`);
  if (m.shards) parts.push(`${m.shards.length} shard${m.shards.length === 1 ? '' : 's'}`);
  return parts.join(' · ') || m.format;
}

/** Which reader applies to a file name, or undefined when it holds no model metadata we read. */
export function metadataFormatOf(fileName: string): MetadataFormat | undefined {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1).toLowerCase();
  if (base.endsWith('.gguf')) return 'gguf';
  if (base.endsWith('.safetensors')) return 'safetensors';
  if (base.endsWith('.safetensors.index.json')) return 'safetensors-index';
  if (base === 'config.json') return 'hf-config';
  return undefined;
}
