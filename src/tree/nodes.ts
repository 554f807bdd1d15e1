// The tree's nodes: plain data in one discriminated union. They carry what rendering and the commands
// need (the place in the repository and the info the core returned) and nothing live: no clients, no
// callbacks. render.ts turns a node into a TreeItem; children.ts computes a node's children; ids.ts
// spells their ids.
import { backendOf } from '../core/backends/index';
import type { BackendKind } from '../core/backends/backend';
import type { ArtifactInfo, TagInfo, VersionInfo } from '../core/types';
import type { Place } from '../vscode/repositories';
import {
  artifactNodeId, connectionNodeId, modelNodeId, rootNodeId, slotNodeId, tagNodeId, tagsGroupNodeId, versionNodeId,
} from './ids';

export interface ConnectionNode {
  readonly kind: 'connection';
  readonly id: string;
  readonly connectionId: string;
  readonly name: string;
  readonly connKind: BackendKind;
  /** Endpoint or folder, shown beside the name. */
  readonly detail: string;
  /** Connections without buckets are repository roots: the model filter shown on them. */
  readonly filter?: string;
}

export interface BucketNode {
  readonly kind: 'bucket';
  readonly id: string;
  readonly place: Place & { readonly bucket: string };
  readonly filter?: string;
}

interface InModel {
  readonly id: string;
  readonly place: Place;
  readonly model: string;
}

export interface ModelNode extends InModel { readonly kind: 'model' }
export interface TagsGroupNode extends InModel { readonly kind: 'tagsGroup' }
export interface VersionNode extends InModel { readonly kind: 'version'; readonly info: VersionInfo }
export interface TagNode extends InModel { readonly kind: 'tag'; readonly info: TagInfo }
export interface ArtifactNode extends InModel { readonly kind: 'artifact'; readonly info: ArtifactInfo }

export interface MessageNode {
  readonly kind: 'message';
  readonly id: string;
  readonly text: string;
  readonly severity: 'error' | 'warning' | 'info';
  /** Tooltip: the full error. */
  readonly detail?: string;
  /** Run on click (e.g. edit the connection whose keys were refused). */
  readonly command?: { readonly id: string; readonly title: string; readonly args: readonly unknown[] };
}

export interface LoadMoreNode {
  readonly kind: 'loadMore';
  readonly id: string;
  /** The node whose list continues: a repository root (models) or a model (versions). */
  readonly root: RootNode | ModelNode;
}

/** A node that lists models: a bucket, or a connection without buckets (a folder). */
export type RootNode = BucketNode | ConnectionNode;

export type TreeNode = ConnectionNode | BucketNode | ModelNode | TagsGroupNode | VersionNode | TagNode
  | ArtifactNode | MessageNode | LoadMoreNode;

export type ModelScopedNode = ModelNode | TagsGroupNode | VersionNode | TagNode | ArtifactNode;

export function connectionNode(c: { id: string; name: string; kind: BackendKind; endpoint?: string; path?: string; bucket?: string },
  detail: string, filter?: string): ConnectionNode {
  return { kind: 'connection', id: connectionNodeId(c.id), connectionId: c.id, name: c.name, connKind: c.kind, detail, filter };
}

export function bucketNode(connectionId: string, bucket: string, filter?: string): BucketNode {
  return { kind: 'bucket', id: rootNodeId({ connectionId, bucket }), place: { connectionId, bucket }, filter };
}

export function modelNode(place: Place, model: string): ModelNode {
  return { kind: 'model', id: modelNodeId(place, model), place, model };
}

export function tagsGroupNode(place: Place, model: string): TagsGroupNode {
  return { kind: 'tagsGroup', id: tagsGroupNodeId(place, model), place, model };
}

export function versionNode(place: Place, info: VersionInfo): VersionNode {
  return { kind: 'version', id: versionNodeId(place, info.model, info.name), place, model: info.model, info };
}

export function tagNode(place: Place, info: TagInfo): TagNode {
  return { kind: 'tag', id: tagNodeId(place, info.model, info.name), place, model: info.model, info };
}

export function artifactNode(place: Place, info: ArtifactInfo): ArtifactNode {
  return { kind: 'artifact', id: artifactNodeId(place, info.model, info.version, info.name), place, model: info.model, info };
}

export function messageNode(parentId: string, text: string, severity: MessageNode['severity'], detail?: string,
  command?: MessageNode['command'], slot = 'message'): MessageNode {
  return { kind: 'message', id: slotNodeId(parentId, slot), text, severity, detail, command };
}

/** A version or file the core marked unusable: shown (escaped name, the problem), never acted on. */
export function hasProblem(node: TreeNode | undefined): node is (VersionNode | ArtifactNode) & { info: { problem: string } } {
  return (node?.kind === 'version' || node?.kind === 'artifact') && typeof node.info.problem === 'string';
}

export function loadMoreNode(root: RootNode | ModelNode): LoadMoreNode {
  return { kind: 'loadMore', id: slotNodeId(root.id, 'more'), root };
}

/** The repository root a node lives in (a bucket, or an fs connection), when it has one. */
export function placeOf(node: TreeNode): Place | undefined {
  switch (node.kind) {
    case 'connection': return backendOf(node.connKind).bucketed ? undefined : { connectionId: node.connectionId };
    case 'bucket': return node.place;
    case 'model': case 'tagsGroup': case 'version': case 'tag': case 'artifact': return node.place;
    default: return undefined;
  }
}

export function isModelScoped(node: TreeNode | undefined): node is ModelScopedNode {
  return !!node && ['model', 'tagsGroup', 'version', 'tag', 'artifact'].includes(node.kind);
}

/** Narrows an argument VS Code (or a test) passed to a command to a tree node. */
export function asNode(x: unknown): TreeNode | undefined {
  const k = (x as { kind?: unknown } | undefined)?.kind;
  return typeof k === 'string' && typeof (x as { id?: unknown }).id === 'string' ? (x as TreeNode) : undefined;
}
