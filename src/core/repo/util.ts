// Small helpers the repository modules share: paging through a whole listing, bounded concurrency,
// the default author of a change, and sortable ids for history records.
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { RepoError } from '../errors';
import type { ObjectInfo, Storage } from '../storage/storage';

/** Every entry under `prefix`, following cursors (delimited: one level only). */
export async function listAll(storage: Storage, prefix: string, opts: { delimited?: boolean; signal?: AbortSignal } = {}):
  Promise<{ prefixes: string[]; objects: ObjectInfo[] }> {
  const prefixes: string[] = [];
  const objects: ObjectInfo[] = [];
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    const page = await storage.list(prefix, { delimited: opts.delimited ?? true, cursor, signal: opts.signal });
    prefixes.push(...page.prefixes);
    objects.push(...page.objects);
    if (!page.cursor || page.cursor === cursor) break;
    cursor = page.cursor;
    if (pages > 100_000) throw new RepoError('Storage', 'list', prefix, 'the listing does not end');
  }
  return { prefixes, objects };
}

/** Maps with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/** Runs `fn` per item, at most `limit` at once; after the first failure starts nothing new, waits for
 *  the running ones, then throws that failure. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failure) throw failure.e;
}

export function defaultWho(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return `${user}@${os.hostname()}`;
}

let lastMicros = 0;

/** A UTC time that sorts as text, with microseconds, strictly increasing within this process:
 *  `20240320T101530.123456Z`. */
export function sortableNow(): { key: string; iso: string } {
  let micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString();
  const key = `${iso.slice(0, 19).replace(/[-:]/g, '')}.${String(micros % 1_000_000).padStart(6, '0')}Z`;
  return { key, iso };
}

export function randomId(): string {
  return randomBytes(6).toString('hex');
}

export function throwIfAborted(signal: AbortSignal | undefined, action: string, object: string): void {
  if (signal?.aborted) throw new RepoError('Aborted', action, object, 'cancelled');
}
