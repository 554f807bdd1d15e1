// Opens a local folder (or an NFS / CephFS mount) as a repository: an fs connection in settings.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newConnectionId } from '../vscode/connectionStore';
import { cancelled, options } from './pick';
import type { Services } from './services';

export interface AddFolderArgs {
  readonly path?: string;
  readonly name?: string;
  readonly nfsServer?: string;
  readonly nfsPath?: string;
  readonly scope?: 'user' | 'workspace';
}

const ACTION = 'open folder as repository';

export async function addFolderConnection(s: Services, _node: unknown, raw: unknown): Promise<string> {
  const a = options<AddFolderArgs>(raw);
  let folder = a.path;
  if (!folder) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use as Model Repository',
      title: 'Folder that holds (or will hold) models: <model>/<version>/<files>',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    if (!picked?.[0]) throw cancelled(ACTION);
    folder = picked[0].fsPath;
  }
  const name = a.name ?? path.basename(folder);
  const id = newConnectionId(name);
  await s.store.save({ id, name, kind: 'fs', path: folder, nfsServer: a.nfsServer, nfsPath: a.nfsPath }, undefined, a.scope);
  s.log.info(`added folder connection ${name} (${id}) at ${folder}`);
  return id;
}
