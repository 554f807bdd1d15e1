// The repository: models, versions, artifacts and tags on any Storage backend. This class is the one
// entry point the CLI and the extension use; the logic lives in src/core/repo/*, split along seams:
//   browse.ts   listings and resolution          tags.ts     compare-and-swap moves and deletes
//   upload.ts   atomic, resumable publishing     history.ts  the per-tag record of landed changes
//   versions.ts delete, download, share          modelView.ts cached reads for one operation
// Every method throws RepoError (errors.ts) naming the action and the object.
import type { HistoryRecord, VersionManifest } from './layout';
import type { Storage } from './storage/storage';
import type { ArtifactInfo, FileProgress, ModelRef, ResolvedRef, TagInfo, VersionInfo } from './types';
import { listArtifacts, listModels, listTags, listVersions, resolveRef } from './repo/browse';
import { readHistory } from './repo/history';
import { deleteTag, setTag } from './repo/tags';
import { uploadVersion } from './repo/upload';
import type { UploadOpts } from './repo/upload';
import { defaultWho } from './repo/util';
import { deleteVersion, download, shareUrl } from './repo/versions';

export class Repository {
  /** Recorded as the author of uploads and tag moves: `user@host` unless given. */
  readonly who: string;

  constructor(readonly storage: Storage, opts: { who?: string } = {}) {
    this.who = opts.who ?? defaultWho();
  }

  /** Top-level folders, sorted; `filter` is a case-insensitive substring; pass `cursor` back for the next page. */
  listModels(opts?: { cursor?: string; limit?: number; filter?: string; signal?: AbortSignal }): Promise<{ models: string[]; cursor?: string }> {
    return listModels(this.storage, opts);
  }

  /** Versions oldest first (dates by date, semvers numerically); pending ones only with includePending. */
  listVersions(model: string, opts?: { includePending?: boolean; signal?: AbortSignal }): Promise<VersionInfo[]> {
    return listVersions(this.storage, model, opts);
  }

  listArtifacts(model: string, version: string, signal?: AbortSignal): Promise<ArtifactInfo[]> {
    return listArtifacts(this.storage, model, version, signal);
  }

  /** All tags with their link text and resolved chain; a broken tag has `problem` set instead of throwing. */
  listTags(model: string, signal?: AbortSignal): Promise<TagInfo[]> {
    return listTags(this.storage, model, signal);
  }

  /** Throws NotFound, BrokenLink (cycle, dangling, escaping, malformed) or Incomplete. */
  resolve(ref: ModelRef, signal?: AbortSignal): Promise<ResolvedRef> {
    return resolveRef(this.storage, ref, signal);
  }

  /** Publishes a new version atomically. Throws Exists (published, legacy, or being uploaded), Aborted. */
  upload(model: string, version: string, paths: string[], opts?: UploadOpts): Promise<VersionManifest> {
    return uploadVersion(this.storage, this.who, model, version, paths, opts);
  }

  /** Points a tag at a version, `version/file` or another tag. expect: undefined = whatever is there
   *  now; null = must not exist (else Exists); string = what the caller saw (else Conflict). */
  setTag(model: string, tag: string, target: string, opts?: { expect?: string | null }): Promise<TagInfo> {
    return setTag(this.storage, this.who, model, tag, target, opts);
  }

  deleteTag(model: string, tag: string, opts?: { expect?: string }): Promise<void> {
    return deleteTag(this.storage, this.who, model, tag, opts);
  }

  /** Landed tag changes, oldest first (one tag, or all tags of the model). */
  history(model: string, tag?: string): Promise<HistoryRecord[]> {
    return readHistory(this.storage, model, tag);
  }

  /** Throws InUse (with details.tags) while a tag resolves into the version. */
  deleteVersion(model: string, version: string): Promise<void> {
    return deleteVersion(this.storage, this.who, model, version);
  }

  /** Throws Integrity (and removes the file) when a recorded sha256 does not match. */
  download(ref: ModelRef, destDir: string, opts?: { signal?: AbortSignal; onProgress?: (p: FileProgress) => void }): Promise<{ files: string[] }> {
    return download(this.storage, ref, destDir, opts);
  }

  shareUrl(model: string, version: string, file: string, expiresInSeconds: number): Promise<string> {
    return shareUrl(this.storage, model, version, file, expiresInSeconds);
  }
}
