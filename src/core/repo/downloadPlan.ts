// Everything a download checks before it writes a byte. What to verify against: the version record,
// else the checksums the tool attached to each object (a version whose record was deleted is still
// verified, and one where only some objects carry a checksum was tampered with). Where to write: each
// file's path is below the real destination folder, no two files land on the same local name, and no
// symlink already inside the destination leads elsewhere (refused like tar does).
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { RepoError } from '../errors';
import { nameProblem, showName } from '../names';
import { DOWNLOAD_PARTIAL_SUFFIX, DOWNLOAD_SIDECAR_SUFFIX } from '../storage/storage';
import type { Storage } from '../storage/storage';
import type { ArtifactInfo, ResolvedRef } from '../types';
import type { ModelView } from './modelView';
import { nameClash } from './record';
import { mapLimit } from './util';

const CHECKSUM_CONCURRENCY = 8;
const SHA256 = /^[0-9a-f]{64}$/;

/** The reference with the sha256 each file must have. Recorded versions: an object whose attached
 *  checksum disagrees with the record is Integrity. Versions without a record: if any object carries
 *  a checksum, the tool wrote the version and its record vanished, so every object must carry one
 *  (else Integrity) and those are what the download verifies. Reads one checksum per file. */
export async function withChecksums(storage: Storage, view: ModelView, r: ResolvedRef, signal?: AbortSignal): Promise<ResolvedRef> {
  const obj = `${r.model}@${r.version}`;
  const record = await view.manifest(r.version, 'download');
  if (record) {
    const sums = await mapLimit(r.artifacts, CHECKSUM_CONCURRENCY, (a) => storage.readChecksum(a.key, signal));
    r.artifacts.forEach((a, i) => {
      const c = sums[i];
      if (c !== undefined && c !== a.sha256) {
        throw new RepoError('Integrity', 'download', `${obj}/${a.name}`,
          `the checksum attached to the stored file (${showName(c)}) differs from the version record (${a.sha256})`,
          { details: { expected: a.sha256, actual: c } });
      }
    });
    return r;
  }
  // Every file of the version decides whether the tool wrote it, not only the ones downloaded.
  const all = (await view.artifacts(r.version)).filter((a) => !a.problem);
  const sums = await mapLimit(all, CHECKSUM_CONCURRENCY, (a) => storage.readChecksum(a.key, signal));
  if (sums.every((c) => c === undefined)) return r; // written by another tool: nothing to verify against
  const byName = new Map<string, string>();
  all.forEach((a, i) => {
    const c = sums[i];
    if (c === undefined) {
      throw new RepoError('Integrity', 'download', obj,
        `the version was written by modelrepo but its record is missing and ${showName(a.name)} carries no checksum`);
    }
    if (!SHA256.test(c)) throw new RepoError('Integrity', 'download', `${obj}/${a.name}`, `the checksum attached to it (${showName(c)}) is malformed`);
    byName.set(a.name, c);
  });
  const artifacts = r.artifacts.map((a): ArtifactInfo => ({ ...a, sha256: byName.get(a.name), sha256From: 'checksum' }));
  return { ...r, artifacts };
}

export interface PlannedFile {
  readonly artifact: ArtifactInfo;
  /** As the caller spelled the destination (reported back). */
  readonly shown: string;
  /** Below the real destination folder (written). */
  readonly target: string;
}

/** Whether `p` is `root` or below it (both real paths). */
export function isBelow(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  return fsp.lstat(p).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new RepoError('Permission', 'download to', p, e.message, { cause: e });
  });
}

