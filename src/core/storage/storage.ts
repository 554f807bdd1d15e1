// The one narrow interface both backends implement (S3 in s3Storage.ts, filesystem in fsStorage.ts).
// Keys are always '/'-separated and relative to the repository root (bucket + optional prefix, or the
// folder). The repository logic (repository.ts) is written once against this interface, and the same
// contract tests run against both backends. Errors thrown are RepoError (errors.ts).
import type { Readable } from 'node:stream';
import type { BackendKind } from '../backends/backend';

/** The largest object readText() reads: version records, markers and history entries are far smaller. */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** The object tag (S3) or sidecar field (filesystem) holding the sha256 the tool attached. */
export const CHECKSUM_TAG = 'modelrepo-sha256';

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly modified: Date;
  /** S3 ETag without quotes; on a filesystem a token derived from inode, size and mtime. */
  readonly etag: string;
}

export interface ListPage {
  /** Sub-"folders" one level down, as keys ending in '/'. */
  readonly prefixes: readonly string[];
  readonly objects: readonly ObjectInfo[];
  /** Present when more entries follow; pass it back as `cursor`. */
  readonly cursor?: string;
  /** Entries the backend will not follow or hand out, and why (a symlink outside tags/ in a folder
   *  repository). They are in neither `prefixes` nor `objects`. */
  readonly refused?: readonly { readonly key: string; readonly reason: string }[];
}

export interface ListOptions {
  /** List one level only (S3 Delimiter '/'); false lists everything below the prefix. Default true. */
  readonly delimited?: boolean;
  readonly cursor?: string;
  /** Start with the first key after this one (S3 StartAfter); ignored when `cursor` is given. */
  readonly startAfter?: string;
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** A tag link: its text (as in a symlink: `v2`, `../2024-03-20/file.gguf`) and a token for compare-and-swap. */
export interface LinkInfo {
  readonly target: string;
  /** Opaque version token of the link (S3 ETag, or the link text + inode on a filesystem). */
  readonly token: string;
}

/** What a conditional link write expects to find: nothing, or the link with this token. */
export type LinkExpectation = { readonly absent: true } | { readonly token: string };

export interface PutOptions {
  /** Fail with code 'Exists' if the key is already there (S3 If-None-Match: *; O_EXCL on a filesystem). */
  readonly ifAbsent?: boolean;
  /** Compare-and-swap: write only if the object is still the one with this etag (ObjectInfo.etag),
   *  else Conflict (S3 If-Match; under the lock file on a filesystem). */
  readonly ifMatch?: string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface UploadProgress {
  /** Bytes of this file now stored (including parts found from an earlier, interrupted run). */
  readonly stored: number;
  readonly total: number;
  /** Bytes that were already on the server when this run started (resume). */
  readonly resumed: number;
}

export interface UploadOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: UploadProgress) => void;
  /** Keep the partial upload when interrupted so a later call can resume it (default true).
   *  An AbortSignal abort always removes the partial upload. */
  readonly resumable?: boolean;
  /** Parallel parts (S3). */
  readonly concurrency?: number;
  /** Force a part size in bytes (S3); by default it grows with the file. */
  readonly partSize?: number;
}

/** Options of a stream upload: not resumable (a stream cannot be read again). */
export interface StreamUploadOptions extends Omit<UploadOptions, 'resumable'> {
  /** sha256 hex the body must have; the object becomes visible only when it matches (else Integrity). */
  readonly expectedSha256?: string;
}

export interface UploadResult {
  readonly key: string;
  readonly size: number;
  /** sha256 hex of the whole file, computed in the same read pass that sent it. */
  readonly sha256: string;
  /** Bytes that were already stored by an earlier interrupted run and not sent again. */
  readonly resumedBytes: number;
}

export interface DownloadOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { readonly stored: number; readonly total: number; readonly resumed?: number }) => void;
  readonly concurrency?: number;
  /** The file at localPath is replaced only when the bytes have this sha256; else Integrity (details
   *  { expected, actual }), and whatever was at localPath before is left as it was. */
  readonly expectedSha256?: string;
}

