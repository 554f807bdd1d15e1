// Reloads a node (and its model pages), or the whole tree with fresh connections.
import { asNode } from '../tree/nodes';
import type { Services } from './services';

export async function refresh(s: Services, node: unknown): Promise<void> {
  s.tree.refresh(asNode(node));
}
