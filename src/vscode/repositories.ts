// Opens repositories for the tree and the commands: a connection (settings + keys from SecretStorage)
// plus, for a bucketed backend, a bucket -> one core Repository, cached until the connections change or
// the user refreshes. The backend (core/backends) reads the settings entry and lists the buckets;
// openStorage() loads the AWS SDK only when an S3 connection is first opened.
// Every operation holds a lease on the storage it uses (use(), or open() + release()): a refresh or a
// connection edit only retires the cached entry, so the next operation opens a fresh one, and the
// retired storage is disposed when its last lease is released. An upload that runs while the user
// refreshes keeps its S3 clients to the end.
import type * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { openStorage } from '../core/openStorage';
import { Repository } from '../core/repository';
import { backendOf } from '../core/backends/index';
import type { ConnectionConfig, EndpointConfig } from '../core/connections/types';
import type { Storage } from '../core/storage/storage';
import type { ConnectionStore } from './connectionStore';
import type { Log } from './log';
import { resolveFolder, timeoutSettings, type Connection } from './settings';

/** A repository root: a connection, and for a bucketed backend (S3) one of its buckets. */
export interface Place {
  readonly connectionId: string;
  readonly bucket?: string;
}

export interface Opened {
  readonly connection: Connection;
  readonly storage: Storage;
  readonly repo: Repository;
}

/** An opened repository held by one operation: call release() when the operation ends (once). */
export interface Lease extends Opened {
  release(): void;
}

interface Entry {
  readonly opened: Promise<Opened>;
  leases: number;
  /** Taken out of the cache (refresh, connection change): disposed once no lease holds it. */
  retired: boolean;
}

/** `models-*` -> /^models-.*$/ ; a pattern without `*` matches names that start with it. */
export function bucketMatcher(pattern: string | undefined): (name: string) => boolean {
  if (!pattern) return () => true;
  if (!pattern.includes('*')) return (n) => n.startsWith(pattern);
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (n) => re.test(n);
}

export class Repositories implements vscode.Disposable {
  private readonly cache = new Map<string, Entry>();
  /** Retired entries still leased by a running operation. */
  private readonly draining = new Set<Entry>();
  private readonly sub: vscode.Disposable;

  constructor(private readonly store: ConnectionStore, private readonly log: Log) {
    this.sub = store.onDidChange(() => this.clear());
  }

  connection(id: string): Connection {
    const c = this.store.get(id);
    if (!c) throw new RepoError('Config', 'open connection', `'${id}'`, 'it is not in modelRepository.connections any more');
    return c;
  }

  /** The connection before a bucket is chosen (keys from SecretStorage, else the default chain): what
   *  connection-level operations such as listing buckets need. */
  async endpointConfig(connectionId: string, bucket?: string): Promise<EndpointConfig> {
    const c = this.connection(connectionId);
    const keys = await this.store.keys(c.id);
    return backendOf(c).fromSettings(c, { bucket, keys, resolveFolder, timeouts: timeoutSettings() });
  }

  /** The core's connection config for a place. */
  async config(place: Place): Promise<ConnectionConfig> {
    const c = this.connection(place.connectionId);
    return backendOf(c).repository(await this.endpointConfig(place.connectionId, place.bucket), c.name);
  }

  /** Opens (or reuses) the place's repository and leases it; the caller must release() the lease. */
  async open(place: Place): Promise<Lease> {
    const key = `${place.connectionId}\u0000${place.bucket ?? ''}`;
    let entry = this.cache.get(key);
    if (!entry) {
      const opened = (async (): Promise<Opened> => {
        const connection = this.connection(place.connectionId);
        const storage = await openStorage(await this.config(place));
        this.log.debug(`opened ${storage.root} for connection ${connection.name}`);
        return { connection, storage, repo: new Repository(storage) };
      })();
      const e: Entry = { opened, leases: 0, retired: false };
      // do not cache a failure: the next expand tries again
      opened.catch(() => { if (this.cache.get(key) === e) this.cache.delete(key); });
      this.cache.set(key, e);
      entry = e;
    }
    // counted before the await, so a refresh while the storage opens cannot dispose it under us
    entry.leases++;
    let o: Opened;
    try {
      o = await entry.opened;
    } catch (err) {
      this.release(entry);
      throw err;
    }
    const e = entry;
    let released = false;
    return {
      ...o,
      release: () => {
        if (released) return;
        released = true;
        this.release(e);
      },
    };
  }

  /** Runs one operation with a lease on the place's repository, released when it settles. */
  async use<T>(place: Place, op: (o: Opened) => Promise<T>): Promise<T> {
    const lease = await this.open(place);
    try {
      return await op(lease);
    } finally {
      lease.release();
    }
  }

  /** Retired storages not disposed yet because an operation still holds them (tests). */
  get retiredInUse(): number {
    return this.draining.size;
  }

  private release(e: Entry): void {
    e.leases--;
    if (e.retired && e.leases === 0) this.disposeEntry(e);
  }

  private disposeEntry(e: Entry): void {
    this.draining.delete(e);
    e.opened.then((o) => {
      o.storage.dispose?.();
      this.log.debug(`closed ${o.storage.root}`);
    }, () => undefined);
  }

  /** Buckets of an S3 connection: its one configured bucket, or those the keys can list (filtered). */
  async buckets(connectionId: string, signal?: AbortSignal): Promise<string[]> {
    const c = this.connection(connectionId);
    const backend = backendOf(c);
    if (!backend.bucketed) return [];
    if (c.bucket) return [c.bucket];
    const all = await backend.listBuckets(await this.endpointConfig(connectionId), signal);
    return all.filter(bucketMatcher(c.bucketFilter)).sort();
  }

  /** Where a key lives, as people copy it: `s3://bucket/prefix/key` or a local path. */
  async uriOf(place: Place, key: string): Promise<string> {
    const cfg = await this.config(place);
    return backendOf(cfg).uriOf(cfg, key);
  }

  /** Retires every cached repository: the next operation opens fresh ones; a retired one is disposed
   *  now when nothing uses it, else when its last lease is released. */
  clear(): void {
    for (const e of this.cache.values()) {
      e.retired = true;
      if (e.leases === 0) this.disposeEntry(e);
      else this.draining.add(e);
    }
    this.cache.clear();
  }

  dispose(): void {
    this.clear();
    this.sub.dispose();
  }
}
