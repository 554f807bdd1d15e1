// Key <-> path mapping and error translation for the filesystem backend. Keys are '/'-separated and
// relative to the repository folder; a key can never name anything outside it.
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { RepoError, isAbort } from '../errors';

/** Suffixes of the backend's own scratch files; listings hide them. */
export const PARTIAL_SUFFIX = '.modelrepo-partial';
export const SIDECAR_SUFFIX = '.modelrepo-partial.json';
export const LOCK_SUFFIX = '.modelrepo-lock';
export const TMP_SUFFIX = '.modelrepo-tmp';
/** Metadata of a tag link (who moved it, when): a symlink cannot carry any. */
export const META_SUFFIX = '.modelrepo-meta.json';

export function isScratchName(name: string): boolean {
  return name.startsWith('.') && (name.endsWith(PARTIAL_SUFFIX) || name.endsWith(SIDECAR_SUFFIX)
    || name.endsWith(LOCK_SUFFIX) || name.endsWith(TMP_SUFFIX) || name.endsWith(META_SUFFIX));
}

/** Absolute path of a key; throws InvalidName for keys that would leave the root. */
export function keyPath(root: string, key: string, action = 'use'): string {
  const segs = key.split('/').filter((s) => s.length > 0);
  if (segs.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0'))) {
    throw new RepoError('InvalidName', action, `'${key}'`, 'the key contains "..", "." or a backslash');
  }
  return segs.length === 0 ? root : path.join(root, ...segs);
}

/** `<dir>/.<name><suffix>`: a scratch file next to the key's file. */
export function scratchPath(filePath: string, suffix: string): string {
  return path.join(path.dirname(filePath), `.${path.basename(filePath)}${suffix}`);
}

export function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Translates a Node fs error into a RepoError naming the action and object. */
export function fsError(e: unknown, action: string, object: string): RepoError {
  if (e instanceof RepoError) return e;
  if (isAbort(e)) return new RepoError('Aborted', action, object, 'cancelled', { cause: e });
  switch (errno(e)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new RepoError('NotFound', action, object, 'it does not exist', { cause: e });
    case 'EEXIST':
      return new RepoError('Exists', action, object, 'it already exists', { cause: e });
    case 'EACCES':
    case 'EPERM':
      return new RepoError('Storage', action, object, 'permission denied: check the owner and mode of the repository folder', { cause: e });
    case 'EROFS':
      return new RepoError('Storage', action, object, 'the filesystem is mounted read-only', { cause: e });
    case 'ENOSPC':
    case 'EDQUOT':
      return new RepoError('Storage', action, object, 'no space left on the device (or quota exceeded)', { cause: e });
    case 'ESTALE':
    case 'EIO':
      return new RepoError('Network', action, object, `the shared filesystem reported ${errno(e)}: check the mount`, { cause: e });
    default: {
      const msg = e instanceof Error ? e.message : String(e);
      return new RepoError('Storage', action, object, msg, { cause: e });
    }
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, action: string, object: string): void {
  if (signal?.aborted) throw new RepoError('Aborted', action, object, 'cancelled');
}

/** Runs `fn`, creating the parent folder first; retries when a concurrent delete pruned the folder. */
export async function withParent<T>(filePath: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    await fsp.mkdir(path.dirname(filePath), { recursive: true });
    try {
      return await fn();
    } catch (e) {
      if (errno(e) !== 'ENOENT' || i >= 4) throw e;
    }
  }
}

/** Removes empty folders from `dir` up to (not including) `root`, as S3 "folders" vanish when empty. */
export async function pruneEmpty(root: string, dir: string): Promise<void> {
  let d = dir;
  while (d.length > root.length && d.startsWith(root + path.sep)) {
    try {
      await fsp.rmdir(d);
    } catch {
      return; // not empty, gone already, or not ours to remove
    }
    d = path.dirname(d);
  }
}

export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}
