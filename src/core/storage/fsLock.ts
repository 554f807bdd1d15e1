// A lock file next to a tag link or a record, so compare-and-swap holds across processes and machines
// sharing an NFS/CephFS mount: create it with O_EXCL (never through a symlink), treat it as stale
// after STALE_MS (a crashed holder), retry with a small random backoff. The critical section is short
// (read a link or an etag, rename a new file in place).
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import { RepoError } from '../errors';
import type { FsRoot } from './fsConfine';
import { LOCK_SUFFIX, TMP_SUFFIX, errno, randomSuffix, scratchPath } from './fsPaths';

export const STALE_MS = 30_000;
const GIVE_UP_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` with the path of `key` (its folder created and reached safely) while holding its lock. */
export async function withLock<T>(root: FsRoot, key: string, action: string, fn: (abs: string) => Promise<T>): Promise<T> {
  return root.within(key, action, async (abs) => {
    const lockPath = scratchPath(abs, LOCK_SUFFIX);
    const started = Date.now();
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      try {
        const fh = await root.createFile(lockPath, key, action);
        try {
          await fh.writeFile(`${os.hostname()} ${process.pid} ${new Date().toISOString()}\n`);
        } finally {
          await fh.close();
        }
        break;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      await breakIfStale(lockPath);
      if (Date.now() - started > GIVE_UP_MS) {
        throw new RepoError('Storage', 'lock', key, `another writer has held its lock for over ${GIVE_UP_MS / 1000} s`);
      }
      await sleep(delay + Math.random() * delay);
    }
    try {
      return await fn(abs);
    } finally {
      await fsp.unlink(lockPath).catch(() => undefined);
    }
  });
}

async function breakIfStale(lockPath: string): Promise<void> {
  try {
    const st = await fsp.lstat(lockPath);
    if (Date.now() - st.mtimeMs < STALE_MS) return;
    // Rename first so that of two processes breaking the same stale lock only one removes it.
    const moved = `${lockPath}.${randomSuffix()}${TMP_SUFFIX}`;
    await fsp.rename(lockPath, moved);
    await fsp.unlink(moved);
  } catch {
    // gone or broken by someone else: just retry
  }
}
