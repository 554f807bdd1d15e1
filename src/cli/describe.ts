// Shared renderings of core results, for people (text) and scripts (JSON), so every command prints a
// resolved reference, a file or a tag the same way.
import type { ParsedRef } from '../core/refs';
import type { ArtifactInfo, ModelRef, ResolvedRef, TagInfo } from '../core/types';
import { formatBytes } from './format';

/** The core reference for a parsed CLI reference (which must carry a tag or a version). */
export function modelRefOf(ref: ParsedRef): ModelRef {
  if (ref.tag !== undefined) return { model: ref.model, tag: ref.tag };
  if (ref.version !== undefined) {
    return ref.file !== undefined ? { model: ref.model, version: ref.version, file: ref.file } : { model: ref.model, version: ref.version };
  }
  throw new Error(`internal: reference to ${ref.model} has neither a tag nor a version`);
}

/** 'latest -> v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf' */
export function chainText(r: ResolvedRef): string {
  return r.chain.join(' -> ');
}

/** One artifact as a table row: '2024-03-20/file.gguf', '5.3 GiB', 'sha256:...'. */
export function artifactRow(a: ArtifactInfo, withVersion = true): string[] {
  return [withVersion ? `${a.version}/${a.name}` : a.name, formatBytes(a.size), a.sha256 ? `sha256:${a.sha256}` : 'sha256 not recorded'];
}

export function artifactJson(a: ArtifactInfo): Record<string, unknown> {
  return { version: a.version, name: a.name, key: a.key, size: a.size, modified: a.modified, sha256: a.sha256 ?? null };
}

export function resolvedJson(r: ResolvedRef): Record<string, unknown> {
  return { model: r.model, version: r.version, file: r.file ?? null, chain: r.chain, files: r.artifacts.map(artifactJson) };
}

export function tagJson(t: TagInfo): Record<string, unknown> {
  return {
    name: t.name, target: t.target,
    chain: t.resolved ? t.resolved.chain : null,
    resolved: t.resolved ? { version: t.resolved.version, file: t.resolved.file ?? null } : null,
    problem: t.problem ?? null,
    ...(t.warning ? { warning: t.warning } : {}),
  };
}

/** The `warning` a tag change returns when it landed but its history record was not written
 *  (TagInfo.warning; deleteTag's `{ warning }`); undefined for anything else, void included. */
export function warningOf(result: unknown): string | undefined {
  const w = (result as { warning?: unknown } | undefined | null)?.warning;
  return typeof w === 'string' && w.length > 0 ? w : undefined;
}

/** 'latest -> v2 -> 2024-03-20/x.gguf', or 'latest -> v9 (broken: ...)'. */
export function tagLine(t: TagInfo): string {
  if (t.resolved) return chainText(t.resolved);
  return `${t.name} -> ${t.target}  (broken: ${t.problem ?? 'does not resolve'})`;
}

/** 'Tagged llama-3-8b:v2: v2 -> 2024-03-20/x.gguf', said after a tag was set. */
export function taggedLine(model: string, tag: string, t: TagInfo): string {
  return `Tagged ${model}:${tag}: ${t.resolved ? chainText(t.resolved) : `${tag} -> ${t.target}`}`;
}

/** The `tag` of upload's and import's --json document: the tag set on the new version. */
export function newTagJson(tag: string, t: TagInfo): Record<string, unknown> {
  const warning = warningOf(t);
  return { name: tag, target: t.target, chain: t.resolved?.chain ?? null, ...(warning ? { warning } : {}) };
}
