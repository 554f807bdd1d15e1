// Every object of the MinIO deployment, in the order they are applied: the Namespace (restricted pod
// security enforced), the Secret with the root keys, the PVC, the server Deployment, its ClusterIP
// Service (9000 S3 API, 9001 console) and the Job that makes the first bucket.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-types/core/v1';
import { MINIO_API_PORT, MINIO_CONSOLE_PORT, MINIO_NAME, minioSettings, secretValues } from './minioSettings';
import type { MinioOptions, MinioSettings } from './minioSettings';
import { bucketJob, minioDeployment } from './minioWorkload';

export type MinioObject = Namespace | Secret | PersistentVolumeClaim | Deployment | Service | Job;

export function minioNamespace(s: MinioSettings): Namespace {
  return {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name: s.namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'app.kubernetes.io/managed-by': 'modelrepo' } },
  };
}

export function minioSecret(s: MinioSettings): Secret {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secretValues(s))) data[k] = Buffer.from(v, 'utf8').toString('base64');
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: MINIO_NAME, namespace: s.namespace, labels: { ...s.labels, 'app.kubernetes.io/component': 'credentials' } },
    type: 'Opaque', data,
  };
}

export function minioVolumeClaim(s: MinioSettings): PersistentVolumeClaim {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name: MINIO_NAME, namespace: s.namespace, labels: { ...s.labels } },
    spec: {
      accessModes: ['ReadWriteOnce'], resources: { requests: { storage: s.size } },
      ...(s.storageClass ? { storageClassName: s.storageClass } : {}),
    },
  };
}

export function minioService(s: MinioSettings): Service {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: MINIO_NAME, namespace: s.namespace, labels: { ...s.labels } },
    spec: {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': MINIO_NAME, 'app.kubernetes.io/instance': MINIO_NAME },
      ports: [
        { name: 'api', port: MINIO_API_PORT, targetPort: 'api', protocol: 'TCP' },
        { name: 'console', port: MINIO_CONSOLE_PORT, targetPort: 'console', protocol: 'TCP' },
      ],
    },
  };
}

/** All objects; `withSecret: false` leaves out the Secret (it exists already and keeps its keys). */
export function buildMinioObjects(o: MinioOptions = {}, opts: { readonly withSecret?: boolean } = {}): MinioObject[] {
  const s = minioSettings(o);
  return [
    minioNamespace(s), ...(opts.withSecret === false ? [] : [minioSecret(s)]), minioVolumeClaim(s),
    minioDeployment(s), minioService(s), bucketJob(s),
  ];
}
