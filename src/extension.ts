// Composition root: builds the services (log, connections, repositories, tree), registers the view and
// the commands, and hands every disposable to the extension context. Nothing here loads an SDK: the AWS
// SDK is loaded when an S3 connection is first opened, @kubernetes/client-node when a manifest is made.
// activate() exports nothing to other extensions; only when VS Code runs this extension's own tests
// does it return the test API (vscode/testApi.ts), which holds no secrets either.
import * as vscode from 'vscode';
import { registerCommands } from './commands/registry';
import type { Services } from './commands/services';
import { UploadDropController } from './tree/dragAndDrop';
import { ModelTreeProvider } from './tree/provider';
import { ConnectionStore } from './vscode/connectionStore';
import { LOG_CHANNEL_NAME, createLog, recordingSink } from './vscode/log';
import { MarkdownDocs } from './vscode/markdownDocs';
import { MetadataStore } from './vscode/metadataStore';
import { Notifier } from './vscode/notify';
import { Repositories } from './vscode/repositories';
import { createTestApi, type TestApi } from './vscode/testApi';

export const VIEW_ID = 'modelRepository.tree';

/** What activate() returns under test (ExtensionMode.Test); undefined otherwise. */
export type ExtensionApi = TestApi;

let metadataStore: MetadataStore | undefined;

export function activate(context: vscode.ExtensionContext): TestApi | undefined {
  const t0 = Date.now();
  const testing = context.extensionMode === vscode.ExtensionMode.Test;
  const channel = vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
  const logLines: string[] = [];
  const log = createLog(testing ? recordingSink(channel, logLines) : channel);
  const notify = new Notifier(log);
  const store = new ConnectionStore(context.secrets);
  const repos = new Repositories(store, log.child('repo'));
  // the metadata cache file is read in the background; the first tooltip waits for it
  const metadata = new MetadataStore(context.globalStorageUri, log.child('metadata'));
  metadataStore = metadata;
  const docs = new MarkdownDocs();
  const tree = new ModelTreeProvider(store, repos, log.child('tree'), metadata);
  const view = vscode.window.createTreeView(VIEW_ID, {
    treeDataProvider: tree, showCollapseAll: true, dragAndDropController: new UploadDropController(),
  });
  const services: Services = { context, store, repos, tree, log, notify, view, metadata, docs };
  context.subscriptions.push(channel, store, repos, tree, view, metadata, docs, ...registerCommands(services));
  // The workspace's `model-repo` folder shows up without configuration: one stat, not awaited here
  // (the tree waits for it before listing its roots).
  void store.detectWorkspaceFolder();
  const activationMs = Date.now() - t0;
  log.info(`activated in ${activationMs} ms; ${store.list().length} configured connection(s)`);
  if (!testing) return undefined;
  return createTestApi({ activationMs, tree, view, store, repos, notify, secrets: context.secrets, metadata, docs, logLines });
}

/** Everything else is in context.subscriptions; the metadata cache is written out before the host stops. */
export async function deactivate(): Promise<void> {
  await metadataStore?.save();
  metadataStore = undefined;
}
