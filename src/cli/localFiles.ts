// Local paths given to `upload`: checked before anything is sent (missing: exit 3; unreadable: exit 5,
// naming the file), and their total size for the progress line. Which files go into the version, and
// what happens to symbolic links, is the core's decision (repo/localFiles.ts); this only measures.
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RepoError } from '../core/errors';

const DENIED = new Set(['EACCES', 'EPERM']);

/** Total bytes of the files under the given files and folders (folders are walked, symlinks followed). */
export async function localTotal(paths: readonly string[], action: string, object: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const denied = (p: string, e: unknown): RepoError =>
    new RepoError('Permission', action, object, `cannot read ${p}: permission denied`, { cause: e });
  const walk = async (p: string, top: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (top && code === 'ENOENT') throw new RepoError('NotFound', action, object, `no such file or folder: ${p}`);
      if (DENIED.has(code)) throw denied(p, e);
      if (code === 'ENOENT' || code === 'ELOOP') return; // a dangling link inside a folder: the core says what it makes of it
      throw e;
    }
    if (st.isDirectory()) {
      let names;
      try {
        names = await readdir(p);
      } catch (e) {
        if (DENIED.has((e as NodeJS.ErrnoException).code ?? '')) throw denied(p, e);
        throw e;
      }
      for (const name of names) await walk(join(p, name), false);
    } else if (st.isFile()) {
      try {
        await access(p, constants.R_OK);
      } catch (e) {
        throw denied(p, e);
      }
      bytes += st.size;
      files++;
    }
  };
  for (const p of paths) await walk(p, true);
  return { bytes, files };
}
