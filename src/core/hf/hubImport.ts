// Import from the Hugging Face Hub into <model>/<version>/, streamed: each file goes from the Hub's
// response body straight into the repository (Storage.uploadStream), never to a full local copy.
//   1. resolve the revision (branch, tag or sha) to its commit, so a branch moving meanwhile cannot mix
//      two commits; 2. list the files at that commit with their LFS sha256 (hubSource.ts); 3. claim the
//      version with the repository's pending marker (repo/pending.ts), store the files, check each LFS
//      file's sha256 against the Hub's, and write the version manifest LAST with `source` = the Hub repo
//      and commit. Until then the version is invisible.
// Failures: Integrity (a hash or size mismatch) and a cancel remove everything of the version; other
// failures (a dropped connection) keep the finished files and the marker, so running the same import
// (same version name) again resumes with the files still missing.
// Default version name: `<UTC date>-hf-<first 12 of the commit sha>`, e.g. 2024-03-20-hf-0123456789ab:
// it sorts with the date versions of the layout and names the exact commit it came from.
import type { Readable } from 'node:stream';
import { RepoError, isAbort } from '../errors';
import { artifactKey } from '../layout';
import type { VersionManifest } from '../layout';
import { todayVersion, validateName } from '../names';
import { claimVersion, keepMarker, publishManifest } from '../repo/pending';
import type { DoneFile } from '../repo/pending';
import { removeUnpublished } from '../repo/upload';
import { defaultWho, forEachLimit } from '../repo/util';
import type { Storage } from '../storage/storage';
import type { Timeouts } from '../timeouts';
import type { FileProgress } from '../types';
import { hubError } from './hubErrors';
import { deadlineReason } from './hubFetch';
import { openHub, openHubFile, readSnapshot, selectFiles } from './hubSource';
import type { HubFile, HubSession } from './hubSource';

export type { HubFile } from './hubSource';

/** How one body reaches the storage: Storage.uploadStream, or a wrapper of it. */
export type StreamUploader = Storage['uploadStream'];

export interface HubImportOptions {
  /** 'org/name' (or a bare legacy name like 'gpt2') */
  readonly repo: string;
  /** Branch, tag or commit; default 'main'. */
  readonly revision?: string;
  /** File paths or patterns ('*' and '?'), e.g. ['*Q4_K_M.gguf']; default: every file (dot files skipped). */
  readonly files?: readonly string[];
  /** Default process.env.HF_ENDPOINT, else https://huggingface.co */
  readonly endpoint?: string;
  /** Default process.env.HF_TOKEN; sent as Authorization: Bearer, never logged. */
  readonly token?: string;
  readonly storage: Storage;
  readonly model: string;
  /** Default `<UTC date>-hf-<commit sha first 12>`. */
  readonly version?: string;
  readonly who?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FileProgress) => void;
  /** Files transferred at the same time (default 2). */
  readonly concurrency?: number;
  /** How bodies reach the storage; default: the storage's uploadStream. */
  readonly upload?: StreamUploader;
  /** Deadlines of the Hub's requests; unset fields come from MODELREPO_*_TIMEOUT or the defaults. */
  readonly timeouts?: Partial<Timeouts>;
}

export interface HubImportResult {
  readonly manifest: VersionManifest;
  readonly commit: string;
  readonly files: readonly HubFile[];
  /** Files of the revision left out because their names cannot be stored (dot files like .gitattributes). */
  readonly skipped: readonly string[];
}

export const defaultImportVersion = (commit: string, now = new Date()): string => `${todayVersion(now)}-hf-${commit.slice(0, 12)}`;

/** Imports a Hub repository (or some of its files) as a new version. Throws Auth (401/403, mentions
 *  HF_TOKEN), NotFound (repo, revision or file), Network (unreachable, a deadline passed), Integrity
 *  (nothing kept), Exists, Aborted, Config (a malformed MODELREPO_*_TIMEOUT). */
export async function importFromHub(opts: HubImportOptions): Promise<HubImportResult> {
  const hub = openHub(opts);
  validateName('model', opts.model);
  if (opts.version !== undefined) validateName('version', opts.version);
  const revision = opts.revision ?? 'main';
  const { commit, files: all } = await readSnapshot(hub, revision);
  const { files, skipped } = selectFiles(all, opts.files, opts.repo, revision);
  if (files.length === 0) throw new RepoError('NotFound', 'import', opts.repo, `the repository has no files at revision ${revision}`);
  for (const f of files) f.path.split('/').forEach((seg) => validateName('file', seg));
  const version = opts.version ?? defaultImportVersion(commit);
  // The pending marker lets the same process take a version over (that is how a re-run resumes), so
  // two imports of one version running at once in this process are kept apart here.
  const slot = `${opts.storage.kind}:${opts.storage.root}\n${opts.model}@${version}`;
  if (running.has(slot)) throw new RepoError('Exists', 'import', `${opts.model}@${version}`, 'an import of this version is already running');
  running.add(slot);
  try {
    const manifest = await publish(opts, hub, { commit, revision, version, files });
    return { manifest, commit, files, skipped };
  } finally {
    running.delete(slot);
  }
}

