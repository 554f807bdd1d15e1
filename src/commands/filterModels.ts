// Narrows the models of a bucket or folder repository to names containing the text (empty clears).
import { ask } from './input';
import { options, pickRoot } from './pick';
import type { Services } from './services';

export async function filterModels(s: Services, node: unknown, raw: unknown): Promise<string | undefined> {
  const a = options<{ filter: string }>(raw);
  const root = await pickRoot(s, node, 'filter models of');
  const filter = a.filter ?? await ask('filter models of', {
    prompt: 'Show models whose name contains (empty shows all)', value: s.tree.filterOf(root) ?? '',
  });
  s.tree.setFilter(root, filter.trim() || undefined);
  return filter.trim() || undefined;
}
