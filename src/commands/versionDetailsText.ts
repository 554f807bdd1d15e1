// The markdown of the version details view: the version's state, tags, origin and every file with its
// size, sha256 and the metadata its header carries. Pure text from core data, so it is easy to test.
import { metadataFacts } from '../core/metadata/metadataFacts';
import type { ArtifactWithMetadata } from '../core/metadata/modelCard';
import type { VersionInfo } from '../core/types';
import { formatBytes } from '../core/format';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const row = (k: string, v: string): string => `| ${cell(k)} | ${cell(v)} |`;

const STATE: Record<VersionInfo['state'], string> = {
  complete: 'complete, with recorded sha256 checksums',
  legacy: 'written by another tool: no recorded checksums',
  pending: 'upload not finished',
};

function sourceText(src: Readonly<Record<string, string>>): string | undefined {
  if (src.huggingface) {
    const base = (src.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
    const req = src.requestedRevision && src.requestedRevision !== src.revision ? ` (requested \`${src.requestedRevision}\`)` : '';
    return `Hugging Face [${src.huggingface}](${base}/${src.huggingface}) at commit \`${src.revision ?? '?'}\`${req}`;
  }
  const parts = Object.entries(src).map(([k, v]) => `${k}: ${v}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

export function versionDetailsMarkdown(v: VersionInfo, files: readonly ArtifactWithMetadata[], where: string,
  source?: Readonly<Record<string, string>>): string {
  const total = files.reduce((n, f) => n + f.artifact.size, 0);
  const lines = [`# ${v.model} @ ${v.name}`, '', '| | |', '|---|---|',
    row('Location', `\`${where}\``),
    row('State', STATE[v.state]),
    row('Tags', v.tags.length > 0 ? v.tags.join(', ') : 'none'),
  ];
  if (v.created) lines.push(row('Created', v.created.toISOString()));
  const src = source ? sourceText(source) : undefined;
  if (src) lines.push(row('Source', src));
  lines.push(row('Files', `${files.length}, ${formatBytes(total)}`), '');

  for (const { artifact: a, metadata, problem } of files) {
    lines.push(`## ${a.name}`, '', '| | |', '|---|---|',
      row('Size', `${formatBytes(a.size)} (${a.size.toLocaleString('en-US')} bytes)`),
      row('sha256', a.sha256 ? `\`${a.sha256}\`` : 'not recorded'));
    if (metadata) for (const [k, val] of metadataFacts(metadata)) lines.push(row(k, val));
    lines.push('');
    if (problem) lines.push(`> ${problem}`, '');
    else if (!metadata) lines.push('_No model metadata: not a GGUF or safetensors file._', '');
  }
  return lines.join('\n');
}
