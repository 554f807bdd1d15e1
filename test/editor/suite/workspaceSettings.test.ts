// Connections that a workspace ships in .vscode/settings.json: shown next to the user's own (once),
// folder paths relative to the workspace, and edits written back to the workspace settings.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createFsStorage } from '../../../src/core/storage/fsStorage';
import { MODEL, extensionApi, kids, labelOf, seedChapter, until, walk } from './helpers';

suite('workspace settings', () => {
  const cfg = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('modelRepository');
  let before: unknown;
  let folder: string | undefined;

  suiteSetup(async function () {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!ws) return this.skip();
    before = cfg().inspect('connections')?.workspaceValue;
    folder = path.join(ws, 'team-models');
    fs.mkdirSync(folder, { recursive: true });
    await seedChapter(createFsStorage({ kind: 'fs', path: folder }));
  });

  suiteTeardown(async () => {
    if (!folder) return;
    await cfg().update('connections', before, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  test('a workspace connection with a relative path shows once, with its models', async () => {
    const api = await extensionApi();
    await cfg().update('connections', [{ id: 'team', name: 'Team models', kind: 'fs', path: 'team-models' }], vscode.ConfigurationTarget.Workspace);
    await until('the workspace connection', async () => (await kids(api)).some((n) => labelOf(api, n) === 'Team models') || undefined);
    assert.equal((await kids(api)).filter((n) => labelOf(api, n) === 'Team models').length, 1);
    assert.equal(api.connection('team')?.scope, 'workspace');
    assert.deepEqual((await kids(api, await walk(api, 'Team models'))).map((n) => labelOf(api, n)), [MODEL]);
  });

  test('editing it writes to the workspace settings, not the user settings', async () => {
    const api = await extensionApi();
    await vscode.commands.executeCommand('modelRepository.editConnection', { connectionId: 'team' }, { name: 'Team models (edited)' });
    const i = cfg().inspect<{ id: string; name: string }[]>('connections');
    assert.equal(i?.workspaceValue?.find((c) => c.id === 'team')?.name, 'Team models (edited)');
    assert.ok(!(i?.globalValue ?? []).some((c) => c.id === 'team'), 'the edit went to the user settings');
    await until('the new name', async () => (await kids(api)).some((n) => labelOf(api, n) === 'Team models (edited)') || undefined);
  });
});
