// Computes a node's children by asking the core. A failure becomes a message node under the node that
// failed ("Cannot list buckets of ceph: access denied") instead of only a popup, so the reason stays
// visible where the user looked. Model lists and a model's versions (newest first) are paged: the
// pages loaded so far are kept per node and "Load more" appends the next one. Entries the core refused to list (unsafe names, links leaving the
// repository) are counted in one warning node, named as the core escaped them. Each listing holds a
// lease on its repository (Repositories.use) for as long as it runs.
import { backendOf } from '../core/backends/index';
import { isRepoError } from '../core/errors';
import type { RefusedEntry, VersionInfo } from '../core/types';
import type { ConnectionStore } from '../vscode/connectionStore';
import type { Log } from '../vscode/log';
import type { Place, Repositories } from '../vscode/repositories';
import type { Connection } from '../vscode/settings';
import { pageSize, resolveFolder } from '../vscode/settings';
import { connectionNodeId, rootNodeId } from './ids';
import {
  artifactNode, bucketNode, connectionNode, loadMoreNode, messageNode, modelNode, tagNode, tagsGroupNode, versionNode,
  type MessageNode, type ModelNode, type RootNode, type TreeNode,
} from './nodes';

/** Versions shown per page under a model: one page lists its versions' objects, not the model's. */
export const VERSION_PAGE = 200;

export interface ModelPage {
  readonly models: readonly string[];
  readonly cursor?: string;
  /** Entries the core left out of the pages loaded so far. */
  readonly refused: readonly RefusedEntry[];
}

/** A page of models as the core returns it (`refused` when it left entries out). */
interface ModelListing {
  readonly models: readonly string[];
  readonly cursor?: string;
  readonly refused?: readonly RefusedEntry[];
}

const SHOWN_REFUSED = 3;

/** "2 entries refused: ..evil, bad\x07name": the names as the core escaped them, reasons in the tooltip. */
export function refusedNode(parentId: string, refused: readonly RefusedEntry[]): MessageNode {
  const n = refused.length;
  const names = refused.slice(0, SHOWN_REFUSED).map((r) => r.name).join(', ') + (n > SHOWN_REFUSED ? `, +${n - SHOWN_REFUSED} more` : '');
  const detail = [`${n} ${n === 1 ? 'entry was' : 'entries were'} left out of this listing:`, ...refused.map((r) => `${r.name}: ${r.reason}`)].join('\n');
  return messageNode(parentId, `${n} ${n === 1 ? 'entry' : 'entries'} refused: ${names}`, 'warning', detail, undefined, 'refused');
}

/** A model's versions loaded so far, newest first. */
export interface VersionsLoaded {
  readonly versions: readonly VersionInfo[];
  readonly cursor?: string;
}

export interface TreeState {
  /** Models loaded so far, per root node id. */
  readonly pages: Map<string, ModelPage>;
  /** Versions loaded so far, per model node id. */
  readonly versions: Map<string, VersionsLoaded>;
  /** Model filter, per root node id. */
  readonly filters: Map<string, string>;
}

export interface ChildDeps {
  readonly store: ConnectionStore;
  readonly repos: Repositories;
  readonly log: Log;
  readonly state: TreeState;
}

export function connectionDetail(c: Connection): string {
  return backendOf(c).settingsDetail(c, resolveFolder);
}

function failure(parentId: string, what: string, err: unknown, deps: ChildDeps, connectionId?: string): MessageNode {
  const reason = isRepoError(err) ? err.reason : err instanceof Error ? err.message : String(err);
  const text = `Cannot list ${what}: ${reason}`;
  deps.log.error(text, err);
  const keys = isRepoError(err, 'Auth') || isRepoError(err, 'Config');
  const command = keys && connectionId
    ? { id: 'modelRepository.editConnection', title: 'Edit Connection', args: [{ connectionId }] }
    : { id: 'modelRepository.refresh', title: 'Retry', args: [] };
  return messageNode(parentId, text, 'error', isRepoError(err) ? err.message : text, command);
}

async function rootsOf(deps: ChildDeps): Promise<TreeNode[]> {
  await deps.store.ready();
  return deps.store.list().map((c) => connectionNode(c, connectionDetail(c), backendOf(c).bucketed ? undefined : deps.state.filters.get(connectionNodeId(c.id))));
}

