// Moves a tag to another version, file or tag with compare-and-swap against what the user saw. If
// someone moved it meanwhile the user is told who, to what and when, and can refresh and retry.
import * as vscode from 'vscode';
import type { TagInfo } from '../core/types';
import { modelNode, tagNode, type TagNode } from '../tree/nodes';
import { options, pickTag } from './pick';
import type { Services } from './services';
import { onConflict, pickTarget, tagWarning, type ConflictChoice } from './tagTargets';

export interface MoveTagArgs extends ConflictChoice {
  readonly target?: string;
  /** The link text (or resolved form) the caller saw; default: the node's. */
  readonly expect?: string;
}

const ACTION = 'move tag';

export async function moveTag(s: Services, node: unknown, raw: unknown): Promise<TagInfo | undefined> {
  const a = options<MoveTagArgs>(raw);
  const t: TagNode = await pickTag(s, node, ACTION);
  return s.repos.use(t.place, async ({ repo }) => {
    const target = a.target ?? await pickTarget(repo, t.model, ACTION, { tag: t.info.name, target: t.info.target });
    const expect = a.expect ?? t.info.target;
    try {
      const info = await repo.setTag(t.model, t.info.name, target, { expect });
      s.log.info(`moved ${t.model}:${t.info.name} from ${expect} to ${target}`);
      tagWarning(s, info, `Moved tag ${t.info.name} of ${t.model} to ${target}`);
      s.tree.refresh(modelNode(t.place, t.model));
      return info;
    } catch (err) {
      return onConflict(s, err, 'move', t, async (current) => {
        // may run after the user clicked "Refresh and Retry": a fresh lease, not the repository above
        const fresh = (await s.repos.use(t.place, ({ repo: r }) => r.listTags(t.model))).find((x) => x.name === t.info.name);
        const freshNode = fresh ? tagNode(t.place, fresh) : t;
        if (a.onConflict === 'retry') return moveTag(s, freshNode, { target, expect: fresh?.target ?? current });
        return vscode.commands.executeCommand<TagInfo | undefined>('modelRepository.moveTag', freshNode, { target });
      }, a.onConflict === 'retry');
    }
  });
}
