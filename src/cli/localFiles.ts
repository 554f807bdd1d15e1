// Local paths given to `upload`: checked before anything is sent, and their total size for the progress line.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RepoError } from '../core/errors';

/** Total bytes of the files under the given files and folders (folders are walked, symlinks followed). */
export async function localTotal(paths: readonly string[], action: string, object: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const walk = async (p: string, top: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (top && code === 'ENOENT') throw new RepoError('NotFound', action, object, `no such file or folder: ${p}`);
      if (code === 'EACCES') throw new RepoError('Auth', action, object, `cannot read ${p}: permission denied`);
      throw e;
    }
    if (st.isDirectory()) {
      for (const name of await readdir(p)) await walk(join(p, name), false);
    } else if (st.isFile()) {
      bytes += st.size;
      files++;
    }
  };
  for (const p of paths) await walk(p, true);
  return { bytes, files };
}
