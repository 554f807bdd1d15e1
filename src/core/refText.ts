// The pieces of reference parsing every backend's location syntax shares (refs.ts, backends/*): the
// InvalidRef error naming the text, printable echoes, bucket and prefix rules, path segments.
import { RepoError } from './errors';

const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{2,62}$/;

export function bad(text: string, reason: string): RepoError {
  return new RepoError('InvalidRef', 'use reference', `'${printable(text)}'`, reason);
}

export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}

export function checkPrefix(text: string, segments: readonly string[]): void {
  for (const s of segments) {
    if (s === '') throw bad(text, 'it contains an empty path segment (//)');
    if (s === '.' || s === '..') throw bad(text, `'${s}' is not allowed inside a bucket prefix`);
    if (/[\u0000-\u001f\u007f\\]/.test(s)) throw bad(text, 'the prefix contains a control character or a backslash');
  }
}

export function checkBucket(text: string, bucket: string): void {
  if (!bucket) throw bad(text, 'the bucket is missing');
  if (!BUCKET.test(bucket)) {
    throw bad(text, `'${printable(bucket)}' is not a bucket name (3-63 letters, digits, '.', '-' or '_')`);
  }
}

/** Splits 'a/b/c/' into ['a','b','c'], allowing one trailing slash. */
export function segmentsOf(path: string): string[] {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed === '' ? [] : trimmed.split('/');
}
