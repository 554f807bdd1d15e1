// The TreeDataProvider: connection > bucket > model > ("Tags" > tags) + versions > artifacts, for an fs
// connection connection > model directly. It only wires VS Code to children.ts (data) and render.ts
// (looks); paging and filter state lives here, keyed by node id, so a refresh of one root resets only it.
import * as vscode from 'vscode';
import type { ConnectionStore } from '../vscode/connectionStore';
import type { Log } from '../vscode/log';
import type { Repositories } from '../vscode/repositories';
import { childrenOf, loadMoreModels, type TreeState } from './children';
import type { RootNode, TreeNode } from './nodes';
import { renderNode } from './render';

export class ModelTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly state: TreeState = { pages: new Map(), filters: new Map() };
  /** The node objects last handed out, by id: a change event must carry the object the view knows. */
  private readonly known = new Map<string, TreeNode>();
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly store: ConnectionStore, private readonly repos: Repositories, private readonly log: Log) {
    this.subs.push(this.changed, store.onDidChange(() => this.refresh()));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return renderNode(node);
  }

  /** Called by the view: the nodes returned are remembered as the objects the view knows. */
  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    const kids = await this.children(node);
    for (const k of kids) this.known.set(k.id, k);
    return kids;
  }

  /** The same children for commands and pickers, without touching what the view knows. */
  children(node?: TreeNode): Promise<TreeNode[]> {
    return childrenOf(node, { store: this.store, repos: this.repos, log: this.log, state: this.state });
  }

  /** Reloads one node (and forgets its model pages), or everything (and reopens the connections). */
  refresh(node?: TreeNode | string): void {
    if (!node) {
      this.state.pages.clear();
      this.known.clear();
      this.repos.clear();
      this.changed.fire(undefined);
      return;
    }
    const nodeId = typeof node === 'string' ? node : node.id;
    for (const id of [...this.state.pages.keys()]) if (id === nodeId || id.startsWith(`${nodeId}/`)) this.state.pages.delete(id);
    this.changed.fire(this.known.get(nodeId));
  }

  async loadMore(root: RootNode): Promise<void> {
    await loadMoreModels(root, { store: this.store, repos: this.repos, log: this.log, state: this.state });
    this.changed.fire(this.known.get(root.id));
  }

  filterOf(root: RootNode): string | undefined {
    return this.state.filters.get(root.id);
  }

  /** Narrows the models of one root (empty clears); the root's description shows the filter. */
  setFilter(root: RootNode, filter: string | undefined): void {
    if (filter) this.state.filters.set(root.id, filter);
    else this.state.filters.delete(root.id);
    this.state.pages.delete(root.id);
    // the root's own description changes: refresh its parent (or the whole tree for an fs connection)
    this.changed.fire(undefined);
  }

  dispose(): void {
    for (const s of this.subs.splice(0)) s.dispose();
  }
}
