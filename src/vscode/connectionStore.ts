// The connections the extension knows: entries of `modelRepository.connections` (settings.ts) plus an
// implicit one for a `model-repo` folder at the root of the workspace, so a seeded workspace shows a
// repository with nothing configured. Keys live only in SecretStorage under
// `modelRepository.connection.<id>` as JSON { accessKeyId, secretAccessKey }.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { backendOf } from '../core/backends/index';
import { registerSecret } from '../core/errors';
import type { S3Credentials } from '../core/connections/types';
import {
  affectsConnections, deleteConnection, readConnections, resolveFolder, writeConnection,
  type Connection, type ConnectionSettings, type SettingsScope,
} from './settings';

export const SECRET_PREFIX = 'modelRepository.connection.';
export const IMPLICIT_ID = 'workspace-model-repo';
const IMPLICIT_FOLDER = 'model-repo';

export function secretKey(id: string): string {
  return `${SECRET_PREFIX}${id}`;
}

/** A fresh connection id from a display name: `minio-local-3f2a`. */
export function newConnectionId(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24) || 'connection';
  return `${slug}-${randomBytes(2).toString('hex')}`;
}

export class ConnectionStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private implicit: Connection | undefined;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subs.push(this.changed);
    this.subs.push(vscode.workspace.onDidChangeConfiguration((e) => { if (affectsConnections(e)) this.changed.fire(); }));
    this.subs.push(secrets.onDidChange((e) => { if (e.key.startsWith(SECRET_PREFIX)) this.changed.fire(); }));
    this.subs.push(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.detectWorkspaceFolder()));
  }

  private detecting: Promise<void> = Promise.resolve();

  /** Looks for `<first workspace folder>/model-repo` (at start and when folders change). */
  detectWorkspaceFolder(): Promise<void> {
    this.detecting = this.detect();
    return this.detecting;
  }

  /** Resolves once the workspace folder check that is running (if any) is done. */
  ready(): Promise<void> {
    return this.detecting;
  }

  private async detect(): Promise<void> {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
    let found: Connection | undefined;
    if (ws?.scheme === 'file') {
      // the extension host runs where the files are: a plain stat, no round trip through the workbench
      const folder = path.join(ws.fsPath, IMPLICIT_FOLDER);
      const st = await fsp.stat(folder).catch(() => undefined);
      if (st?.isDirectory()) found = { id: IMPLICIT_ID, name: IMPLICIT_FOLDER, kind: 'fs', path: folder, scope: 'implicit' };
    }
    if (found?.path !== this.implicit?.path) {
      this.implicit = found;
      this.changed.fire();
    }
  }

  /** All connections; the implicit one only when no configured fs connection already points there. */
  list(): Connection[] {
    const configured = readConnections();
    const imp = this.implicit;
    const covered = imp && configured.some((c) => c.id === imp.id ||
      backendOf(c).samePlace(c, imp, resolveFolder));
    return imp && !covered ? [...configured, imp] : configured;
  }

  get(id: string): Connection | undefined {
    return this.list().find((c) => c.id === id);
  }

  /** Stores the entry (user settings unless it already lives in another scope) and its keys. */
  async save(c: ConnectionSettings, keys?: S3Credentials, scope?: Exclude<SettingsScope, 'implicit'>): Promise<void> {
    const existing = this.get(c.id);
    const where = scope ?? (existing && existing.scope !== 'implicit' ? existing.scope : 'user');
    // keys first: the settings change refreshes the tree, which then finds them
    if (keys) await this.setKeys(c.id, keys);
    await writeConnection(c, where);
  }

  async remove(id: string): Promise<void> {
    const c = this.get(id);
    if (c && c.scope !== 'implicit') await deleteConnection(id, c.scope);
    await this.secrets.delete(secretKey(id));
  }

  async keys(id: string): Promise<S3Credentials | undefined> {
    const raw = await this.secrets.get(secretKey(id));
    if (!raw) return undefined;
    try {
      const k = JSON.parse(raw) as Partial<S3Credentials>;
      if (typeof k.accessKeyId !== 'string' || typeof k.secretAccessKey !== 'string') return undefined;
      registerSecret(k.secretAccessKey);
      registerSecret(k.sessionToken);
      return { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, sessionToken: k.sessionToken };
    } catch {
      return undefined;
    }
  }

  async setKeys(id: string, keys: S3Credentials): Promise<void> {
    registerSecret(keys.secretAccessKey);
    registerSecret(keys.sessionToken);
    const value: S3Credentials = keys.sessionToken
      ? { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey, sessionToken: keys.sessionToken }
      : { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey };
    await this.secrets.store(secretKey(id), JSON.stringify(value));
  }

  dispose(): void {
    for (const s of this.subs.splice(0)) s.dispose();
  }
}
