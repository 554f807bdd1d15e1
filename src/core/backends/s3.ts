// The S3 backend (AWS S3, MinIO, Ceph RGW): buckets under a connection, `s3://` and mc alias
// references, presigned URLs, pods that copy through the S3 API. The AWS SDK (and client-node for a
// connection through a cluster) is loaded only when an S3 connection is opened, so folder users and
// quick CLI commands never pay for it. (The `.js` suffix: under node16 resolution a dynamic import
// stays a native import(); esbuild maps it to the .ts.)
import { clusterEndpointFor } from '../connections/clusterEndpoint';
import type { ConnectionConfig, EndpointConfig, S3ConnectionConfig, S3EndpointConfig } from '../connections/types';
import { RepoError } from '../errors';
import type { RepoLocation } from '../refs';
import { bad, checkBucket, checkPrefix, printable, segmentsOf } from '../refText';
import type { Backend, ConnectionSettingsEntry, SettingsContext } from './backend';

const ALIAS = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function own<C extends EndpointConfig | ConnectionConfig>(cfg: C): Extract<C, S3EndpointConfig> {
  if (cfg.kind !== 's3') throw new RepoError('Config', 'open', cfg.kind, 'it is not an S3 connection');
  return cfg as Extract<C, S3EndpointConfig>;
}

function repoConfig(cfg: ConnectionConfig): S3ConnectionConfig {
  return own(cfg) as S3ConnectionConfig;
}

/** How pods reach a Service: http://<service>.<namespace>:<port> (undefined when the port is not set). */
function clusterEndpointOf(r: NonNullable<ConnectionSettingsEntry['viaCluster']>): string | undefined {
  return r.port ? `http://${r.service}.${r.namespace}:${r.port}` : undefined;
}

function fromSettings(c: ConnectionSettingsEntry, ctx: SettingsContext): S3EndpointConfig | S3ConnectionConfig {
  const bucket = ctx.bucket ?? c.bucket;
  return {
    kind: 's3',
    endpoint: c.endpoint || undefined,
    region: c.region || 'us-east-1',
    forcePathStyle: c.pathStyle ?? (c.endpoint ? true : undefined),
    clusterEndpoint: c.clusterEndpoint || undefined,
    ...(bucket ? { bucket, prefix: c.prefix?.replace(/^\/+|\/+$/g, '') || undefined } : {}),
    credentials: ctx.keys,
    profile: ctx.keys ? undefined : c.profile,
    ...(c.viaCluster ? { viaCluster: c.viaCluster, forcePathStyle: true, clusterEndpoint: clusterEndpointOf(c.viaCluster) } : {}),
    timeouts: ctx.timeouts,
  };
}

function parseLocation(text: string): RepoLocation {
  if (text.startsWith('s3://')) {
    const segs = segmentsOf(text.slice(5));
    if (segs.length === 0) throw bad(text, 'the bucket is missing: use s3://<bucket>[/<prefix>]');
    checkBucket(text, segs[0]);
    checkPrefix(text, segs.slice(1));
    return segs.length > 1 ? { kind: 's3', bucket: segs[0], prefix: segs.slice(1).join('/') } : { kind: 's3', bucket: segs[0] };
  }
  const segs = segmentsOf(text);
  if (segs.length < 2) {
    throw bad(text, `the bucket is missing: use <alias>/<bucket>[/<prefix>] (e.g. localai/models), s3://<bucket>, or a folder path starting with / or ./`);
  }
  if (!ALIAS.test(segs[0])) throw bad(text, `'${printable(segs[0])}' is not an alias name (letters, digits, '_', '-', '.')`);
  checkBucket(text, segs[1]);
  checkPrefix(text, segs.slice(2));
  return segs.length > 2
    ? { kind: 'alias', alias: segs[0], bucket: segs[1], prefix: segs.slice(2).join('/') }
    : { kind: 'alias', alias: segs[0], bucket: segs[1] };
}