async function modelsOf(root: RootNode, place: Place, deps: ChildDeps, more: boolean): Promise<TreeNode[]> {
  const filter = deps.state.filters.get(root.id);
  let page = deps.state.pages.get(root.id);
  if (!page || more) {
    const cursor = more ? page?.cursor : undefined;
    const res: ModelListing = await deps.repos.use(place, ({ repo }) => repo.listModels({ cursor, limit: pageSize(), filter }));
    const before = more && page ? page : undefined;
    page = { models: [...(before?.models ?? []), ...res.models], cursor: res.cursor, refused: [...(before?.refused ?? []), ...(res.refused ?? [])] };
    deps.state.pages.set(root.id, page);
  }
  const nodes: TreeNode[] = page.models.map((m) => modelNode(place, m));
  if (page.cursor) nodes.push(loadMoreNode(root));
  if (nodes.length === 0) {
    nodes.push(messageNode(root.id, filter ? `No models match '${filter}'` : 'No models yet: upload one from the context menu', 'info'));
  }
  if (page.refused.length > 0) nodes.push(refusedNode(root.id, page.refused));
  return nodes;
}

async function versionsOf(node: ModelNode, deps: ChildDeps, more: boolean): Promise<TreeNode[]> {
  let loaded = deps.state.versions.get(node.id);
  if (!loaded || more) {
    const cursor = more ? loaded?.cursor : undefined;
    const res = await deps.repos.use(node.place, ({ repo }) =>
      repo.listVersionsPage(node.model, { cursor, limit: VERSION_PAGE, includePending: true }));
    loaded = { versions: [...(more && loaded ? loaded.versions : []), ...res.versions], cursor: res.cursor };
    deps.state.versions.set(node.id, loaded);
  }
  const nodes: TreeNode[] = [tagsGroupNode(node.place, node.model), ...loaded.versions.map((v) => versionNode(node.place, v))];
  if (loaded.cursor) nodes.push(loadMoreNode(node));
  return nodes;
}

/** Fetches the next page under the node of a "Load more" node: models of a root, versions of a model. */
export async function loadMoreUnder(node: RootNode | ModelNode, deps: ChildDeps): Promise<void> {
  if (node.kind === 'model') {
    await versionsOf(node, deps, true);
    return;
  }
  const place = node.kind === 'bucket' ? node.place : { connectionId: node.connectionId };
  await modelsOf(node, place, deps, true);
}

/** The children `list` computes, or the failure as a message node under `node`. */
async function guarded(node: TreeNode, what: string, connectionId: string | undefined, deps: ChildDeps,
  list: () => Promise<TreeNode[]>): Promise<TreeNode[]> {
  try {
    return await list();
  } catch (err) {
    return [failure(node.id, what, err, deps, connectionId)];
  }
}

export async function childrenOf(node: TreeNode | undefined, deps: ChildDeps): Promise<TreeNode[]> {
  if (!node) return rootsOf(deps);
  switch (node.kind) {
    case 'connection': {
      const c = deps.store.get(node.connectionId);
      if (!c) return [];
      if (!backendOf(c).bucketed) return guarded(node, `models of ${c.name}`, c.id, deps, () => modelsOf(node, { connectionId: c.id }, deps, false));
      return guarded(node, `buckets of ${c.name}`, c.id, deps, async () => {
        const buckets = await deps.repos.buckets(c.id);
        if (buckets.length === 0) return [messageNode(node.id, c.bucketFilter ? `No bucket matches '${c.bucketFilter}'` : 'No buckets', 'info')];
        return buckets.map((b) => bucketNode(c.id, b, deps.state.filters.get(rootNodeId({ connectionId: c.id, bucket: b }))));
      });
    }
    case 'bucket':
      return guarded(node, `models in ${node.place.bucket}`, node.place.connectionId, deps, () => modelsOf(node, node.place, deps, false));
    case 'model':
      // newest first: the version people look for is usually the latest one
      return guarded(node, `versions of ${node.model}`, node.place.connectionId, deps, () => versionsOf(node, deps, false));
    case 'tagsGroup':
      return guarded(node, `tags of ${node.model}`, node.place.connectionId, deps, async () => {
        const tags = [...await deps.repos.use(node.place, ({ repo }) => repo.listTags(node.model))].sort((a, b) => a.name.localeCompare(b.name));
        return tags.length ? tags.map((t) => tagNode(node.place, t)) : [messageNode(node.id, 'No tags yet', 'info')];
      });
    case 'version':
      if (node.info.problem) return [];
      return guarded(node, `files of ${node.model}@${node.info.name}`, node.place.connectionId, deps, async () => {
        const files = await deps.repos.use(node.place, ({ repo }) => repo.listArtifacts(node.model, node.info.name));
        return files.length ? files.map((a) => artifactNode(node.place, a)) : [messageNode(node.id, 'No files', 'info')];
      });
    default:
      return [];
  }
}
