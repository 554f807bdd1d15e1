// Deleting a version, downloading a reference, sharing a file. Deleting first puts a pending marker in
// place (so the version is hidden before anything goes), then removes the manifest, the files, and
// the marker last; an interrupted delete leaves a hidden version that can be deleted again.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { RepoError } from '../errors';
import { formatChain } from '../links';
import { artifactKey, pendingKey, versionManifestKey, versionPrefix } from '../layout';
import { validateName } from '../names';
import type { Storage } from '../storage/storage';
import type { FileProgress, ModelRef } from '../types';
import { resolveRef, tagsPerVersion } from './browse';
import { ModelView } from './modelView';
import { listAll, throwIfAborted } from './util';

export async function deleteVersion(storage: Storage, who: string, model: string, version: string): Promise<void> {
  validateName('model', model);
  validateName('version', version);
  const obj = `${model}@${version}`;
  const view = new ModelView(storage, model);
  const v = await view.version(version);
  if (v.state === 'missing') throw new RepoError('NotFound', 'delete version', obj, 'the version does not exist');
  const tags = (await tagsPerVersion(view)).get(version) ?? [];
  if (tags.length > 0) {
    throw new RepoError('InUse', 'delete version', obj, `tags still point at it: ${tags.join(', ')}; move or delete them first`, { details: { tags } });
  }
  const marker = pendingKey(model, version);
  const body = JSON.stringify({ schema: 1, model, version, who, started: new Date().toISOString(), updated: new Date().toISOString(), deleting: true, files: [], done: [] });
  await storage.putText(marker, body, { contentType: 'application/json' });
  await storage.delete([versionManifestKey(model, version)]);
  for (const key of await storage.listPartialUploads(versionPrefix(model, version))) await storage.abortUploads(key);
  const { objects } = await listAll(storage, versionPrefix(model, version), { delimited: false });
  await storage.delete(objects.map((o) => o.key).filter((k) => k !== marker));
  await storage.delete([marker]);
}

export interface DownloadOpts {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FileProgress) => void;
}

/** Downloads the file(s) a reference stands for into `destDir` (subfolders kept), checking each
 *  sha256 recorded in the version manifest; a mismatch removes the file and throws Integrity. */
export async function download(storage: Storage, ref: ModelRef, destDir: string, opts: DownloadOpts = {}): Promise<{ files: string[] }> {
  const r = await resolveRef(storage, ref, opts.signal);
  const files: string[] = [];
  for (const a of r.artifacts) {
    throwIfAborted(opts.signal, 'download', `${a.model}@${a.version}/${a.name}`);
    const dest = path.join(destDir, ...a.name.split('/'));
    const got = await storage.downloadFile(a.key, dest, {
      signal: opts.signal,
      onProgress: (p) => opts.onProgress?.({ file: a.name, stored: p.stored, total: p.total, resumed: 0 }),
    });
    const obj = `${a.model}@${a.version}/${a.name}`;
    if (a.sha256 && got.sha256 !== a.sha256) {
      await fsp.unlink(dest).catch(() => undefined);
      throw new RepoError('Integrity', 'download', obj,
        `the sha256 of the stored file (${got.sha256}) differs from the one recorded at upload (${a.sha256}); the download was removed`,
        { details: { expected: a.sha256, actual: got.sha256, chain: formatChain(r.chain) } });
    }
    files.push(dest);
  }
  return { files };
}

export async function shareUrl(storage: Storage, model: string, version: string, file: string, expiresInSeconds: number): Promise<string> {
  // Resolving checks the names, that the version is published and that the file exists.
  await resolveRef(storage, { model, version, file });
  return storage.shareUrl(artifactKey(model, version, file), expiresInSeconds);
}
