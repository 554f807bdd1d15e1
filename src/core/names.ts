// Name rules for models, versions, tags and files. One rule serves names people type and names read
// back from storage (object keys, version records, link text, folder entries): a name that is unsafe
// on any platform or that can pass for another name is refused wherever it appears. Like git with an
// untrusted tree and tar with `..`, a name read from storage is checked before it is used for
// anything, and the error shows it escaped so that bidi or zero-width characters cannot disguise it.
import { RepoError } from './errors';

export type NameKind = 'model' | 'version' | 'tag' | 'file';

/** S3 keys may be at most 1024 bytes; leave room for the prefix, model and version around a name. */
export const MAX_NAME_BYTES = 255;
export const RESERVED = new Set(['tags', '.modelrepo']);

/** C0 and C1 controls and DEL. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** Invisible format characters (zero-width, bidi overrides and isolates, soft hyphen, BOM), line and
 *  paragraph separators, spaces other than U+0020, lone surrogates, private use and U+FFFD (what a
 *  decoder leaves of bytes that were not UTF-8). */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\ufffd]|(?!\u0020)\p{Zs}/u;
/** Characters Windows does not allow in file names. */
const WINDOWS_CHARS = /[<>:"|?*]/;
/** Windows device names, with or without an extension (`NUL.gguf` is the device too). */
const WINDOWS_DEVICES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/** Shows a name with every control, invisible or non-ASCII-space character escaped as \u{...}, so a
 *  message cannot be reordered or disguised by the name it reports. */
export function showName(name: string): string {
  let out = '';
  for (const ch of name) {
    out += CONTROL.test(ch) || INVISIBLE.test(ch) || ch === '\\' ? `\\u{${ch.codePointAt(0)?.toString(16)}}` : ch;
  }
  return `'${out}'`;
}

/** Why a name is unsafe on some platform or can pass for another name, or undefined. Applies to
 *  every kind, typed or read from storage. */
export function unsafeNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name === '.' || name === '..') return `'${name}' would leave its folder`;
  if (name.includes('/') || name.includes('\\')) return `${showName(name)} contains a slash`;
  if (CONTROL.test(name)) return `${showName(name)} contains a control character`;
  if (INVISIBLE.test(name)) return `${showName(name)} contains an invisible or direction-changing character`;
  if (name.normalize('NFC') !== name) return `${showName(name)} is not in Unicode normal form NFC (another spelling of the same visible name)`;
  if (name.normalize('NFKC') !== name) return `${showName(name)} contains a compatibility character that looks like another (${showName(name.normalize('NFKC'))})`;
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return `the name is ${Buffer.byteLength(name, 'utf8')} bytes long (at most ${MAX_NAME_BYTES})`;
  if (WINDOWS_CHARS.test(name)) return `${showName(name)} contains one of < > : " | ? * (not allowed on Windows)`;
  if (/[. ]$/.test(name)) return `${showName(name)} ends with a dot or a space (Windows drops them)`;
  if (WINDOWS_DEVICES.test(name)) return `${showName(name)} is a Windows device name`;
  return undefined;
}

/** Why `name` is not a valid name of this kind, or undefined when it is fine. */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  if (name.length === 0) return `the ${kind} name is empty`;
  if (name.trim() !== name) return `the ${kind} name ${showName(name)} starts or ends with a space`;
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    return `the ${kind} name is ${Buffer.byteLength(name, 'utf8')} bytes long (at most ${MAX_NAME_BYTES})`;
  }
  if (CONTROL.test(name)) return `the ${kind} name contains a control character`;
  if (name === '.' || name === '..') return `'${name}' is not a ${kind} name`;
  if (name.includes('/') || name.includes('\\')) return `the ${kind} name ${showName(name)} contains a slash`;
  if (name.startsWith('.')) return `the ${kind} name ${showName(name)} starts with a dot (reserved for hidden files)`;
  if ((kind === 'model' || kind === 'version') && RESERVED.has(name)) return `'${name}' is reserved and cannot be a ${kind} name`;
  if (kind === 'tag' && /[:@]/.test(name)) return `the tag name ${showName(name)} contains ':' or '@'`;
  if ((kind === 'model' || kind === 'version') && /[:@]/.test(name)) return `the ${kind} name ${showName(name)} contains ':' or '@'`;
  const unsafe = unsafeNameProblem(name);
  return unsafe ? `the ${kind} name ${unsafe.startsWith("'") ? unsafe : `is unsafe: ${unsafe}`}` : undefined;
}

export function validateName(kind: NameKind, name: string): string {
  const p = nameProblem(kind, name);
  if (p) throw new RepoError('InvalidName', `use ${kind} name`, showName(name), p);
  return name;
}

/** Checks a name read from storage (a key, a record entry, link text, a folder entry) before it is
 *  used: throws Unsafe naming the action and the object that holds it. `where` is the object, e.g.
 *  `llama-3-8b@2024-03-20`. */
export function checkStoredName(kind: NameKind, name: string, action: string, where: string): string {
  const p = nameProblem(kind, name);
  if (p) {
    throw new RepoError('Unsafe', action, where, `the repository holds a ${kind} named ${showName(name)}, which is refused: ${p}`,
      { details: { name: showName(name) } });
  }
  return name;
}

/** A hidden entry (`.gitattributes`, a console's `.keep`, the tool's own files) that listings leave out
 *  silently. A name that starts with a dot but is unsafe (`..\\..\\x`, `.` itself) is not hidden: it is
 *  reported like any other unsafe name. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') && name !== '.' && name !== '..' && unsafeNameProblem(name) === undefined;
}

/** The same name for a case-insensitive, normalizing filesystem (macOS, Windows): two files of one
 *  download with the same key here would overwrite each other. */
export function foldedName(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[.-](\d+))?$/;
const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function isDateVersion(v: string): boolean {
  const m = DATE.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

export function isSemver(v: string): boolean {
  return SEMVER.test(v);
}

/** Orders versions oldest first: dates by date, semvers numerically, others by name. */
export function compareVersions(a: string, b: string): number {
  const sa = SEMVER.exec(a);
  const sb = SEMVER.exec(b);
  if (sa && sb) {
    for (let i = 1; i <= 3; i++) if (+sa[i] !== +sb[i]) return +sa[i] - +sb[i];
    if (sa[4] === sb[4]) return 0;
    if (!sa[4]) return 1; // a release sorts after its pre-releases
    if (!sb[4]) return -1;
    return sa[4] < sb[4] ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0; // ISO dates sort as text
}

/** Today's date as a version name (UTC), e.g. 2024-03-20. */
export function todayVersion(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}
