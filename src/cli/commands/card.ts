// `modelrepo card <repo>/<model> [--create [--force]]`: prints the model card (`<model>/README.md`), or
// writes one generated from the versions and the files' own metadata. An existing card is replaced
// only with --force; without it, a card written meanwhile by someone else is not overwritten either.
import { RepoError } from '../../core/errors';
import { modelCardKey, readModelCard } from '../../core/metadata/modelCard';
import { createModelCard } from '../../core/metadata/versionMetadata';
import { parseRef } from '../../core/refs';
import { defineCommand } from '../command';
import { withSession } from '../session';

export const cardCommand = defineCommand({
  name: 'card',
  summary: "print a model's card (README.md), or create one from the metadata",
  usage: 'card <repo>/<model> [--create [--force]]',
  help: `Without options: prints <model>/README.md (exit 3 when the model has none).
--create writes a card generated from the model's versions and its files' metadata (architecture,
parameters, quantizations, context length, where it was imported from) and prints it; an existing card
is kept (exit 8) unless --force is given.

examples:
  modelrepo card localai/models/llama-3-8b
  modelrepo card ./repo/llama-3-8b --create
  modelrepo card localai/models/llama-3-8b --create --force > /dev/null`,
  options: {
    create: { type: 'boolean', description: 'generate the card from the metadata and write it' },
    force: { type: 'boolean', description: 'with --create: replace an existing card' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { tag: 'forbidden', version: 'forbidden', file: false });
    const key = modelCardKey(ref.model);
    await withSession(ref.repo, ctx.global, async (s) => {
      const existing = await readModelCard(s.storage, ref.model, ctx.signal);
      if (ctx.flags.create !== true) {
        if (existing === undefined) {
          throw new RepoError('NotFound', 'read the model card of', ref.model, `${key} does not exist in ${s.where}; create one with --create`);
        }
        ctx.out.data({ repository: s.where, model: ref.model, key, text: existing });
        if (!ctx.out.json) ctx.out.raw(existing.endsWith('\n') ? existing : `${existing}\n`);
        return;
      }
      if (existing !== undefined && ctx.flags.force !== true) {
        throw new RepoError('Exists', 'create the model card of', ref.model, `${key} exists already; --force replaces it`);
      }
      const versions = (await s.repo.listVersions(ref.model, { signal: ctx.signal })).filter((v) => !v.problem);
      if (versions.length === 0) throw new RepoError('NotFound', 'create the model card of', ref.model, `no published version in ${s.where}`);
      const text = await createModelCard(s.repo, ref.model, { signal: ctx.signal });
      await s.storage.putText(key, text, { contentType: 'text/markdown; charset=utf-8', ifAbsent: existing === undefined });
      ctx.out.data({ repository: s.where, model: ref.model, key, created: true, replaced: existing !== undefined, text });
      if (!ctx.out.json) ctx.out.raw(text);
      ctx.out.note(`${existing === undefined ? 'wrote' : 'replaced'} ${key} in ${s.where}`);
    });
  },
});
