// Dropping files or folders from the Explorer (or the OS) onto a model, a bucket or a folder connection
// uploads them as a new version: the drop only collects local paths and runs the upload command, which
// asks for what is missing (model name on a bucket, version name) and shows progress with Cancel.
import { backendOf } from '../core/backends/index';
import * as vscode from 'vscode';
import { hasProblem, type TreeNode } from './nodes';

const URI_LIST = 'text/uri-list';

/** Local paths from a text/uri-list (file: and this host's vscode-remote: URIs). */
export function pathsFromUriList(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => vscode.Uri.parse(l)).filter((u) => u.scheme === 'file' || u.scheme === 'vscode-remote').map((u) => u.fsPath);
}

export function isDropTarget(node: TreeNode | undefined): boolean {
  if (!node || hasProblem(node)) return false; // the core marked it unusable: nothing is run on it
  if (node.kind === 'connection') return !backendOf(node.connKind).bucketed;
  return ['bucket', 'model', 'tagsGroup', 'version', 'tag', 'artifact'].includes(node.kind);
}

export class UploadDropController implements vscode.TreeDragAndDropController<TreeNode> {
  readonly dropMimeTypes = [URI_LIST];
  readonly dragMimeTypes: readonly string[] = [];

  async handleDrop(target: TreeNode | undefined, data: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    if (!isDropTarget(target)) return;
    const list = await data.get(URI_LIST)?.asString();
    if (!list || token.isCancellationRequested) return;
    const paths = pathsFromUriList(list);
    if (paths.length === 0) return;
    await vscode.commands.executeCommand('modelRepository.upload', target, { paths });
  }
}
