// Creates a tag on a version, one file of it, or another tag. From a version or artifact node the
// target is that node; otherwise a quick pick. The tag must not exist yet (compare-and-swap on absence).
import * as vscode from 'vscode';
import { isRepoError } from '../core/errors';
import { nameProblem } from '../core/names';
import type { TagInfo } from '../core/types';
import { asNode, modelNode, tagNode } from '../tree/nodes';
import { ask } from './input';
import { options, pickModel } from './pick';
import type { Services } from './services';
import { pickTarget, tagWarning } from './tagTargets';

export interface CreateTagArgs {
  readonly tag?: string;
  readonly target?: string;
}

const ACTION = 'create tag';

export async function createTag(s: Services, node: unknown, raw: unknown): Promise<TagInfo> {
  const a = options<CreateTagArgs>(raw);
  const n = asNode(node);
  const model = await pickModel(s, n, ACTION);
  return s.repos.use(model.place, async ({ repo }) => {
    const implied = n?.kind === 'version' ? n.info.name : n?.kind === 'artifact' ? `${n.info.version}/${n.info.name}` : undefined;
    const target = a.target ?? implied ?? await pickTarget(repo, model.model, ACTION);
    const tag = a.tag ?? await ask(ACTION, {
      prompt: `Tag of ${model.model} that points at ${target}`, placeHolder: 'latest, v2, prod ...',
      validateInput: (v) => nameProblem('tag', v.trim()),
    });
    let info: TagInfo;
    try {
      info = await repo.setTag(model.model, tag, target, { expect: null });
    } catch (err) {
      if ((isRepoError(err, 'Exists') || isRepoError(err, 'Conflict')) && a.tag === undefined) {
        // typed interactively: offer to move the existing tag instead
        const current = (await repo.listTags(model.model)).find((t) => t.name === tag);
        const move = 'Move It';
        const choice = await vscode.window.showWarningMessage(
          `Tag ${tag} of ${model.model} exists already${current ? ` (${current.target})` : ''}.`, move);
        if (choice === move && current) {
          return (await vscode.commands.executeCommand<TagInfo>('modelRepository.moveTag',
            tagNode(model.place, current), { target })) as TagInfo;
        }
      }
      throw err;
    }
    s.log.info(`tagged ${model.model}:${tag} -> ${target}`);
    tagWarning(s, info, `Created tag ${tag} of ${model.model} on ${target}`);
    s.tree.refresh(modelNode(model.place, model.model));
    return info;
  });
}
