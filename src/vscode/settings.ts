// Reads and writes the extension's settings (`modelRepository.*`). Connections may be defined in user
// and workspace settings at once: they are merged (by id, the workspace wins) so a workspace that ships
// a connection in .vscode/settings.json does not hide the ones the user added. (The setting has window
// scope: in a single-folder workspace inspect() repeats the workspace value as the folder value, which
// is therefore ignored.) Settings never hold keys; those live in SecretStorage (connectionStore.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConnectionSettingsEntry } from '../core/backends/backend';
import { isBackendKind } from '../core/backends/index';
import type { Timeouts } from '../core/timeouts';

export const SECTION = 'modelRepository';

/** One entry of `modelRepository.connections`, as stored (no secrets); its fields belong to the backends. */
export type ConnectionSettings = ConnectionSettingsEntry;

export type SettingsScope = 'user' | 'workspace' | 'implicit';

export interface Connection extends ConnectionSettings {
  /** Where the entry lives (implicit: the workspace's `model-repo` folder, not in any settings). */
  readonly scope: SettingsScope;
}

const TARGETS: Record<Exclude<SettingsScope, 'implicit'>, vscode.ConfigurationTarget> = {
  user: vscode.ConfigurationTarget.Global,
  workspace: vscode.ConfigurationTarget.Workspace,
};

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function valid(x: unknown): x is ConnectionSettings {
  const c = x as ConnectionSettings | undefined;
  return !!c && typeof c.id === 'string' && c.id.length > 0 && isBackendKind(c.kind);
}

/** Configured connections, user settings first; an id defined in both keeps the workspace's entry. */
export function readConnections(): Connection[] {
  const i = config().inspect<unknown[]>('connections');
  const byId = new Map<string, Connection>();
  const add = (list: unknown[] | undefined, scope: SettingsScope): void => {
    for (const x of Array.isArray(list) ? list : []) {
      if (valid(x)) byId.set(x.id, { ...x, name: x.name || x.id, scope });
    }
  };
  add(i?.globalValue, 'user');
  add(i?.workspaceValue, 'workspace');
  return [...byId.values()];
}

function rawList(scope: Exclude<SettingsScope, 'implicit'>): ConnectionSettings[] {
  const i = config().inspect<unknown[]>('connections');
  const v = scope === 'user' ? i?.globalValue : i?.workspaceValue;
  return (Array.isArray(v) ? v : []).filter(valid);
}

function strip(c: ConnectionSettings): ConnectionSettings {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (k !== 'scope' && v !== undefined && v !== '') out[k] = v;
  return out as unknown as ConnectionSettings;
}

/** Adds or replaces (same id) a connection in one scope's settings. */
export async function writeConnection(c: ConnectionSettings, scope: Exclude<SettingsScope, 'implicit'> = 'user'): Promise<void> {
  const list = rawList(scope);
  const at = list.findIndex((x) => x.id === c.id);
  const next = at >= 0 ? list.map((x, n) => (n === at ? strip(c) : x)) : [...list, strip(c)];
  await config().update('connections', next, TARGETS[scope]);
}

export async function deleteConnection(id: string, scope: Exclude<SettingsScope, 'implicit'>): Promise<void> {
  const list = rawList(scope);
  if (!list.some((x) => x.id === id)) return;
  await config().update('connections', list.filter((x) => x.id !== id), TARGETS[scope]);
}

export function pageSize(): number {
  const n = config().get<number>('pageSize', 50);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : 50;
}

export function defaultNamespace(): string | undefined {
  return config().get<string>('defaultNamespace') || undefined;
}

export function kubectlPath(): string {
  return config().get<string>('kubectlPath') || 'kubectl';
}

/** An fs connection's folder: ${workspaceFolder} and relative paths resolve against the first folder. */
export function resolveFolder(p: string): string {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const expanded = ws ? p.replace(/\$\{workspaceFolder\}/g, ws) : p;
  const home = process.env.HOME;
  const tilde = home && (expanded === '~' || expanded.startsWith('~/')) ? path.join(home, expanded.slice(1)) : expanded;
  return path.isAbsolute(tilde) || !ws ? tilde : path.resolve(ws, tilde);
}

const TIMEOUT_SETTINGS: Record<keyof Timeouts, string> = { connectMs: 'connect', firstByteMs: 'firstByte', stallMs: 'stall' };

/**
 * The deadlines the user set (`modelRepository.timeouts.*`, seconds) in milliseconds. Only values set
 * in some scope are returned: an unset one is left to the core, which takes MODELREPO_*_TIMEOUT from
 * the environment and then its defaults (the same 10/30/30 s the settings show).
 */
export function timeoutSettings(): Partial<Timeouts> {
  const out: { -readonly [K in keyof Timeouts]?: number } = {};
  for (const [field, name] of Object.entries(TIMEOUT_SETTINGS) as [keyof Timeouts, string][]) {
    const i = config().inspect<unknown>(`timeouts.${name}`);
    const v = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0.1 && v <= 86_400) out[field] = Math.round(v * 1000);
  }
  return out;
}

/** A change that affects the connections or how they are opened (their deadlines). */
export function affectsConnections(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${SECTION}.connections`) || e.affectsConfiguration(`${SECTION}.timeouts`);
}
