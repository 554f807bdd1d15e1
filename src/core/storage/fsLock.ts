// A lock file next to a tag link, so compare-and-swap holds across processes and machines sharing an
// NFS/CephFS mount: create it with O_EXCL, treat it as stale after STALE_MS (a crashed holder), retry
// with a small random backoff. The critical section is short (read a link, rename a new one in place).
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import { RepoError } from '../errors';
import { LOCK_SUFFIX, TMP_SUFFIX, errno, randomSuffix, scratchPath, withParent } from './fsPaths';

export const STALE_MS = 30_000;
const GIVE_UP_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` while holding the lock of `filePath`. */
export async function withLock<T>(filePath: string, object: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = scratchPath(filePath, LOCK_SUFFIX);
  const started = Date.now();
  let delay = 2;
  for (;;) {
    try {
      const fh = await withParent(lockPath, () => fsp.open(lockPath, 'wx'));
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
      throw new RepoError('Storage', 'lock', object, `another writer has held ${lockPath} for over ${GIVE_UP_MS / 1000} s`);
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await fsp.unlink(lockPath).catch(() => undefined);
  }
}

async function breakIfStale(lockPath: string): Promise<void> {
  try {
    const st = await fsp.stat(lockPath);
    if (Date.now() - st.mtimeMs < STALE_MS) return;
    // Rename first so that of two processes breaking the same stale lock only one removes it.
    const moved = `${lockPath}.${randomSuffix()}${TMP_SUFFIX}`;
    await fsp.rename(lockPath, moved);
    await fsp.unlink(moved);
  } catch {
    // gone or broken by someone else: just retry
  }
}
