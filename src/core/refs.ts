// Parses the references the CLI accepts (pure: no I/O, no environment).
//   <repo>/<model>                 <repo>/<model>:<tag>          <repo>/<model>@<version>[/<file>]
// The repository part is one of
//   <alias>/<bucket>[/<prefix>]     an mc alias (MC_HOST_<alias> or ~/.mc/config.json)
//   s3://<bucket>[/<prefix>]        endpoint from --endpoint or AWS_ENDPOINT_URL
//   /abs/path, ./rel, ../rel, ~/p   a filesystem folder (file:///abs also accepted)
// The model is the path segment that carries ':' or '@' (the first one), or the last segment when there is
// no selector. So the repository part itself may not contain ':' or '@'. Each backend reads its own
// repository texts (backends/*.ts, Backend.parseLocation). Names are checked with names.ts;
// errors are RepoError 'InvalidRef' (shape) or 'InvalidName' (a name breaks a rule), both naming the text.
import { BACKEND_LIST, locationBackend } from './backends/index';
import { RepoError } from './errors';
import { nameProblem, validateName } from './names';
import { bad, printable } from './refText';

export type RepoLocation =
  | { readonly kind: 'alias'; readonly alias: string; readonly bucket: string; readonly prefix?: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix?: string }
  | { readonly kind: 'fs'; readonly path: string };

export interface ParsedRef {
  readonly repo: RepoLocation;
  readonly model: string;
  readonly tag?: string;
  readonly version?: string;
  /** Set only with a version: `@<version>/<file>`; may contain '/' for files in subfolders. */
  readonly file?: string;
}

/** What a command accepts after the model: nothing, a tag, a version (with or without a file). */
export interface RefRules {
  readonly tag?: 'required' | 'allowed' | 'forbidden';
  readonly version?: 'required' | 'allowed' | 'forbidden';
  readonly file?: boolean;
  /** When one of tag/version is required, either satisfies it (resolve, download, manifest). */
  readonly selector?: 'required' | 'optional';
}

