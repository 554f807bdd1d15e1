// Appends the next page under a "Load more" node: models of a bucket or folder repository, or a model's versions.
import { RepoError } from '../core/errors';
import { asNode } from '../tree/nodes';
import type { Services } from './services';

export async function loadMore(s: Services, node: unknown): Promise<void> {
  const n = asNode(node);
  if (n?.kind !== 'loadMore') throw new RepoError('InvalidRef', 'load more', 'entries', 'run it from a "Load more" node');
  await s.tree.loadMore(n.root);
}
