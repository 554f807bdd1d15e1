// `modelrepo search <repo> <query...>`: models whose name, file names or file metadata match every
// word of the query (`llama`, `arch:llama quant:Q4_K_M`, `format:safetensors`). A name search is one
// model listing; metadata is read from headers through the repository's metadata index, with a
// progress line on a terminal (the first search of a large repository reads many headers).
import { describeMetadata } from '../../core/metadata/modelMetadata';
import { parseQuery, searchModels } from '../../core/metadata/search';
import { parseRepo } from '../../core/refs';
import { defineCommand } from '../command';
import { UsageError } from '../exitCodes';
import { formatBytes, table } from '../format';
import { SearchProgressLine } from '../searchProgress';
import { withSession } from '../session';

const USAGE = 'search <repo> <query...> [--all-versions] [--limit <n>]';

export const searchCommand = defineCommand({
  name: 'search',
  summary: 'find models by name and by metadata (architecture, quantization, format)',
  usage: USAGE,
  help: `Each word must match (case-insensitive substring). A bare word matches the model name (only the
model list is read); file: a file name, format: the format a file name implies (gguf, safetensors,
safetensors-index, hf-config); arch: (architecture) and quant: (quantization or safetensors dtype) read
the files' headers once, then keep them in the repository's metadata index (.modelrepo/).

examples:
  $ modelrepo search localai/models arch:llama quant:Q4_K_M
  llama-3-8b  2024-03-20
    llama-3-8b.Q4_K_M.gguf  4.6 GiB  llama · 8.0B params · Q4_K_M · ctx 8192 · 291 tensors
  $ modelrepo search --json ./repo format:safetensors | jq -r '.hits[].model'`,
  options: {
    'all-versions': { type: 'boolean', description: 'look at every published version, not only the newest' },
    limit: { type: 'string', value: '<n>', description: 'stop after n matching models' },
  },
  args: { min: 2 },
  async run(ctx) {
    const repoLoc = parseRepo(ctx.args[0]);
    const query = ctx.args.slice(1).join(' ');
    if (parseQuery(query).length === 0) throw new UsageError('search: the query is empty', `modelrepo ${USAGE}`);
    const limitText = ctx.flags.limit;
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`search: --limit ${limitText} is not a positive number`, `modelrepo ${USAGE}`);
    await withSession(repoLoc, ctx.global, async (s) => {
      const progress = new SearchProgressLine(!ctx.global.quiet);
      const r = await searchModels(s.repo, query, {
        signal: ctx.signal, versions: ctx.flags['all-versions'] === true ? 'all' : 'latest', ...(limit ? { limit } : {}),
        onProgress: (p) => progress.update(p),
      }).finally(() => progress.finish());
      ctx.out.data({
        repository: s.where, query, scanned: r.scanned, problems: r.problems, skipped: r.skipped,
        headersRead: r.headersRead, headersFromIndex: r.reused, warnings: r.warnings,
        hits: r.hits.map((h) => ({
          model: h.model, versions: h.versions,
          files: h.artifacts.map(({ artifact: a, metadata }) => ({ version: a.version, name: a.name, key: a.key, size: a.size, metadata: metadata ?? null })),
        })),
      });
      for (const h of r.hits) {
        ctx.out.text(h.artifacts.length === 0 ? h.model : `${h.model}  ${h.versions[h.versions.length - 1] ?? ''}`.trimEnd());
        const rows = h.artifacts.map(({ artifact: a, metadata: m }) => [
          h.versions.length > 1 ? `${a.version}/${a.name}` : a.name, formatBytes(a.size), m ? describeMetadata(m) : '']);
        if (rows.length) ctx.out.text(table(rows, '  '));
      }
      for (const p of r.problems) ctx.out.note(`note: ${p.message}`);
      for (const w of r.warnings) ctx.out.note(`note: ${w}`);
      if (r.skipped.length > 0) {
        ctx.out.note(`note: ${r.skipped.length} file${r.skipped.length === 1 ? ' is' : 's are'} not GGUF or safetensors and ${r.skipped.length === 1 ? 'was' : 'were'} skipped`);
      }
      if (r.headersRead + r.reused > 0) ctx.out.note(`${r.headersRead} header${r.headersRead === 1 ? '' : 's'} read, ${r.reused} from the metadata index`);
      ctx.out.note(`${r.hits.length} of ${r.scanned} model${r.scanned === 1 ? '' : 's'} in ${s.where} match '${query}'`);
    });
  },
});