/** `s3://`, `file://`, ...: the schemes the backends read, as one pattern. */
function schemePattern(): RegExp {
  const alternatives = BACKEND_LIST.flatMap((b) => b.schemes).map((x) => x.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^(${alternatives.join('|')})`);
}

function checkScheme(text: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !schemePattern().test(text)) {
    const names = BACKEND_LIST.flatMap((b) => b.schemes).join(' and ');
    throw bad(text, `only ${names} URLs are understood; use an mc alias or a folder path otherwise`);
  }
}

/** Parses a repository alone: `localai/models[/prefix]`, `s3://bucket[/prefix]`, or a folder path. */
export function parseRepo(text: string): RepoLocation {
  if (text.length === 0) throw bad(text, 'it is empty');
  checkScheme(text);
  if (/[:@]/.test(text.replace(schemePattern(), ''))) {
    throw bad(text, "a repository cannot contain ':' or '@' (those select a tag or a version of a model)");
  }
  // the backend that reads what no other claims (mc aliases) is asked last
  for (const b of [...BACKEND_LIST.filter((x) => !x.fallback), ...BACKEND_LIST.filter((x) => x.fallback)]) {
    const loc = b.parseLocation(text);
    if (loc) return loc;
  }
  throw bad(text, 'no storage reads it');
}

/** Parses `<repo>/<model>[:<tag>|@<version>[/<file>]]` and checks it against what the command accepts. */
export function parseRef(text: string, rules: RefRules = {}): ParsedRef {
  if (text.length === 0) throw bad(text, 'it is empty');
  checkScheme(text);
  const scheme = schemePattern().exec(text)?.[0] ?? '';
  const body = text.slice(scheme.length);
  const segs = body.split('/');
  let at = segs.findIndex((s) => /[:@]/.test(s));
  let after: string[] = [];
  if (at < 0) {
    if (segs.length > 1 && segs[segs.length - 1] === '') segs.pop(); // one trailing slash
    at = segs.length - 1;
  } else {
    after = segs.slice(at + 1);
    if (after.length > 0 && after[after.length - 1] === '') after.pop(); // one trailing slash
  }
  if (segs.slice(1, at).includes('')) throw bad(text, 'it contains an empty path segment (//)');
  const modelSeg = segs[at];
  const repoText = scheme + segs.slice(0, at).join('/');
  if (at === 0 || (scheme === 'file://' && at <= 1)) {
    throw bad(text, 'the repository is missing: use <repo>/<model>, e.g. localai/models/llama-3-8b:latest or ./repo/llama-3-8b');
  }
  const sel = /[:@]/.exec(modelSeg);
  const model = sel ? modelSeg.slice(0, sel.index) : modelSeg;
  const kind = sel ? (sel[0] === ':' ? 'tag' : 'version') : undefined;
  const value = sel ? modelSeg.slice(sel.index + 1) : undefined;

  let repo: RepoLocation;
  try {
    repo = parseRepo(repoText === 's3://' || repoText === 'file://' ? repoText : repoText || '/');
  } catch (e) {
    if (e instanceof RepoError && e.code === 'InvalidRef') throw bad(text, `in its repository part '${printable(repoText)}', ${e.reason}`);
    throw e;
  }
  if (model === '') throw bad(text, 'the model name is missing before the ' + (kind === 'tag' ? "':'" : "'@'"));
  validateName('model', model);

  let tag: string | undefined;
  let version: string | undefined;
  let file: string | undefined;
  if (kind === 'tag') {
    if (after.length > 0) throw bad(text, 'a tag cannot be followed by a file: use <model>@<version>/<file>');
    if (!value) throw bad(text, "the tag name is missing after ':'");
    tag = validateName('tag', value);
  } else if (kind === 'version') {
    if (!value) throw bad(text, "the version is missing after '@'");
    version = validateName('version', value);
    if (after.length > 0) {
      for (const s of after) {
        const p = nameProblem('file', s);
        if (p) throw new RepoError('InvalidName', 'use file name', `'${printable(after.join('/'))}'`, p);
      }
      file = after.join('/');
    }
  }
  checkRules(text, rules, { tag, version, file });
  return { repo, model, ...(tag !== undefined ? { tag } : {}), ...(version !== undefined ? { version } : {}), ...(file !== undefined ? { file } : {}) };
}

function checkRules(text: string, r: RefRules, p: { tag?: string; version?: string; file?: string }): void {
  if (p.tag !== undefined && r.tag === 'forbidden') throw bad(text, 'a tag (:<tag>) is not accepted here');
  if (p.version !== undefined && r.version === 'forbidden') throw bad(text, 'a version (@<version>) is not accepted here');
  if (p.file !== undefined && !r.file) throw bad(text, 'a file (@<version>/<file>) is not accepted here');
  if (p.tag === undefined && r.tag === 'required') throw bad(text, 'a tag is required: <repo>/<model>:<tag>');
  if (p.version === undefined && r.version === 'required') throw bad(text, 'a version is required: <repo>/<model>@<version>');
  if (r.selector === 'required' && p.tag === undefined && p.version === undefined) {
    throw bad(text, 'a tag or a version is required: <repo>/<model>:<tag> or <repo>/<model>@<version>');
  }
}

/** True when the text has a ':' or '@' selector (so it names a model, never a bare repository). */
export function hasSelector(text: string): boolean {
  return /[:@]/.test(text.replace(schemePattern(), ''));
}

/** The repository as the user would write it. */
export function formatRepo(repo: RepoLocation): string {
  return locationBackend(repo).formatLocation(repo);
}

/** The reference as the user would write it (`localai/models/llama-3-8b:latest`). */
export function formatRef(ref: ParsedRef): string {
  const repo = formatRepo(ref.repo);
  const base = `${repo === '/' ? '' : repo}/${ref.model}`;
  if (ref.tag !== undefined) return `${base}:${ref.tag}`;
  if (ref.version !== undefined) return `${base}@${ref.version}${ref.file ? `/${ref.file}` : ''}`;
  return base;
}
