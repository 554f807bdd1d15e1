// `modelrepo ls <repo>` lists models; `ls <repo>/<model>` a model's versions, files and tags;
// `ls <repo>/<model>@<version>` (or :<tag>) the files it stands for.
// Without ':' or '@' the text may name a repository or a model in its parent (`localai/models/team-a`).
// Rule: it is a model when the parent holds `<last segment>/tags/`, `<last segment>/.modelrepo/history/`,
// or a first subfolder other than `.modelrepo/` with files in it (a version); otherwise it is a
// repository. A few small listings decide; when none finds anything, the model does not exist (exit 3).
// Entries the core refuses (an unsafe name, a symlink leaving the repository) or cannot use (a corrupt
// record) are left out of the listing, named one per line on stderr, and the run exits 9.
import { isRepoError, RepoError } from '../../core/errors';
import { formatRepo, hasSelector, parseRef, parseRepo } from '../../core/refs';
import type { ParsedRef, RepoLocation } from '../../core/refs';
import { META_DIR } from '../../core/layout';
import type { Storage } from '../../core/storage/storage';
import type { ArtifactInfo, RefusedEntry, TagInfo, VersionInfo } from '../../core/types';
import type { CommandContext, OptionSpecs } from '../command';
import { defineCommand } from '../command';
import { artifactJson, artifactRow, chainText, modelRefOf, resolvedJson, tagJson, tagLine } from '../describe';
import { EXIT, PartialResult } from '../exitCodes';
import { formatBytes, table } from '../format';
import { withSession } from '../session';
import type { Session } from '../session';

/** Decides whether `<model>/` in this storage looks like a model folder (see the rule above). */
export async function looksLikeModel(storage: Storage, model: string, signal?: AbortSignal): Promise<boolean> {
  const top = await storage.list(`${model}/`, { delimited: true, limit: 200, signal });
  if (top.prefixes.includes(`${model}/tags/`)) return true;
  // A repository root has a `.modelrepo/` too (its metadata index): only a model's holds tag history.
  const meta = `${model}/${META_DIR}/`;
  if (top.prefixes.includes(meta)) {
    const inside = await storage.list(meta, { delimited: true, limit: 50, signal });
    if (inside.prefixes.includes(`${meta}history/`)) return true;
  }
  const first = top.prefixes.find((p) => p !== meta);
  if (!first) return false;
  const inner = await storage.list(first, { delimited: true, limit: 5, signal });
  return inner.objects.length > 0;
}

const LS_OPTIONS = {
  filter: { type: 'string', value: '<text>', description: 'only models whose name contains the text' },
} as const satisfies OptionSpecs;

/** Entries left out of a listing, for the --json document and the stderr lines. */
type Refused = { name: string; reason: string }[];

/** Ends a listing that left entries out: one stderr line each, exit 9. */
function failIfRefused(refused: Refused, where: string): void {
  if (refused.length > 0) throw new PartialResult(EXIT.unusable, refused.map((r) => `${where}: left out ${r.name}: ${r.reason}`));
}

/** The artifacts the listing can show, and the ones it cannot (their `problem` set). */
function usable(arts: readonly ArtifactInfo[], refused: Refused): ArtifactInfo[] {
  for (const a of arts) if (a.problem) refused.push({ name: `${a.version}/${a.name}`, reason: a.problem });
  return arts.filter((a) => !a.problem);
}

/** `missing`: the model that the text also names; an empty listing then means it does not exist. */
async function listRepo(ctx: CommandContext<typeof LS_OPTIONS>, loc: RepoLocation, missing?: ParsedRef): Promise<void> {
  const filter = ctx.flags.filter;
  await withSession(loc, ctx.global, async (s) => {
    const models: string[] = [];
    const refused: Refused = [];
    let cursor: string | undefined;
    do {
      const page = await s.repo.listModels({ cursor, limit: 1000, signal: ctx.signal, ...(filter ? { filter } : {}) });
      models.push(...page.models);
      // Declared by the core's types (RefusedEntry); a listing without it refused nothing.
      refused.push(...((page as { refused?: readonly RefusedEntry[] }).refused ?? []).map((r) => ({ name: r.name, reason: r.reason })));
      cursor = page.cursor;
    } while (cursor);
    if (missing && !filter && models.length === 0 && refused.length === 0) {
      throw new RepoError('NotFound', 'list', missing.model, `no such model in ${formatRepo(missing.repo)}, and no models under ${s.where}`);
    }
    ctx.out.data({ repository: s.where, models, ...(refused.length ? { refused } : {}) });
    if (models.length === 0) ctx.out.note(`no models in ${s.where}${filter ? ` matching '${filter}'` : ''}`);
    for (const m of models) ctx.out.text(m);
    failIfRefused(refused, s.where);
  });
}

