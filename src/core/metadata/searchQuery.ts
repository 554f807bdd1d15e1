// The search query: words, each optionally narrowed by a field, and what each field costs to check.
// A bare word (or name:) is matched against model names, which the model listing alone gives; file:
// and format: need the listing of the versions looked at; arch: and quant: need the files' headers
// (served from the metadata index when the file has not changed). Pure, unit-tested.
import type { ArtifactInfo } from '../types';
import { metadataFormatOf } from './modelMetadata';
import type { ModelMetadata } from './modelMetadata';

export type SearchField = 'name' | 'architecture' | 'quantization' | 'format' | 'file';

/** One query term: `llama`, or with a field: `arch:llama`, `quant:q4_k`, `format:gguf`, `file:q8`. */
export interface SearchTerm {
  readonly field?: SearchField;
  readonly text: string;
}

/** What a query needs read: only model names, the files of versions, or also the files' headers. */
export type SearchCost = 'names' | 'files' | 'headers';

const FIELD_ALIASES: Record<string, SearchField> = {
  name: 'name', model: 'name', arch: 'architecture', architecture: 'architecture',
  quant: 'quantization', quantization: 'quantization', dtype: 'quantization', format: 'format', file: 'file',
};

export function parseQuery(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  for (const raw of query.trim().split(/\s+/).filter((t) => t.length > 0)) {
    const i = raw.indexOf(':');
    const field = i > 0 ? FIELD_ALIASES[raw.slice(0, i).toLowerCase()] : undefined;
    const text = (field ? raw.slice(i + 1) : raw).toLowerCase();
    if (text.length > 0) terms.push({ field, text });
  }
  return terms;
}

const fieldOf = (t: SearchTerm): SearchField => t.field ?? 'name';
const isNameTerm = (t: SearchTerm): boolean => fieldOf(t) === 'name';
const isHeaderTerm = (t: SearchTerm): boolean => t.field === 'architecture' || t.field === 'quantization';

export function queryCost(terms: readonly SearchTerm[]): SearchCost {
  if (terms.some(isHeaderTerm)) return 'headers';
  return terms.every(isNameTerm) ? 'names' : 'files';
}

const has = (values: readonly (string | undefined)[], text: string): boolean =>
  values.some((v) => v !== undefined && v.toLowerCase().includes(text));

/** True when every name term matches the model name (case-insensitive substring). */
export function nameMatches(terms: readonly SearchTerm[], model: string): boolean {
  return terms.filter(isNameTerm).every((t) => has([model], t.text));
}

/** True when every file: and format: term matches the file (its name; the format its name implies). */
export function fileMatches(terms: readonly SearchTerm[], a: ArtifactInfo): boolean {
  return terms.every((t) => t.field === 'file' ? has([a.name], t.text) : t.field === 'format' ? has([metadataFormatOf(a.name)], t.text) : true);
}

/** True when every arch: and quant: term matches the metadata (false without metadata). */
export function headerMatches(terms: readonly SearchTerm[], m: ModelMetadata | undefined): boolean {
  return terms.filter(isHeaderTerm).every((t) => m !== undefined &&
    (t.field === 'architecture' ? has([m.architecture], t.text) : has([m.quantization, ...(m.dtypes ?? [])], t.text)));
}
