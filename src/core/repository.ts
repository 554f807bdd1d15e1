// The repository: models, versions, artifacts and tags on any Storage backend. This class is the one
// entry point the CLI and the extension use; the logic lives in src/core/repo/*, split along seams:
//   browse.ts   listings and resolution          tags.ts     compare-and-swap moves and deletes
//   upload.ts   atomic, resumable publishing     history.ts  the per-tag record of landed changes
//   versions.ts delete, download, share          modelView.ts cached reads for one operation
//   modelListing.ts a model's versions, files and tags from a few listings (modelScan.ts)
// Every method throws RepoError (errors.ts) naming the action and the object. Everything read from
// storage is checked before it is used (names, version records, markers, entries the backend refused):
// listings keep the safe entries and report the others (`problem`, `refused`); operations that would
// use them fail with Unsafe, Corrupt or Integrity before anything is written.
import type { HistoryRecord, VersionManifest } from './layout';
import type { Storage } from './storage/storage';
import type { ArtifactInfo, DownloadResult, FileProgress, ModelPage, ModelRef, ResolvedRef, TagInfo, VersionInfo } from './types';
import { listArtifacts, listModels, listTags, resolveRef } from './repo/browse';
import { readHistory } from './repo/history';
import { describeModel, listVersions, listVersionsPage } from './repo/modelListing';
import type { ModelListing, VersionPage } from './repo/modelListing';
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

  /** Top-level folders, sorted; `filter` is a case-insensitive substring; pass `cursor` back for the next page.
   *  Folders with unsafe names (and entries the backend refused) come back in `refused`, not as models. */
  listModels(opts?: { cursor?: string; limit?: number; filter?: string; signal?: AbortSignal }): Promise<ModelPage> {
    return listModels(this.storage, opts);
  }

  /** Versions oldest first (dates by date, semvers numerically); pending ones only with includePending.
   *  Unsafe or refused versions and versions with a corrupt record carry `problem`. NotFound when
   *  nothing at all is stored under the model. Two listings (a page per 1,000 entries), one read per
   *  tag and one per version record (records: false skips those: no corruption is reported then). */
  listVersions(model: string, opts?: { includePending?: boolean; records?: boolean; signal?: AbortSignal }): Promise<VersionInfo[]> {
    return listVersions(this.storage, model, opts);
  }

  /** One page of versions, newest first (a tree level); pass `cursor` back for the next. Reads no
   *  version record: its cost is the listing pages of the level and of the page's versions. */
  listVersionsPage(model: string, opts?: { cursor?: string; limit?: number; includePending?: boolean; signal?: AbortSignal }):
    Promise<VersionPage> {
    return listVersionsPage(this.storage, model, opts);
  }

  /** Versions (oldest first, pending ones included), the files of each with recorded sha256, and the
   *  tags, from one listing of the model plus the records of published versions and the tag links. */
  describeModel(model: string, signal?: AbortSignal): Promise<ModelListing> {
    return describeModel(this.storage, model, signal);
  }

  /** The version's files; files that cannot be used (unsafe name, not in the record, missing, size
   *  differs from the record) carry `problem`. */
  listArtifacts(model: string, version: string, signal?: AbortSignal): Promise<ArtifactInfo[]> {
    return listArtifacts(this.storage, model, version, signal);
  }

  /** All tags with their link text and resolved chain; a broken tag has `problem` set instead of throwing. */
  listTags(model: string, signal?: AbortSignal): Promise<TagInfo[]> {
    return listTags(this.storage, model, signal);
  }

  /** Throws NotFound, BrokenLink (cycle, dangling, escaping, malformed), Incomplete, and Unsafe, Corrupt
   *  or Integrity when the reference would use an entry that cannot be trusted. */
  resolve(ref: ModelRef, signal?: AbortSignal): Promise<ResolvedRef> {
    return resolveRef(this.storage, ref, signal);
  }

  /** Publishes a new version atomically. Throws Exists (published, legacy, or being uploaded), Aborted. */
  upload(model: string, version: string, paths: string[], opts?: UploadOpts): Promise<VersionManifest> {
    return uploadVersion(this.storage, this.who, model, version, paths, opts);
  }

  /** Points a tag at a version, `version/file` or another tag. expect: undefined = whatever is there
   *  now; null = must not exist (else Exists); string = what the caller saw (else Conflict).
   *  A move that landed but whose history record failed returns with `warning` set. */
  setTag(model: string, tag: string, target: string, opts?: { expect?: string | null }): Promise<TagInfo> {
    return setTag(this.storage, this.who, model, tag, target, opts);
  }

  /** `warning` is set when the tag was deleted but its history record could not be written. */
  deleteTag(model: string, tag: string, opts?: { expect?: string }): Promise<{ warning?: string }> {
    return deleteTag(this.storage, this.who, model, tag, opts);
  }

  /** Landed tag changes, oldest first (one tag, or all tags of the model). */
  history(model: string, tag?: string): Promise<HistoryRecord[]> {
    return readHistory(this.storage, model, tag);
  }

  /** Throws InUse (with details.tags) while a tag resolves into the version, Unsafe when the version
   *  holds keys unsafe to name. */
  deleteVersion(model: string, version: string): Promise<void> {
    return deleteVersion(this.storage, this.who, model, version);
  }

  /** Checks everything first, then writes each file only with verified bytes (against the version
   *  record, else the checksum attached to the object): Integrity on a mismatch, leaving what was at
   *  the destination. Unsafe for names or destination paths that would leave the folder or collide. */
  download(ref: ModelRef, destDir: string, opts?: { signal?: AbortSignal; onProgress?: (p: FileProgress) => void }): Promise<DownloadResult> {
    return download(this.storage, ref, destDir, opts);
  }

  shareUrl(model: string, version: string, file: string, expiresInSeconds: number): Promise<string> {
    return shareUrl(this.storage, model, version, file, expiresInSeconds);
  }
}
