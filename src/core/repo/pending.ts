// The pending marker, `<model>/<version>/.modelrepo-pending.json`: written create-only before the
// first byte of an upload, it hides the version and makes a second uploader of the same version lose.
// It records the files (names and sizes) and, as they finish, their sha256, so an interrupted upload
// started again with the same files takes the marker over and skips what is already stored. A marker
// still refreshed by a live uploader (a heartbeat, or a live pid on this machine) is never taken over.
// The steps every publisher shares (a local upload, repo/upload.ts; a Hub import, hf/hubImport.ts) are
// here too: keeping the marker fresh while files are stored, and publishing the manifest last.
// Taking over a stale marker is compare-and-swap (the write is conditional on the marker's etag as it
// was read), so of two uploaders taking over the same dead upload exactly one wins. A marker is read
// back from storage and checked like every record: what the tool would not have written is ignored.
import * as os from 'node:os';
import { RepoError, isRepoError } from '../errors';
import { PENDING_MARKER, artifactKey, pendingKey, versionManifestKey } from '../layout';
import type { VersionManifest } from '../layout';
import type { Storage } from '../storage/storage';
import type { LocalFile } from './localFiles';
import { ModelView } from './modelView';
import { filePathProblem } from './record';
import { mapLimit } from './util';

export const HEARTBEAT_MS = 20_000;
export const STALE_MS = 60_000;

export interface DoneFile { readonly name: string; readonly size: number; readonly sha256: string }

export interface PendingMarker {
  readonly schema: 1;
  readonly model: string;
  readonly version: string;
  readonly who: string;
  readonly host: string;
  readonly pid: number;
  readonly started: string;
  readonly updated: string;
  readonly files: readonly { readonly name: string; readonly size: number }[];
  readonly done: readonly DoneFile[];
  /** Set by deleteVersion while it removes the files. */
  readonly deleting?: boolean;
}

export function newMarker(model: string, version: string, who: string, files: readonly LocalFile[], done: readonly DoneFile[] = [],
  started?: string): PendingMarker {
  const now = new Date().toISOString();
  return { schema: 1, model, version, who, host: os.hostname(), pid: process.pid, started: started ?? now, updated: now,
    files: files.map((f) => ({ name: f.name, size: f.size })), done };
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The marker as read, with what the tool would not have written dropped: `done` entries keep only
 *  safe names, whole sizes and well-formed sha256. undefined when it is not a marker at all. */
export function parseMarker(text: string): PendingMarker | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
  const r = m as Record<string, unknown>;
  const isFile = (f: unknown): f is { name: string; size: number } => typeof f === 'object' && f !== null
    && typeof (f as { name?: unknown }).name === 'string' && filePathProblem((f as { name: string }).name) === undefined
    && Number.isSafeInteger((f as { size?: unknown }).size) && (f as { size: number }).size >= 0;
  const files = Array.isArray(r.files) ? r.files.filter(isFile).map((f) => ({ name: f.name, size: f.size })) : undefined;
  const done = Array.isArray(r.done)
    ? r.done.filter((d): d is DoneFile => isFile(d) && typeof (d as { sha256?: unknown }).sha256 === 'string' && SHA256.test((d as DoneFile).sha256))
      .map((d) => ({ name: d.name, size: d.size, sha256: d.sha256 }))
    : [];
  const text2 = (v: unknown, dflt: string): string => (typeof v === 'string' ? v : dflt);
  return {
    schema: 1, model: text2(r.model, ''), version: text2(r.version, ''), who: text2(r.who, 'someone'), host: text2(r.host, ''),
    pid: Number.isSafeInteger(r.pid) ? (r.pid as number) : -1, started: text2(r.started, ''), updated: text2(r.updated, text2(r.started, '')),
    files: files as PendingMarker['files'], done, ...(r.deleting === true ? { deleting: true } : {}),
  };
}

export async function readMarker(storage: Storage, model: string, version: string): Promise<PendingMarker | undefined> {
  return (await readMarkerWithEtag(storage, model, version)).marker;
}

/** The marker and the etag of exactly the bytes read (stat, read, stat again; retried while it
 *  changes underneath). etag undefined: there is no marker. A marker too large to be one is Corrupt. */
