// Opens repositories for the tree and the commands: a connection (settings + keys from SecretStorage)
// plus, for S3, a bucket -> one core Repository, cached until the connections change or the user
// refreshes. openStorage() loads the AWS SDK only when an S3 connection is first opened.
import * as os from 'node:os';
import type * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { openStorage } from '../core/openStorage';
import { Repository } from '../core/repository';
import type { ConnectionConfig } from '../core/connections/types';
import type { Storage } from '../core/storage/storage';
import type { ConnectionStore } from './connectionStore';
import type { Log } from './log';
import { resolveFolder, type Connection } from './settings';

const LISTING_ONLY_BUCKET = 'modelrepo-bucket-listing';

/** A repository root: a connection, and for S3 one of its buckets. */
export interface Place {
  readonly connectionId: string;
  readonly bucket?: string;
}

export interface Opened {
  readonly connection: Connection;
  readonly storage: Storage;
  readonly repo: Repository;
}

function who(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return `vscode@${os.hostname()}`;
  }
}

/** `models-*` -> /^models-.*$/ ; a pattern without `*` matches names that start with it. */
export function bucketMatcher(pattern: string | undefined): (name: string) => boolean {
  if (!pattern) return () => true;
  if (!pattern.includes('*')) return (n) => n.startsWith(pattern);
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (n) => re.test(n);
}

export class Repositories implements vscode.Disposable {
  private readonly cache = new Map<string, Promise<Opened>>();
  private readonly sub: vscode.Disposable;

  constructor(private readonly store: ConnectionStore, private readonly log: Log) {
    this.sub = store.onDidChange(() => this.clear());
  }

  connection(id: string): Connection {
    const c = this.store.get(id);
    if (!c) throw new RepoError('Config', 'open connection', `'${id}'`, 'it is not in modelRepository.connections any more');
    return c;
  }

  /** The core's connection config for a place (keys from SecretStorage, else the AWS default chain). */
  async config(place: Place): Promise<ConnectionConfig> {
    const c = this.connection(place.connectionId);
    if (c.kind === 'fs') {
      if (!c.path) throw new RepoError('Config', 'open connection', c.name, 'it has no folder path');
      const nfs = c.nfsServer && c.nfsPath ? { server: c.nfsServer, path: c.nfsPath } : undefined;
      return { kind: 'fs', path: resolveFolder(c.path), nfs };
    }
    const keys = await this.store.keys(c.id);
    return {
      kind: 's3',
      endpoint: c.endpoint || undefined,
      region: c.region || 'us-east-1',
      forcePathStyle: c.pathStyle ?? (c.endpoint ? true : undefined),
      // a connection-level storage is only used for ListBuckets, which names no bucket; the S3 backend
      // requires one to be set, so it gets a placeholder
      bucket: place.bucket ?? c.bucket ?? LISTING_ONLY_BUCKET,
      prefix: c.prefix?.replace(/^\/+|\/+$/g, '') || undefined,
      credentials: keys,
      profile: keys ? undefined : c.profile,
    };
  }

  open(place: Place): Promise<Opened> {
    const key = `${place.connectionId}\u0000${place.bucket ?? ''}`;
    let p = this.cache.get(key);
    if (!p) {
      p = (async () => {
        const connection = this.connection(place.connectionId);
        const storage = await openStorage(await this.config(place));
        this.log.debug(`opened ${storage.root} for connection ${connection.name}`);
        return { connection, storage, repo: new Repository(storage, { who: who() }) };
      })();
      p.catch(() => this.cache.delete(key)); // do not cache a failure: the next expand tries again
      this.cache.set(key, p);
    }
    return p;
  }

  async repo(place: Place): Promise<Repository> {
    return (await this.open(place)).repo;
  }

  /** Buckets of an S3 connection: its one configured bucket, or those the keys can list (filtered). */
  async buckets(connectionId: string, signal?: AbortSignal): Promise<string[]> {
    const c = this.connection(connectionId);
    if (c.kind !== 's3') return [];
    if (c.bucket) return [c.bucket];
    const { storage } = await this.open({ connectionId });
    if (!storage.listBuckets) return [];
    const all = await storage.listBuckets(signal);
    return all.filter(bucketMatcher(c.bucketFilter)).sort();
  }

  /** Where a key lives, as people copy it: `s3://bucket/prefix/key` or a local path. */
  async uriOf(place: Place, key: string): Promise<string> {
    const cfg = await this.config(place);
    if (cfg.kind === 'fs') return `${cfg.path.replace(/\/+$/, '')}/${key}`;
    return `s3://${cfg.bucket}/${cfg.prefix ? `${cfg.prefix}/` : ''}${key}`;
  }

  clear(): void {
    for (const p of this.cache.values()) p.then((o) => o.storage.dispose?.(), () => undefined);
    this.cache.clear();
  }

  dispose(): void {
    this.clear();
    this.sub.dispose();
  }
}
