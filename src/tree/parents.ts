// A node's parent, for TreeView.reveal (search reveals a model). Node ids encode where a node lives,
// and VS Code matches nodes by id, so a parent built from the child's place stands for the one the view
// shows; the provider hands out the object it already gave the view when it has one.
import type { ConnectionStore } from '../vscode/connectionStore';
import { connectionDetail } from './children';
import {
  bucketNode, connectionNode, modelNode, tagsGroupNode, versionNode, type RootNode, type TreeNode,
} from './nodes';
import type { Place } from '../vscode/repositories';

/** The node that lists the models of a place: its bucket, or the fs connection itself. */
export function rootOf(place: Place, store: ConnectionStore): RootNode | undefined {
  if (place.bucket !== undefined) return bucketNode(place.connectionId, place.bucket);
  const c = store.get(place.connectionId);
  return c ? connectionNode(c, connectionDetail(c)) : undefined;
}

export function parentOf(node: TreeNode, store: ConnectionStore): TreeNode | undefined {
  switch (node.kind) {
    case 'connection':
      return undefined;
    case 'bucket': {
      const c = store.get(node.place.connectionId);
      return c ? connectionNode(c, connectionDetail(c)) : undefined;
    }
    case 'model':
      return rootOf(node.place, store);
    case 'tagsGroup':
    case 'version':
      return modelNode(node.place, node.model);
    case 'tag':
      return tagsGroupNode(node.place, node.model);
    case 'artifact':
      return versionNode(node.place, { model: node.model, name: node.info.version, state: 'complete', tags: [] });
    case 'loadMore':
      return node.root;
    default:
      return undefined;
  }
}
