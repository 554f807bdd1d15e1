// A short-lived, cached view of one model, built for one operation (a listing, a resolve, a tag move):
// each marker, tag link and version listing is read at most once, however many tags share it.
import { RepoError } from '../errors';
import { resolveChain } from '../links';
import type { LinkEnd, ResolvedChain } from '../links';
import { artifactKey, baseName, isInternalFile, pendingKey, tagKey, tagsPrefix, versionManifestKey, versionPrefix } from '../layout';
import type { VersionManifest } from '../layout';
import type { LinkInfo, ObjectInfo, Storage } from '../storage/storage';
import type { ArtifactInfo, ResolvedRef, VersionState } from '../types';
import { listAll } from './util';

export type VersionLookup = { readonly state: VersionState | 'missing'; readonly manifestInfo?: ObjectInfo };

export class ModelView {
  private readonly tags = new Map<string, Promise<LinkInfo | undefined>>();
  private readonly states = new Map<string, Promise<VersionLookup>>();
  private readonly manifests = new Map<string, Promise<VersionManifest | undefined>>();
  private readonly artifactLists = new Map<string, Promise<ArtifactInfo[]>>();
  private readonly chains = new Map<string, Promise<ResolvedChain>>();

  constructor(readonly storage: Storage, readonly model: string, readonly signal?: AbortSignal) {}

  readTag(tag: string): Promise<LinkInfo | undefined> {
    return cached(this.tags, tag, () => this.storage.readLink(tagKey(this.model, tag), this.signal));
  }

  /** Uses a link already read (for compare-and-swap: judge the expectation on the same read as the token). */
  primeTag(tag: string, link: LinkInfo | undefined): void {
    this.tags.set(tag, Promise.resolve(link));
    this.chains.delete(tag);
  }

  /** The tag names of the model, sorted. */
  async tagNames(): Promise<string[]> {
    const { objects } = await listAll(this.storage, tagsPrefix(this.model), { signal: this.signal });
    return objects.map((o) => baseName(o.key)).filter((n) => n.length > 0 && !n.startsWith('.')).sort();
  }

  /** complete (manifest), pending (marker, no manifest), legacy (files, no marker) or missing.
   *  `listed` skips the existence check when a listing just showed the version's folder. */
  version(version: string, listed = false): Promise<VersionLookup> {
    return cached(this.states, version, async () => {
      const [manifestInfo, pending] = await Promise.all([
        this.storage.stat(versionManifestKey(this.model, version), this.signal),
        this.storage.stat(pendingKey(this.model, version), this.signal),
      ]);
      if (manifestInfo) return { state: 'complete', manifestInfo };
      if (pending) return { state: 'pending' };
      if (listed) return { state: 'legacy' };
      const page = await this.storage.list(versionPrefix(this.model, version), { delimited: false, limit: 1, signal: this.signal });
      return { state: page.objects.length > 0 ? 'legacy' : 'missing' };
    });
  }

  manifest(version: string): Promise<VersionManifest | undefined> {
    return cached(this.manifests, version, async () => {
      const text = await this.storage.readText(versionManifestKey(this.model, version), this.signal);
      if (text === undefined) return undefined;
      try {
        const m = JSON.parse(text) as VersionManifest;
        return Array.isArray(m.files) ? m : undefined;
      } catch {
        return undefined; // unreadable manifest: the files are still there, just without checksums
      }
    });
  }

  /** The version's files (not the tool's markers), sorted by name, with sha256 when recorded. */
  artifacts(version: string): Promise<ArtifactInfo[]> {
    return cached(this.artifactLists, version, async () => {
      const prefix = versionPrefix(this.model, version);
      const [{ objects }, manifest] = await Promise.all([
        listAll(this.storage, prefix, { delimited: false, signal: this.signal }),
        this.manifest(version),
      ]);
      const sums = new Map(manifest?.files.map((f) => [f.name, f.sha256]) ?? []);
      return objects
        .map((o) => ({ o, name: o.key.slice(prefix.length) }))
        .filter(({ name }) => name.length > 0 && !isInternalFile(name))
        .map(({ o, name }) => ({ model: this.model, version, name, key: o.key, size: o.size, modified: o.modified, sha256: sums.get(name) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  async targetState(end: LinkEnd): Promise<'ok' | 'missing' | 'pending'> {
    const v = await this.version(end.version);
    if (v.state === 'missing' || v.state === 'pending') return v.state;
    if (!end.file) return 'ok';
    const st = await this.storage.stat(artifactKey(this.model, end.version, end.file), this.signal);
    return st && !isInternalFile(end.file) ? 'ok' : 'missing';
  }

  resolveTag(tag: string): Promise<ResolvedChain> {
    return cached(this.chains, tag, () => resolveChain(this.model, tag, {
      readTag: async (name) => (await this.readTag(name))?.target,
      targetState: (end) => this.targetState(end),
    }));
  }

  /** The artifacts a chain end stands for: one file, or the whole version. */
  async refFor(end: LinkEnd, chain: readonly string[]): Promise<ResolvedRef> {
    const all = await this.artifacts(end.version);
    const artifacts = end.file ? all.filter((a) => a.name === end.file) : all;
    if (end.file && artifacts.length === 0) {
      throw new RepoError('NotFound', 'resolve', `${this.model}@${end.version}/${end.file}`, 'the file does not exist');
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
