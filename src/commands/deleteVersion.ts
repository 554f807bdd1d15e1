// Deletes a version and its files after a modal confirmation. The core refuses (InUse, naming the
// tags) while a tag resolves into the version, so a running deployment's file never disappears.
import { modelNode } from '../tree/nodes';
import { confirm, type NonInteractive } from './input';
import { options, pickVersion } from './pick';
import type { Services } from './services';

const ACTION = 'delete version';

export async function deleteVersion(s: Services, node: unknown, raw: unknown): Promise<boolean> {
  const a = options<NonInteractive>(raw);
  const v = await pickVersion(s, node, ACTION);
  if (a.nonInteractive !== true) {
    const tags = v.info.tags.length ? ` Tags point at it (${v.info.tags.join(', ')}): move or delete them first.` : '';
    await confirm(ACTION, `Delete ${v.model}@${v.info.name} and its files?`, `This cannot be undone.${tags}`, 'Delete Version');
  }
  return s.repos.use(v.place, async ({ repo }) => {
    await repo.deleteVersion(v.model, v.info.name);
    s.log.info(`deleted ${v.model}@${v.info.name}`);
    s.tree.refresh(modelNode(v.place, v.model));
    return true;
  });
}
