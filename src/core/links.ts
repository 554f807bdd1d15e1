// Tag links, pure. A tag is a link whose text is what a relative symlink in `<model>/tags/` holds:
//   `v2`                                  another tag (a sibling in tags/); a version when no such tag exists
//   `../2024-03-20/llama-3-8b.Q5_K_M.gguf`  one file of a version (relative to tags/, like the symlink)
//   `../2024-03-20`                        a whole version
//   `2024-01-15/llama-3-8b.Q4_K_M.gguf`     the chapter's shorthand: relative to the model, no `../`
// Both backends store the same text (a symlink, or the body of a small S3 object). Resolution follows
// a chain through a lookup the caller provides, so this module never touches storage; every way a chain
// can go wrong (cycle, dangling, leaving the model, malformed text, too long) is a BrokenLink error.
// Link text is read from storage: every name in it passes the one name rule (names.ts), and messages
// show the text escaped (showName) so that bidi or invisible characters cannot disguise it.
import { RepoError } from './errors';
import { nameProblem, showName } from './names';
import { TAGS_DIR } from './layout';

export type LinkTarget =
  /** A bare name: a tag if one has that name, else a version of that name. */
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'tag'; readonly tag: string }
  | { readonly kind: 'version'; readonly version: string }
  | { readonly kind: 'file'; readonly version: string; readonly file: string };

/** Where a chain ends: a version, or one file of it. */
export interface LinkEnd {
  readonly version: string;
  readonly file?: string;
}

export const MAX_LINK_BYTES = 1024;
export const MAX_CHAIN = 32;

export type ParseResult = { readonly target: LinkTarget } | { readonly problem: string };

/** Parses link text as a symlink or a tag object holds it. Never throws. */
export function parseLinkText(raw: string): ParseResult {
  if (Buffer.byteLength(raw, 'utf8') > MAX_LINK_BYTES) {
    return { problem: `the link is ${Buffer.byteLength(raw, 'utf8')} bytes long (at most ${MAX_LINK_BYTES}): not a tag` };
  }
  // One trailing newline is what `echo v2 > tags/latest` or `echo v2 | aws s3 cp - ...` leaves behind.
  const text = raw.replace(/\r?\n$/, '');
  if (text.trim().length === 0) return { problem: 'the link is empty' };
  if (/[\r\n]/.test(text)) return { problem: 'the link has more than one line' };
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/.test(text)) return { problem: 'the link holds binary data, not link text' };
  if (text.startsWith('/') || /^[A-Za-z]:[\\/]/.test(text) || /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return { problem: `the link ${showName(text)} is absolute and leaves the model` };
  }
  if (text.includes('\\')) return { problem: `the link ${showName(text)} contains a backslash` };
  const parts = text.split('/');
  if ((parts.length === 1 && text !== '..' && text !== '.') || (parts.length === 2 && parts[0] === '.')) {
    const name = parts[parts.length - 1];
    const p = nameProblem('tag', name);
    return p ? { problem: `the link ${showName(text)} is malformed: ${p}` } : { target: { kind: 'name', name } };
  }
  // `../x` is relative to tags/ (a real symlink); anything else with a slash is relative to the model.
  const base: string[] = parts[0] === '..' ? [TAGS_DIR] : [];
  const out = [...base];
  for (const seg of parts) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return { problem: `the link ${showName(text)} leaves the model` };
      out.pop();
    } else {
      out.push(seg);
    }
  }
  if (out.length === 0) return { problem: `the link ${showName(text)} points at the model folder itself` };
  if (out[0] === TAGS_DIR) {
    if (out.length !== 2) return { problem: `the link ${showName(text)} points into tags/ but not at a tag` };
    const p = nameProblem('tag', out[1]);
    return p ? { problem: `the link ${showName(text)} is malformed: ${p}` } : { target: { kind: 'tag', tag: out[1] } };
  }
  const vp = nameProblem('version', out[0]);
  if (vp) return { problem: `the link ${showName(text)} does not point at a version: ${vp}` };
  if (out.length === 1) return { target: { kind: 'version', version: out[0] } };
  for (const seg of out.slice(1)) {
    const fp = nameProblem('file', seg);
    if (fp) return { problem: `the link ${showName(text)} does not point at a file: ${fp}` };
  }
  return { target: { kind: 'file', version: out[0], file: out.slice(1).join('/') } };
}

/** Parses link text; throws BrokenLink naming the tag. */
export function parseLink(text: string, model: string, tag: string): LinkTarget {
  const r = parseLinkText(text);
  if ('problem' in r) throw new RepoError('BrokenLink', 'resolve', `${model}:${tag}`, r.problem, { details: { chain: [tag] } });
  return r.target;
}

