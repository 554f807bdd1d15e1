// `modelrepo tag <repo>/<model>:<tag> <target> [--expect <old target>]`: create or move a tag with
// compare-and-swap. --expect names what the tag must point at now (link text or resolved form); `none`
// means it must not exist yet. If someone else moved it in between: exit 4 and nothing changes.
import { parseRef } from '../../core/refs';
import { defineCommand } from '../command';
import { tagJson, taggedLine, warningOf } from '../describe';
import { withSession } from '../session';

/** --expect: undefined = whatever is there now, null = must not exist, else the expected target. */
export function expectFlag(flags: { readonly expect?: string }): string | null | undefined {
  const e = flags.expect;
  if (e === undefined) return undefined;
  return e === 'none' ? null : e.replace(/^[@:]/, '');
}

export const tagCommand = defineCommand({
  name: 'tag',
  summary: 'create or move a tag (compare-and-swap)',
  usage: 'tag <repo>/<model>:<tag> <target> [--expect <old target> | --expect none]',
  help: `The target is a version (2024-03-20), one file of a version (2024-03-20/llama-3-8b.Q5_K_M.gguf),
or another tag (v2). Every landed move is recorded in the tag's history; rollback = tag it back.

examples:
  modelrepo tag localai/models/llama-3-8b:v2 2024-03-20/llama-3-8b.Q5_K_M.gguf --expect none
  modelrepo tag localai/models/llama-3-8b:latest v2 --expect v1      exit 4 if latest moved meanwhile
  modelrepo tag /srv/models/llama-3-8b:latest v1                     rollback`,
  options: {
    expect: { type: 'string', value: '<old target>', description: "fail (exit 4) unless the tag points here now; 'none': it must not exist yet (exit 8)" },
  },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { tag: 'required', version: 'forbidden' });
    const tag = ref.tag as string;
    const target = ctx.args[1].replace(/^[@:]/, '');
    const expect = expectFlag(ctx.flags);
    await withSession(ref.repo, ctx.global, async (s) => {
      const info = await s.repo.setTag(ref.model, tag, target, expect === undefined ? {} : { expect });
      ctx.out.data({ repository: s.where, model: ref.model, tag: tagJson(info) });
      ctx.out.text(taggedLine(ref.model, tag, info));
      // The move landed; only its history record is missing: say so, and still succeed.
      const warning = warningOf(info);
      if (warning) ctx.out.warn(`warning: ${warning}`);
    });
  },
});
