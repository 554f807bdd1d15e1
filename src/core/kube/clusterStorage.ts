// Opens an S3 connection that lives in a cluster (S3ConnectionConfig.viaCluster): finds the Service,
// reads the keys from its Secret when the connection carries none, opens the port-forward and the S3
// storage on the forwarded port. Disposing the storage closes the forward, so the forward lives exactly
// as long as the connection is in use (the CLI's command, the extension's cached repository).
import type { ClusterRoute, S3ConnectionConfig, S3EndpointConfig } from '../connections/types';
import type { S3Storage, S3StorageOptions } from '../storage/s3Storage';
import { readClusterKeys } from './clusterKeys';
import { openClusterForward } from './clusterForward';
import type { ClusterForward } from './clusterForward';
import { openKube } from './kubeClient';
import type { KubeSession } from './kubeClient';
import { readS3Service } from './s3Services';

export interface ClusterStorage {
  readonly storage: S3Storage;
  readonly forward: ClusterForward;
  /** The connection as opened: endpoint = the forwarded port, clusterEndpoint = the Service's URL. */
  readonly config: S3ConnectionConfig;
}

export function openRouteKube(route: ClusterRoute, cfg: { timeouts?: S3EndpointConfig['timeouts']; signal?: AbortSignal }): Promise<KubeSession> {
  return openKube({
    namespace: route.namespace,
    ...(route.kubeconfig ? { kubeconfig: route.kubeconfig } : {}),
    ...(route.context ? { context: route.context } : {}),
    ...(cfg.timeouts ? { timeouts: cfg.timeouts } : {}),
    ...(cfg.signal ? { signal: cfg.signal } : {}),
  }, 'connect through the cluster');
}

/** The connection's Service, keys and port-forward, before any bucket: the caller closes `forward`. */
export async function openClusterEndpoint<C extends S3EndpointConfig>(cfg: C & { viaCluster: ClusterRoute }): Promise<{ config: C; forward: ClusterForward }> {
  const route = cfg.viaCluster;
  const kube = await openRouteKube(route, cfg);
  const svc = await readS3Service(kube, route.namespace, route.service, route.port);
  const credentials = cfg.credentials ?? (route.secret ? await readClusterKeys(kube, route.namespace, route.secret) : undefined);
  const forward = await openClusterForward(kube, svc);
  const config: C = {
    ...cfg, endpoint: forward.url, forcePathStyle: true, region: cfg.region ?? 'us-east-1',
    clusterEndpoint: cfg.clusterEndpoint ?? svc.clusterEndpoint,
    ...(credentials ? { credentials } : {}),
  };
  return { config, forward };
}

export async function openClusterStorage(cfg: S3ConnectionConfig & { viaCluster: ClusterRoute },
  s3: S3StorageOptions = {}): Promise<ClusterStorage> {
  const { config, forward } = await openClusterEndpoint(cfg);
  const { createS3Storage } = await import('../storage/s3Storage.js');
  const inner = createS3Storage(config, s3);
  const storage: S3Storage = {
    ...inner,
    dispose(): void {
      inner.dispose?.();
      void forward.close();
    },
  };
  return { storage, forward, config };
}
