// The shapes the repository hands to its fronts (CLI, tree, commands). Plain readonly data.

export interface ArtifactInfo {
  readonly model: string;
  readonly version: string;
  readonly name: string;
  /** Key relative to the repository root. */
  readonly key: string;
  readonly size: number;
  readonly modified: Date;
  /** Storage version token (S3 ETag) when the listing gave one: lets caches skip a request. */
  readonly etag?: string;
  /** From the version record, else from the checksum the tool attached to the object; undefined for
   *  files written by other tools. */
  readonly sha256?: string;
  /** Where `sha256` came from: the version record, or the checksum attached to the object (a version
   *  whose record was deleted). Undefined when there is nothing to verify against. */
  readonly sha256From?: 'record' | 'checksum';
  /** Why the file cannot be used (an unsafe name, refused by the backend, not in the version record,
   *  missing, a size that differs from the record). When the name itself is unsafe, `name` and `key`
   *  are the escaped forms (showName) for display only. */
  readonly problem?: string;
}

export type VersionState = 'complete' | 'legacy' | 'pending';

export interface VersionInfo {
  readonly model: string;
  readonly name: string;
  /** complete: has a version manifest; legacy: written by another tool (no checksums); pending: upload unfinished. */
  readonly state: VersionState;
  /** Tags whose chain ends in this version (or one of its files), e.g. ['latest', 'v2']. */
  readonly tags: readonly string[];
  readonly created?: Date;
  /** Why the version cannot be used (unsafe name, refused by the backend such as a symlinked folder,
   *  corrupt record). When the name itself is unsafe or refused, `name` is the escaped form (showName)
   *  for display only; a version whose record is corrupt keeps its real name (it can be deleted). */
  readonly problem?: string;
}

/** One page of models; `refused` lists top-level entries left out (unsafe names, refused by the backend). */
export interface ModelPage {
  readonly models: string[];
  readonly cursor?: string;
  readonly refused?: readonly RefusedEntry[];
}

/** An entry a listing left out because it is refused (unsafe name, a symlink leaving the place). */
export interface RefusedEntry {
  /** The entry's name, escaped for display (showName). */
  readonly name: string;
  readonly reason: string;
}

export interface ResolvedRef {
  readonly model: string;
  readonly version: string;
  /** Set when the chain ends at one file of the version. */
  readonly file?: string;
  /** The chain as shown to people: ['latest', 'v2', '2024-03-20/llama-3-8b.Q5_K_M.gguf']. */
  readonly chain: readonly string[];
  /** The file(s) the reference stands for: one when `file` is set, else all of the version's artifacts. */
  readonly artifacts: readonly ArtifactInfo[];
}

export interface TagInfo {
  readonly model: string;
  /** The tag's name; the escaped form (showName), for display only, when `refused` is set. */
  readonly name: string;
  /** The name itself is refused (unsafe): the tag cannot be used at all, only named. */
  readonly refused?: boolean;
  /** Link text as stored (`v2`, `../2024-03-20/llama-3-8b.Q5_K_M.gguf`), with control and invisible
   *  characters escaped as in showName (a well-formed link has none); accepted back as an expectation. */
  readonly target: string;
  /** Compare-and-swap token of the link. */
  readonly token: string;
  /** Resolved chain when the tag resolves; undefined with `problem` set when it is broken. */
  readonly resolved?: ResolvedRef;
  readonly problem?: string;
  /** Set when the change landed but something after it failed (its history record was not written). */
  readonly warning?: string;
}

/** A reference inside one repository: model plus a tag or a version (and optionally a file). */
export type ModelRef =
  | { readonly model: string; readonly tag: string }
  | { readonly model: string; readonly version: string; readonly file?: string };

/** One downloaded file and what its bytes were verified against. */
export interface DownloadedFile {
  /** The artifact's name inside the version. */
  readonly name: string;
  /** Where it was written (below the destination folder, as the caller spelled it). */
  readonly path: string;
  readonly size: number;
  /** sha256 of the bytes written. */
  readonly sha256: string;
  /** 'record': checked against the version record; 'checksum': against the checksum attached to the
   *  object (its record is gone); undefined: written by another tool, nothing to check against. */
  readonly verifiedBy?: 'record' | 'checksum';
}

export interface DownloadResult {
  /** The paths written, in artifact order (the same as `downloaded[].path`). */
  readonly files: string[];
  readonly downloaded: readonly DownloadedFile[];
}

export interface FileProgress {
  readonly file: string;
  readonly stored: number;
  readonly total: number;
  readonly resumed: number;
}
