// Deleting a version, downloading a reference, sharing a file. Deleting first puts a pending marker in
// place (so the version is hidden before anything goes), then removes the manifest, the files, and
// the marker last; an interrupted delete leaves a hidden version that can be deleted again. A version
// holding entries that are unsafe to name is not deleted (nor downloaded, nor shared): Unsafe.
// A download checks everything first (downloadPlan.ts) and writes nothing until every check passed;
// the backend then replaces each destination file only with bytes that have the expected sha256.
import { RepoError, isRepoError } from '../errors';
import { formatChain } from '../links';
import { artifactKey, pendingKey, versionManifestKey, versionPrefix } from '../layout';
import { validateName } from '../names';
import type { Storage } from '../storage/storage';
import type { DownloadResult, DownloadedFile, FileProgress, ModelRef } from '../types';
import { resolveRef, tagsPerVersion } from './browse';
import { issueError } from './contents';
import { planDestination, prepareTarget, withChecksums } from './downloadPlan';
import { ModelView } from './modelView';
import { listAll, throwIfAborted } from './util';

export async function deleteVersion(storage: Storage, who: string, model: string, version: string): Promise<void> {
  validateName('model', model);
  validateName('version', version);
  const obj = `${model}@${version}`;
  const view = new ModelView(storage, model);
  const v = await view.version(version);
  if (v.state === 'missing') throw new RepoError('NotFound', 'delete version', obj, 'the version does not exist');
  // A corrupt record does not stop a delete (that is how it is cleaned up); a key unsafe to name does.
  const unsafe = (await view.contents(version)).issues.filter((i) => i.code === 'Unsafe');
  if (unsafe.length > 0) {
    const e = issueError('delete version', unsafe);
    throw new RepoError('Unsafe', 'delete version', e.object, `${e.reason}; remove it with the storage's own tools`, { details: e.details });
  }
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

/** Downloads the file(s) a reference stands for into `destDir` (subfolders kept). Before writing:
 *  resolves and checks the reference (Unsafe, Corrupt, Integrity), finds what each file must hash to
 *  (version record, else the objects' checksums), and checks every destination path (Unsafe, Exists).
 *  Each file is then replaced only by verified bytes; a mismatch is Integrity and leaves what was there. */
export async function download(storage: Storage, ref: ModelRef, destDir: string, opts: DownloadOpts = {}): Promise<DownloadResult> {
  const view = new ModelView(storage, ref.model, opts.signal);
  const resolved = await resolveRef(storage, ref, opts.signal, view, 'download');
  const r = await withChecksums(storage, view, resolved, opts.signal);
  const plan = await planDestination(destDir, r);
  const downloaded: DownloadedFile[] = [];
  for (const f of plan.files) {
    const a = f.artifact;
    const obj = `${a.model}@${a.version}/${a.name}`;
    throwIfAborted(opts.signal, 'download', obj);
    const target = await prepareTarget(plan.root, f);
    const against = a.sha256From === 'checksum' ? 'the checksum attached at upload' : 'the one recorded at upload';
    const mismatch = (actual: unknown, outcome: string, cause?: unknown): RepoError => new RepoError('Integrity', 'download', obj,
      `the sha256 of the stored file${typeof actual === 'string' ? ` (${actual})` : ''} differs from ${against} (${a.sha256}); ${outcome}`,
      { cause, details: { expected: a.sha256, actual, chain: formatChain(r.chain) } });
    let got;
    try {
      got = await storage.downloadFile(a.key, target, {
        signal: opts.signal,
        expectedSha256: a.sha256,
        onProgress: (p) => opts.onProgress?.({ file: a.name, stored: p.stored, total: p.total, resumed: p.resumed ?? 0 }),
      });
    } catch (e) {
      // The backend refused the bytes: name the artifact, not the key.
      if (isRepoError(e, 'Integrity') && a.sha256) throw mismatch(e.details.actual, `${f.shown} was not replaced`, e);
      throw e;
    }
    // A backend that cannot verify before it renames has already put the bytes there: say so.
    if (a.sha256 && got.sha256 !== a.sha256) throw mismatch(got.sha256, `${f.shown} does not hold the verified file: do not use it`);
    downloaded.push({ name: a.name, path: f.shown, size: got.size, sha256: got.sha256, ...(a.sha256 ? { verifiedBy: a.sha256From ?? 'record' } : {}) });
  }
  return { files: downloaded.map((d) => d.path), downloaded };
}

export async function shareUrl(storage: Storage, model: string, version: string, file: string, expiresInSeconds: number): Promise<string> {
  // Resolving checks the names, that the version is published and sound, and that the file exists.
  const r = await resolveRef(storage, { model, version, file }, undefined, undefined, 'share');
  return storage.shareUrl(r.artifacts[0]?.key ?? artifactKey(model, version, file), expiresInSeconds);
}
