// The S3 services of a cluster: MinIO found by its labels (app=minio, app.kubernetes.io/name=minio) or
// by a port that looks like S3 (9000, or named minio / s3), plus any Service the user names. Listing
// covers all namespaces when the user may list them, else the context's namespace. Names read from the
// cluster pass the Kubernetes name rule before they reach a URL or a message.
import type { V1Service, V1ServicePort } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { RepoError } from '../errors';
import { showName } from '../names';
import type { KubeSession } from './kubeClient';

export interface S3Service {
  readonly namespace: string;
  readonly name: string;
  /** The Service port used for S3. */
  readonly port: number;
  /** Its targetPort on the pods: a number, or a container port's name. */
  readonly targetPort: number | string;
  /** The pods behind the Service, as a label selector (`a=b,c=d`); empty when the Service has none. */
  readonly selector: string;
  /** How pods reach it: http://<service>.<namespace>:<port>. */
  readonly clusterEndpoint: string;
  /** Why it was listed: `labels`, `port` or `named`. */
  readonly found: 'labels' | 'port' | 'named';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const S3_PORT_NAMES = ['minio', 's3', 'api', 'http'];

export function isKubeName(name: string, what: 'namespace' | 'service' | 'secret' | 'pod'): boolean {
  return (what === 'secret' || what === 'pod' ? DNS_SUBDOMAIN : DNS_LABEL).test(name);
}

/** The name, when it is a Kubernetes name (a DNS label; a Secret's may hold dots). */
export function checkKubeName(name: string, what: 'namespace' | 'service' | 'secret' | 'pod'): string {
  if (!isKubeName(name, what)) throw new RepoError('Config', 'use', `${what} ${showName(name)}`, 'not a Kubernetes name (lower-case letters, digits and -)');
  return name;
}

/** The port used for S3: the one asked for, else the only one, else 9000, else a port named like S3. */
function s3Port(ports: readonly V1ServicePort[], wanted?: number): V1ServicePort | undefined {
  if (wanted !== undefined) return ports.find((p) => p.port === wanted);
  if (ports.length === 1) return ports[0];
  return ports.find((p) => p.port === 9000) ?? ports.find((p) => S3_PORT_NAMES.includes(p.name ?? ''));
}

function looksLikeS3(svc: V1Service): 'labels' | 'port' | undefined {
  const labels = svc.metadata?.labels ?? {};
  if (labels.app === 'minio' || labels['app.kubernetes.io/name'] === 'minio') return 'labels';
  const ports = svc.spec?.ports ?? [];
  // a Service port named s3, not a storage kind
  // eslint-disable-next-line no-restricted-syntax
  return ports.some((p) => p.port === 9000 || p.name === 'minio' || p.name === 's3') ? 'port' : undefined;
}

function toS3Service(svc: V1Service, found: S3Service['found'], wanted?: number): S3Service | undefined {
  const name = svc.metadata?.name ?? '';
  const namespace = svc.metadata?.namespace ?? '';
  if (!DNS_LABEL.test(name) || !DNS_LABEL.test(namespace)) return undefined;
  const port = s3Port(svc.spec?.ports ?? [], wanted);
  if (!port) return undefined;
  const target = port.targetPort as number | string | undefined;
  return {
    namespace, name, port: port.port, targetPort: target === undefined || target === '' ? port.port : target,
    selector: Object.entries(svc.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    clusterEndpoint: `http://${name}.${namespace}:${port.port}`, found,
  };
}

/** The S3 services of the cluster, sorted by namespace and name. */
export async function listS3Services(kube: KubeSession): Promise<S3Service[]> {
  const action = 'list S3 services';
  let items: V1Service[];
  try {
    items = (await kube.core.listServiceForAllNamespaces()).items;
  } catch (e) {
    const err = kube.error(e, action, 'all namespaces');
    if (err.code !== 'Auth') throw err;
    // Not allowed to list every namespace: the context's own is what the user works in.
    items = await kube.core.listNamespacedService({ namespace: kube.namespace }).then((l) => l.items, (e2: unknown) => {
      throw kube.error(e2, action, `namespace ${kube.namespace}`);
    });
  }
  const out: S3Service[] = [];
  for (const svc of items) {
    const found = looksLikeS3(svc);
    const s = found && toS3Service(svc, found);
    if (s) out.push(s);
  }
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** One Service the user names; `port` picks among its ports. */
export async function readS3Service(kube: KubeSession, namespace: string, name: string, port?: number): Promise<S3Service> {
  const object = `service ${checkKubeName(namespace, 'namespace')}/${checkKubeName(name, 'service')}`;
  const svc = await kube.core.readNamespacedService({ name, namespace }).catch((e: unknown) => {
    throw kube.error(e, 'read', object);
  });
  const s = toS3Service(svc, 'named', port);
  if (!s) {
    const ports = (svc.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none';
    throw new RepoError('Config', 'use', object, port !== undefined
      ? `it has no port ${port} (ports: ${ports})` : `cannot tell which of its ports serves S3 (ports: ${ports}): name one`);
  }
  return s;
}
