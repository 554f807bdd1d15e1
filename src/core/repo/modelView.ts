// A short-lived, cached view of one model, built for one operation (a listing, a resolve, a tag move):
// each record, marker, tag link and version listing is read at most once, however many tags share it.
// Everything read here is checked before it is handed out (the storage may be hostile): tag and file
// names by the one name rule, the version record strictly (record.ts), what a version holds against
// its record (contents.ts), and entries the backend refused. Listings keep the safe entries and carry
// the others with `problem`; refFor() refuses a reference into a version with such entries.
import { RepoError, isRepoError } from '../errors';
import { resolveChain } from '../links';
import type { LinkEnd, ResolvedChain } from '../links';
import { VERSION_MANIFEST, artifactKey, isInternalFile, pendingKey, tagKey, tagsPrefix, versionManifestKey, versionPrefix } from '../layout';
import type { VersionManifest } from '../layout';
import { isHiddenName, nameProblem, showName } from '../names';
import type { LinkInfo, ListPage, ObjectInfo, Storage } from '../storage/storage';
import type { ArtifactInfo, RefusedEntry, ResolvedRef, VersionState } from '../types';
import { issueError, issuesFor, judgeContents } from './contents';
import type { VersionContents } from './contents';
import type { ModelScan, ScannedVersion } from './modelScan';
import { checkVersionRecord } from './record';

export type RecordRead =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly record: VersionManifest }
  | { readonly kind: 'corrupt'; readonly problem: string };

export interface VersionLookup {
  readonly state: VersionState | 'missing';
  /** When the version was published (when its record was stored). */
  readonly created?: Date;
}

export interface CheckedListing {
  readonly prefixes: string[];
  readonly objects: ObjectInfo[];
  readonly refused: { readonly key: string; readonly reason: string }[];
}

/** Every entry under `prefix` (following cursors), with the entries the backend refused. */
export async function listChecked(storage: Storage, prefix: string, opts: { delimited?: boolean; signal?: AbortSignal } = {}): Promise<CheckedListing> {
  const out: CheckedListing = { prefixes: [], objects: [], refused: [] };
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    const page: ListPage = await storage.list(prefix, { delimited: opts.delimited ?? true, cursor, signal: opts.signal });
    out.prefixes.push(...page.prefixes);
    out.objects.push(...page.objects);
    out.refused.push(...(page.refused ?? []));
    if (!page.cursor || page.cursor === cursor) return out;
    cursor = page.cursor;
    if (pages > 100_000) throw new RepoError('Storage', 'list', prefix, 'the listing does not end');
  }
}

export function corruptRecord(action: string, model: string, version: string, problem: string): RepoError {
  return new RepoError('Corrupt', action, `${model}@${version}`, `its version record (${VERSION_MANIFEST}) is corrupt: ${problem}`);
}

export class ModelView {
  private readonly tags = new Map<string, Promise<LinkInfo | undefined>>();
  private readonly states = new Map<string, Promise<VersionLookup>>();
  private readonly records = new Map<string, Promise<RecordRead>>();
  private readonly contentLists = new Map<string, Promise<VersionContents>>();
  private readonly chains = new Map<string, Promise<ResolvedChain>>();
  private tagList?: Promise<{ names: string[]; refused: RefusedEntry[] }>;
  private scan?: ModelScan;

  constructor(readonly storage: Storage, readonly model: string, readonly signal?: AbortSignal) {}

  /** Answers states, files and tag names of the versions a flat listing covered from it (modelScan.ts). */
  useScan(scan: ModelScan): void {
    this.scan = scan;
  }

  /** What the scan saw of `version`, or undefined when the scan did not cover it. */
  private scanned(version: string): ScannedVersion | undefined {
    if (!this.scan?.covered.has(version)) return undefined;
    return this.scan.versions.get(version) ?? { objects: [], refused: [] };
  }

  readTag(tag: string): Promise<LinkInfo | undefined> {
    return cached(this.tags, tag, async () => {
      // A listing that covered tags/ already says which names are links: a version's name is not one.
      const seen = this.scan?.tags;
      const key = tagKey(this.model, tag);
      if (seen && !seen.objects.some((o) => o.key === key) && !seen.refused.some((r) => r.key.replace(/\/$/, '') === key)) return undefined;
      return this.storage.readLink(key, this.signal);
    });
  }

