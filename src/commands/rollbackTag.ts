// Puts a tag back where it pointed before its last move (or at a target chosen from its history),
// with compare-and-swap against where it points now. A deleted tag is re-created.
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import type { TagInfo } from '../core/types';
import { asNode, modelNode } from '../tree/nodes';
import type { NonInteractive } from './input';
import { cancelled, options, pickModel, pickTag } from './pick';
import type { Services } from './services';
import { onConflict, tagWarning, type ConflictChoice } from './tagTargets';

export interface RollbackArgs extends NonInteractive, ConflictChoice {
  /** Tag name when the node is a model (history entries of deleted tags). */
  readonly tag?: string;
  /** Target to restore; default: the target before the last move (asked, unless nonInteractive). */
  readonly to?: string;
}

const ACTION = 'roll back tag';

export async function rollbackTag(s: Services, node: unknown, raw: unknown): Promise<TagInfo | undefined> {
  const a = options<RollbackArgs>(raw);
  const n = asNode(node);
  const t = n?.kind === 'tag' || !a.tag ? await pickTag(s, n, ACTION) : undefined;
  const model = t ?? await pickModel(s, n, ACTION);
  const tag = t?.info.name ?? (a.tag as string);
  return s.repos.use(model.place, async ({ repo }) => {
    const current = (await repo.listTags(model.model)).find((x) => x.name === tag);
    let to = a.to;
    if (!to) {
      const history = await repo.history(model.model, tag);
      // earlier targets, newest first, without the current one
      const earlier = [...new Set(history.flatMap((r) => [r.from, r.to]).filter((x): x is string => !!x).reverse())]
        .filter((x) => x !== current?.target);
      if (earlier.length === 0) throw new RepoError('NotFound', ACTION, `${model.model}:${tag}`, 'its history holds no earlier target');
      if (a.nonInteractive === true) {
        to = earlier[0];
      } else {
        const picked = await vscode.window.showQuickPick(earlier.map((x, i) => ({ label: x, description: i === 0 ? 'before the last move' : '' })),
          { placeHolder: `Point ${tag} back at` });
        if (!picked) throw cancelled(ACTION);
        to = picked.label;
      }
    }
    try {
      const info = await repo.setTag(model.model, tag, to, { expect: current ? current.target : null });
      s.log.info(`rolled back ${model.model}:${tag} from ${current?.target ?? '(deleted)'} to ${to}`);
      tagWarning(s, info, `Rolled tag ${tag} of ${model.model} back to ${to}`);
      s.tree.refresh(modelNode(model.place, model.model));
      return info;
    } catch (err) {
      return onConflict(s, err, 'roll back', { model: model.model, tag },
        () => rollbackTag(s, modelNode(model.place, model.model), { tag, to, onConflict: a.onConflict }), a.onConflict === 'retry');
    }
  });
}
