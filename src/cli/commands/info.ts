// `modelrepo info <ref>`: what the files of a version (or a tag's target, or one file) say about
// themselves: GGUF architecture, parameters, quantization, context length, tensors; safetensors dtypes
// and parameters. Only headers are read (ranged reads), never a whole model file.
import { isAbort, RepoError } from '../../core/errors';
import { metadataFacts } from '../../core/metadata/metadataFacts';
import type { ModelMetadata } from '../../core/metadata/modelMetadata';
import { readArtifactMetadata } from '../../core/metadata/readMetadata';
import { parseRef } from '../../core/refs';
import type { ArtifactInfo, ResolvedRef } from '../../core/types';
import { defineCommand } from '../command';
import { artifactJson, chainText, modelRefOf } from '../describe';
import { formatBytes, table } from '../format';
import { withSession } from '../session';
import type { Session } from '../session';

interface FileInfo {
  readonly artifact: ArtifactInfo;
  readonly metadata?: ModelMetadata;
  readonly problem?: string;
}

/** Without a tag or version: the newest published version that can be used. */
async function resolveLatest(s: Session, model: string, signal: AbortSignal): Promise<ResolvedRef> {
  const published = (await s.repo.listVersions(model, { signal })).filter((v) => !v.problem);
  const newest = published[published.length - 1];
  if (!newest) throw new RepoError('NotFound', 'show info of', model, `no published version in ${s.where}`);
  return s.repo.resolve({ model, version: newest.name }, signal);
}

export const infoCommand = defineCommand({
  name: 'info',
  summary: 'model metadata of the files of a version, a tag or one file (header reads only)',
  usage: 'info <repo>/<model>[:<tag> | @<version>[/<file>]]',
  help: `Reads only the headers: a GGUF file's metadata (architecture, parameter count, quantization,
context length, tensor count) and a safetensors file's JSON header (dtypes, parameters), plus
model.safetensors.index.json (shards) and config.json. Without a tag or version: the newest version.
A file whose header cannot be read is reported beside it; asked for alone, it is an error (exit 7).

examples:
  $ modelrepo info localai/models/llama-3-8b:latest
  llama-3-8b@2024-03-20 (latest -> v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf) in localai/models
  2024-03-20/llama-3-8b.Q5_K_M.gguf  5.3 GiB
    Format          GGUF v3
    Architecture    llama
    Parameters      8.0B (8,030,261,248)
    Quantization    Q5_K_M
    Context length  8,192
    Tensors         291
  $ modelrepo info --json ./repo/llama-3-8b@2024-03-20 | jq -r '.files[].metadata.quantization'`,
  args: { min: 1, max: 1 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { tag: 'allowed', version: 'allowed', file: true });
    await withSession(ref.repo, ctx.global, async (s) => {
      const r = ref.tag !== undefined || ref.version !== undefined
        ? await s.repo.resolve(modelRefOf(ref), ctx.signal) : await resolveLatest(s, ref.model, ctx.signal);
      const files: FileInfo[] = [];
      for (const a of r.artifacts) {
        try {
          files.push({ artifact: a, metadata: await readArtifactMetadata(s.storage, a.key, { etag: a.etag, signal: ctx.signal }) });
        } catch (e) {
          if (isAbort(e) || r.file !== undefined) throw e;
          files.push({ artifact: a, problem: e instanceof Error ? e.message : String(e) });
        }
      }
      ctx.out.data({
        repository: s.where, model: r.model, version: r.version, chain: r.chain,
        files: files.map((f) => ({ ...artifactJson(f.artifact), metadata: f.metadata ?? null, problem: f.problem ?? null })),
      });
      const via = r.chain.length > 1 ? ` (${chainText(r)})` : '';
      ctx.out.text(`${r.model}@${r.version}${via} in ${s.where}`);
      for (const f of files) {
        ctx.out.text(`${f.artifact.version}/${f.artifact.name}  ${formatBytes(f.artifact.size)}`);
        if (f.metadata) ctx.out.text(table(metadataFacts(f.metadata).map(([k, v]) => [k, v]), '  '));
        else ctx.out.text(f.problem ? `  ${f.problem}` : '  no model metadata (not a GGUF or safetensors file)');
      }
      const bytes = files.reduce((n, f) => n + (f.metadata?.bytesRead ?? 0), 0);
      ctx.out.note(`read ${formatBytes(bytes)} of headers from ${files.filter((f) => f.metadata).length} file(s)`);
    });
  },
});
