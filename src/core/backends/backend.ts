// What the rest of the product needs to know about one kind of storage, in one place: the tree (label,
// icon, buckets or not, which menus), the CLI's references (`s3://…`, folder paths), the extension's
// settings entry, the manifests (how pods reach the files) and the connection-level operations (listing
// buckets). One file per backend (s3.ts, fs.ts) and one table (index.ts); callers ask a descriptor and
// never compare storage kinds themselves (test/unit/backends.test.ts keeps it so).
import type { S3Credentials, ConnectionConfig, EndpointConfig } from '../connections/types';
import type { PodLocation } from '../manifests/manifestInput';
import type { RepoLocation } from '../refs';
import type { Storage } from '../storage/storage';
import type { Timeouts } from '../timeouts';

export type BackendKind = ConnectionConfig['kind'];

/** One entry of the extension's `modelRepository.connections` setting, as stored (never keys). Each
 *  backend reads the fields it knows; the comments say whose they are. */
export interface ConnectionSettingsEntry {
  readonly id: string;
  readonly name: string;
  readonly kind: BackendKind;
  readonly endpoint?: string;
  readonly region?: string;
  readonly pathStyle?: boolean;
  /** s3: the endpoint pods in the cluster use, when it differs from `endpoint` (manifests, apply). */
  readonly clusterEndpoint?: string;
  /** Show only this bucket; otherwise every bucket the keys can list (narrowed by bucketFilter). */
  readonly bucket?: string;
  /** A bucket name pattern: `*` matches anything, e.g. `models-*`. */
  readonly bucketFilter?: string;
  readonly prefix?: string;
  /** fs: the repository folder; relative paths and ${workspaceFolder} resolve against the first folder. */
  readonly path?: string;
  readonly nfsServer?: string;
  readonly nfsPath?: string;
  /** s3 without stored keys: an AWS profile for the default credential chain (imported profiles). */
  readonly profile?: string;
  /** s3 in a cluster: reached through a port-forward to this Service (keys still in SecretStorage). */
  readonly viaCluster?: { readonly namespace: string; readonly service: string; readonly port?: number; readonly context?: string };
}

/** Settings fields a person edits one at a time (plus 'keys', kept in SecretStorage). */
export type EditableSetting = 'name' | 'endpoint' | 'clusterEndpoint' | 'region' | 'bucket' | 'bucketFilter' | 'prefix' | 'path' | 'nfsServer' | 'nfsPath';

export interface SettingsField {
  readonly key: EditableSetting | 'keys' | 'pathStyle';
  readonly label: string;
  readonly prompt: string;
}

/** What the extension adds to a settings entry when it opens it. */
export interface SettingsContext {
  /** The bucket of the place opened (bucketed backends); the entry's own bucket otherwise. */
  readonly bucket?: string;
  /** Keys from SecretStorage; undefined: the backend's default chain. */
  readonly keys?: S3Credentials;
  /** Resolves a folder as the extension does (${workspaceFolder}, ~, relative to the first folder). */
  resolveFolder(path: string): string;
  readonly timeouts: Partial<Timeouts>;
}

/** A connection as opened: the storage, and the config with what opening learnt (a forwarded port). */
export interface OpenedStorage {
  readonly storage: Storage;
  readonly config: ConnectionConfig;
}

/** How the caller will use the storage it opens. */
export interface OpenOptions {
  /** The process does nothing else while it transfers (the CLI): a download may write on the main
   *  thread, in the small pieces this kernel copies fastest (s3Chunks.ts). The extension host never says so. */
  readonly dedicated?: boolean;
}

export interface Backend {
  readonly kind: BackendKind;
  /** How people call it: 'S3', 'Folder' (tooltips, pickers, messages). */
  readonly label: string;
  /** The product icon (codicon id) of its connections in the tree. */
  readonly icon: string;
  /** A connection holds buckets, each a repository root; false: the connection is the repository. */
  readonly bucketed: boolean;
  /** shareUrl hands out a URL anyone can download with, and objects have a URI people copy (`s3://…`). */
  readonly presign: boolean;
  /** Pods copy the files through the S3 API (init container, Secret with keys, an endpoint pods reach,
   *  the node cache, KServe's storageUri); false: pods cannot pull from it that way. */
  readonly clusterPull: boolean;
  /** Pods mount the repository over NFS (the connection says which server and export). */
  readonly nfsMount: boolean;
  /** A flat listing comes back in key order (so a listing cut short has seen whole every model before
   *  its last key). */
  readonly sortedListing: boolean;
  /** URL schemes of its references (`s3://`, `file://`). */
  readonly schemes: readonly string[];
  /** Reads the repository texts no other backend claims (S3: mc aliases, `alias/bucket`); one backend does. */
  readonly fallback: boolean;

  /** Opens the storage of one repository. */
  open(cfg: ConnectionConfig, opts?: OpenOptions): Promise<OpenedStorage>;
  /** Buckets the connection can see (connection-level: no bucket is opened); [] when not bucketed. */
  listBuckets(cfg: EndpointConfig, signal?: AbortSignal): Promise<string[]>;
  /** The repository config of a connection, or Config naming `object` when a bucket is still missing. */
  repository(cfg: EndpointConfig, object: string): ConnectionConfig;
  /** Where a key lives, as people copy it: `s3://bucket/prefix/key` or a local path. */
  uriOf(cfg: ConnectionConfig, key: string): string;

  /** A repository text this backend reads (`s3://b/p`, `/srv/models`), else undefined; InvalidRef when
   *  it is this backend's but malformed. */
  parseLocation(text: string): RepoLocation | undefined;
  /** The location as the user writes it. */
  formatLocation(loc: RepoLocation): string;
  /** The connection a location names when it carries everything (a folder); undefined: the CLI adds
   *  keys and endpoints from its flags, aliases and profiles (S3). */
  locationConfig(loc: RepoLocation, env: NodeJS.ProcessEnv, home: string): ConnectionConfig | undefined;

  /** The fields Edit Connection offers, in this order. */
  readonly settingsFields: readonly SettingsField[];
  /** The connection of a settings entry (see SettingsContext.bucket). */
  fromSettings(c: ConnectionSettingsEntry, ctx: SettingsContext): EndpointConfig;
  /** Endpoint or folder, shown beside a connection's name (tree, pickers). */
  settingsDetail(c: ConnectionSettingsEntry, resolveFolder: (p: string) => string): string;
  /** The same place as another entry (an implicit workspace folder already configured). */
  samePlace(c: ConnectionSettingsEntry, other: ConnectionSettingsEntry, resolveFolder: (p: string) => string): boolean;

  /** How pods reach a version (S3 with an endpoint, or NFS), and the root its keys are relative to;
   *  Config naming `object` when pods cannot reach this connection. */
  podLocation(cfg: ConnectionConfig, object: string): { readonly location: PodLocation; readonly root: string };
  /** Explicit keys a pod's Secret can carry; undefined when the connection has none or needs none. */
  podKeys(cfg: ConnectionConfig): S3Credentials | undefined;
  /** The connection with the endpoint pods use (clusterPull backends). */
  withClusterEndpoint(cfg: ConnectionConfig, endpoint: string): ConnectionConfig;
  /** The NFS server and export pods mount (nfsMount backends); undefined: not set yet. */
  nfsOf(cfg: ConnectionConfig): { readonly server: string; readonly path: string } | undefined;
  /** The connection with the NFS server and export pods mount (nfsMount backends); the export defaults
   *  to the folder's own path. */
  withNfs(cfg: ConnectionConfig, nfs: { readonly server: string; readonly path?: string }): ConnectionConfig;
}
