// Where things live inside a repository root (bucket + prefix, or a folder):
//   <model>/<version>/<files>                       the artifacts
//   <model>/<version>/.modelrepo-version.json       written last: the version is complete (names, sizes, sha256)
//   <model>/<version>/.modelrepo-pending.json       written first: an upload is in progress (hides the version)
//   <model>/tags/<tag>                              a link (symlink on a filesystem, small object on S3)
//   <model>/.modelrepo/history/<tag>/<time>-<id>.json   one record per landed tag move or delete
// Versions written by other tools (mc cp, aws s3 cp, a plain folder) have neither marker: they are
// complete, only without recorded checksums.

export const TAGS_DIR = 'tags';
export const META_DIR = '.modelrepo';
export const VERSION_MANIFEST = '.modelrepo-version.json';
export const PENDING_MARKER = '.modelrepo-pending.json';

/** True for the files the tool itself keeps inside a version folder (not artifacts). */
export function isInternalFile(name: string): boolean {
  return name === VERSION_MANIFEST || name === PENDING_MARKER;
}

export const modelPrefix = (model: string): string => `${model}/`;
export const versionPrefix = (model: string, version: string): string => `${model}/${version}/`;
export const artifactKey = (model: string, version: string, file: string): string => `${model}/${version}/${file}`;
export const versionManifestKey = (model: string, version: string): string => `${model}/${version}/${VERSION_MANIFEST}`;
export const pendingKey = (model: string, version: string): string => `${model}/${version}/${PENDING_MARKER}`;
export const tagsPrefix = (model: string): string => `${model}/${TAGS_DIR}/`;
export const tagKey = (model: string, tag: string): string => `${model}/${TAGS_DIR}/${tag}`;
export const historyPrefix = (model: string, tag?: string): string =>
  tag ? `${model}/${META_DIR}/history/${tag}/` : `${model}/${META_DIR}/history/`;

/** The last segment of a '/'-separated key or prefix ('a/b/' -> 'b'). */
export function baseName(keyOrPrefix: string): string {
  const parts = keyOrPrefix.split('/').filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? '';
}

/** Contents of .modelrepo-version.json. */
export interface VersionManifest {
  readonly schema: 1;
  readonly model: string;
  readonly version: string;
  readonly created: string; // ISO time
  readonly createdBy: string;
  readonly files: readonly { readonly name: string; readonly size: number; readonly sha256: string }[];
  /** Where it came from, e.g. { huggingface: 'org/repo', revision: 'abc123' }. */
  readonly source?: Readonly<Record<string, string>>;
}

/** Contents of a history record. */
export interface HistoryRecord {
  readonly tag: string;
  readonly op: 'create' | 'move' | 'delete';
  readonly from?: string; // link text before (absent for create)
  readonly to?: string; // link text after (absent for delete)
  readonly who: string;
  readonly when: string; // ISO time
  readonly id: string;
}
