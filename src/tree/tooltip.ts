// The artifact tooltip. Rendering a row never reads a file: the tooltip is left empty by render.ts and
// filled here when VS Code asks for it (TreeDataProvider.resolveTreeItem, on hover), with the facts of
// the listing plus, for GGUF and safetensors files, what their header says (read once per ETag).
import * as vscode from 'vscode';
import { isAbort, isRepoError } from '../core/errors';
import { metadataFacts } from '../core/metadata/metadataFacts';
import type { ModelMetadata } from '../core/metadata/modelMetadata';
import type { ArtifactInfo } from '../core/types';
import type { MetadataStore } from '../vscode/metadataStore';
import { formatBytes } from '../core/format';
import type { Repositories } from '../vscode/repositories';
import type { ArtifactNode } from './nodes';

export type MetadataOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'read'; readonly metadata: ModelMetadata }
  | { readonly kind: 'failed'; readonly reason: string };

// names and values are plain text: only what would start markup is escaped (Q4_K_M stays readable)
const escape = (s: string): string => s.replace(/[\\`*[\]<>]/g, '\\$&');

export function artifactTooltip(a: ArtifactInfo, outcome: MetadataOutcome): vscode.MarkdownString {
  const lines = [`**${escape(a.name)}**`, `Size: ${formatBytes(a.size)} (${a.size.toLocaleString('en-US')} bytes)`,
    a.sha256 ? `sha256: \`${a.sha256}\`` : 'sha256: not recorded (written by another tool)',
    `Modified: ${a.modified.toISOString()}`];
  if (outcome.kind === 'read') {
    lines.push('---', metadataFacts(outcome.metadata).map(([k, v]) => `${k}: **${escape(v)}**`).join('  \n'));
  } else if (outcome.kind === 'failed') {
    lines.push('---', `$(warning) Metadata: ${escape(outcome.reason)}`);
  }
  const m = new vscode.MarkdownString(lines.join('\n\n'));
  m.supportThemeIcons = true;
  return m;
}

/** Reads the metadata for the tooltip; a failure becomes a line of the tooltip, never a popup. */
export async function artifactMetadataOutcome(node: ArtifactNode, repos: Repositories, metadata: MetadataStore,
  signal?: AbortSignal): Promise<MetadataOutcome> {
  if (!metadata.hasMetadata(node.info.name)) return { kind: 'none' };
  try {
    const m = await repos.use(node.place, ({ storage }) => metadata.read(storage, node.info, signal));
    return m ? { kind: 'read', metadata: m } : { kind: 'none' };
  } catch (err) {
    if (isAbort(err)) throw err;
    return { kind: 'failed', reason: isRepoError(err) ? err.reason : err instanceof Error ? err.message : String(err) };
  }
}
