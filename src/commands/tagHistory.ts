// Shows the moves of a tag (or of every tag of a model), newest first, in a quick pick. Picking an
// entry offers to put the tag back where that entry left it (rollbackTag).
import * as vscode from 'vscode';
import type { HistoryRecord } from '../core/layout';
import { asNode } from '../tree/nodes';
import { options, pickModel } from './pick';
import type { Services } from './services';

const ACTION = 'show tag history';

export function describeRecord(r: HistoryRecord): string {
  switch (r.op) {
    case 'create': return `created -> ${r.to ?? '?'}`;
    case 'delete': return `deleted (was ${r.from ?? '?'})`;
    default: return `${r.from ?? '?'} -> ${r.to ?? '?'}`;
  }
}

export async function tagHistory(s: Services, node: unknown, raw: unknown): Promise<HistoryRecord[]> {
  const a = options<{ show: boolean }>(raw);
  const n = asNode(node);
  const model = await pickModel(s, n, ACTION);
  const tag = n?.kind === 'tag' ? n.info.name : undefined;
  return s.repos.use(model.place, async ({ repo }) => {
    const records = await repo.history(model.model, tag);
    if (a.show === false) return records;
    const title = `History of ${tag ? `${model.model}:${tag}` : `the tags of ${model.model}`}`;
    if (records.length === 0) {
      s.notify.info(`${title}: no moves recorded.`);
      return records;
    }
    const items = [...records].reverse().map((r) => ({
      label: `${tag ? '' : `$(tag) ${r.tag}  `}${describeRecord(r)}`,
      description: r.who,
      detail: new Date(r.when).toLocaleString(),
      r,
    }));
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Pick an entry to put the tag back where it left it' });
    const back = picked ? (picked.r.to ?? picked.r.from) : undefined;
    if (picked && back) {
      await vscode.commands.executeCommand('modelRepository.rollbackTag',
        n?.kind === 'tag' ? n : { kind: 'model', id: model.id, place: model.place, model: model.model },
        { tag: picked.r.tag, to: back });
    }
    return records;
  });
}
