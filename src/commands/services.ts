// What every command handler receives: the extension's services, built once in extension.ts.
import type * as vscode from 'vscode';
import type { TreeNode } from '../tree/nodes';
import type { ModelTreeProvider } from '../tree/provider';
import type { ConnectionStore } from '../vscode/connectionStore';
import type { Log } from '../vscode/log';
import type { MarkdownDocs } from '../vscode/markdownDocs';
import type { MetadataStore } from '../vscode/metadataStore';
import type { Notifier } from '../vscode/notify';
import type { Repositories } from '../vscode/repositories';

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly store: ConnectionStore;
  readonly repos: Repositories;
  readonly tree: ModelTreeProvider;
  readonly log: Log;
  readonly notify: Notifier;
  /** The tree view (search reveals a model in it). */
  readonly view: vscode.TreeView<TreeNode>;
  readonly metadata: MetadataStore;
  readonly docs: MarkdownDocs;
}