/** The text to store: `name` for a tag, `../<version>/<file>` for a file, `../<version>` for a version. */
export function formatLink(target: LinkTarget): string {
  switch (target.kind) {
    case 'name': return target.name;
    case 'tag': return target.tag;
    case 'version': return `../${target.version}`;
    case 'file': return `../${target.version}/${target.file}`;
  }
}

/** How a target reads in a chain shown to people: `v2`, `2024-03-20`, `2024-03-20/file.gguf`. */
export function displayTarget(target: LinkTarget | LinkEnd): string {
  if ('kind' in target) {
    switch (target.kind) {
      case 'name': return target.name;
      case 'tag': return target.tag;
      case 'version': return target.version;
      case 'file': return `${target.version}/${target.file}`;
    }
  }
  return target.file ? `${target.version}/${target.file}` : target.version;
}

export function formatChain(chain: readonly string[]): string {
  return chain.join(' -> ');
}

/** The chain after its first tag, for a row or pick item that already shows the tag's name:
 *  `-> v2 -> 2024-03-20/file.gguf`. */
export function formatChainAfterTag(chain: readonly string[]): string {
  return chain.slice(1).map((c) => `-> ${c}`).join(' ');
}

/** What the resolver needs to know about a model. */
export interface LinkLookup {
  /** Link text of a tag, or undefined when no such tag exists. */
  readTag(tag: string): Promise<string | undefined>;
  /** Whether a version (and optionally one of its files) exists; 'pending' while its upload is unfinished. */
  targetState(end: LinkEnd): Promise<'ok' | 'missing' | 'pending'>;
}

export interface ResolvedChain {
  /** ['latest', 'v2', '2024-03-20/llama-3-8b.Q5_K_M.gguf'] */
  readonly chain: readonly string[];
  readonly end: LinkEnd;
  /** The link text of each tag in the chain, in order (same length as the tag part of `chain`). */
  readonly texts: readonly string[];
}

/** Follows a tag through its chain. Throws NotFound when the first tag is missing, BrokenLink for a
 *  cycle, a dangling link, a link leaving the model, malformed text or a chain longer than MAX_CHAIN,
 *  Incomplete when it ends in a version whose upload is unfinished. */
export async function resolveChain(model: string, tag: string, lookup: LinkLookup, maxChain = MAX_CHAIN): Promise<ResolvedChain> {
  const obj = `${model}:${tag}`;
  const chain: string[] = [tag];
  const texts: string[] = [];
  const seen = new Set<string>([tag]);
  const broken = (reason: string): RepoError =>
    new RepoError('BrokenLink', 'resolve', obj, `${reason} (${formatChain(chain)})`, { details: { chain: [...chain] } });

  let current = tag;
  // A backend may refuse to hand out text that cannot be a link (binary, too long): same verdict.
  const readTag = async (name: string): Promise<string | undefined> => {
    try {
      return await lookup.readTag(name);
    } catch (e) {
      if (e instanceof RepoError && e.code === 'BrokenLink') throw broken(`tag '${name}' is malformed: ${e.reason}`);
      throw e;
    }
  };
  const first = await readTag(tag);
  if (first === undefined) throw new RepoError('NotFound', 'resolve', obj, `there is no tag '${tag}' in ${model}`);
  let text: string = first;
  for (;;) {
    texts.push(text);
    const parsed = parseLinkText(text);
    if ('problem' in parsed) throw broken(`tag '${current}' is malformed: ${parsed.problem}`);
    const t = parsed.target;
    let end: LinkEnd;
    if (t.kind === 'name' || t.kind === 'tag') {
      const name = t.kind === 'name' ? t.name : t.tag;
      const nextText = await readTag(name);
      if (nextText !== undefined) {
        if (seen.has(name)) {
          chain.push(name);
          throw broken('the tags form a cycle');
        }
        if (chain.length >= maxChain) throw broken(`the chain is longer than ${maxChain} links`);
        seen.add(name);
        chain.push(name);
        current = name;
        text = nextText;
        continue;
      }
      if (t.kind === 'tag') throw broken(`tag '${current}' points at tag '${name}', which does not exist`);
      end = { version: name }; // a bare name that is no tag: a version of that name
    } else {
      end = t.kind === 'file' ? { version: t.version, file: t.file } : { version: t.version };
    }
    const state = await lookup.targetState(end);
    if (state === 'missing') {
      const what = end.file ? `file '${displayTarget(end)}'` : `version '${end.version}'`;
      const also = parsed.target.kind === 'name' ? ` (no tag or version '${end.version}')` : '';
      throw broken(`tag '${current}' points at ${what}, which does not exist${also}`);
    }
    chain.push(displayTarget(end));
    if (state === 'pending') {
      throw new RepoError('Incomplete', 'resolve', obj,
        `it points at version '${end.version}', whose upload is not finished (${formatChain(chain)})`, { details: { chain: [...chain] } });
    }
    return { chain, end, texts };
  }
}
