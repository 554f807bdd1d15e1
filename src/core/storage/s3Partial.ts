// The partial file of a download and its sidecar (storage.ts: DOWNLOAD_PARTIAL_SUFFIX and
// DOWNLOAD_SIDECAR_SUFFIX). The bytes go to `.<name>.modelrepo-download` next to the destination;
// the sidecar records which object they belong to (bucket, key, ETag, size) and how far
// from the start they are contiguous. A checkpoint first flushes the partial's data to disk, then
// replaces the sidecar (written and flushed under a temporary name, then renamed), so the sidecar
// never claims bytes that are not there, even after a crash of the machine. A later download of the
// same unchanged object resumes from that offset; anything else found there is discarded. Neither
// file is opened through a symlink planted at its name.
import { constants } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { RepoError } from '../errors';
import { DOWNLOAD_PARTIAL_SUFFIX, DOWNLOAD_SIDECAR_SUFFIX } from './storage';

const SIDECAR_MAX = 64 * 1024;
const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } = constants;

/** What the partial holds. */
export interface PartialIdentity {
  readonly bucket: string;
  /** The full object key. */
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  /** Bytes per ranged GET of the run that wrote it (informational: any offset can be resumed). */
  readonly chunkSize: number;
}

interface Sidecar extends PartialIdentity {
  readonly format: 1;
  /** Bytes from the start that are in the partial (and on disk). */
  readonly contiguous: number;
}

export function partialPaths(localPath: string): { partial: string; sidecar: string } {
  const dir = dirname(localPath);
  const name = basename(localPath);
  return { partial: join(dir, `.${name}${DOWNLOAD_PARTIAL_SUFFIX}`), sidecar: join(dir, `.${name}${DOWNLOAD_SIDECAR_SUFFIX}`) };
}

async function readSidecar(path: string): Promise<Sidecar | undefined> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, O_RDONLY | O_NOFOLLOW);
    const st = await fh.stat();
    if (!st.isFile() || st.size > SIDECAR_MAX) return undefined;
    const v = JSON.parse(await fh.readFile('utf8')) as Partial<Sidecar>;
    const ok = v.format === 1 && typeof v.bucket === 'string' && typeof v.key === 'string'
      && typeof v.etag === 'string' && Number.isSafeInteger(v.size) && Number.isSafeInteger(v.contiguous)
      && Number.isSafeInteger(v.chunkSize);
    return ok ? (v as Sidecar) : undefined;
  } catch {
    return undefined;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** The same object version: an ETag changes with every write, whichever endpoint serves it. */
const sameObject = (a: PartialIdentity, b: PartialIdentity): boolean =>
  a.bucket === b.bucket && a.key === b.key && a.etag === b.etag && a.size === b.size;

export class PartialDownload {
  private closing = false;
  /** The sidecar write in progress, so that the end of the download does not race with it. */
  private sidecarWrite: Promise<void> = Promise.resolve();
  private syncing = false;

  private constructor(readonly fh: FileHandle, readonly paths: { partial: string; sidecar: string },
    private readonly id: PartialIdentity, readonly resumeAt: number, private readonly ino: number) {}

  /** Opens the partial of `localPath` for this object: resumed when its sidecar matches, else new. */
  static async open(localPath: string, id: PartialIdentity, action: string): Promise<PartialDownload> {
    const paths = partialPaths(localPath);
    const found = await readSidecar(paths.sidecar);
    if (found && sameObject(found, id) && found.contiguous > 0 && found.contiguous <= id.size && id.etag) {
      try {
        const fh = await open(paths.partial, O_RDWR | O_NOFOLLOW);
        const st = await fh.stat();
        if (st.isFile() && st.size >= found.contiguous) {
          await fh.truncate(found.contiguous);
          return new PartialDownload(fh, paths, id, found.contiguous, st.ino);
        }
        await fh.close();
      } catch {
        // missing, a symlink (ELOOP), unreadable: start again
      }
    }
    await rm(paths.sidecar, { force: true });
    await rm(paths.partial, { force: true });
    try {
      const fh = await open(paths.partial, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666);
      return new PartialDownload(fh, paths, id, 0, (await fh.stat()).ino);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new RepoError('Conflict', action, localPath, 'another download to the same file is running', { cause: e });
      }
      throw e;
    }
  }

  /** Records that the first `contiguous` bytes are in the partial. Skipped while one is running. */
  checkpoint(contiguous: number): void {
    if (this.syncing || this.closing) return;
    this.syncing = true;
    void (async () => {
      // A handle of its own: the download's writes go on while the data is flushed.
      let sync: FileHandle | undefined;
      try {
        sync = await open(this.paths.partial, O_RDONLY | O_NOFOLLOW);
        if ((await sync.stat()).ino !== this.ino) return;
        await sync.datasync();
        if (this.closing) return;
        this.sidecarWrite = this.writeSidecar(contiguous);
        await this.sidecarWrite;
      } catch {
        // A checkpoint is an optimisation for the next run: losing one costs nothing now.
      } finally {
        await sync?.close().catch(() => undefined);
        this.syncing = false;
      }
    })();
  }

  private async writeSidecar(contiguous: number): Promise<void> {
    const record: Sidecar = { format: 1, ...this.id, contiguous };
    const tmp = `${this.paths.sidecar}.${randomBytes(4).toString('hex')}`;
    let fh: FileHandle | undefined;
    try {
      fh = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
      await fh.writeFile(`${JSON.stringify(record)}\n`);
      await fh.sync();
      await fh.close();
      fh = undefined;
      await rename(tmp, this.paths.sidecar);
    } finally {
      await fh?.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  /** Stops checkpoints and waits for a sidecar being written. */
  private async quiesce(): Promise<void> {
    this.closing = true;
    await this.sidecarWrite.catch(() => undefined);
  }

  /** The download is complete: the partial becomes `localPath`, the sidecar goes. */
  async commit(localPath: string, action: string): Promise<void> {
    await this.quiesce();
    await this.fh.close();
    const st = await lstat(this.paths.partial);
    if (st.ino !== this.ino) throw new RepoError('Conflict', action, localPath, 'another download to the same file replaced this one\'s partial file');
    await rename(this.paths.partial, localPath);
    await rm(this.paths.sidecar, { force: true });
  }

  /** Removes the partial and the sidecar (a cancel or a failure). */
  async discard(): Promise<void> {
    await this.quiesce();
    await this.fh.close().catch(() => undefined);
    const st = await lstat(this.paths.partial).catch(() => undefined);
    if (st?.ino === this.ino) await rm(this.paths.partial, { force: true });
    await rm(this.paths.sidecar, { force: true });
  }
}
