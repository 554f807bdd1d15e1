// The one walker of local folders, for the CLI and the extension alike: expands the paths given to an
// upload into the files to store (a file keeps its name; a folder contributes the files inside it,
// subfolders as `sub/file`: safetensors shards are flat files), and measures them for the progress total
// with the same walk, so the total is the bytes the upload sends.
// Entries inside folders whose name starts with a dot (.git, .cache, .gitattributes) are skipped: no
// stored file name may start with one (names.ts).
// Folders are walked with lstat, the way rsync --safe-links treats an untrusted tree: a symlink whose
// target stays inside the uploaded folder is uploaded with the target's bytes under the link's name;
// one that points outside is refused (all of them listed in one error) unless followSymlinks; a
// dangling link, a FIFO, a socket or a device is an error naming it. A path the user named directly is
// followed even when it is a symlink: the user chose it. Unreadable files and folders are Permission.
import { constants as C, promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { RepoError } from '../errors';
import { foldedName, showName, validateName } from '../names';

export interface LocalFile {
  /** Name inside the version, '/'-separated. */
  readonly name: string;
  /** The file whose bytes are stored (the target, for a symlink that is followed). */
  readonly localPath: string;
  readonly size: number;
}

export interface ExpandOptions {
  /** Follow symlinks inside folders even when they point outside the folder. */
  readonly followSymlinks?: boolean;
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** A local file or folder that cannot be read, as RepoError naming it. */
function localError(e: unknown, shown: string): RepoError {
  if (e instanceof RepoError) return e;
  const c = code(e);
  if (c === 'EACCES' || c === 'EPERM') {
    return new RepoError('Permission', 'read', showName(shown), 'permission denied: check the owner and mode of the file and its folder', { cause: e });
  }
  if (c === 'ENOENT' || c === 'ENOTDIR') return new RepoError('NotFound', 'upload', showName(shown), 'there is no such file or folder', { cause: e });
  if (c === 'ELOOP') return new RepoError('NotFound', 'upload', showName(shown), 'it is a symbolic link that loops', { cause: e });
  return new RepoError('Storage', 'read', showName(shown), e instanceof Error ? e.message : String(e), { cause: e });
}

function special(shown: string, st: Stats): RepoError {
  const what = st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isBlockDevice() || st.isCharacterDevice() ? 'a device' : 'a special file';
  return new RepoError('InvalidName', 'upload', showName(shown), `it is ${what}, neither a regular file nor a folder`);
}

async function readable(real: string, shown: string): Promise<void> {
  await fsp.access(real, C.R_OK).catch((e) => { throw localError(e, shown); });
}

/** Where a symlink leads: its real path, or an error naming it when it dangles or loops. */
async function linkTarget(abs: string, shown: string): Promise<string> {
  try {
    return await fsp.realpath(abs);
  } catch (e) {
    if (code(e) !== 'ENOENT' && code(e) !== 'ENOTDIR') throw localError(e, shown);
    const text = await fsp.readlink(abs).catch(() => '?');
    throw new RepoError('NotFound', 'upload', showName(shown), `it is a symbolic link to a missing file (${showName(text)})`, { cause: e });
  }
}

/** A hidden entry inside a folder being uploaded (.git, .DS_Store): left out, silently. */
export function skippedInFolder(name: string): boolean {
  return name.startsWith('.');
}

function isInside(base: string, p: string): boolean {
  return p === base || p.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

export async function expandPaths(paths: readonly string[], object: string, opts: ExpandOptions = {}): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  const outside: string[] = [];
  const add = (name: string, localPath: string, size: number): void => {
    name.split('/').forEach((seg) => validateName('file', seg));
    out.push({ name, localPath, size });
  };
  /** `dir` is a real path (no symlink in it); `shown` is how the user sees it; `base` is the real path
   *  of the folder the user named; `chain` the real folders above (a link back into them is a loop). */
  const walk = async (dir: string, shown: string, rel: string, base: string, chain: readonly string[]): Promise<void> => {
    const names = (await fsp.readdir(dir).catch((e) => { throw localError(e, shown); })).filter((n) => !skippedInFolder(n)).sort();
    for (const n of names) {
      const abs = path.join(dir, n);
      const shownPath = path.join(shown, n);
      let st = await fsp.lstat(abs).catch((e) => { throw localError(e, shownPath); });
      let real = abs;
      if (st.isSymbolicLink()) {
        real = await linkTarget(abs, shownPath);
        if (!isInside(base, real) && !opts.followSymlinks) {
          outside.push(`${showName(shownPath)} -> ${showName(await fsp.readlink(abs).catch(() => real))}`);
          continue;
        }
        st = await fsp.stat(real).catch((e) => { throw localError(e, shownPath); });
      }
      if (st.isDirectory()) {
        if (chain.includes(real)) {
          throw new RepoError('InvalidName', 'upload', showName(shownPath), 'it is a symbolic link to a folder that contains it (a loop)');
        }
        await walk(real, shownPath, `${rel}${n}/`, base, [...chain, real]);
      } else if (st.isFile()) {
        await readable(real, shownPath);
        add(`${rel}${n}`, real, st.size);
      } else {
        throw special(shownPath, st);
      }
    }
  };
  for (const p of paths) {
    let st: Stats;
    try {
      st = await fsp.stat(p);
    } catch (e) {
      const link = await fsp.lstat(p).then((l) => l.isSymbolicLink(), () => false);
      if (link && (code(e) === 'ENOENT' || code(e) === 'ENOTDIR')) await linkTarget(p, p); // throws, naming the dangling link
      throw localError(e, p);
    }
    const real = await fsp.realpath(p).catch((e) => { throw localError(e, p); });
    if (st.isDirectory()) await walk(real, p, '', real, [real]);
    else if (st.isFile()) {
      await readable(real, p);
      add(path.basename(p), real, st.size);
    } else throw special(p, st);
  }
  if (outside.length > 0) {
    throw new RepoError('Unsafe', 'upload', object,
      `${outside.length === 1 ? 'a symbolic link points' : `${outside.length} symbolic links point`} outside the folder being uploaded: `
      + `${outside.join(', ')}; use --follow-symlinks to upload what they point at`, { details: { links: outside } });
  }
  if (out.length === 0) throw new RepoError('NotFound', 'upload', object, 'there are no files to upload');
  // Names that differ only in case or Unicode form are one file on macOS and Windows: such a version
  // could not be downloaded there.
  const seen = new Map<string, string>();
  for (const f of out) {
    const other = seen.get(foldedName(f.name));
    if (other === f.name) throw new RepoError('InvalidName', 'upload', object, `two of the given files would both be stored as ${showName(f.name)}`);
    if (other !== undefined) {
      throw new RepoError('InvalidName', 'upload', object, `${showName(other)} and ${showName(f.name)} differ only in case or Unicode form: they are one file on macOS and Windows`);
    }
    seen.set(foldedName(f.name), f.name);
  }
  return out;
}

/** What an upload of these paths would send, measured by the same walk (and refused for the same
 *  reasons, before anything is sent): the total of a progress line or notification. */
export async function localTotal(paths: readonly string[], object: string, opts: ExpandOptions = {}): Promise<{ bytes: number; files: number }> {
  const files = await expandPaths(paths, object, opts);
  return { bytes: files.reduce((n, f) => n + f.size, 0), files: files.length };
}
