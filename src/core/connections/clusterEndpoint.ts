// The cluster endpoint: the S3 address pods use, which is often not the one the developer uses
// (`http://127.0.0.1:9000` through a port-forward on the laptop, `http://minio.model-storage:9000`
// inside the cluster). Manifests, `apply`, KServe annotations and the init scripts take the address
// from clusterEndpointFor(); an address that would send pods to their own node or pod (loopback,
// link-local) is refused before any YAML is written, because such a pod would fail only at start.
import { isIP } from 'node:net';
import { RepoError } from '../errors';
import type { S3ConnectionConfig } from './types';

/** The environment variable the CLI reads when --cluster-endpoint is not given. */
export const CLUSTER_ENDPOINT_ENV = 'MODELREPO_CLUSTER_ENDPOINT';
/** The address the chapter's MinIO has inside the cluster (deploy-minio's defaults). */
export const EXAMPLE_CLUSTER_ENDPOINT = 'http://minio.model-storage:9000';

/** The S3 endpoint pods use: the connection's cluster endpoint when set, else its own endpoint (undefined = AWS). */
export function clusterEndpointFor(cfg: Pick<S3ConnectionConfig, 'endpoint' | 'clusterEndpoint'>): string | undefined {
  const c = cfg.clusterEndpoint?.trim();
  return c ? c : cfg.endpoint;
}

/** Checks a cluster endpoint someone typed: an http(s) URL with a host and nothing after the port. */
export function checkClusterEndpoint(text: string): string {
  const value = text.trim().replace(/\/+$/, '');
  let url: URL | undefined;
  try { url = new URL(value); } catch { url = undefined; }
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname || url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new RepoError('Config', 'use cluster endpoint', `'${text}'`,
      `give an http or https URL with a host and an optional port, e.g. ${EXAMPLE_CLUSTER_ENDPOINT}`);
  }
  return value;
}

/** Why a pod cannot use this host (loopback or link-local), or undefined when it may. */
export function podUnreachableReason(endpoint: string): string | undefined {
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  } catch {
    return undefined; // not a URL: the S3 client reports it
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return 'the developer\'s own machine';
  const v4 = isIP(host) === 4 ? host : mappedV4(host);
  if (v4 !== undefined) {
    if (v4.startsWith('127.')) return 'the developer\'s own machine';
    if (v4.startsWith('169.254.')) return 'a link-local address, which a pod reaches only on its own node';
    return undefined;
  }
  if (isIP(host) === 6) {
    if (host === '::1') return 'the developer\'s own machine';
    if (/^fe[89ab][0-9a-f]:/.test(host)) return 'a link-local address, which a pod reaches only on its own node';
  }
  return undefined;
}

/** `::ffff:7f00:1` (how URL writes `::ffff:127.0.0.1`) as dotted IPv4. */
function mappedV4(host: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!m) return undefined;
  const [hi, lo] = [parseInt(m[1], 16), parseInt(m[2], 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Throws Config (exit 2) when pods would reach S3 at a loopback or link-local address. */
export function checkPodEndpoint(endpoint: string | undefined, object: string): void {
  if (endpoint === undefined) return;
  const why = podUnreachableReason(endpoint);
  if (why === undefined) return;
  throw new RepoError('Config', 'build the manifest for', object,
    `the pods would reach S3 at ${endpoint}, ${why}. Set the connection's cluster endpoint (--cluster-endpoint ${EXAMPLE_CLUSTER_ENDPOINT}, `
    + `${CLUSTER_ENDPOINT_ENV}, or "Cluster endpoint" in the connection's settings) to the address pods use`);
}