  /** Uses a link already read (for compare-and-swap: judge the expectation on the same read as the token). */
  primeTag(tag: string, link: LinkInfo | undefined): void {
    this.tags.set(tag, Promise.resolve(link));
    this.chains.delete(tag);
  }

  /** The tag names of the model, sorted, and the entries of tags/ that are refused (unsafe names,
   *  refused by the backend). Hidden entries (the backend's own) are left out. */
  tagListing(): Promise<{ names: string[]; refused: RefusedEntry[] }> {
    this.tagList ??= (async () => {
      const prefix = tagsPrefix(this.model);
      const { objects, refused } = this.scan?.tags ?? await listChecked(this.storage, prefix, { signal: this.signal });
      const names: string[] = [];
      const out: RefusedEntry[] = [];
      for (const o of objects) {
        const name = o.key.slice(prefix.length);
        if (name.length === 0 || isHiddenName(name)) continue;
        const p = nameProblem('tag', name);
        if (p) out.push({ name: showName(name), reason: p });
        else names.push(name);
      }
      for (const r of refused) {
        const name = r.key.slice(prefix.length).replace(/\/$/, '');
        if (isHiddenName(name)) continue;
        out.push({ name: showName(name), reason: r.reason });
      }
      return { names: names.sort(), refused: out };
    })();
    return this.tagList;
  }

  /** The tag names of the model that pass the name rule, sorted. */
  async tagNames(): Promise<string[]> {
    return (await this.tagListing()).names;
  }

  /** The version record, checked strictly; a record the backend refuses to read (too large) is corrupt. */
  record(version: string): Promise<RecordRead> {
    return cached(this.records, version, async () => {
      const seen = this.scanned(version);
      if (seen && !seen.record && !seen.refused.some((r) => r.key === versionManifestKey(this.model, version))) return { kind: 'none' };
      let text: string | undefined;
      try {
        text = await this.storage.readText(versionManifestKey(this.model, version), this.signal);
      } catch (e) {
        if (isRepoError(e, 'Corrupt')) return { kind: 'corrupt', problem: e.reason };
        throw e;
      }
      if (text === undefined) return { kind: 'none' };
      const c = checkVersionRecord(text, this.model, version);
      return 'record' in c ? { kind: 'ok', record: c.record } : { kind: 'corrupt', problem: c.problem };
    });
  }

  /** complete (record), pending (marker, no record), legacy (files, no marker) or missing.
   *  `listed` skips the existence check when a listing just showed the version's folder. */
  version(version: string, listed = false): Promise<VersionLookup> {
    return cached(this.states, version, () => this.lookUp(version, listed).catch((e: unknown) => {
      // A marker or record the backend refuses (a symlink, a FIFO) makes the version unusable: say which.
      if (isRepoError(e, 'Unsafe') && e.object !== `${this.model}@${version}`) {
        throw new RepoError('Unsafe', e.action, `${this.model}@${version}`, `${e.object} is refused: ${e.reason}`, { cause: e });
      }
      throw e;
    }));
  }

  private async lookUp(version: string, listed: boolean): Promise<VersionLookup> {
    const seen = this.scanned(version);
    if (seen) return this.fromScan(version, seen);
    if (this.scan?.known && !this.scan.known.has(version)) return { state: 'missing' };
    const [record, pending] = await Promise.all([
      this.record(version),
      this.storage.stat(pendingKey(this.model, version), this.signal),
    ]);
    if (record.kind !== 'none') {
      const when = record.kind === 'ok' && typeof record.record.created === 'string' ? Date.parse(record.record.created) : NaN;
      return { state: 'complete', created: Number.isNaN(when) ? undefined : new Date(when) };
    }
    if (pending) return { state: 'pending' };
    if (listed) return { state: 'legacy' };
    const page = await this.storage.list(versionPrefix(this.model, version), { delimited: false, limit: 1, signal: this.signal });
    return { state: page.objects.length > 0 || (page.refused?.length ?? 0) > 0 ? 'legacy' : 'missing' };
  }

