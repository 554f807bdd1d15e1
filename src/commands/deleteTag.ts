// Deletes a tag (after a modal confirmation from the UI), only if it still points where the user saw it.
import { modelNode } from '../tree/nodes';
import { confirm, type NonInteractive } from './input';
import { options, pickTag } from './pick';
import type { Services } from './services';
import { onConflict, tagWarning } from './tagTargets';

const ACTION = 'delete tag';

export async function deleteTag(s: Services, node: unknown, raw: unknown): Promise<boolean> {
  const a = options<NonInteractive & { expect: string }>(raw);
  const t = await pickTag(s, node, ACTION);
  if (a.nonInteractive !== true) {
    await confirm(ACTION, `Delete tag ${t.info.name} of ${t.model}?`,
      `It points at ${t.info.target}. The version stays; the move is kept in the tag's history.`, 'Delete Tag');
  }
  return s.repos.use(t.place, async ({ repo }) => {
    let done: unknown;
    try {
      done = await repo.deleteTag(t.model, t.info.name, { expect: a.expect ?? t.info.target });
    } catch (err) {
      const r = await onConflict(s, err, 'delete', t, async () => { s.tree.refresh(modelNode(t.place, t.model)); return false; });
      return r ?? false;
    }
    s.log.info(`deleted tag ${t.model}:${t.info.name} (was ${t.info.target})`);
    tagWarning(s, done, `Deleted tag ${t.info.name} of ${t.model}`);
    s.tree.refresh(modelNode(t.place, t.model));
    return true;
  });
}
