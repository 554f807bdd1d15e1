// Imports S3 connections found on this machine (mc aliases, AWS profiles, keys in the environment)
// in one step: a multi-select quick pick, then settings entries plus keys in SecretStorage.
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { newConnectionId } from '../vscode/connectionStore';
import { discoverConnections, type FoundConnection } from '../vscode/discovery';
import { cancelled, options } from './pick';
import type { Services } from './services';

export interface ImportArgs {
  /** Names (as found) to import without asking; 'all' imports everything found. */
  readonly pick?: readonly string[] | 'all';
}

const ACTION = 'import connections';

function sameAs(f: FoundConnection, s: Services): boolean {
  return s.store.list().some((c) => c.kind === 's3' && c.name === f.name && (c.endpoint ?? '') === (f.endpoint ?? ''));
}

export async function importConnections(s: Services, _node: unknown, raw: unknown): Promise<string[]> {
  const a = options<ImportArgs>(raw);
  const found = (await discoverConnections()).filter((f) => !sameAs(f, s));
  if (found.length === 0) {
    throw new RepoError('NotFound', ACTION, 'from this machine', 'no new mc aliases (~/.mc/config.json, MC_HOST_*), AWS profiles or AWS_* keys were found');
  }
  let chosen: FoundConnection[];
  if (a.pick) {
    chosen = a.pick === 'all' ? found : found.filter((f) => a.pick?.includes(f.name));
  } else {
    const picked = await vscode.window.showQuickPick(found.map((f) => ({
      label: f.name, description: f.endpoint ?? 'AWS S3', detail: `${f.source}${f.credentials ? ' · keys go to secret storage' : f.profile ? ` · profile ${f.profile}` : ' · no keys'}`,
      picked: !!(f.credentials || f.profile) && !/play\.min\.io/.test(f.endpoint ?? ''), f,
    })), { canPickMany: true, placeHolder: 'Connections to add' });
    if (!picked || picked.length === 0) throw cancelled(ACTION);
    chosen = picked.map((p) => p.f);
  }
  const ids: string[] = [];
  for (const f of chosen) {
    const id = newConnectionId(f.name);
    await s.store.save({ id, name: f.name, kind: 's3', endpoint: f.endpoint, region: f.region, pathStyle: f.pathStyle, profile: f.profile }, f.credentials);
    ids.push(id);
    s.log.info(`imported ${f.name} from ${f.source}`);
  }
  s.notify.info(`Imported ${ids.length} connection${ids.length === 1 ? '' : 's'}: ${chosen.map((f) => f.name).join(', ')}.`);
  return ids;
}