/** A path inside the destination that already exists: a real folder, or a symlink that stays inside. */
async function checkExisting(root: string, p: string, wantDir: boolean, obj: string): Promise<boolean> {
  const st = await lstatOrUndefined(p);
  if (!st) return false;
  if (st.isSymbolicLink()) {
    const real = await fsp.realpath(p).catch(() => undefined);
    if (!real || !isBelow(root, real)) {
      throw new RepoError('Unsafe', 'download', obj, `${p} is a symbolic link that leads outside the destination ${root} (or nowhere); remove it first`);
    }
    if (!wantDir) return true; // replaced by the rename, never written through
    if (!(await fsp.stat(real)).isDirectory()) throw new RepoError('Exists', 'download', obj, `${p} is in the way: it is a file, not a folder`);
    return true;
  }
  if (wantDir && !st.isDirectory()) throw new RepoError('Exists', 'download', obj, `${p} is in the way: it is a file, not a folder`);
  if (!wantDir && st.isDirectory()) throw new RepoError('Exists', 'download', obj, `${p} is in the way: it is a folder`);
  return true;
}

/** Checks every file of a download before anything is written into the destination (the destination
 *  folder itself is created when missing). Throws Unsafe or Exists naming the file. */
export async function planDestination(destDir: string, r: ResolvedRef): Promise<{ root: string; files: PlannedFile[] }> {
  const obj = `${r.model}@${r.version}`;
  for (const a of r.artifacts) {
    for (const seg of a.name.split('/')) {
      const p = nameProblem('file', seg);
      if (p) throw new RepoError('Unsafe', 'download', obj, `the file name ${showName(a.name)} is refused: ${p}`);
    }
  }
  const clash = nameClash(r.artifacts.map((a) => a.name));
  if (clash) throw new RepoError('Unsafe', 'download', obj, `two files would land on one local file: ${clash}`);
  await fsp.mkdir(destDir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new RepoError(e.code === 'EACCES' || e.code === 'EPERM' ? 'Permission' : 'Storage', 'download to', destDir, e.message, { cause: e });
  });
  const root = await fsp.realpath(destDir);
  const files: PlannedFile[] = [];
  for (const a of r.artifacts) {
    const fobj = `${obj}/${a.name}`;
    const segs = a.name.split('/');
    let dir = root;
    for (const seg of segs.slice(0, -1)) {
      dir = path.join(dir, seg);
      if (!(await checkExisting(root, dir, true, fobj))) break; // the rest is created new, inside
    }
    const target = path.join(root, ...segs);
    if (!isBelow(root, target)) throw new RepoError('Unsafe', 'download', fobj, `it would be written outside ${root}`);
    const base = path.basename(target);
    await checkExisting(root, target, false, fobj);
    for (const scratch of [`.${base}${DOWNLOAD_PARTIAL_SUFFIX}`, `.${base}${DOWNLOAD_SIDECAR_SUFFIX}`]) {
      const st = await lstatOrUndefined(path.join(path.dirname(target), scratch));
      if (st?.isSymbolicLink()) throw new RepoError('Unsafe', 'download', fobj, `${path.join(path.dirname(target), scratch)} is a symbolic link; remove it first`);
    }
    files.push({ artifact: a, shown: path.join(destDir, ...segs), target });
  }
  return { root, files };
}

/** Creates the file's folder one level at a time and checks, after the fact, that the real folder is
 *  still below the destination (a symlink swapped in meanwhile is refused). Returns the path to write. */
export async function prepareTarget(root: string, f: PlannedFile): Promise<string> {
  const obj = `${f.artifact.model}@${f.artifact.version}/${f.artifact.name}`;
  let dir = root;
  for (const seg of f.artifact.name.split('/').slice(0, -1)) {
    dir = path.join(dir, seg);
    await fsp.mkdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw new RepoError(e.code === 'EACCES' || e.code === 'EPERM' ? 'Permission' : 'Storage', 'download to', dir, e.message, { cause: e });
    });
  }
  const parent = await fsp.realpath(path.dirname(f.target));
  if (!isBelow(root, parent)) throw new RepoError('Unsafe', 'download', obj, `its folder now leads outside the destination ${root}`);
  return path.join(parent, path.basename(f.target));
}