/** Name of the partial file a download writes next to its destination. A download that was killed
 *  leaves it; the next download of the same object (same ETag and size) resumes from it. */
export const DOWNLOAD_PARTIAL_SUFFIX = '.modelrepo-download';
/** The partial's sidecar (what object it holds, how far it is verified): `.<name>.modelrepo-download.json`. */
export const DOWNLOAD_SIDECAR_SUFFIX = '.modelrepo-download.json';

export interface Storage {
  /** Its backend (backends/index.ts). */
  readonly kind: BackendKind;
  /** Human-readable root, e.g. `s3://models/team-a` or `/srv/models`; never contains secrets. */
  readonly root: string;

  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** undefined when the key does not exist. */
  stat(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined>;
  /** Streams the object (or a byte range, end inclusive). Throws NotFound. */
  read(key: string, range?: { start: number; end?: number }, signal?: AbortSignal): Promise<Readable>;
  /** A small object as text; Corrupt when it is larger than MAX_TEXT_BYTES (a record never is). */
  readText(key: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Writes a small object whole (version manifests, history records). */
  putText(key: string, body: string, options?: PutOptions): Promise<ObjectInfo>;
  /** Streams a local file to `key` (multipart on S3, temp file + rename on a filesystem), hashing it
   *  with sha256 in the same pass. Resumes an interrupted upload of the same local file to the same key. */
  uploadFile(key: string, localPath: string, options?: UploadOptions): Promise<UploadResult>;
  /** Downloads `key` to a local file, hashing it with sha256 in the same pass. The bytes go to
   *  `.<name>.modelrepo-download` next to localPath (plus a small sidecar that lets a later run resume
   *  it); localPath is replaced by rename() only when the download is complete and, with
   *  expectedSha256, verified. A cancel or a failure removes the partial file; a killed process leaves
   *  it for the next run to resume or discard. The S3 backend may use parallel ranged GETs. */
  downloadFile(key: string, localPath: string, options?: DownloadOptions): Promise<{ size: number; sha256: string }>;
  /** Streams exactly `size` bytes from `body` to `key` (not resumable), hashing sha256 in the same pass,
   *  with bounded memory (S3: one PutObject for a body up to one part, else multipart with the part size
   *  chosen from `size`; filesystem: temp file + rename). The object becomes visible only when the whole
   *  body is in: a body shorter or longer than `size`, or (with expectedSha256) a hash mismatch, is
   *  Integrity and this call leaves nothing at `key`. Errors and aborts remove what was written (no
   *  partial upload is left); an abort or failure destroys `body`. */
  uploadStream(key: string, body: Readable, size: number, options?: StreamUploadOptions): Promise<UploadResult>;
  /** The sha256 the tool attached to the object when it stored it (uploadFile and uploadStream attach
   *  it: an S3 object tag, a sidecar on a filesystem), or undefined for objects written by other tools.
   *  It lets a version whose record was deleted still be verified. Corrupt when the attached value is
   *  malformed or contradicts the object (it was changed by someone else). */
  readChecksum(key: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Removes any partial (resumable) upload left for `key`. */
  abortUploads(key: string): Promise<void>;
  /** Lists keys that have partial uploads under `prefix` (S3 ListMultipartUploads). */
  listPartialUploads(prefix: string): Promise<string[]>;
  delete(keys: readonly string[], signal?: AbortSignal): Promise<void>;

  readLink(key: string, signal?: AbortSignal): Promise<LinkInfo | undefined>;
  /** Compare-and-swap: writes the link only if the current state matches `expect`, else Conflict
   *  (details.current holds what is there now). Returns the new token. */
  writeLink(key: string, target: string, expect: LinkExpectation, meta?: Record<string, string>): Promise<LinkInfo>;
  /** Deletes the link only if it still has the expected token, else Conflict. */
  deleteLink(key: string, expect: { readonly token: string }): Promise<void>;

  /** A URL that lets someone download `key` without keys (S3 presigned GET; file:// on a filesystem). */
  shareUrl(key: string, expiresInSeconds: number): Promise<string>;
  dispose?(): void;
}
