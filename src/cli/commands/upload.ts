// `modelrepo upload <repo>/<model>[@<version>] <files or folders...> [--tag <tag>] [--follow-symlinks]`
// Streams the files into a new version (default: today's date, UTC) with progress on stderr. Ctrl-C or
// SIGTERM aborts through the AbortSignal (the core removes the partial upload; exit 130 or 143). A run
// killed another way leaves a resumable upload: the same command again sends only what is missing and
// says how much was resumed.
import { validateName, todayVersion } from '../../core/names';
import { localTotal } from '../../core/repo/localFiles';
import { parseRef } from '../../core/refs';
import type { FileProgress } from '../../core/types';
import { defineCommand } from '../command';
import { newTagJson, taggedLine, warningOf } from '../describe';
import { formatBytes, formatDuration, table } from '../format';
import { FileTotals, ProgressLine } from '../progress';
import { withSession } from '../session';

export const uploadCommand = defineCommand({
  name: 'upload',
  summary: 'upload files or folders as a new version',
  usage: 'upload <repo>/<model>[@<version>] <files or folders...> [--tag <tag>] [--follow-symlinks]',
  help: `The version defaults to today's date (UTC), e.g. 2024-03-20. A version is published only when all
its files are stored; an existing complete version is never overwritten (exit 8). Folders keep their
relative file names (safetensors shards). A symbolic link inside a folder that points outside it is
refused unless --follow-symlinks is given. Ctrl-C cancels cleanly (exit 130; SIGTERM: 143). If the process
was killed instead, run the same command again: parts already stored are not sent again.

examples:
  modelrepo upload localai/models/llama-3-8b@2024-03-20 ./llama-3-8b.Q5_K_M.gguf --tag v2
  modelrepo upload s3://models/mistral-7b ./mistral-7b-instruct/ --endpoint http://127.0.0.1:9000
  modelrepo upload /srv/models/phi-3@1.0.0 phi-3.gguf README.md`,
  options: {
    tag: { type: 'string', value: '<tag>', description: 'point this tag at the new version afterwards' },
    'follow-symlinks': { type: 'boolean', description: 'upload what symbolic links inside the folders point at, even outside them' },
  },
  args: { min: 2 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { tag: 'forbidden', version: 'allowed', file: false });
    const version = ref.version ?? todayVersion();
    const tag = ctx.flags.tag;
    if (tag !== undefined) validateName('tag', tag);
    const paths = ctx.args.slice(1);
    const what = `${ref.model}@${version}`;
    const followSymlinks = ctx.flags['follow-symlinks'] === true;
    const local = await localTotal(paths, what, { followSymlinks });

    await withSession(ref.repo, ctx.global, async (s) => {
      const progress = new ProgressLine({ verb: 'uploading', total: local.bytes, enabled: !ctx.global.quiet });
      const totals = new FileTotals();
      const started = Date.now();
      const onProgress = (p: FileProgress): void => {
        const { done, moved } = totals.add(p);
        const label = local.files > 1 ? `${what} (${totals.count}/${local.files}) ${p.file}` : `${what} ${p.file}`;
        progress.update(done, moved, label);
      };
      let manifest;
      try {
        manifest = await s.repo.upload(ref.model, version, paths, {
          signal: ctx.signal, onProgress, ...(followSymlinks ? { followSymlinks: true } : {}),
          onWarning: (m) => ctx.out.warn(`warning: ${m}`),
        });
      } finally {
        progress.finish();
      }
      const seconds = (Date.now() - started) / 1000;
      const resumed = totals.resumed;
      const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
      const sent = Math.max(0, bytes - resumed);
      let tagged;
      if (tag !== undefined) tagged = await s.repo.setTag(ref.model, tag, version);

      ctx.out.data({
        repository: s.where, model: ref.model, version, files: manifest.files, bytes, resumedBytes: resumed,
        seconds: Math.round(seconds * 1000) / 1000,
        ...(tagged && tag !== undefined ? { tag: newTagJson(tag, tagged) } : {}),
      });
      const rate = seconds > 0 ? ` (${(sent / 1048576 / seconds).toFixed(1)} MiB/s)` : '';
      ctx.out.text(`Uploaded ${what} to ${s.where}: ${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'}, ${formatBytes(bytes)} in ${formatDuration(seconds)}${rate}`);
      ctx.out.text(table(manifest.files.map((f) => [f.name, formatBytes(f.size), `sha256:${f.sha256}`]), '  '));
      if (resumed > 0) ctx.out.text(`Resumed ${formatBytes(resumed)} (${resumed} bytes) already stored by an earlier, interrupted upload.`);
      if (tagged && tag !== undefined) ctx.out.text(taggedLine(ref.model, tag, tagged));
      if (warningOf(tagged)) ctx.out.warn(`warning: ${warningOf(tagged)}`);
    });
  },
});
