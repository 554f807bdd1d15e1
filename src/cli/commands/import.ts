// `modelrepo import <org/name> <repo>/<model>[@<version>] [--revision R] [--include PATTERN]... [--tag T]`:
// copies a Hugging Face Hub model into a new version, streamed (no full local copy), with the Hub's
// LFS sha256 checked and the source commit recorded. The token comes from HF_TOKEN only (a flag would
// show in `ps` and shell history). The Hub client is loaded only by this command.
import { validateName } from '../../core/names';
import { parseRef } from '../../core/refs';
import type { FileProgress } from '../../core/types';
import { defineCommand } from '../command';
import { newTagJson, taggedLine, warningOf } from '../describe';
import { UsageError } from '../exitCodes';
import { formatBytes, formatDuration, table } from '../format';
import { FileTotals, ProgressLine } from '../progress';
import { withSession } from '../session';

const USAGE = 'import <org/name> <repo>/<model>[@<version>] [--revision <rev>] [--include <pattern>]... [--tag <tag>]';

/** 'org/name', 'hf://org/name' or 'https://huggingface.co/org/name' -> 'org/name'. */
export function hubRepoName(text: string): string {
  const m = /^(?:hf:\/\/|https:\/\/huggingface\.co\/)?([\w.-]+(?:\/[\w.-]+)?)\/?$/.exec(text);
  if (!m) throw new UsageError(`'${text}' is not a Hugging Face repository: write org/name (e.g. NousResearch/Meta-Llama-3-8B-GGUF)`, `modelrepo ${USAGE}`);
  return m[1];
}

export const importCommand = defineCommand({
  name: 'import',
  summary: 'import a model from the Hugging Face Hub as a new version',
  usage: USAGE,
  help: `The version defaults to <UTC date>-hf-<first 12 hex of the commit>, so it names the exact commit.
--include picks files by path or pattern ('*' and '?'); repeat it for several. Without it, every file
of the revision is imported (dot files are skipped). Gated or private models need HF_TOKEN; HF_ENDPOINT
or --hf-endpoint points at a mirror. Ctrl-C cancels and removes what was stored; after any other failure
the same command resumes with the files still missing.

examples:
  modelrepo import NousResearch/Meta-Llama-3-8B-GGUF localai/models/llama-3-8b --include '*Q4_K_M.gguf' --tag v1
  HF_TOKEN=hf_... modelrepo import meta-llama/Llama-3.2-1B s3://models/llama-3.2-1b --revision main`,
  options: {
    revision: { type: 'string', value: '<rev>', description: 'branch, tag or commit (default main)' },
    include: { type: 'string', multiple: true, value: '<pattern>', description: 'only these files (repeatable)' },
    tag: { type: 'string', value: '<tag>', description: 'point this tag at the new version afterwards' },
    'hf-endpoint': { type: 'string', value: '<url>', description: 'Hub endpoint (default HF_ENDPOINT, else https://huggingface.co)' },
  },
  args: { min: 2, max: 2 },
  async run(ctx) {
    const hubRepo = hubRepoName(ctx.args[0]);
    const ref = parseRef(ctx.args[1], { tag: 'forbidden', version: 'allowed', file: false });
    const tag = ctx.flags.tag;
    if (tag !== undefined) validateName('tag', tag);
    const files = ctx.flags.include;
    const revision = ctx.flags.revision;
    const endpoint = ctx.flags['hf-endpoint'];
    const { importFromHub } = await import('../../core/hf/hubImport.js');
    await withSession(ref.repo, ctx.global, async (s) => {
      const progress = new ProgressLine({ verb: 'importing', enabled: !ctx.global.quiet });
      const totals = new FileTotals();
      const started = Date.now();
      const onProgress = (p: FileProgress): void => {
        const { done, moved, total } = totals.add(p);
        progress.update(done, moved, `${hubRepo} ${p.file}`, total);
      };
      let result;
      try {
        result = await importFromHub({
          repo: hubRepo, storage: s.storage, model: ref.model, who: s.repo.who, signal: ctx.signal, onProgress,
          ...(ref.version !== undefined ? { version: ref.version } : {}),
          ...(revision !== undefined ? { revision } : {}),
          ...(files ? { files } : {}),
          ...(endpoint !== undefined ? { endpoint } : {}),
          timeouts: ctx.global.timeouts,
        });
      } finally {
        progress.finish();
      }
      const version = result.manifest.version;
      const bytes = result.manifest.files.reduce((n, f) => n + f.size, 0);
      const tagged = tag !== undefined ? await s.repo.setTag(ref.model, tag, version) : undefined;
      ctx.out.data({
        repository: s.where, model: ref.model, version, source: { hub: hubRepo, commit: result.commit },
        files: result.manifest.files, skipped: result.skipped, bytes,
        ...(tagged && tag !== undefined ? { tag: newTagJson(tag, tagged) } : {}),
      });
      const n = result.manifest.files.length;
      ctx.out.text(`Imported ${hubRepo}@${result.commit.slice(0, 12)} as ${ref.model}@${version} in ${s.where}: ${n} file${n === 1 ? '' : 's'}, ${formatBytes(bytes)} in ${formatDuration((Date.now() - started) / 1000)}`);
      ctx.out.text(table(result.manifest.files.map((f) => [f.name, formatBytes(f.size), `sha256:${f.sha256}`]), '  '));
      if (result.skipped.length) ctx.out.note(`skipped (names that cannot be stored): ${result.skipped.join(', ')}`);
      if (tagged && tag !== undefined) ctx.out.text(taggedLine(ref.model, tag, tagged));
      if (warningOf(tagged)) ctx.out.warn(`warning: ${warningOf(tagged)}`);
    });
  },
});
