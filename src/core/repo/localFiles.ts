// Expands the paths given to an upload into the files to store: a file keeps its name; a folder
// contributes the files inside it, subfolders as `sub/file` (safetensors shards are flat files).
// Hidden entries inside folders (.git, .cache, .gitattributes) are skipped.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { RepoError } from '../errors';
import { validateName } from '../names';

export interface LocalFile {
  /** Name inside the version, '/'-separated. */
  readonly name: string;
  readonly localPath: string;
  readonly size: number;
}

export async function expandPaths(paths: readonly string[], object: string): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  const add = (name: string, localPath: string, size: number): void => {
    name.split('/').forEach((seg) => validateName('file', seg));
    out.push({ name, localPath, size });
  };
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await fsp.readdir(dir)).filter((n) => !n.startsWith('.')).sort();
    for (const n of entries) {
      const abs = path.join(dir, n);
      const st = await fsp.stat(abs);
      if (st.isDirectory()) await walk(abs, `${rel}${n}/`);
      else if (st.isFile()) add(`${rel}${n}`, abs, st.size);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = await fsp.stat(p);
    } catch {
      throw new RepoError('NotFound', 'upload', p, 'there is no such file or folder');
    }
    if (st.isDirectory()) await walk(path.resolve(p), '');
    else if (st.isFile()) add(path.basename(p), path.resolve(p), st.size);
    else throw new RepoError('InvalidName', 'upload', p, 'it is neither a file nor a folder');
  }
  if (out.length === 0) throw new RepoError('NotFound', 'upload', object, 'there are no files to upload');
  const seen = new Set<string>();
  for (const f of out) {
    if (seen.has(f.name)) throw new RepoError('InvalidName', 'upload', object, `two of the given files would both be stored as '${f.name}'`);
    seen.add(f.name);
  }
  return out;
}
