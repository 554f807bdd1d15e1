// `modelrepo rm <repo>/<model>@<version>`: delete a whole version. Refused (exit 8) while a tag resolves
// into it: move or delete those tags first.
import { parseRef } from '../../core/refs';
import { defineCommand } from '../command';
import { withSession } from '../session';

export const rmCommand = defineCommand({
  name: 'rm',
  summary: 'delete a version (refused while tagged)',
  usage: 'rm <repo>/<model>@<version>',
  help: `examples:
  modelrepo rm localai/models/llama-3-8b@2024-01-15`,
  args: { min: 1, max: 1 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { version: 'required', tag: 'forbidden' });
    const version = ref.version as string;
    await withSession(ref.repo, ctx.global, async (s) => {
      await s.repo.deleteVersion(ref.model, version);
      ctx.out.data({ repository: s.where, model: ref.model, deleted: version });
      ctx.out.text(`Deleted ${ref.model}@${version} from ${s.where}`);
    });
  },
});
