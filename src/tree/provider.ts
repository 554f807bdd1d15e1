// The TreeDataProvider: connection > bucket > model > ("Tags" > tags) + versions > artifacts, for an fs
// connection connection > model directly. It only wires VS Code to children.ts (data) and render.ts
// (looks); paging and filter state lives here, keyed by node id, so a refresh of one root resets only it.
// An artifact's tooltip is resolved on hover (resolveTreeItem), so drawing the tree never reads a header.
import * as vscode from 'vscode';
import type { ConnectionStore } from '../vscode/connectionStore';
import type { Log } from '../vscode/log';
import type { MetadataStore } from '../vscode/metadataStore';
import type { Repositories } from '../vscode/repositories';
import { childrenOf, loadMoreUnder, type TreeState } from './children';
import { isWithin } from './ids';
import type { ModelNode, RootNode, TreeNode } from './nodes';
import { parentOf, rootOf } from './parents';
import { renderNode } from './render';
import { artifactMetadataOutcome, artifactTooltip } from './tooltip';

export class ModelTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly state: TreeState = { pages: new Map(), versions: new Map(), filters: new Map() };
  /** The node objects last handed out, by id: a change event must carry the object the view knows. */
  private readonly known = new Map<string, TreeNode>();
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly store: ConnectionStore, private readonly repos: Repositories, private readonly log: Log,
    private readonly metadata?: MetadataStore) {
    this.subs.push(this.changed, store.onDidChange(() => this.refresh()));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return renderNode(node);
  }

  /** Fills an artifact's tooltip (VS Code asks on hover; only an undefined tooltip can be resolved). */
  async resolveTreeItem(item: vscode.TreeItem, node: TreeNode, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    if (node.kind !== 'artifact' || item.tooltip !== undefined) return item;
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      const outcome = this.metadata ? await artifactMetadataOutcome(node, this.repos, this.metadata, ac.signal) : { kind: 'none' as const };
      if (outcome.kind === 'failed') this.log.warn(`${node.model}@${node.info.version}/${node.info.name}: ${outcome.reason}`);
      item.tooltip = artifactTooltip(node.info, outcome);
    } catch {
      // cancelled (the pointer moved on): leave the tooltip unresolved so the next hover asks again
    } finally {
      sub.dispose();
    }
    return item;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    const p = parentOf(node, this.store);
    return p ? this.known.get(p.id) ?? p : undefined;
  }

  /**
   * Shows a model in the view (selected). When it is not among the models loaded under its root (a
   * later page, or hidden by a filter), the root is first filtered to its name.
   */
  async revealModel(view: vscode.TreeView<TreeNode>, model: ModelNode): Promise<void> {
    const root = rootOf(model.place, this.store);
    if (!root) return;
    const page = this.state.pages.get(root.id);
    if (page && !page.models.includes(model.model)) this.setFilter(root, model.model);
    try {
      await view.reveal(model, { select: true, focus: true, expand: false });
    } catch {
      // not on the first page of an unexpanded root: narrow the root to it and try again
      this.setFilter(root, model.model);
      await view.reveal(model, { select: true, focus: true, expand: false });
    }
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
      this.state.versions.clear();
      this.known.clear();
      this.repos.clear();
      this.changed.fire(undefined);
      return;
    }
    const nodeId = typeof node === 'string' ? node : node.id;
    for (const pages of [this.state.pages, this.state.versions]) {
      for (const id of [...pages.keys()]) if (isWithin(id, nodeId)) pages.delete(id);
    }
    this.changed.fire(this.known.get(nodeId));
  }

  async loadMore(root: RootNode | ModelNode): Promise<void> {
    await loadMoreUnder(root, { store: this.store, repos: this.repos, log: this.log, state: this.state });
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
