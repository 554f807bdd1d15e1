// `modelrepo untag <repo>/<model>:<tag> [--expect <target>]`: delete a tag (recorded in its history).
import { parseRef } from '../../core/refs';
import { defineCommand } from '../command';
import { warningOf } from '../describe';
import { UsageError } from '../exitCodes';
import { withSession } from '../session';
import { expectFlag } from './tag';

export const untagCommand = defineCommand({
  name: 'untag',
  summary: 'delete a tag',
  usage: 'untag <repo>/<model>:<tag> [--expect <target>]',
  help: `The versions stay; only the link goes. The deletion is recorded in the tag's history.

examples:
  modelrepo untag localai/models/llama-3-8b:canary
  modelrepo untag ./repo/llama-3-8b:canary --expect v3     exit 4 if canary no longer points at v3`,
  options: {
    expect: { type: 'string', value: '<target>', description: 'fail (exit 4) unless the tag points here now' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { tag: 'required', version: 'forbidden' });
    const tag = ref.tag as string;
    const expect = expectFlag(ctx.flags);
    if (expect === null) throw new UsageError("--expect none makes no sense for untag: name the target the tag should have", 'modelrepo untag <repo>/<model>:<tag> [--expect <target>]');
    await withSession(ref.repo, ctx.global, async (s) => {
      const result: unknown = await s.repo.deleteTag(ref.model, tag, expect === undefined ? {} : { expect });
      const warning = warningOf(result);
      ctx.out.data({ repository: s.where, model: ref.model, deleted: tag, ...(warning ? { warning } : {}) });
      ctx.out.text(`Deleted tag ${ref.model}:${tag}`);
      // The delete landed; only its history record is missing: say so, and still succeed.
      if (warning) ctx.out.warn(`warning: ${warning}`);
    });
  },
});