const running = new Set<string>();

interface Plan { readonly commit: string; readonly revision: string; readonly version: string; readonly files: readonly HubFile[] }

async function publish(opts: HubImportOptions, hub: HubSession, plan: Plan): Promise<VersionManifest> {
  const { storage, model, signal } = opts;
  const { commit, version, files } = plan;
  const who = opts.who ?? defaultWho();
  const obj = `${model}@${version}`;
  const upload: StreamUploader = opts.upload ?? ((key, body, size, o) => storage.uploadStream(key, body, size, o));
  const planned = files.map((f) => ({ name: f.path, size: f.size, localPath: `${hub.endpoint}/${hub.repo}/resolve/${commit}/${f.path}` }));
  const doneBefore = await claimVersion(storage, who, model, version, planned);
  const marker = keepMarker(storage, who, model, version, planned);
  try {
    await forEachLimit(files, opts.concurrency ?? 2, async (f) => {
      const key = artifactKey(model, version, f.path);
      const before = doneBefore.find((d) => d.name === f.path && (!f.lfsSha256 || d.sha256 === f.lfsSha256));
      if (before && (await storage.stat(key, signal))?.size === f.size) {
        marker.done.set(f.path, before);
        opts.onProgress?.({ file: f.path, stored: f.size, total: f.size, resumed: f.size });
        return;
      }
      marker.done.set(f.path, await storeOne(hub, commit, f, key, storage, upload, opts));
      marker.save();
    });
    await marker.stop();
    signal?.throwIfAborted();
    const manifest: VersionManifest = {
      schema: 1, model, version, created: new Date().toISOString(), createdBy: who,
      files: files.map((f) => marker.done.get(f.path) as DoneFile),
      source: { huggingface: hub.repo, revision: commit, requestedRevision: plan.revision, endpoint: hub.endpoint },
    };
    await publishManifest(storage, manifest, 'import');
    return manifest;
  } catch (e) {
    await marker.stop();
    const aborted = isAbort(e) || signal?.aborted;
    if (aborted || (e instanceof RepoError && e.code === 'Integrity')) {
      await removeUnpublished(storage, model, version, planned).catch(() => undefined);
      if (aborted) throw new RepoError('Aborted', 'import', obj, 'cancelled; nothing of this version was kept', { cause: e });
      throw e;
    }
    if (e instanceof RepoError && ['Network', 'Storage'].includes(e.code)) {
      throw new RepoError(e.code, e.action, e.object, `${e.reason}. Nothing was published; run the same import with version ${version} to resume (finished files are kept)`,
        { cause: e, details: { ...e.details, version } });
    }
    throw e;
  }
}

/** Streams one Hub file to `key` and checks it. Returns what the manifest records. */
async function storeOne(hub: HubSession, commit: string, f: HubFile, key: string, storage: Storage, upload: StreamUploader,
  opts: HubImportOptions): Promise<DoneFile> {
  const where = `${hub.repo}/${f.path}`;
  const body: Readable = await openHubFile(hub, commit, f.path);
  // Whatever the backend makes of a failing source stream, the Hub side's own error says it best.
  let bodyError: unknown;
  body.once('error', (e) => { bodyError = e; });
  let r;
  try {
    r = await upload(key, body, f.size, {
      signal: opts.signal, expectedSha256: f.lfsSha256,
      onProgress: (p) => opts.onProgress?.({ file: f.path, stored: p.stored, total: f.size, resumed: 0 }),
    });
  } catch (e) {
    body.destroy();
    if (e instanceof RepoError && e.code === 'Integrity') {
      throw new RepoError('Integrity', 'import', where, `the received file does not match the Hub's: ${e.reason}`, { cause: e, details: e.details });
    }
    // A body cut off by a deadline may reach the storage as an abort: the Hub side's error says which.
    const hubSide = bodyError !== undefined && (!isAbort(e) || deadlineReason(bodyError) !== undefined);
    throw hubError(hubSide ? bodyError : e, { ...hub.ctx, file: f.path }, opts.signal);
  }
  if (r.size !== f.size) throw new RepoError('Integrity', 'import', where, `stored ${r.size} bytes, the Hub lists ${f.size}`);
  if (f.lfsSha256 && r.sha256 !== f.lfsSha256) {
    await storage.delete([key]).catch(() => undefined);
    throw new RepoError('Integrity', 'import', where, `sha256 of the received file is ${r.sha256}, the Hub's LFS hash is ${f.lfsSha256}`,
      { details: { sha256: r.sha256, expected: f.lfsSha256 } });
  }
  return { name: f.path, size: r.size, sha256: r.sha256 };
}
