// Moving and deleting tags. Every change is a compare-and-swap against the link as it was read (the
// storage refuses the write if the link changed in between), so two people moving one tag never
// overwrite each other silently: the loser gets a Conflict naming who moved it where, and when.
// Each landed change is appended to the tag's history; a change that landed but whose history record
// could not be written is not a failure: it comes back with a warning.
import { isRepoError, RepoError } from '../errors';
import { displayTarget, formatChain, formatLink, parseLinkText } from '../links';
import type { LinkTarget } from '../links';
import { historyPrefix, tagKey } from '../layout';
import { validateName } from '../names';
import type { LinkInfo, Storage } from '../storage/storage';
import type { TagInfo } from '../types';
import { describeTag } from './browse';
import { appendHistory, lastMoveTo, makeRecord } from './history';
import type { PendingRecord } from './history';
import { ModelView } from './modelView';
import { escapedText } from './record';
import { sortableNow } from './util';

export const WHO_META = 'modelrepo-who';
export const WHEN_META = 'modelrepo-when';

/** The link as it is now; a link the backend refuses to read (malformed) still has a token to replace. */
async function readCurrent(storage: Storage, model: string, tag: string): Promise<LinkInfo | undefined> {
  const key = tagKey(model, tag);
  try {
    return await storage.readLink(key);
  } catch (e) {
    if (!(e instanceof RepoError) || e.code !== 'BrokenLink') throw e;
    const st = await storage.stat(key);
    if (!st) throw e;
    return { target: '', token: st.etag };
  }
}

/** The stored form of what a person typed as a target: a tag, a version or `version/file`. */
async function targetFromInput(view: ModelView, tag: string, input: string): Promise<LinkTarget> {
  const obj = `${view.model}:${tag}`;
  const parsed = parseLinkText(input.trim());
  if ('problem' in parsed) throw new RepoError('InvalidRef', 'tag', obj, `the target ${parsed.problem.replace(/^the link /, '')}`);
  const t = parsed.target;
  if (t.kind !== 'name') return t;
  const isTag = await view.readTag(t.name).then((l) => l !== undefined, (e) => e instanceof RepoError && e.code === 'BrokenLink');
  if (isTag) return { kind: 'tag', tag: t.name };
  if ((await view.version(t.name)).state !== 'missing') return { kind: 'version', version: t.name };
  throw new RepoError('NotFound', 'tag', obj, `there is no tag or version '${t.name}' in ${view.model}`);
}

/** Refuses targets that do not exist, are unfinished, are broken, or would close a cycle. */
async function checkTarget(view: ModelView, tag: string, t: LinkTarget): Promise<void> {
  const obj = `${view.model}:${tag}`;
  if (t.kind === 'tag' || t.kind === 'name') {
    const name = t.kind === 'tag' ? t.tag : t.name;
    if (name === tag) throw new RepoError('BrokenLink', 'tag', obj, 'a tag cannot point at itself');
    let r;
    try {
      r = await view.resolveTag(name);
    } catch (e) {
      if (e instanceof RepoError) throw new RepoError(e.code, 'tag', obj, `the target tag '${name}' does not resolve: ${e.reason}`, { details: e.details });
      throw e;
    }
    if (r.chain.slice(0, -1).includes(tag)) {
      throw new RepoError('BrokenLink', 'tag', obj, `it would create a cycle: ${formatChain([tag, ...r.chain.slice(0, r.chain.indexOf(tag) + 1)])}`);
    }
    await view.refFor(r.end, r.chain, 'tag');
    return;
  }
  const end = t.kind === 'file' ? { version: t.version, file: t.file } : { version: t.version };
  const state = await view.targetState(end);
  if (state === 'missing') throw new RepoError('NotFound', 'tag', obj, `${displayTarget(t)} does not exist`);
  if (state === 'pending') throw new RepoError('Incomplete', 'tag', obj, `version '${t.version}' is not published yet (its upload is unfinished)`);
  // A tag is a promise that the target can be downloaded: refuse what a download would refuse.
  await view.refFor(end, [displayTarget(end)], 'tag');
}

