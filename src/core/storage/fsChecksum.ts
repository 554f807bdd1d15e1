// The checksum the tool attaches to a file it stores in a folder repository: a hidden sidecar
// `.<name>.modelrepo-sha256` holding {sha256, size}, written atomically (temp name + rename) before
// the file itself is renamed into place, removed with the file. It travels with the object, so a
// version whose record was deleted can still be verified.
// What it protects: a file changed by accident or by another tool after it was stored. What it does
// not: anyone who can rewrite the file can rewrite (or delete) the sidecar too, exactly as on S3 where
// rewriting an object drops its tag. So a missing sidecar means "no checksum" (undefined), while a
// sidecar that is malformed or records another size is the tool's own record contradicting storage:
// Corrupt, never a silent undefined, because that would turn a detectable change into an undetectable
// one. (Deleting the sidecar stays possible, and stays visible as "no checksum".)
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { RepoError } from '../errors';
import type { FsRoot } from './fsConfine';
import { isTagKey, readSmall, refusalReason, unsafe } from './fsSafeOpen';
import { CHECKSUM_SUFFIX, TMP_SUFFIX, errno, fsError, randomSuffix, scratchPath } from './fsPaths';

const MAX_SIDECAR = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Writes the sidecar of the file that is about to be renamed to `dest`. */
export async function writeChecksum(root: FsRoot, dest: string, key: string, sha256: string, size: number): Promise<void> {
  const tmp = scratchPath(dest, `.${randomSuffix()}${TMP_SUFFIX}`);
  try {
    const fh = await root.createFile(tmp, key, 'upload');
    try {
      await fh.writeFile(JSON.stringify({ sha256, size }));
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, scratchPath(dest, CHECKSUM_SUFFIX));
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Removes the sidecar of `abs` (the file is being replaced by something without a checksum, or deleted). */
export async function dropChecksum(abs: string): Promise<void> {
  await fsp.unlink(scratchPath(abs, CHECKSUM_SUFFIX)).catch(() => undefined);
}

export async function fsReadChecksum(root: FsRoot, key: string): Promise<string | undefined> {
  const action = 'read the checksum of';
  return root.at(key, action, async (abs) => {
    const sidePath = scratchPath(abs, CHECKSUM_SUFFIX);
    const sideKey = key.slice(0, key.lastIndexOf('/') + 1) + path.basename(sidePath);
    const [data, side] = await Promise.all([lstatOrUndefined(abs, key, action), lstatOrUndefined(sidePath, key, action)]);
    if (!data || data.isDirectory() || (data.isSymbolicLink() && isTagKey(key))) return undefined; // a sidecar whose file is gone
    const dataWhy = refusalReason(data);
    if (dataWhy) throw unsafe(action, key, dataWhy);
    if (!side) return undefined; // no checksum attached: written by another tool
    const sideWhy = refusalReason(side);
    if (sideWhy) throw unsafe(action, key, sideWhy, sideKey);
    const raw = await readSmall(sidePath, MAX_SIDECAR);
    let parsed: { sha256?: unknown; size?: unknown } | undefined;
    try {
      parsed = raw && JSON.parse(raw.toString('utf8')) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    const sha256 = parsed?.sha256;
    const size = parsed?.size;
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new RepoError('Corrupt', action, key, `its checksum sidecar ${path.basename(sidePath)} is not one this tool wrote (unreadable or malformed)`);
    }
    if (size !== data.size) {
      throw new RepoError('Corrupt', action, key,
        `the checksum attached when it was stored is for ${size} bytes, but the file now has ${data.size}: it was changed after it was stored`,
        { details: { recordedSize: size, size: data.size } });
    }
    return sha256;
  });
}

async function lstatOrUndefined(abs: string, key: string, action: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(abs);
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
    throw fsError(e, action, key);
  }
}
