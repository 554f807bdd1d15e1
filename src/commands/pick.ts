// Finding the node a command works on. From a context menu VS Code passes the node; from the palette
// nothing, so the user picks it step by step with quick picks that walk the same tree (same data, same
// errors). The second argument may be options (tests, drag and drop) or, from a multi-select, an array.
// A version or file the core marked with a problem is never offered, and is refused when passed in.
import * as vscode from 'vscode';
import type { Backend } from '../core/backends/backend';
import { BACKEND_LIST, backendOf } from '../core/backends/index';
import { RepoError } from '../core/errors';
import {
  asNode, bucketNode, connectionNode, hasProblem, isModelScoped, modelNode, versionNode,
  type ArtifactNode, type ConnectionNode, type ModelNode, type RootNode, type TagNode, type TreeNode, type VersionNode,
} from '../tree/nodes';
import { renderNode } from '../tree/render';
import { resolveFolder } from '../vscode/settings';
import type { Services } from './services';

/** The options object a command was given (never a node or VS Code's array of selected nodes). */
export function options<T extends object>(x: unknown): Partial<T> {
  return x && typeof x === 'object' && !Array.isArray(x) && !asNode(x) ? (x as Partial<T>) : {};
}

export function cancelled(action: string, object = ''): RepoError {
  return new RepoError('Aborted', action, object, 'cancelled');
}

/** The node itself, unless the core marked it unusable (then an Unsafe error naming the problem). */
export function usable<T extends TreeNode>(node: T, action: string): T {
  if (hasProblem(node)) {
    const where = node.kind === 'version' ? `${node.model}@${node.info.name}` : `${node.model}@${node.info.version}/${node.info.name}`;
    throw new RepoError('Unsafe', action, where, node.info.problem);
  }
  return node;
}

function label(node: TreeNode): string {
  const l = renderNode(node).label;
  return typeof l === 'string' ? l : (l?.label ?? node.id);
}

async function pickChild<T extends TreeNode>(s: Services, parent: TreeNode | undefined, kinds: readonly TreeNode['kind'][],
  placeHolder: string, action: string): Promise<T> {
  const kids = await s.tree.children(parent);
  const error = kids.find((k) => k.kind === 'message' && k.severity === 'error');
  const choices = kids.filter((k) => kinds.includes(k.kind) && !hasProblem(k)) as T[];
  if (choices.length === 0) {
    throw new RepoError(error ? 'Storage' : 'NotFound', action, parent ? label(parent) : 'a repository',
      error && error.kind === 'message' ? error.text : 'there is nothing to choose from');
  }
  if (choices.length === 1 && kinds.includes('bucket')) return choices[0];
  const items = choices.map((n) => {
    const it = renderNode(n);
    return { label: label(n), description: typeof it.description === 'string' ? it.description : undefined, node: n };
  });
  const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true });
  if (!picked) throw cancelled(action);
  return picked.node;
}

/** The connection id a node (or a `{ connectionId }` argument, as message nodes pass) belongs to. */
export function connectionIdOf(x: unknown): string | undefined {
  const n = asNode(x);
  if (n?.kind === 'connection') return n.connectionId;
  if (n && 'place' in n) return n.place.connectionId;
  const id = (x as { connectionId?: unknown } | undefined)?.connectionId;
  return typeof id === 'string' ? id : undefined;
}

/** Backends that hand out presigned URLs and object URIs, as people call them ('S3'). */
const presigning = (): string => BACKEND_LIST.filter((b) => b.presign).map((b) => b.label).join(' or ');

export async function pickConnection(s: Services, node: unknown, action: string, need?: (b: Backend) => boolean): Promise<ConnectionNode> {
  const id = connectionIdOf(node);
  if (id) return connectionNode(s.repos.connection(id), '');
  const all = s.store.list().filter((c) => !need || need(backendOf(c)));
  if (all.length === 0) {
    throw new RepoError('NotFound', action, 'a connection', `no ${need ? `${presigning()} ` : ''}connection is configured`);
  }
  if (all.length === 1) return connectionNode(all[0], '');
  const picked = await vscode.window.showQuickPick(all.map((c) => ({ label: c.name, description: backendOf(c).settingsDetail(c, resolveFolder), c })),
    { placeHolder: 'Connection' });
  if (!picked) throw cancelled(action);
  return connectionNode(picked.c, '');
}