export async function readMarkerWithEtag(storage: Storage, model: string, version: string):
  Promise<{ marker?: PendingMarker; etag?: string; unreadable?: boolean }> {
  const key = pendingKey(model, version);
  for (let attempt = 0; ; attempt++) {
    const before = await storage.stat(key);
    if (!before) return {};
    let text: string | undefined;
    try {
      text = await storage.readText(key);
    } catch (e) {
      if (isRepoError(e, 'Corrupt')) {
        throw new RepoError('Corrupt', 'read the upload marker of', `${model}@${version}`, `its upload marker (${PENDING_MARKER}) is corrupt: ${e.reason}`);
      }
      throw e;
    }
    const after = await storage.stat(key);
    if (text !== undefined && after?.etag === before.etag) {
      const marker = parseMarker(text);
      return { marker, etag: before.etag, unreadable: marker === undefined };
    }
    if (attempt >= 4) throw new RepoError('Conflict', 'read the upload marker of', `${model}@${version}`, 'it keeps changing while it is being read');
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sameFiles(a: PendingMarker['files'] | undefined, b: readonly LocalFile[]): boolean {
  if (!a || a.length !== b.length) return false;
  const sizes = new Map(a.map((f) => [f.name, f.size]));
  return b.every((f) => sizes.get(f.name) === f.size);
}

/** Why an existing marker must not be taken over, or undefined when it may be. */
function takeoverProblem(m: PendingMarker | undefined, files: readonly LocalFile[], runningHere: boolean): string | undefined {
  if (!m) return 'its upload marker is unreadable: delete the version and upload again';
  if (m.deleting) return `it is being deleted by ${m.who}`;
  if (!sameFiles(m.files, files)) {
    return `an unfinished upload by ${m.who} (started ${m.started}) has other files: upload the same files to resume it, or delete the version`;
  }
  if (runningHere) return 'an upload of this version is already running in this process';
  const stale = Date.now() - Date.parse(m.updated ?? m.started) > STALE_MS;
  if (stale) return undefined;
  if (m.host === os.hostname()) {
    if (m.pid === process.pid || !pidAlive(m.pid)) return undefined;
    return `it is being uploaded right now by process ${m.pid} on this machine (${m.who})`;
  }
  return `it is being uploaded right now by ${m.who} on ${m.host} (last sign of life ${m.updated}); if that upload died, retry after ${STALE_MS / 1000} s`;
}

/** Claims the version for an upload. Returns the files an interrupted earlier run already stored.
 *  Throws Exists when the version is published, written by another tool, being uploaded, or taken
 *  over by someone else at the same moment. */
export async function claimVersion(storage: Storage, who: string, model: string, version: string,
  files: readonly LocalFile[], runningHere = false): Promise<readonly DoneFile[]> {
  const obj = `${model}@${version}`;
  const v = await new ModelView(storage, model).version(version);
  if (v.state === 'complete') throw new RepoError('Exists', 'upload', obj, 'the version is already published; versions are immutable, pick a new version name');
  if (v.state === 'legacy') throw new RepoError('Exists', 'upload', obj, 'the version already exists (written by another tool); pick a new version name');
  let done: readonly DoneFile[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      await storage.putText(pendingKey(model, version), JSON.stringify(newMarker(model, version, who, files)), { ifAbsent: true, contentType: 'application/json' });
      break;
    } catch (e) {
      if (!(e instanceof RepoError) || e.code !== 'Exists') throw e;
    }
    const { marker: m, etag, unreadable } = await readMarkerWithEtag(storage, model, version);
    if (etag === undefined) {
      // The marker went between our create and our read (its upload finished or was cancelled): look again.
      if (attempt >= 4) throw new RepoError('Exists', 'upload', obj, 'another upload of this version keeps starting and stopping');
      continue;
    }
    const problem = takeoverProblem(unreadable ? undefined : m, files, runningHere);
    if (problem) throw new RepoError('Exists', 'upload', obj, problem, { details: { pending: m } });
    done = await trustedDone(storage, model, version, (m?.done ?? []).filter((d) => files.some((f) => f.name === d.name && f.size === d.size)));
    try {
      await storage.putText(pendingKey(model, version), JSON.stringify(newMarker(model, version, who, files, done)),
        { ifMatch: etag, contentType: 'application/json' });
    } catch (e) {
      if (isRepoError(e, 'Conflict')) {
        throw new RepoError('Exists', 'upload', obj, 'someone else took over the interrupted upload of this version at the same moment', { cause: e });
      }
      throw e;
    }
    break;
  }
  // A concurrent upload may have published between our check and our marker.
  if (await storage.stat(versionManifestKey(model, version))) {
    await storage.delete([pendingKey(model, version)]).catch(() => undefined);
    throw new RepoError('Exists', 'upload', obj, 'the version was just published by someone else');
  }
  return done;
}

/** Drops files the marker says were stored whose object carries a checksum that says otherwise. */
async function trustedDone(storage: Storage, model: string, version: string, done: readonly DoneFile[]): Promise<DoneFile[]> {
  const sums = await mapLimit(done, 8, (d) => storage.readChecksum(artifactKey(model, version, d.name)));
  return done.filter((d, i) => sums[i] === undefined || sums[i] === d.sha256);
}

export interface MarkerKeeper {
  /** The files stored so far, by name; the marker records them for a resume. */
  readonly done: Map<string, DoneFile>;
  /** Queues a rewrite of the marker with what is done now. */
  save(): void;
  /** Stops the heartbeat and waits for the last rewrite. */
  stop(): Promise<void>;
}

/** Keeps the marker of a running upload fresh: rewritten after each stored file and on a heartbeat,
 *  one write at a time, in order (a failed write just waits for the next). */
export function keepMarker(storage: Storage, who: string, model: string, version: string, files: readonly LocalFile[]): MarkerKeeper {
  const done = new Map<string, DoneFile>();
  const started = new Date().toISOString();
  let chain: Promise<unknown> = Promise.resolve();
  const save = (): void => {
    const body = JSON.stringify(newMarker(model, version, who, files, [...done.values()], started));
    chain = chain.then(() => storage.putText(pendingKey(model, version), body, { contentType: 'application/json' })).catch(() => undefined);
  };
  const heartbeat = setInterval(save, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    done,
    save,
    stop: async () => {
      clearInterval(heartbeat);
      await chain;
    },
  };
}

/** Publishes a version: the manifest is written create-only (a version is published once), then the
 *  marker goes. Exists when someone else published the version meanwhile. */
export async function publishManifest(storage: Storage, manifest: VersionManifest, action: string): Promise<void> {
  const { model, version } = manifest;
  try {
    await storage.putText(versionManifestKey(model, version), `${JSON.stringify(manifest, null, 2)}\n`, { ifAbsent: true, contentType: 'application/json' });
  } catch (e) {
    if (e instanceof RepoError && e.code === 'Exists') throw new RepoError('Exists', action, `${model}@${version}`, 'the version was published by someone else meanwhile');
    throw e;
  }
  await storage.delete([pendingKey(model, version)]);
}
