// Writes `<model>/README.md` generated from the model's versions and its files' own metadata
// (architecture, parameters, quantizations), then shows it. An existing card is replaced only after a
// confirmation; a card that appears meanwhile is not overwritten (the write is conditional).
import { RepoError } from '../core/errors';
import { modelCardKey, readModelCard } from '../core/metadata/modelCard';
import { createModelCard as buildCard } from '../core/metadata/versionMetadata';
import type { ShownDocument } from '../vscode/markdownDocs';
import { withCancellableProgress } from '../vscode/progress';
import { confirm } from './input';
import { modelCardUri } from './openModelCard';
import { options, pickModel } from './pick';
import type { Services } from './services';

export interface CreateModelCardArgs {
  /** true: replace an existing card without asking; false: refuse to (tests, scripts). */
  readonly overwrite?: boolean;
  readonly open?: boolean;
}

const ACTION = 'create the model card of';

export async function createModelCard(s: Services, node: unknown, raw: unknown): Promise<ShownDocument & { key: string; replaced: boolean }> {
  const a = options<CreateModelCardArgs>(raw);
  const m = await pickModel(s, node, ACTION);
  return s.repos.use(m.place, async ({ repo, storage }) => {
    const key = modelCardKey(m.model);
    const existing = await readModelCard(storage, m.model);
    if (existing !== undefined) {
      if (a.overwrite === false) throw new RepoError('Exists', ACTION, m.model, `${key} exists already`);
      if (a.overwrite !== true) {
        await confirm(ACTION, `Replace the model card of ${m.model}?`,
          `${key} exists already. It will be replaced by a card generated from the versions and the files' metadata.`, 'Replace');
      }
    }
    const text = await withCancellableProgress(`Reading the metadata of ${m.model}`, (_p, signal) => buildCard(repo, m.model, { signal }));
    s.metadata.changed();
    await storage.putText(key, text, { contentType: 'text/markdown; charset=utf-8', ifAbsent: existing === undefined });
    s.log.info(`${existing === undefined ? 'created' : 'replaced'} ${await s.repos.uriOf(m.place, key)}`);
    const shown = await s.docs.show(modelCardUri(s.docs, m), text, { open: a.open });
    return { ...shown, key, replaced: existing !== undefined };
  });
}
