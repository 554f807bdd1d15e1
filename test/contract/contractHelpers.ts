// Shared pieces of the repository contract suite: the harness each backend provides, assertions on
// RepoError codes, local sample files, and a gate that holds one real storage call until the test has
// looked at the repository in that state (a pass-through wrapper of the real backend, not a mock).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isRepoError } from '../../src/core/errors';
import type { ErrorCode, RepoError } from '../../src/core/errors';
import type { Storage } from '../../src/core/storage/storage';

export interface ContractHarness {
  /** The backend under test, rooted at a fresh, empty repository root. */
  readonly storage: Storage;
  /** Writes a plain object / file the way another tool would (mc cp, aws s3 cp, cp). */
  rawPut(key: string, body: string | Buffer): Promise<void>;
  /** Writes a tag the way another tool would: `ln -s target key`, or PutObject of the link text. */
  rawLink(key: string, target: string): Promise<void>;
  /** Writes next to the repository root, outside it (same bucket outside the prefix / a sibling folder). */
  rawPutOutside?(key: string, body: string | Buffer): Promise<void>;
  cleanup(): Promise<void>;
}

export type MakeHarness = () => Promise<ContractHarness>;

export const WHO = 'tester@contract';

/** Awaits a rejection with this RepoError code (and message pattern); returns the error. */
export async function rejects(p: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<RepoError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isRepoError(e), `expected RepoError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected a ${code} rejection, but it succeeded`);
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface LocalSamples {
  readonly dir: string;
  file(name: string, size: number): Promise<{ path: string; bytes: Buffer }>;
  remove(): Promise<void>;
}

export async function localSamples(): Promise<LocalSamples> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-contract-'));
  return {
    dir,
    async file(name, size) {
      const p = path.join(dir, name);
      const bytes = randomBytes(size);
      await fsp.mkdir(path.dirname(p), { recursive: true });
      await fsp.writeFile(p, bytes);
      return { path: p, bytes };
    },
    remove: () => fsp.rm(dir, { recursive: true, force: true }),
  };
}

/** Every key below `prefix` (all pages). */
export async function allKeys(storage: Storage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, { delimited: false, cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

export interface Gate {
  /** Resolves when the held call has been reached. */
  readonly reached: Promise<void>;
  release(): void;
}

/** Wraps the real storage so that the first call of `method` whose key matches waits for release()
 *  (or, with `fail`, throws that error once instead, like a crash at that point). */
export function gated(storage: Storage, method: keyof Storage, matches: (key: string) => boolean, fail?: Error): { storage: Storage; gate: Gate } {
  let release!: () => void;
  let reachedResolve!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  const reached = new Promise<void>((r) => { reachedResolve = r; });
  let used = false;
  const wrapped = new Proxy(storage, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== method || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        if (!used && typeof args[0] === 'string' && matches(args[0])) {
          used = true;
          reachedResolve();
          if (fail) throw fail;
          await released;
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { storage: wrapped, gate: { reached, release } };
}

/** Characters no name shown to people may carry raw: controls, invisible and direction-changing ones. */
export const DISGUISING = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\ufffd]/u;

/** Every file and link below `dir` (relative, '/'-separated), or [] when it does not exist. */
export async function localTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    let ents;
    try {
      ents = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (e.isDirectory()) await walk(path.join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** A destination folder for downloads with a sentinel folder next to it that must stay empty. */
export interface DownloadArea {
  readonly dir: string;
  /** A fresh destination path (not created) below the area. */
  dest(name: string): string;
  readonly sentinel: string;
  /** Fails when anything appeared in the sentinel folder or next to the destinations. */
  assertNothingOutside(): Promise<void>;
  remove(): Promise<void>;
}

export async function downloadArea(): Promise<DownloadArea> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-dl-'));
  const sentinel = path.join(dir, 'sentinel');
  await fsp.mkdir(path.join(dir, 'dests'));
  await fsp.mkdir(sentinel);
  return {
    dir,
    sentinel,
    dest: (name) => path.join(dir, 'dests', name),
    async assertNothingOutside() {
      assert.deepEqual(await localTree(sentinel), [], 'something was written into the sentinel folder');
      assert.deepEqual((await fsp.readdir(dir)).sort(), ['dests', 'sentinel'], 'something was written next to the destinations');
    },
    remove: () => fsp.rm(dir, { recursive: true, force: true }),
  };
}