async function listModel(ctx: CommandContext, s: Session, model: string): Promise<void> {
  // One listing of the model (plus the records of published versions and the tag links), not
  // requests per version.
  const listing = await s.repo.describeModel(model, ctx.signal);
  const all: VersionInfo[] = listing.versions;
  const refused: Refused = all.filter((v) => v.problem).map((v) => ({ name: v.name, reason: v.problem ?? '' }));
  const versions = all.filter((v) => !v.problem);
  const allTags: TagInfo[] = listing.tags;
  for (const t of allTags) if (t.refused) refused.push({ name: `tag ${t.name}`, reason: t.problem ?? '' });
  const tags = allTags.filter((t) => !t.refused);
  const files = new Map<string, ArtifactInfo[]>();
  for (const v of versions) files.set(v.name, usable(listing.files.get(v.name) ?? [], refused));
  ctx.out.data({
    repository: s.where, model,
    versions: versions.map((v) => ({ name: v.name, state: v.state, tags: v.tags, created: v.created, files: (files.get(v.name) ?? []).map(artifactJson) })),
    tags: tags.map(tagJson),
    ...(refused.length ? { refused } : {}),
  });
  if (!ctx.out.json) {
    ctx.out.text(`${model} in ${s.where}`);
    ctx.out.text('');
    ctx.out.text(versions.length ? 'versions:' : 'versions: none');
    const vrows = versions.map((v) => [v.name, v.state, v.tags.join(', ')]);
    const widths = [0, 1].map((i) => Math.max(...vrows.map((r) => r[i].length)));
    versions.forEach((v, i) => {
      ctx.out.text(`  ${vrows[i][0].padEnd(widths[0])}  ${vrows[i][1].padEnd(widths[1])}  ${vrows[i][2]}`.trimEnd());
      const rows = (files.get(v.name) ?? []).map((a) => artifactRow(a, false));
      if (rows.length) ctx.out.text(table(rows, '      '));
    });
    ctx.out.text('');
    ctx.out.text(tags.length ? 'tags:' : 'tags: none');
    for (const t of tags) ctx.out.text(`  ${tagLine(t)}`);
  }
  failIfRefused(refused, `${s.where}/${model}`);
}

async function listRef(ctx: CommandContext, ref: ParsedRef): Promise<void> {
  await withSession(ref.repo, ctx.global, async (s) => {
    const refused: Refused = [];
    if (ref.tag === undefined && ref.file === undefined && ref.version !== undefined) {
      const arts = usable(await s.repo.listArtifacts(ref.model, ref.version, ctx.signal), refused);
      ctx.out.data({ repository: s.where, model: ref.model, version: ref.version, files: arts.map(artifactJson), ...(refused.length ? { refused } : {}) });
      for (const row of table(arts.map((a) => artifactRow(a))).split('\n')) if (row) ctx.out.text(row);
      const total = arts.reduce((n, a) => n + a.size, 0);
      ctx.out.note(`${arts.length} file${arts.length === 1 ? '' : 's'}, ${formatBytes(total)}`);
      failIfRefused(refused, `${s.where}/${ref.model}`);
      return;
    }
    const r = await s.repo.resolve(modelRefOf(ref), ctx.signal);
    const arts = usable(r.artifacts, refused);
    ctx.out.data({ repository: s.where, ...resolvedJson({ ...r, artifacts: arts }), ...(refused.length ? { refused } : {}) });
    ctx.out.text(chainText(r));
    ctx.out.text(table(arts.map((a) => artifactRow(a)), '  '));
    failIfRefused(refused, `${s.where}/${ref.model}`);
  });
}

export const lsCommand = defineCommand({
  name: 'ls',
  summary: "list models; a model's versions, files and tags",
  usage: 'ls <repo>[/<model>[@<version> | :<tag>]] [--filter <text>]',
  help: `Without ':' or '@', the last path segment is taken as a model when its folder holds tags/,
.modelrepo/ or a version folder with files; otherwise the whole text is a repository
(an alias repository may sit under a prefix: localai/models/team-a). Add ':' or '@' to be explicit.
A model that does not exist is exit 3. Entries that cannot be used (an unsafe name, a link leaving the
repository, a corrupt record) are left out, each named on stderr, and ls exits 9.

examples:
  modelrepo ls localai/models                      models in bucket 'models' of alias 'localai'
  modelrepo ls localai/models/llama-3-8b           versions (state, tags), files (size, sha256), tags
  modelrepo ls s3://models/team-a --endpoint http://127.0.0.1:9000
  modelrepo ls ./repo/llama-3-8b@2024-03-20        files of one version
  modelrepo ls --json /srv/models | jq -r '.models[]'`,
  options: LS_OPTIONS,
  args: { min: 1, max: 1 },
  async run(ctx) {
    const text = ctx.args[0];
    if (hasSelector(text)) return listRef(ctx, parseRef(text, { tag: 'allowed', version: 'allowed', file: false }));
    let asRepo: RepoLocation | undefined;
    let asModel: ParsedRef | undefined;
    let modelError: unknown;
    try { asRepo = parseRepo(text); } catch { /* not a repository */ }
    try { asModel = parseRef(text); } catch (e) { modelError = e; }
    if (!asModel) {
      if (asRepo) return listRepo(ctx, asRepo);
      throw modelError;
    }
    const model = asModel;
    const isModel = await withSession(model.repo, ctx.global, async (s) => {
      try {
        if (!(await looksLikeModel(s.storage, model.model, ctx.signal))) return false;
      } catch (e) {
        if (!asRepo || !isRepoError(e, 'NotFound')) throw e;
        return false;
      }
      await listModel(ctx, s, model.model);
      return true;
    });
    if (!isModel) {
      if (!asRepo) throw new RepoError('NotFound', 'list', model.model, `no such model in ${formatRepo(model.repo)}`);
      await listRepo(ctx, asRepo, model);
    }
  },
});