/** Appends the record of a landed change; a failure is returned as a warning (the change stands). */
async function recordLanded(storage: Storage, model: string, rec: PendingRecord, done: string): Promise<string | undefined> {
  try {
    await appendHistory(storage, model, rec);
    return undefined;
  } catch (e) {
    return `${done}, but its history record could not be written: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Whether the caller's `expect` describes the current link: its text, its target, or where it resolves.
 *  Judged on `current` itself (the read whose token the write will be conditional on), never a later read. */
async function matchesExpect(storage: Storage, model: string, tag: string, current: LinkInfo, expect: string): Promise<boolean> {
  if (expect === current.target || expect === escapedText(current.target)) return true;
  const view = new ModelView(storage, model);
  view.primeTag(tag, current);
  const want = parseLinkText(expect.trim());
  const have = parseLinkText(current.target);
  if ('problem' in want || 'problem' in have) return false;
  const shown = displayTarget(want.target);
  if (shown === displayTarget(have.target)) return true;
  const r = await view.resolveTag(tag).catch(() => undefined);
  return r !== undefined && r.chain[r.chain.length - 1] === shown;
}

/** Who last set the tag to `current` and when: from the link's metadata (S3) or the history. */
async function whoWhen(storage: Storage, model: string, tag: string, details: Readonly<Record<string, unknown>>,
  current: string | undefined): Promise<{ who: string; when: string }> {
  const meta = details.currentMeta as Record<string, string> | undefined;
  if (typeof meta?.[WHO_META] === 'string' && typeof meta[WHEN_META] === 'string') {
    return { who: escapedText(meta[WHO_META]), when: escapedText(meta[WHEN_META]) };
  }
  const rec = await lastMoveTo(storage, model, tag, current);
  return { who: rec?.who ?? 'someone (no history record)', when: rec?.when ?? 'an unknown time' };
}

async function conflict(storage: Storage, model: string, tag: string, action: string, details: Readonly<Record<string, unknown>>,
  extra = ''): Promise<RepoError> {
  let current = typeof details.current === 'string' ? details.current : undefined;
  if (details.current === undefined && !('current' in details)) current = (await readCurrent(storage, model, tag).catch(() => undefined))?.target;
  const { who, when } = await whoWhen(storage, model, tag, details, current);
  const shown = current === undefined ? undefined : escapedText(current);
  const what = shown === undefined ? 'it was deleted' : `it was moved to ${shown}`;
  return new RepoError('Conflict', action, `${model}:${tag}`, `${what} by ${who} at ${when} since you read it${extra}`,
    { details: { current: shown ?? null, who, when } });
}

/** Refuses a change up front when the place of its history record is refused by the storage (a
 *  folder repository whose .modelrepo folder is a link out of the root): a change must not land
 *  where its record cannot follow. Other failures of the record still only warn, after the change. */
async function checkHistoryPlace(storage: Storage, model: string, tag: string, action: string): Promise<void> {
  try {
    await storage.list(historyPrefix(model, tag), { limit: 1 });
  } catch (e) {
    if (isRepoError(e, 'Unsafe')) throw new RepoError('Unsafe', action, `${model}:${tag}`, `its history cannot be recorded: ${e.message}`, { cause: e });
  }
}

export async function setTag(storage: Storage, who: string, model: string, tag: string, target: string,
  opts: { expect?: string | null } = {}): Promise<TagInfo> {
  validateName('model', model);
  validateName('tag', tag);
  const obj = `${model}:${tag}`;
  const view = new ModelView(storage, model);
  const t = await targetFromInput(view, tag, target);
  await checkTarget(view, tag, t);
  const text = formatLink(t);
  const current = await readCurrent(storage, model, tag);
  if (opts.expect === null && current) {
    const { who: by, when } = await whoWhen(storage, model, tag, {}, current.target);
    const shown = escapedText(current.target);
    throw new RepoError('Exists', 'create tag', obj, `it already exists and points at ${shown} (set by ${by} at ${when})`,
      { details: { current: shown, who: by, when } });
  }
  if (typeof opts.expect === 'string') {
    if (!current) throw await conflict(storage, model, tag, 'move tag', { current: undefined }, ` (you expected ${escapedText(opts.expect)})`);
    if (!(await matchesExpect(storage, model, tag, current, opts.expect))) {
      throw await conflict(storage, model, tag, 'move tag', { current: current.target }, ` (you expected ${escapedText(opts.expect)})`);
    }
  }
  if (current && current.target === text) return tagInfo(storage, model, tag); // already there: nothing to record
  await checkHistoryPlace(storage, model, tag, current ? 'move tag' : 'create tag');
  const time = sortableNow();
  let written: LinkInfo;
  try {
    written = await storage.writeLink(tagKey(model, tag), text, current ? { token: current.token } : { absent: true }, { [WHO_META]: who, [WHEN_META]: time.iso });
  } catch (e) {
    if (e instanceof RepoError && e.code === 'Conflict') {
      if (opts.expect === null) {
        const c = await conflict(storage, model, tag, 'create tag', e.details);
        throw new RepoError('Exists', 'create tag', obj, `it was just created by ${c.details.who} (at ${c.details.when}) pointing at ${c.details.current}`, { details: c.details });
      }
      throw await conflict(storage, model, tag, current ? 'move tag' : 'create tag', e.details);
    }
    throw e;
  }
  const warning = await recordLanded(storage, model, makeRecord(tag, current ? 'move' : 'create', current?.target, text, who, time),
    current ? 'moved' : 'created');
  // The move has landed: reading it back must not turn it into a failure.
  const info = await tagInfo(storage, model, tag).catch((e: unknown): TagInfo =>
    ({ model, name: tag, target: text, token: written.token, problem: e instanceof RepoError ? e.reason : String(e) }));
  return warning ? { ...info, warning } : info;
}

export async function deleteTag(storage: Storage, who: string, model: string, tag: string, opts: { expect?: string } = {}):
  Promise<{ warning?: string }> {
  validateName('model', model);
  validateName('tag', tag);
  const current = await readCurrent(storage, model, tag);
  if (!current) throw new RepoError('NotFound', 'delete tag', `${model}:${tag}`, `there is no tag '${tag}' in ${model}`);
  if (opts.expect !== undefined && !(await matchesExpect(storage, model, tag, current, opts.expect))) {
    throw await conflict(storage, model, tag, 'delete tag', { current: current.target }, ` (you expected ${escapedText(opts.expect)})`);
  }
  await checkHistoryPlace(storage, model, tag, 'delete tag');
  const time = sortableNow();
  try {
    await storage.deleteLink(tagKey(model, tag), { token: current.token });
  } catch (e) {
    if (e instanceof RepoError && e.code === 'Conflict') throw await conflict(storage, model, tag, 'delete tag', e.details);
    throw e;
  }
  const warning = await recordLanded(storage, model, makeRecord(tag, 'delete', current.target, undefined, who, time), 'deleted');
  return warning ? { warning } : {};
}

/** The tag as listTags shows it, read fresh. */
export async function tagInfo(storage: Storage, model: string, tag: string): Promise<TagInfo> {
  const info = await describeTag(new ModelView(storage, model), tag);
  if (!info) throw new RepoError('NotFound', 'read tag', `${model}:${tag}`, `there is no tag '${tag}' in ${model}`);
  return info;
}
