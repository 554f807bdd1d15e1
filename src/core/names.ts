// Name rules for models, versions, tags and files. Each check returns a reason a person can act on;
// validateName() throws InvalidName naming the kind and the value.
import { RepoError } from './errors';

export type NameKind = 'model' | 'version' | 'tag' | 'file';

/** S3 keys may be at most 1024 bytes; leave room for the prefix, model and version around a name. */
export const MAX_NAME_BYTES = 255;
export const RESERVED = new Set(['tags', '.modelrepo']);

/** Why `name` is not a valid name of this kind, or undefined when it is fine. */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  if (name.length === 0) return `the ${kind} name is empty`;
  if (name.trim() !== name) return `the ${kind} name '${name}' starts or ends with a space`;
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    return `the ${kind} name is ${Buffer.byteLength(name, 'utf8')} bytes long (at most ${MAX_NAME_BYTES})`;
  }
  if (/[\u0000-\u001f\u007f]/.test(name)) return `the ${kind} name contains a control character`;
  if (name === '.' || name === '..') return `'${name}' is not a ${kind} name`;
  if (name.includes('/') || name.includes('\\')) return `the ${kind} name '${name}' contains a slash`;
  if (name.startsWith('.')) return `the ${kind} name '${name}' starts with a dot (reserved for hidden files)`;
  if ((kind === 'model' || kind === 'version') && RESERVED.has(name)) return `'${name}' is reserved and cannot be a ${kind} name`;
  if (kind === 'tag' && /[:@]/.test(name)) return `the tag name '${name}' contains ':' or '@'`;
  if ((kind === 'model' || kind === 'version') && /[:@]/.test(name)) return `the ${kind} name '${name}' contains ':' or '@'`;
  return undefined;
}

export function validateName(kind: NameKind, name: string): string {
  const p = nameProblem(kind, name);
  if (p) throw new RepoError('InvalidName', `use ${kind} name`, `'${name.replace(/[\u0000-\u001f\u007f]/g, '?')}'`, p);
  return name;
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
