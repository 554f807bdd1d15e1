// Opens the storage backend for a connection. The S3 backend (and with it the AWS SDK) is loaded only
// when an S3 connection is opened, so filesystem users and quick CLI commands never pay for it; a
// connection through a cluster also loads client-node and opens its port-forward (kube/clusterStorage.ts).
// (The `.js` suffix: under node16 resolution a dynamic import stays a native import(); esbuild maps it to the .ts.)
import type { ConnectionConfig } from './connections/types';
import type { S3StorageOptions } from './storage/s3Storage';
import type { Storage } from './storage/storage';
import { createFsStorage } from './storage/fsStorage';

/** `s3` tunes the S3 backend's transfers (the CLI writes downloads inline: s3Chunks.ts). */
export async function openStorage(cfg: ConnectionConfig, s3: S3StorageOptions = {}): Promise<Storage> {
  if (cfg.kind === 'fs') return createFsStorage(cfg);
  if (cfg.viaCluster) {
    const { openClusterStorage } = await import('./kube/clusterStorage.js');
    return (await openClusterStorage({ ...cfg, viaCluster: cfg.viaCluster }, s3)).storage;
  }
  const { createS3Storage } = await import('./storage/s3Storage.js');
  return createS3Storage(cfg, s3);
}