  /** The state as the listing shows it: no request. A record or marker the backend refused makes the
   *  version unusable, as reading it would. */
  private fromScan(version: string, seen: ScannedVersion): VersionLookup {
    const own = [versionManifestKey(this.model, version), pendingKey(this.model, version)];
    const bad = seen.refused.find((r) => own.includes(r.key));
    if (bad) throw new RepoError('Unsafe', 'read', `${this.model}@${version}`, `${showName(bad.key)} is refused: ${bad.reason}`);
    if (seen.record) return { state: 'complete', created: seen.record.modified };
    if (seen.marker) return { state: 'pending' };
    return { state: 'legacy' };
  }

  /** The checked version record, undefined for a version without one; throws Corrupt. */
  async manifest(version: string, action = 'read the version record of'): Promise<VersionManifest | undefined> {
    const r = await this.record(version);
    if (r.kind === 'corrupt') throw corruptRecord(action, this.model, version, r.problem);
    return r.kind === 'ok' ? r.record : undefined;
  }

  /** The version's files judged against its record: artifacts (with `problem` where they cannot be
   *  used) and the issues that forbid references into the version. */
  contents(version: string): Promise<VersionContents> {
    return cached(this.contentLists, version, async () => {
      const prefix = versionPrefix(this.model, version);
      const seen = this.scanned(version);
      const [listing, record] = await Promise.all([
        seen ?? listChecked(this.storage, prefix, { delimited: false, signal: this.signal }),
        this.record(version),
      ]);
      return judgeContents({ model: this.model, version, prefix, objects: listing.objects, refused: listing.refused,
        record: record.kind === 'ok' ? record.record : undefined });
    });
  }

  /** The version's files (not the tool's markers), sorted by name, with sha256 when recorded. */
  async artifacts(version: string): Promise<ArtifactInfo[]> {
    return [...(await this.contents(version)).artifacts];
  }

  async targetState(end: LinkEnd): Promise<'ok' | 'missing' | 'pending'> {
    const v = await this.version(end.version);
    if (v.state === 'missing' || v.state === 'pending') return v.state;
    if (!end.file) return 'ok';
    const seen = this.scanned(end.version);
    if (seen) return !isInternalFile(end.file) && seen.objects.some((o) => o.key === artifactKey(this.model, end.version, end.file ?? '')) ? 'ok' : 'missing';
    const st = await this.storage.stat(artifactKey(this.model, end.version, end.file), this.signal);
    return st && !isInternalFile(end.file) ? 'ok' : 'missing';
  }

  resolveTag(tag: string): Promise<ResolvedChain> {
    return cached(this.chains, tag, () => resolveChain(this.model, tag, {
      readTag: async (name) => (await this.readTag(name))?.target,
      targetState: (end) => this.targetState(end),
    }));
  }

  /** The artifacts a chain end stands for: one file, or the whole version. Throws Corrupt (record
   *  unreadable or contradicting storage), Unsafe (an entry refused) or Integrity (a size differs from
   *  the record) when the reference would use such an entry, and NotFound for a missing file. */
  async refFor(end: LinkEnd, chain: readonly string[], action = 'resolve'): Promise<ResolvedRef> {
    const record = await this.record(end.version);
    if (record.kind === 'corrupt') throw corruptRecord(action, this.model, end.version, record.problem);
    const contents = await this.contents(end.version);
    const issues = issuesFor(contents, end.file);
    if (issues.length > 0) throw issueError(action, issues);
    const artifacts = end.file ? contents.artifacts.filter((a) => !a.problem && a.name === end.file) : contents.artifacts;
    if (end.file && artifacts.length === 0) {
      throw new RepoError('NotFound', action, `${this.model}@${end.version}/${end.file}`, 'the file does not exist');
    }
    return { model: this.model, version: end.version, file: end.file, chain, artifacts };
  }
}

function cached<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = map.get(key);
  if (!p) {
    p = make();
    map.set(key, p);
  }
  return p;
}
