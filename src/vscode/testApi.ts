// What activate() returns when VS Code runs the extension's own tests (ExtensionMode.Test), and only
// then: in normal use the extension exports nothing, so no other extension can reach its services.
// Even here the API is a set of functions over the services, never the services themselves: no
// SecretStorage, no connection store, nothing that hands out keys. A test learns whether the right
// keys are stored by comparing digests (keysDigest / tokenDigest), never by reading them.
import { createHash } from 'node:crypto';
import type * as vscode from 'vscode';
import type { S3Credentials } from '../core/connections/types';
import type { Timeouts } from '../core/timeouts';
import type { TreeNode } from '../tree/nodes';
import type { ModelTreeProvider } from '../tree/provider';
import type { ConnectionStore } from './connectionStore';
import { HF_TOKEN_KEY } from './huggingFace';
import type { MarkdownDocs } from './markdownDocs';
import type { MetadataStore } from './metadataStore';
import type { Notice, Notifier } from './notify';
import type { Repositories } from './repositories';
import type { Connection } from './settings';

export interface TestApi {
  readonly activationMs: number;
  /** The tree as the view gets it. */
  children(node?: TreeNode): Promise<TreeNode[]>;
  treeItem(node: TreeNode): vscode.TreeItem;
  resolveTreeItem(item: vscode.TreeItem, node: TreeNode, token: vscode.CancellationToken): Promise<vscode.TreeItem>;
  /** The nodes selected in the view. */
  selection(): readonly TreeNode[];
  /** A connection's settings (never its keys). */
  connection(id: string): Connection | undefined;
  detectWorkspaceFolder(): Promise<void>;
  lastNotice(): Notice | undefined;
  notices(): readonly Notice[];
  /** Lines written to the log channel so far (as written: after redaction). */
  logLines(): readonly string[];
  /** sha256 of the keys SecretStorage holds for a connection (keysDigestOf's form), undefined when none. */
  keysDigest(connectionId: string): Promise<string | undefined>;
  /** sha256 of the stored Hugging Face token, undefined when none. */
  tokenDigest(): Promise<string | undefined>;
  /** Storages a refresh or an edit retired that are not disposed yet, because an operation still uses them. */
  retiredInUse(): number;
  /** The deadlines an S3 connection is opened with (S3ConnectionConfig.timeouts); undefined for a folder. */
  timeoutsFor(connectionId: string): Promise<Partial<Timeouts> | undefined>;
  readonly metadata: {
    reads(): number;
    save(): Promise<void>;
    readonly file: string | undefined;
  };
  /** The text of a read-only document the extension shows (modelrepo-doc: URIs). */
  docText(uri: vscode.Uri): string;
}

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The form keysDigest() hashes: tests compute the expected value from the keys they stored. */
export function keysDigestOf(k: S3Credentials): string {
  return digest(JSON.stringify([k.accessKeyId, k.secretAccessKey, k.sessionToken ?? null]));
}

export interface TestApiParts {
  readonly activationMs: number;
  readonly tree: ModelTreeProvider;
  readonly view: vscode.TreeView<TreeNode>;
  readonly store: ConnectionStore;
  readonly repos: Repositories;
  readonly notify: Notifier;
  readonly secrets: vscode.SecretStorage;
  readonly metadata: MetadataStore;
  readonly docs: MarkdownDocs;
  readonly logLines: readonly string[];
}

export function createTestApi(p: TestApiParts): TestApi {
  return {
    activationMs: p.activationMs,
    children: (node) => p.tree.getChildren(node),
    treeItem: (node) => p.tree.getTreeItem(node),
    resolveTreeItem: (item, node, token) => p.tree.resolveTreeItem(item, node, token),
    selection: () => [...p.view.selection],
    connection: (id) => p.store.get(id),
    detectWorkspaceFolder: () => p.store.detectWorkspaceFolder(),
    lastNotice: () => p.notify.last(),
    notices: () => p.notify.notices(),
    logLines: () => [...p.logLines],
    keysDigest: async (id) => {
      const k = await p.store.keys(id);
      return k ? keysDigestOf(k) : undefined;
    },
    tokenDigest: async () => {
      const t = await p.secrets.get(HF_TOKEN_KEY);
      return t ? digest(t) : undefined;
    },
    retiredInUse: () => p.repos.retiredInUse,
    timeoutsFor: async (connectionId) => {
      const cfg = await p.repos.endpointConfig(connectionId);
      return 'timeouts' in cfg ? { ...cfg.timeouts } : undefined;
    },
    metadata: {
      reads: () => p.metadata.reads,
      save: () => p.metadata.save(),
      file: p.metadata.file,
    },
    docText: (uri) => p.docs.provideTextDocumentContent(uri),
  };
}
