// The pending marker, `<model>/<version>/.modelrepo-pending.json`: written create-only before the
// first byte of an upload, it hides the version and makes a second uploader of the same version lose.
// It records the files (names and sizes) and, as they finish, their sha256, so an interrupted upload
// started again with the same files takes the marker over and skips what is already stored. A marker
// still refreshed by a live uploader (a heartbeat, or a live pid on this machine) is never taken over.
// The steps every publisher shares (a local upload, repo/upload.ts; a Hub import, hf/hubImport.ts) are
// here too: keeping the marker fresh while files are stored, and publishing the manifest last.
import * as os from 'node:os';
import { RepoError } from '../errors';
import { pendingKey, versionManifestKey } from '../layout';
import type { VersionManifest } from '../layout';
import type { Storage } from '../storage/storage';
import type { LocalFile } from './localFiles';
import { ModelView } from './modelView';

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

export async function readMarker(storage: Storage, model: string, version: string): Promise<PendingMarker | undefined> {
  const text = await storage.readText(pendingKey(model, version));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as PendingMarker;
  } catch {
    return undefined;
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
 *  Throws Exists when the version is published, written by another tool, or being uploaded. */
export async function claimVersion(storage: Storage, who: string, model: string, version: string,
  files: readonly LocalFile[], runningHere = false): Promise<readonly DoneFile[]> {
  const obj = `${model}@${version}`;
  const v = await new ModelView(storage, model).version(version);
  if (v.state === 'complete') throw new RepoError('Exists', 'upload', obj, 'the version is already published; versions are immutable, pick a new version name');
  if (v.state === 'legacy') throw new RepoError('Exists', 'upload', obj, 'the version already exists (written by another tool); pick a new version name');
  let done: readonly DoneFile[] = [];
  try {
    await storage.putText(pendingKey(model, version), JSON.stringify(newMarker(model, version, who, files)), { ifAbsent: true, contentType: 'application/json' });
  } catch (e) {
    if (!(e instanceof RepoError) || e.code !== 'Exists') throw e;
    const m = await readMarker(storage, model, version);
    const problem = takeoverProblem(m, files, runningHere);
    if (problem) throw new RepoError('Exists', 'upload', obj, problem, { details: { pending: m } });
    done = (m?.done ?? []).filter((d) => files.some((f) => f.name === d.name && f.size === d.size));
    await storage.putText(pendingKey(model, version), JSON.stringify(newMarker(model, version, who, files, done)), { contentType: 'application/json' });
  }
  // A concurrent upload may have published between our check and our marker.
  if (await storage.stat(versionManifestKey(model, version))) {
    await storage.delete([pendingKey(model, version)]).catch(() => undefined);
    throw new RepoError('Exists', 'upload', obj, 'the version was just published by someone else');
  }
  return done;
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
