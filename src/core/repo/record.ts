// What the repository reads back from storage is checked before it is used: the version record
// (.modelrepo-version.json) and the names of the objects under a version. A bucket or a shared folder
// may hold anything, so a record that does not say exactly what the tool would have written is
// corrupt, and a key with a segment that is unsafe on some platform is refused. Pure: no storage.
import type { VersionManifest } from '../layout';
import { foldedName, isHiddenName, nameProblem, showName } from '../names';

export type RecordCheck = { readonly record: VersionManifest } | { readonly problem: string };

const SHA256 = /^[0-9a-f]{64}$/;

/** Why a '/'-separated file name read from storage is unsafe (each segment by the one name rule), or undefined. */
export function filePathProblem(name: string): string | undefined {
  for (const seg of name.split('/')) {
    const p = nameProblem('file', seg);
    if (p) return p;
  }
  return undefined;
}

export type StoredPath = { readonly kind: 'ok' } | { readonly kind: 'hidden' } | { readonly kind: 'unsafe'; readonly problem: string };

/** Classifies the part of a key below a version folder. Hidden files (a segment starting with a dot,
 *  like `.gitattributes`) are never uploaded nor downloaded: they are left out. Segments that walk
 *  (`.`, `..`) or are empty are unsafe whatever else the key holds. */
export function classifyStoredPath(rel: string): StoredPath {
  const segs = rel.split('/');
  const walking = segs.find((s) => s === '' || s === '.' || s === '..');
  if (walking !== undefined) return { kind: 'unsafe', problem: nameProblem('file', walking) ?? `${showName(rel)} is not a file name` };
  if (segs.some((s) => s.startsWith('.')) && segs.every((s) => !s.startsWith('.') || isHiddenName(s))) return { kind: 'hidden' };
  const p = filePathProblem(rel);
  return p ? { kind: 'unsafe', problem: p } : { kind: 'ok' };
}

/** Names that would land on the same local file (case-insensitive or normalizing filesystems), or a
 *  name that is both a file and a folder of another: the first clash found, or undefined. */
export function nameClash(names: readonly string[]): string | undefined {
  const files = new Map<string, string>();
  for (const n of names) {
    const f = foldedName(n);
    const other = files.get(f);
    if (other === n) return `${showName(n)} is there twice`;
    if (other !== undefined) return `${showName(other)} and ${showName(n)} would be the same file on a case-insensitive filesystem`;
    files.set(f, n);
  }
  for (const n of names) {
    const segs = foldedName(n).split('/');
    for (let i = 1; i < segs.length; i++) {
      const dir = files.get(segs.slice(0, i).join('/'));
      if (dir !== undefined) return `${showName(dir)} is a file and also a folder of ${showName(n)}`;
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a version record as read from `<model>/<version>/.modelrepo-version.json`. */
export function checkVersionRecord(text: string, model: string, version: string): RecordCheck {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { problem: `it is not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  if (!isObject(raw)) return { problem: 'it is not a JSON object' };
  if (raw.schema !== 1) return { problem: `its schema is ${showName(String(raw.schema))}, not 1` };
  if (raw.model !== model) return { problem: `it names model ${showName(String(raw.model))}, but it lies in ${showName(model)}` };
  if (raw.version !== version) return { problem: `it names version ${showName(String(raw.version))}, but it lies in ${showName(version)}` };
  for (const field of ['created', 'createdBy'] as const) {
    if (raw[field] !== undefined && typeof raw[field] !== 'string') return { problem: `its '${field}' is not text` };
  }
  if (raw.source !== undefined && (!isObject(raw.source) || Object.values(raw.source).some((v) => typeof v !== 'string'))) {
    return { problem: "its 'source' is not a map of text" };
  }
  if (!Array.isArray(raw.files)) return { problem: "its 'files' is not a list" };
  const files: { name: string; size: number; sha256: string }[] = [];
  for (const [i, f] of raw.files.entries()) {
    if (!isObject(f) || typeof f.name !== 'string') return { problem: `file entry ${i} has no name` };
    const p = filePathProblem(f.name);
    if (p) return { problem: `it lists a file named ${showName(f.name)}, which is refused: ${p}` };
    if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) {
      return { problem: `the size of ${showName(f.name)} is not a whole number of bytes` };
    }
    if (typeof f.sha256 !== 'string' || !SHA256.test(f.sha256)) return { problem: `the sha256 of ${showName(f.name)} is not 64 lowercase hex digits` };
    files.push({ name: f.name, size: f.size, sha256: f.sha256 });
  }
  const clash = nameClash(files.map((f) => f.name));
  if (clash) return { problem: `it lists clashing files: ${clash}` };
  return { record: { ...(raw as unknown as VersionManifest), files } };
}

/** The display form of text read from storage (link text, a record's author): invisible and control
 *  characters escaped as in showName, without the quotes. Plain text comes back unchanged. */
export function escapedText(text: string): string {
  return showName(text).slice(1, -1);
}
