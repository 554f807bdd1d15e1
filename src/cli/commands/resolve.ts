// `modelrepo resolve <ref>`: the chain (`latest -> v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf`) on the
// first line, then the final file(s) with size and sha256.
import { parseRef } from '../../core/refs';
import { defineCommand } from '../command';
import { artifactRow, chainText, modelRefOf, resolvedJson } from '../describe';
import { table } from '../format';
import { withSession } from '../session';

export const resolveCommand = defineCommand({
  name: 'resolve',
  summary: 'follow a tag to its version and file(s)',
  usage: 'resolve <repo>/<model>:<tag> | <repo>/<model>@<version>[/<file>]',
  help: `Prints the chain, then each file with its size and sha256 ('not recorded' for versions written by
other tools). A cycle, a dangling link or a link leaving the model is an error (exit 9).

examples:
  $ modelrepo resolve localai/models/llama-3-8b:latest
  latest -> v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf
    2024-03-20/llama-3-8b.Q5_K_M.gguf  5.3 GiB  sha256:9a1b...
  $ modelrepo resolve --json localai/models/llama-3-8b:latest | jq -r '.files[0].sha256'`,
  args: { min: 1, max: 1 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { selector: 'required', file: true });
    await withSession(ref.repo, ctx.global, async (s) => {
      const r = await s.repo.resolve(modelRefOf(ref), ctx.signal);
      ctx.out.data({ repository: s.where, ...resolvedJson(r) });
      ctx.out.text(chainText(r));
      if (r.artifacts.length) ctx.out.text(table(r.artifacts.map((a) => artifactRow(a)), '  '));
    });
  },
});
