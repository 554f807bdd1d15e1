// Uploading a new version, published atomically: claim it with the pending marker (pending.ts),
// store each file (resumable, sha256 in the same pass), then write the version manifest LAST and drop
// the marker. Until the manifest exists the version is hidden and cannot be tagged. Then the model files'
// headers go into the metadata index from the local copies (uploadIndex.ts), sparing the next search.
// A failure leaves the marker and partial uploads so the same command resumes; a cancel (AbortSignal)
// removes them all.
import { RepoError, isAbort } from '../errors';
import { artifactKey, pendingKey, versionPrefix } from '../layout';
import type { VersionManifest } from '../layout';
import { indexUploadedFiles } from '../metadata/uploadIndex';
import { validateName } from '../names';
import type { Storage } from '../storage/storage';
import type { FileProgress } from '../types';
import { expandPaths } from './localFiles';
import type { LocalFile } from './localFiles';
import { claimVersion, keepMarker, publishManifest } from './pending';
import type { DoneFile } from './pending';
import { forEachLimit, listAll, throwIfAborted } from './util';

export interface UploadOpts {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FileProgress) => void;
  /** Files sent at the same time (each file may also send parts in parallel). Default 2. */
  readonly concurrency?: number;
  /** Follow symbolic links inside uploaded folders even when they point outside the folder. */
  readonly followSymlinks?: boolean;
  /** Something after publishing did not work (the upload did): the metadata index was not updated. */
  readonly onWarning?: (message: string) => void;
}

/** Uploads running in this process, so a second one of the same version loses even on the same pid. */
const running = new Set<string>();

export async function uploadVersion(storage: Storage, who: string, model: string, version: string, paths: readonly string[],
  opts: UploadOpts = {}): Promise<VersionManifest> {
  validateName('model', model);
  validateName('version', version);
  const obj = `${model}@${version}`;
  throwIfAborted(opts.signal, 'upload', obj);
  const files = await expandPaths(paths, obj, { followSymlinks: opts.followSymlinks });
  const slot = `${storage.kind}:${storage.root}\n${model}/${version}`;
  const doneBefore = await claimVersion(storage, who, model, version, files, running.has(slot));
  running.add(slot);
  try {
    return await publish(storage, who, model, version, files, doneBefore, opts);
  } finally {
    running.delete(slot);
  }
}

async function publish(storage: Storage, who: string, model: string, version: string, files: readonly LocalFile[],
  doneBefore: readonly DoneFile[], opts: UploadOpts): Promise<VersionManifest> {
  const obj = `${model}@${version}`;
  const marker = keepMarker(storage, who, model, version, files);
  try {
    await forEachLimit(files, opts.concurrency ?? 2, async (f) => {
      throwIfAborted(opts.signal, 'upload', obj);
      const key = artifactKey(model, version, f.name);
      const before = doneBefore.find((d) => d.name === f.name);
      if (before) {
        const st = await storage.stat(key, opts.signal);
        if (st && st.size === f.size) {
          marker.done.set(f.name, before);
          opts.onProgress?.({ file: f.name, stored: f.size, total: f.size, resumed: f.size });
          return;
        }
      }
      const r = await storage.uploadFile(key, f.localPath, {
        signal: opts.signal,
        onProgress: (p) => opts.onProgress?.({ file: f.name, stored: p.stored, total: p.total, resumed: p.resumed }),
      });
      if (r.size !== f.size) throw new RepoError('Integrity', 'upload', `${obj}/${f.name}`, `stored ${r.size} bytes, expected ${f.size}`);
      marker.done.set(f.name, { name: f.name, size: r.size, sha256: r.sha256 });
      marker.save();
    });
    await marker.stop();
    throwIfAborted(opts.signal, 'upload', obj);
    const manifest: VersionManifest = {
      schema: 1, model, version, created: new Date().toISOString(), createdBy: who,
      files: files.map((f) => marker.done.get(f.name) as DoneFile),
    };
    await publishManifest(storage, manifest, 'upload');
    const warning = await indexUploadedFiles(storage,
      files.map((f) => ({ key: artifactKey(model, version, f.name), localPath: f.localPath, size: f.size })), opts.signal);
    if (warning) opts.onWarning?.(warning);
    return manifest;
  } catch (e) {
    await marker.stop();
    if (isAbort(e) || opts.signal?.aborted) {
      await removeUnpublished(storage, model, version, files);
      throw new RepoError('Aborted', 'upload', obj, 'cancelled; nothing of this version was kept', { cause: e });
    }
    throw e; // the marker and partial uploads stay, so running the same upload again resumes
  }
}

/** Removes every trace of an unpublished version: partial uploads, stored files, then the marker. */
export async function removeUnpublished(storage: Storage, model: string, version: string, files: readonly { name: string }[]): Promise<void> {
  const prefix = versionPrefix(model, version);
  await Promise.all(files.map((f) => storage.abortUploads(artifactKey(model, version, f.name)).catch(() => undefined)));
  for (const key of await storage.listPartialUploads(prefix).catch(() => [] as string[])) {
    await storage.abortUploads(key).catch(() => undefined);
  }
  const { objects } = await listAll(storage, prefix, { delimited: false });
  const marker = pendingKey(model, version);
  await storage.delete(objects.map((o) => o.key).filter((k) => k !== marker));
  await storage.delete([marker]);
}
