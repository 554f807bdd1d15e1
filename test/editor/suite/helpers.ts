// Shared by the in-host suites: the extension's test API, reading the real tree, seeding repositories
// with the real core, and waiting for settings changes to reach the extension.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import type { TreeNode } from '../../../src/tree/nodes';
import { Repository } from '../../../src/core/repository';
import type { Storage } from '../../../src/core/storage/storage';

export const EXT_ID = 'modelrepo.model-repository';

export async function extensionApi(): Promise<ExtensionApi> {
  const ext = vscode.extensions.getExtension<ExtensionApi>(EXT_ID);
  assert.ok(ext, `extension ${EXT_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** A fresh folder for one suite, under the harness's work folder when it gives one. */
export function scratch(name: string): string {
  const base = process.env.MODELREPO_TEST_WORKDIR ?? os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${name}-`));
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A small model file with random content (so every checksum is distinct). */
export function makeFile(dir: string, name: string, size = 4096): string {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, name);
  fs.writeFileSync(f, Buffer.concat([Buffer.from('GGUF'), randomBytes(size - 4)]));
  return f;
}

export const MODEL = 'llama-3-8b';
export const V1 = '2024-01-15';
export const V2 = '2024-03-20';
export const F1 = 'llama-3-8b.Q4_K_M.gguf';
export const F2 = 'llama-3-8b.Q5_K_M.gguf';

/** The chapter's layout: two versions, v1 and v2 on their files, latest -> v2. */
export async function seedChapter(storage: Storage, who = 'seed@test'): Promise<Repository> {
  const repo = new Repository(storage, { who });
  const tmp = scratch('seed-files');
  await repo.upload(MODEL, V1, [makeFile(path.join(tmp, V1), F1)]);
  await repo.upload(MODEL, V2, [makeFile(path.join(tmp, V2), F2, 6000)]);
  await repo.setTag(MODEL, 'v1', `${V1}/${F1}`, { expect: null });
  await repo.setTag(MODEL, 'v2', `${V2}/${F2}`, { expect: null });
  await repo.setTag(MODEL, 'latest', 'v2', { expect: null });
  return repo;
}

export async function kids(api: ExtensionApi, node?: TreeNode): Promise<TreeNode[]> {
  return api.children(node);
}

export function labelOf(api: ExtensionApi, node: TreeNode): string {
  const l = api.treeItem(node).label;
  return typeof l === 'string' ? l : l?.label ?? '';
}

export function item(api: ExtensionApi, node: TreeNode): vscode.TreeItem {
  return api.treeItem(node);
}

/** The child of `parent` with this label (fails listing what is there instead). */
export async function child(api: ExtensionApi, parent: TreeNode | undefined, label: string): Promise<TreeNode> {
  const all = await kids(api, parent);
  const found = all.find((n) => labelOf(api, n) === label);
  assert.ok(found, `no '${label}' under ${parent ? labelOf(api, parent) : 'the root'}; found: ${all.map((n) => labelOf(api, n)).join(' | ')}`);
  return found;
}

/** Walks labels from the root: path(api, 'my conn', 'bucket', 'model'). */
export async function walk(api: ExtensionApi, ...labels: string[]): Promise<TreeNode> {
  let node: TreeNode | undefined;
  for (const l of labels) node = await child(api, node, l);
  assert.ok(node);
  return node;
}

/** Polls until `check` returns a value (settings changes reach the extension host asynchronously). */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, attempts = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function run<T = unknown>(command: string, ...args: unknown[]): Thenable<T> {
  return vscode.commands.executeCommand<T>(`modelRepository.${command}`, ...args);
}

/** Adds an fs connection through the command and waits until the tree shows it. */
export async function addFolder(api: ExtensionApi, folder: string, name: string): Promise<string> {
  const id = await run<string>('addFolderConnection', undefined, { path: folder, name });
  assert.ok(id, 'addFolderConnection returned no id');
  await until(`connection ${name} in the tree`, async () => (await kids(api)).some((n) => labelOf(api, n) === name) || undefined);
  return id;
}

export async function removeConnection(api: ExtensionApi, id: string): Promise<void> {
  await run('removeConnection', { connectionId: id }, { nonInteractive: true });
  await until(`connection ${id} gone`, () => (api.connection(id) ? undefined : true));
}
