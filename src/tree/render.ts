// The one function that turns a node into what VS Code shows: label, description, icon, tooltip and
// the contextValue the menus in package.json match (`version@s3`, `version:tagged@fs`, `tag:broken@s3`, ...).
// Nodes inside a model end in `@s3` (a place in a bucket) or `@fs` (a repository without buckets), so
// menus that need a bucket's object URI and presigned URL (Copy S3 URI, Copy Presigned URL) are offered
// only there; a bucketed backend declares `presign` (test/unit/backends.test.ts).
// A version or file the core marked with a `problem` gets `problem:version` / `problem:artifact`, which
// no menu matches: it is shown (warning icon, the escaped name the core gave, the problem) and nothing
// can be run on it.
import { backendOf } from '../core/backends/index';
import * as vscode from 'vscode';
import { formatBytes } from '../core/format';
import { formatChainAfterTag } from '../core/links';
import type { TreeNode } from './nodes';

const C = vscode.TreeItemCollapsibleState;

function item(label: string, collapsible: vscode.TreeItemCollapsibleState, id: string, contextValue: string, icon: string,
  iconColor?: string): vscode.TreeItem {
  const it = new vscode.TreeItem(label, collapsible);
  it.id = id;
  it.contextValue = contextValue;
  it.iconPath = new vscode.ThemeIcon(icon, iconColor ? new vscode.ThemeColor(iconColor) : undefined);
  return it;
}

function md(lines: string[]): vscode.MarkdownString {
  const m = new vscode.MarkdownString(lines.join('\n\n'));
  m.supportThemeIcons = true;
  return m;
}

/** `@s3` for a place in a bucket, `@fs` for a folder repository (which has no buckets). */
const storageMark = (node: { place: { bucket?: string } }): string => (node.place.bucket !== undefined ? '@s3' : '@fs');

const filterText = (f: string | undefined): string | undefined => (f ? `filter: ${f}` : undefined);

/** What a version's description says: its tags, or why it is not usable yet. */
export function versionDescription(state: string, tags: readonly string[]): string {
  if (state === 'pending') return 'upload incomplete';
  return tags.join(', ');
}

/** A version or file that cannot be used: leaf, warning icon, the problem beside and under the name. */
function unusable(node: Extract<TreeNode, { kind: 'version' | 'artifact' }>, problem: string): vscode.TreeItem {
  const it = item(node.info.name, C.None, node.id, `problem:${node.kind}`, 'warning', 'list.warningForeground');
  it.description = problem;
  const where = node.kind === 'version' ? `${node.model}@${node.info.name}` : `${node.model}@${node.info.version}/${node.info.name}`;
  // plain text: the name and the problem come from storage and must not be read as markdown
  it.tooltip = `${node.kind === 'version' ? 'Version' : 'File'} ${where} cannot be used:\n${problem}`;
  return it;
}

export function renderNode(node: TreeNode): vscode.TreeItem {
  if ((node.kind === 'version' || node.kind === 'artifact') && node.info.problem) return unusable(node, node.info.problem);
  switch (node.kind) {
    case 'connection': {
      const backend = backendOf(node.connKind);
      const it = item(node.name, C.Collapsed, node.id, 'connection', backend.icon);
      it.description = [node.detail, filterText(node.filter)].filter(Boolean).join(' · ');
      it.tooltip = md([`**${node.name}**`, `${backend.label}: \`${node.detail}\``]);
      return it;
    }
    case 'bucket': {
      const it = item(node.place.bucket, C.Collapsed, node.id, 'bucket', 'database');
      it.description = filterText(node.filter);
      return it;
    }
    case 'model': {
      const it = item(node.model, C.Collapsed, node.id, `model${storageMark(node)}`, 'package');
      it.tooltip = `Model ${node.model}: drop files or folders here to upload a new version`;
      return it;
    }
    case 'tagsGroup':
      return item('Tags', C.Collapsed, node.id, `tagsGroup${storageMark(node)}`, 'tag');
    case 'version': {
      const v = node.info;
      const ctx = v.state === 'pending' ? 'version:pending' : v.tags.length > 0 ? 'version:tagged' : 'version';
      const it = item(v.name, v.state === 'pending' ? C.None : C.Collapsed, node.id, ctx + storageMark(node),
        v.state === 'pending' ? 'cloud-upload' : 'versions', v.state === 'pending' ? 'list.warningForeground' : undefined);
      it.description = versionDescription(v.state, v.tags);
      it.tooltip = md([`**${v.model}@${v.name}**`,
        v.state === 'pending' ? 'An upload of this version has not finished.'
          : v.state === 'legacy' ? 'Written by another tool: no recorded checksums.' : 'Complete, with recorded sha256 checksums.',
        ...(v.created ? [`Created ${v.created.toISOString()}`] : []),
        ...(v.tags.length ? [`Tags: ${v.tags.join(', ')}`] : [])]);
      return it;
    }
    case 'tag': {
      const t = node.info;
      const broken = !t.resolved;
      const it = item(t.name, C.None, node.id, (broken ? 'tag:broken' : 'tag') + storageMark(node), broken ? 'warning' : 'tag',
        broken ? 'list.warningForeground' : undefined);
      it.description = t.resolved ? formatChainAfterTag(t.resolved.chain) : `broken: ${t.problem ?? 'does not resolve'}`;
      it.tooltip = md([`**${t.model}:${t.name}**`, `Link: \`${t.target}\``,
        t.resolved ? `Resolves to ${t.resolved.version}${t.resolved.file ? `/${t.resolved.file}` : ''}` : `Broken: ${t.problem ?? ''}`]);
      return it;
    }
    case 'artifact': {
      const a = node.info;
      const it = item(a.name, C.None, node.id, `artifact${storageMark(node)}`, 'file-binary');
      it.description = formatBytes(a.size);
      // no tooltip here: the provider's resolveTreeItem fills it on hover (with the file's metadata)
      return it;
    }
    case 'message': {
      const it = item(node.text, C.None, node.id, 'message', node.severity,
        node.severity === 'error' ? 'list.errorForeground' : node.severity === 'warning' ? 'list.warningForeground' : undefined);
      it.tooltip = node.detail ?? node.text;
      if (node.command) it.command = { command: node.command.id, title: node.command.title, arguments: [...node.command.args] };
      return it;
    }
    case 'loadMore': {
      const it = item('Load more', C.None, node.id, 'loadMore', 'ellipsis');
      it.command = { command: 'modelRepository.loadMore', title: 'Load more', arguments: [node] };
      return it;
    }
  }
}
