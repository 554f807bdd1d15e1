// `modelrepo history <repo>/<model>[:<tag>]`: every landed tag move and delete, oldest first.
import { parseRef } from '../../core/refs';
import type { HistoryRecord } from '../../core/layout';
import { defineCommand } from '../command';
import { table } from '../format';
import { withSession } from '../session';

function change(r: HistoryRecord): string {
  if (r.op === 'create') return `created -> ${r.to ?? '?'}`;
  if (r.op === 'delete') return `deleted (was ${r.from ?? '?'})`;
  return `${r.from ?? '?'} -> ${r.to ?? '?'}`;
}

export const historyCommand = defineCommand({
  name: 'history',
  summary: "a model's (or one tag's) tag moves, oldest first",
  usage: 'history <repo>/<model>[:<tag>]',
  help: `examples:
  $ modelrepo history localai/models/llama-3-8b:latest
  2024-01-15T09:12:03.120Z  latest  created -> v1  alice@build-1
  2024-03-20T14:02:44.871Z  latest  v1 -> v2       bob@laptop`,
  args: { min: 1, max: 1 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { tag: 'allowed', version: 'forbidden' });
    await withSession(ref.repo, ctx.global, async (s) => {
      const records = await s.repo.history(ref.model, ref.tag);
      ctx.out.data({ repository: s.where, model: ref.model, tag: ref.tag ?? null, records });
      if (records.length === 0) ctx.out.note(`no tag history for ${ref.model}${ref.tag ? `:${ref.tag}` : ''}`);
      else ctx.out.text(table(records.map((r) => [r.when, r.tag, change(r), r.who])));
    });
  },
});
