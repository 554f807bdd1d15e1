// Imports the S3 connections found on this machine (the core's discovery: MC_HOST_<alias> variables,
// mc's config.json, AWS_* variables, AWS profiles) in one step: a multi-select quick pick, then
// settings entries, with keys (mc aliases, environment) moved into SecretStorage and AWS profiles
// referenced by name so their keys stay in ~/.aws.
import * as vscode from 'vscode';
import { discoverConnections, type ConnectionSource, type DiscoveredConnection } from '../core/connections/discover';
import { RepoError } from '../core/errors';
import { newConnectionId } from '../vscode/connectionStore';
import { cancelled, options } from './pick';
import type { Services } from './services';

export interface ImportArgs {
  /** Names (as found) to import without asking; 'all' imports everything found. */
  readonly pick?: readonly string[] | 'all';
  /** Tests: read this environment and home folder instead of the extension host's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly home?: string;
}

const ACTION = 'import connections';

const SOURCES: Record<ConnectionSource, string> = {
  'mc-env': 'mc alias (variable)', 'mc-config': 'mc alias', 'aws-env': 'AWS environment variables', 'aws-profile': 'AWS profile',
};

function known(f: DiscoveredConnection, s: Services): boolean {
  return s.store.list().some((c) => c.kind === f.kind && c.name === f.name && (c.endpoint ?? '') === (f.endpoint ?? ''));
}

function detail(f: DiscoveredConnection): string {
  const auth = f.credentials ? 'keys go to secret storage' : f.profile ? `keys stay in profile ${f.profile}` : 'no keys';
  return `${SOURCES[f.source]} · ${f.origin} · ${auth}`;
}

export async function importConnections(s: Services, _node: unknown, raw: unknown): Promise<string[]> {
  const a = options<ImportArgs>(raw);
  const found = (await discoverConnections({
    env: a.env, home: a.home, onProblem: (e) => s.log.warn(`import: ${e.message}`),
  })).filter((f) => !known(f, s));
  if (found.length === 0) {
    throw new RepoError('NotFound', ACTION, 'from this machine',
      'no new mc aliases (MC_HOST_*, ~/.mc/config.json), AWS_* keys or AWS profiles were found');
  }
  let chosen: DiscoveredConnection[];
  if (a.pick) {
    chosen = a.pick === 'all' ? found : found.filter((f) => a.pick?.includes(f.name));
  } else {
    const picked = await vscode.window.showQuickPick(found.map((f) => ({
      label: f.name, description: f.endpoint ?? 'AWS S3', detail: detail(f), f,
      // mc ships aliases for public playgrounds and placeholder keys: leave those unticked
      picked: !!(f.credentials || f.hasKeys || f.source === 'aws-env') && !/play\.min\.io|YOUR-ACCESS-KEY/i.test(`${f.endpoint} ${f.credentials?.accessKeyId}`),
    })), { canPickMany: true, placeHolder: 'Connections to add to the Model Repository view' });
    if (!picked || picked.length === 0) throw cancelled(ACTION);
    chosen = picked.map((p) => p.f);
  }
  const ids: string[] = [];
  for (const f of chosen) {
    const id = newConnectionId(f.name);
    await s.store.save({
      id, name: f.name, kind: 's3', endpoint: f.endpoint, region: f.region, pathStyle: f.pathStyle, profile: f.credentials ? undefined : f.profile,
    }, f.credentials);
    ids.push(id);
    s.log.info(`imported ${f.name} (${SOURCES[f.source]}, ${f.origin})`);
  }
  if (ids.length) s.notify.info(`Imported ${ids.length} connection${ids.length === 1 ? '' : 's'}: ${chosen.map((f) => f.name).join(', ')}.`);
  return ids;
}