/** Where a command that needs an object URI and presigned URLs (a backend with `presign`: S3) starts:
 *  the given node, refused when it has a problem or its backend has none; from the palette, a
 *  connection of such a backend picked. */
export async function inS3(s: Services, node: unknown, action: string): Promise<TreeNode> {
  const n = asNode(node);
  const id = connectionIdOf(n);
  if (!n || !id) return pickConnection(s, undefined, action, (b) => b.presign);
  usable(n, action);
  const backend = backendOf(s.repos.connection(id));
  if (!backend.presign) {
    throw new RepoError('InvalidRef', action, isModelScoped(n) ? n.model : label(n),
      `it is in a ${backend.label.toLowerCase()} repository, not in ${presigning()}`);
  }
  return n;
}

/** A node that lists models: the given bucket or fs connection, else one picked. */
export async function pickRoot(s: Services, node: unknown, action: string): Promise<RootNode> {
  const n = asNode(node);
  if (n?.kind === 'bucket') return n;
  if (n?.kind === 'connection' && !backendOf(n.connKind).bucketed) return n;
  if (n && isModelScoped(n)) {
    const p = usable(n, action).place;
    return p.bucket !== undefined ? bucketNode(p.connectionId, p.bucket) : connectionNode(s.repos.connection(p.connectionId), '');
  }
  const conn = n?.kind === 'connection' ? n : await pickConnection(s, undefined, action);
  if (!backendOf(conn.connKind).bucketed) return conn;
  return pickChild(s, conn, ['bucket'], 'Bucket', action);
}

export async function pickModel(s: Services, node: unknown, action: string): Promise<ModelNode> {
  const n = asNode(node);
  if (n && isModelScoped(n)) return n.kind === 'model' ? n : modelNode(usable(n, action).place, n.model);
  const root = await pickRoot(s, n, action);
  return pickChild(s, root, ['model'], 'Model', action);
}

export async function pickVersion(s: Services, node: unknown, action: string): Promise<VersionNode> {
  const n = asNode(node);
  if (n?.kind === 'version') return usable(n, action);
  if (n?.kind === 'artifact') {
    usable(n, action);
    const versions = await s.repos.use(n.place, ({ repo }) => repo.listVersions(n.model, { includePending: true }));
    const v = versions.find((x) => x.name === n.info.version);
    if (v) return usable(versionNode(n.place, v), action);
  }
  const model = await pickModel(s, n, action);
  return pickChild(s, model, ['version'], `Version of ${model.model}`, action);
}

export async function pickTag(s: Services, node: unknown, action: string): Promise<TagNode> {
  const n = asNode(node);
  if (n?.kind === 'tag') return n;
  const model = await pickModel(s, n, action);
  const group = (await s.tree.children(model)).find((k) => k.kind === 'tagsGroup');
  if (!group) throw new RepoError('NotFound', action, model.model, 'the model has no tags');
  return pickChild(s, group, ['tag'], `Tag of ${model.model}`, action);
}

/** An artifact, a version or a tag: what a download or a manifest can be made of. */
export async function pickRef(s: Services, node: unknown, action: string): Promise<ArtifactNode | VersionNode | TagNode> {
  const n = asNode(node);
  if (n?.kind === 'artifact' || n?.kind === 'version' || n?.kind === 'tag') return usable(n, action);
  const model = await pickModel(s, n, action);
  const kids = await s.tree.children(model);
  const group = kids.find((k) => k.kind === 'tagsGroup');
  const tags = group ? (await s.tree.children(group)).filter((k) => k.kind === 'tag') : [];
  const items = [...tags, ...kids.filter((k) => k.kind === 'version' && !hasProblem(k))].map((k) => {
    const it = renderNode(k);
    return { label: `${k.kind === 'tag' ? '$(tag)' : '$(versions)'} ${label(k)}`, description: typeof it.description === 'string' ? it.description : '', node: k };
  });
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Tag or version of ${model.model}` });
  if (!picked) throw cancelled(action);
  return picked.node as VersionNode | TagNode;
}

export async function pickArtifact(s: Services, node: unknown, action: string): Promise<ArtifactNode> {
  const n = asNode(node);
  if (n?.kind === 'artifact') return usable(n, action);
  const v = await pickVersion(s, n, action);
  return pickChild(s, v, ['artifact'], `File of ${v.model}@${v.info.name}`, action);
}
