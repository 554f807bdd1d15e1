// Opens the storage of a connection through its backend (backends/): the S3 backend loads the AWS SDK
// (and, through a cluster, client-node and a port-forward) only when an S3 connection is opened.
import { backendOf } from './backends/index';
import type { ConnectionConfig } from './connections/types';
import type { OpenOptions } from './backends/backend';
import type { Storage } from './storage/storage';

export async function openStorage(cfg: ConnectionConfig, opts: OpenOptions = {}): Promise<Storage> {
  return (await backendOf(cfg).open(cfg, opts)).storage;
}
