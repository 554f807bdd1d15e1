// Appends the next page of models under a bucket or folder repository (the "Load more" node).
import { RepoError } from '../core/errors';
import { asNode } from '../tree/nodes';
import type { Services } from './services';

export async function loadMore(s: Services, node: unknown): Promise<void> {
  const n = asNode(node);
  if (n?.kind !== 'loadMore') throw new RepoError('InvalidRef', 'load more', 'models', 'run it from a "Load more" node');
  await s.tree.loadMore(n.root);
}
