// `modelrepo download <ref> [dest]`: the file(s) a tag or version stands for, into a folder (default: the
// current one). sha256 is checked in the same pass when the version recorded it (exit 7 on mismatch).
// A folder this process may not write into is exit 5, said before anything is fetched.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RepoError } from '../../core/errors';
import { parseRef } from '../../core/refs';
import { defineCommand } from '../command';
import { chainText, modelRefOf } from '../describe';
import { formatBytes, formatDuration } from '../format';
import { ProgressLine } from '../progress';
import { withSession } from '../session';

interface DownloadProgress {
  readonly file?: string;
  readonly stored: number;
  readonly total: number;
}

/** The destination, or the nearest folder above it that exists, must be writable. */
async function checkWritable(dest: string, object: string): Promise<void> {
  let p = resolve(dest);
  for (;;) {
    const st = await stat(p).catch(() => undefined);
    if (st) {
      if (!st.isDirectory()) return; // not a folder: the core says what is wrong with it
      try {
        await access(p, constants.W_OK);
      } catch (e) {
        throw new RepoError('Permission', 'download', object, `cannot write into ${p}: permission denied`, { cause: e });
      }
      return;
    }
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
}

export const downloadCommand = defineCommand({
  name: 'download',
  summary: 'download the file(s) of a tag or version',
  usage: 'download <repo>/<model>:<tag> | <repo>/<model>@<version>[/<file>] [dest folder]',
  help: `examples:
  modelrepo download localai/models/llama-3-8b:latest /var/models
  modelrepo download ./repo/llama-3-8b@2024-03-20/llama-3-8b.Q5_K_M.gguf .`,
  args: { min: 1, max: 2 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { selector: 'required', file: true });
    const dest = ctx.args[1] ?? '.';
    await checkWritable(dest, ctx.args[0]);
    await withSession(ref.repo, ctx.global, async (s) => {
      const r = await s.repo.resolve(modelRefOf(ref), ctx.signal);
      const total = r.artifacts.reduce((n, a) => n + a.size, 0);
      ctx.out.note(chainText(r));
      const progress = new ProgressLine({ verb: 'downloading', total, enabled: !ctx.global.quiet });
      const perFile = new Map<string, number>();
      const started = Date.now();
      const onProgress = (p: DownloadProgress): void => {
        perFile.set(p.file ?? '', p.stored);
        const done = [...perFile.values()].reduce((n, b) => n + b, 0);
        progress.update(done, done, `${ref.model}${p.file ? ` ${p.file}` : ''}`);
      };
      // Download the resolved version (not the tag again) so a concurrent tag move cannot mix versions.
      const exact = r.file !== undefined ? { model: r.model, version: r.version, file: r.file } : { model: r.model, version: r.version };
      let result;
      try {
        result = await s.repo.download(exact, dest, { signal: ctx.signal, onProgress });
      } finally {
        progress.finish();
      }
      const seconds = (Date.now() - started) / 1000;
      ctx.out.data({ repository: s.where, model: r.model, version: r.version, chain: r.chain, files: result.files, bytes: total });
      ctx.out.text(`Downloaded ${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${formatBytes(total)} in ${formatDuration(seconds)}`);
      for (const f of result.files) ctx.out.text(`  ${f}`);
      const unchecked = r.artifacts.filter((a) => !a.sha256).length;
      if (unchecked) ctx.out.note(`${unchecked} file(s) had no recorded sha256 (written by another tool): not verified`);
    });
  },
});