export const s3Backend: Backend = {
  kind: 's3',
  label: 'S3',
  icon: 'cloud',
  bucketed: true,
  presign: true,
  clusterPull: true,
  nfsMount: false,
  sortedListing: true,
  schemes: ['s3://'],
  fallback: true,

  async open(cfg, opts = {}) {
    const c = repoConfig(cfg);
    const tuning = opts.dedicated ? { download: { inlineWrites: true } } : {};
    if (c.viaCluster) {
      const { openClusterStorage } = await import('../kube/clusterStorage.js');
      const opened = await openClusterStorage({ ...c, viaCluster: c.viaCluster }, tuning);
      return { storage: opened.storage, config: opened.config };
    }
    const { createS3Storage } = await import('../storage/s3Storage.js');
    return { storage: createS3Storage(c, tuning), config: c };
  },

  async listBuckets(cfg, signal) {
    const c = own(cfg);
    const { listBuckets } = await import('../storage/s3Buckets.js');
    if (!c.viaCluster) return listBuckets(c, signal);
    const { openClusterEndpoint } = await import('../kube/clusterStorage.js');
    const { config, forward } = await openClusterEndpoint({ ...c, viaCluster: c.viaCluster });
    try {
      return await listBuckets(config, signal);
    } finally {
      void forward.close();
    }
  },

  repository(cfg, object) {
    const c = own(cfg) as Partial<S3ConnectionConfig>;
    if (!c.bucket) throw new RepoError('Config', 'open', object, 'no bucket is chosen');
    return c as S3ConnectionConfig;
  },

  uriOf(cfg, key) {
    const c = repoConfig(cfg);
    return `s3://${c.bucket}/${c.prefix ? `${c.prefix}/` : ''}${key}`;
  },

  parseLocation,
  formatLocation(loc) {
    if (loc.kind === 'alias') return `${loc.alias}/${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`;
    if (loc.kind === 's3') return `s3://${loc.bucket}${loc.prefix ? `/${loc.prefix}` : ''}`;
    throw new RepoError('Config', 'format', 'a location', 'it is not an S3 location');
  },
  // keys and endpoints come from the CLI's flags, mc aliases, profiles and environment (cli/session.ts)
  locationConfig: () => undefined,

  fromSettings,
  settingsFields: [
    { key: 'name', label: 'Name', prompt: 'Name shown in the tree' },
    { key: 'keys', label: 'Keys', prompt: 'Access key ID and secret access key' },
    { key: 'endpoint', label: 'Endpoint', prompt: 'Endpoint URL (empty for AWS S3)' },
    { key: 'clusterEndpoint', label: 'Cluster endpoint', prompt: 'Endpoint URL pods use, e.g. http://minio.model-storage:9000 (empty: the endpoint above)' },
    { key: 'region', label: 'Region', prompt: 'Region, e.g. us-east-1' },
    { key: 'bucket', label: 'Bucket', prompt: 'Show only this bucket (empty: every bucket the keys can list)' },
    { key: 'bucketFilter', label: 'Bucket filter', prompt: 'Show buckets matching this pattern, e.g. models-*' },
    { key: 'prefix', label: 'Prefix', prompt: 'Repository root inside the bucket, e.g. team-a/models' },
    { key: 'pathStyle', label: 'Path-style addressing', prompt: '' },
  ],
  settingsDetail(c) {
    const ep = c.endpoint ? c.endpoint.replace(/^https?:\/\//, '') : 'AWS S3';
    return c.bucket ? `${ep} · ${c.bucket}` : ep;
  },
  samePlace: () => false,

  podLocation(cfg) {
    const c = repoConfig(cfg);
    const endpoint = clusterEndpointFor(c);
    return {
      location: {
        kind: 's3', endpoint, region: c.region, bucket: c.bucket,
        pathStyle: c.forcePathStyle ?? endpoint !== undefined, prefix: c.prefix ?? '',
      },
      root: c.prefix ? `${c.prefix.replace(/^\/+|\/+$/g, '')}/` : '',
    };
  },
  podKeys: (cfg) => repoConfig(cfg).credentials,
  withClusterEndpoint: (cfg, endpoint) => ({ ...repoConfig(cfg), clusterEndpoint: endpoint }),
  nfsOf: () => undefined,
  withNfs: (cfg) => cfg,
};
