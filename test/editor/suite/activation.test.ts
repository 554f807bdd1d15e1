// The extension loads in a real VS Code, registers every command and the view, and the workspace's
// `model-repo` folder appears as a repository without any configuration.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createFsStorage } from '../../../src/core/storage/fsStorage';
import { EXT_ID, MODEL, extensionApi, item, kids, labelOf, seedChapter, until } from './helpers';

const COMMAND_IDS = ['refresh', 'addS3Connection', 'addFolderConnection', 'importConnections', 'editConnection',
  'removeConnection', 'testConnection', 'upload', 'createTag', 'moveTag', 'deleteTag', 'tagHistory', 'rollbackTag',
  'generateManifest', 'applyManifest', 'applyToCluster', 'abDeployment', 'download', 'copyS3Uri', 'copyPresignedUrl', 'deleteVersion', 'filterModels',
  'loadMore', 'showLog', 'showVersionDetails', 'openModelCard', 'createModelCard', 'searchModels', 'importFromHuggingFace',
  'setHuggingFaceToken', 'addClusterConnection', 'deployMinio', 'verifyModelInPod', 'prefetchToNodes', 'removePrefetch'];

suite('activation', () => {
  test('activates in the extension host; the test API is functions and plain data, no service and no secret storage', async () => {
    const api = await extensionApi();
    assert.equal(vscode.extensions.getExtension(EXT_ID)?.isActive, true);
    assert.equal(typeof api.activationMs, 'number');
    assert.equal(typeof api.children, 'function');
    // what another extension would get from exports: nothing it could call get()/keys() on
    const seen: string[] = [];
    const check = (o: object, where: string): void => {
      assert.equal(Object.getPrototypeOf(o), Object.prototype, `${where} is a ${o.constructor?.name}, not plain data`);
      for (const [k, v] of Object.entries(o)) {
        seen.push(`${where}.${k}`);
        assert.ok(!/secret|store|repos|context|keys$/i.test(k) || typeof v === 'function', `${where}.${k} is exported`);
        if (v !== null && typeof v === 'object') check(v, `${where}.${k}`);
        else assert.ok(['function', 'number', 'string', 'undefined', 'boolean'].includes(typeof v), `${where}.${k} is a ${typeof v}`);
      }
    };
    check(vscode.extensions.getExtension(EXT_ID)?.exports as object, 'exports');
    assert.ok(seen.includes('exports.keysDigest') && !seen.some((k) => /secrets$/.test(k)), seen.join(' '));
  });

  test('registers every command of package.json, each with the category', async () => {
    await extensionApi();
    const all = new Set(await vscode.commands.getCommands(true));
    for (const id of COMMAND_IDS) assert.ok(all.has(`modelRepository.${id}`), `modelRepository.${id} is not registered`);
    const pkg = vscode.extensions.getExtension(EXT_ID)?.packageJSON as { contributes: { commands: { command: string; category: string }[] } };
    assert.deepEqual(pkg.contributes.commands.map((c) => c.command).sort(), COMMAND_IDS.map((c) => `modelRepository.${c}`).sort());
    assert.ok(pkg.contributes.commands.every((c) => c.category === 'Model Repository'));
  });

  test('the view opens: its focus command exists and runs', async () => {
    await vscode.commands.executeCommand('modelRepository.tree.focus');
  });

  test("a workspace folder named model-repo is shown as a repository with nothing configured", async function () {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!ws) return this.skip();
    const folder = path.join(ws, 'model-repo');
    fs.mkdirSync(folder, { recursive: true });
    try {
      await seedChapter(createFsStorage({ kind: 'fs', path: folder }));
      const api = await extensionApi();
      await api.detectWorkspaceFolder();
      const conn = await until('the model-repo connection', async () => (await kids(api)).find((n) => labelOf(api, n) === 'model-repo'));
      assert.equal(item(api, conn).contextValue, 'connection');
      const models = await kids(api, conn);
      assert.deepEqual(models.map((m) => labelOf(api, m)), [MODEL]);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
      const api = await extensionApi();
      await api.detectWorkspaceFolder();
    }
    const api = await extensionApi();
    assert.ok(!(await kids(api)).some((n) => labelOf(api, n) === 'model-repo'), 'the implicit connection stays after the folder is gone');
  });
});
