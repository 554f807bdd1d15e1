// Shared by the tag commands: choosing what a tag points at (a version, one file of it, or another
// tag) and telling the user about a lost compare-and-swap (who moved the tag, to what, when).
import * as vscode from 'vscode';
import { isRepoError, type RepoError } from '../core/errors';
import { formatChainAfterTag } from '../core/links';
import { compareVersions } from '../core/names';
import type { Repository } from '../core/repository';
import type { TagNode } from '../tree/nodes';
import { cancelled } from './pick';
import type { Services } from './services';

/** Quick picks: a version (then the whole version or one of its files) or another tag. */
export async function pickTarget(repo: Repository, model: string, action: string, exclude?: { tag?: string; target?: string }): Promise<string> {
  const [versions, tags] = await Promise.all([repo.listVersions(model), repo.listTags(model)]);
  const items: (vscode.QuickPickItem & { value?: string; version?: string })[] = [
    { label: 'Versions', kind: vscode.QuickPickItemKind.Separator },
    ...versions.filter((v) => !v.problem).sort((x, y) => compareVersions(y.name, x.name)).map((v) => ({
      label: `$(versions) ${v.name}`, description: v.tags.join(', '), version: v.name,
    })),
    { label: 'Tags', kind: vscode.QuickPickItemKind.Separator },
    ...tags.filter((t) => t.name !== exclude?.tag).map((t) => ({
      label: `$(tag) ${t.name}`, description: t.resolved ? formatChainAfterTag(t.resolved.chain) : t.problem, value: t.name,
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Point the tag at a version, a file or another tag of ${model}` });
  if (!picked || (!picked.value && !picked.version)) throw cancelled(action);
  if (picked.value) return picked.value;
  const version = picked.version as string;
  const files = (await repo.listArtifacts(model, version)).filter((f) => !f.problem);
  const fileItems = [
    { label: `$(versions) The whole version ${version}`, description: `${files.length} file${files.length === 1 ? '' : 's'}`, value: version },
    ...files.map((f) => ({ label: `$(file-binary) ${f.name}`, description: `${version}/${f.name}`, value: `${version}/${f.name}` })),
  ];
  const file = await vscode.window.showQuickPick(fileItems, { placeHolder: `The whole version, or one file of ${version}` });
  if (!file) throw cancelled(action);
  return file.value;
}

export interface ConflictDetails {
  readonly current?: string;
  readonly who?: string;
  readonly when?: string;
}

/** "Cannot move tag latest of llama-3-8b: it was moved to v3 by alice@host at ... since you read it". */
export function conflictText(err: RepoError, verb: string, tag: string, model: string): string {
  return `Cannot ${verb} tag ${tag} of ${model}: ${err.reason}`;
}

export const REFRESH_AND_RETRY = 'Refresh and Retry';

/** What a tag change does when someone moved the tag meanwhile: 'report' (default) says who and offers
 *  Refresh and Retry; 'retry' changes it again at once, against where it points now. */
export interface ConflictChoice {
  readonly onConflict?: 'report' | 'retry';
}

/** The `warning` of a tag change that landed but left something undone (its history record was not
 *  written): a warning to the user and the log, not an error, since the tag did move. */
export function tagWarning(s: Services, result: unknown, landed: string): void {
  const warning = (result as { warning?: unknown } | undefined)?.warning;
  if (typeof warning !== 'string' || !warning) return;
  const text = `${landed}, but: ${warning}`;
  s.log.warn(text);
  s.notify.show('warning', text);
}

/**
 * When `err` is a Conflict: says who moved the tag and offers "Refresh and Retry" (or retries at once
 * when `retryNow`). Returns the retry's result, or undefined when the user was only told. Re-throws
 * anything else.
 */
export async function onConflict<T>(s: Services, err: unknown, verb: string, node: TagNode | { model: string; tag: string },
  retry: (current: string | undefined) => Promise<T>, retryNow?: boolean): Promise<T | undefined> {
  if (!isRepoError(err, 'Conflict')) throw err;
  const tag = 'info' in node ? node.info.name : node.tag;
  const text = conflictText(err, verb, tag, node.model);
  s.log.warn(text);
  const current = (err.details as ConflictDetails).current;
  if (retryNow) {
    s.notify.show('warning', `${text} Retrying against the current state.`, [], undefined, 'Conflict');
    return retry(current);
  }
  s.notify.show('warning', text, [REFRESH_AND_RETRY], async (c) => {
    if (c !== REFRESH_AND_RETRY) return;
    s.tree.refresh();
    await retry(current);
  }, 'Conflict');
  return undefined;
}
