// `modelrepo share <ref> [--expires 1h]`: a URL that downloads the file(s) without keys (S3 presigned GET;
// at most 7 days, the SigV4 limit). On a filesystem repository it is a file:// URL.
import { parseRef } from '../../core/refs';
import { defineCommand } from '../command';
import { modelRefOf } from '../describe';
import { UsageError } from '../exitCodes';
import { parseDuration } from '../format';
import { withSession } from '../session';

const MAX_SECONDS = 7 * 24 * 3600;
const USAGE = 'share <repo>/<model>:<tag> | <repo>/<model>@<version>[/<file>] [--expires <duration>]';

export const shareCommand = defineCommand({
  name: 'share',
  summary: 'print a time-limited download URL (presigned)',
  usage: USAGE,
  help: `Durations: 3600, 90s, 15m, 1h, 1h30m, 7d (at most 7d). With several files, one line per file:
'<file> <url>'; with one file, the URL alone (for curl -O "$(modelrepo share ...)").

examples:
  curl -o model.gguf "$(modelrepo share localai/models/llama-3-8b:latest --expires 15m)"`,
  options: { expires: { type: 'string', value: '<duration>', description: 'how long the URL works (default 1h)' } },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { selector: 'required', file: true });
    const text = ctx.flags.expires ?? '1h';
    const seconds = parseDuration(text);
    if (seconds === undefined || seconds < 1) throw new UsageError(`--expires '${text}' is not a duration (e.g. 900, 15m, 1h, 7d)`, `modelrepo ${USAGE}`);
    if (seconds > MAX_SECONDS) throw new UsageError(`--expires '${text}' is longer than 7 days, the most a presigned URL allows`, `modelrepo ${USAGE}`);
    await withSession(ref.repo, ctx.global, async (s) => {
      const r = await s.repo.resolve(modelRefOf(ref), ctx.signal);
      const expires = new Date(Date.now() + seconds * 1000);
      const urls: { file: string; url: string }[] = [];
      for (const a of r.artifacts) urls.push({ file: `${a.version}/${a.name}`, url: await s.repo.shareUrl(r.model, a.version, a.name, seconds) });
      ctx.out.data({ repository: s.where, model: r.model, chain: r.chain, expires, urls });
      if (urls.length === 1) ctx.out.text(urls[0].url);
      else for (const u of urls) ctx.out.text(`${u.file} ${u.url}`);
      ctx.out.note(`valid until ${expires.toISOString()}`);
    });
  },
});
