// Key <-> path mapping and error translation for the filesystem backend. Keys are '/'-separated and
// relative to the repository folder; a key can never name anything outside it (lexically here; what
// the folder holds is checked in fsConfine.ts).
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { RepoError, isAbort } from '../errors';
import { CHECKSUM_TAG } from './storage';

/** Suffixes of the backend's own scratch files; listings hide them. */
export const PARTIAL_SUFFIX = '.modelrepo-partial';
export const SIDECAR_SUFFIX = '.modelrepo-partial.json';
export const LOCK_SUFFIX = '.modelrepo-lock';
export const TMP_SUFFIX = '.modelrepo-tmp';
/** Metadata of a tag link (who moved it, when): a symlink cannot carry any. */
export const META_SUFFIX = '.modelrepo-meta.json';
/** The sha256 the tool attached to a stored file: `.<name>.modelrepo-sha256` holding {sha256, size}. */
export const CHECKSUM_SUFFIX = `.${CHECKSUM_TAG}`;

const SCRATCH = [PARTIAL_SUFFIX, SIDECAR_SUFFIX, LOCK_SUFFIX, TMP_SUFFIX, META_SUFFIX, CHECKSUM_SUFFIX];

export function isScratchName(name: string): boolean {
  return name.startsWith('.') && SCRATCH.some((s) => name.endsWith(s));
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

/** Translates a Node fs error into a RepoError naming the action and object; `local` for the user's own
 *  files (a download destination, a file to upload) rather than the repository folder. */
export function fsError(e: unknown, action: string, object: string, local = false): RepoError {
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
      return new RepoError('Permission', action, object, local ? 'permission denied: check the owner and mode of the file and its folder'
        : 'permission denied: check the owner and mode of the repository folder', { cause: e });
    case 'ELOOP':
    case 'EMLINK':
      return new RepoError('Unsafe', action, object, 'it is a symbolic link, which is not followed here', { cause: e });
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

/** Temp names must not be guessable: someone watching the folder could plant a link at one. */
export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}
