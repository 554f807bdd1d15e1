// Shows a model's card, `<model>/README.md`, with VS Code's markdown preview (read into a virtual
// document, nothing lands on disk). A model without one gets an offer to create it from the metadata.
import * as vscode from 'vscode';
import { readModelCard } from '../core/metadata/modelCard';
import type { ModelNode } from '../tree/nodes';
import type { MarkdownDocs, ShownDocument } from '../vscode/markdownDocs';
import { options, pickModel } from './pick';
import type { Services } from './services';

const ACTION = 'open the model card of';

/** The one document URI per model card, so opening it again (or creating it) updates the same preview. */
export function modelCardUri(docs: MarkdownDocs, m: ModelNode): vscode.Uri {
  return docs.uri([m.model, 'README.md'], `${m.place.connectionId}/${m.place.bucket ?? ''}/card`);
}

export async function openModelCard(s: Services, node: unknown, raw: unknown): Promise<ShownDocument | undefined> {
  const a = options<{ open: boolean }>(raw);
  const m = await pickModel(s, node, ACTION);
  return s.repos.use(m.place, async ({ storage }) => {
    const text = await readModelCard(storage, m.model);
    if (text === undefined) {
      const create = 'Create Model Card';
      s.notify.info(`${m.model} has no model card (${m.model}/README.md).`, [create],
        (c) => c === create && vscode.commands.executeCommand('modelRepository.createModelCard', m));
      return undefined;
    }
    return s.docs.show(modelCardUri(s.docs, m), text, { open: a.open });
  });
}
