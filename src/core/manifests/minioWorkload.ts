// The MinIO server Deployment and the Job that makes the first bucket. Both run under the restricted
// pod security profile: uid 1000, no capabilities, read-only root filesystem (MinIO and mc write only
// to /data and to an emptyDir at /tmp, which is their HOME). The keys reach them only through
// secretKeyRef, never as literal values or arguments in the objects.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Container, EnvVar, PodSecurityContext, PodSpec, SecurityContext } from 'kubernetes-types/core/v1';
import { shellQuote } from './initScript';
import {
  MC_IMAGE, MINIO_API_PORT, MINIO_CONSOLE_PORT, MINIO_IMAGE, MINIO_NAME, MINIO_UID, minioClusterEndpoint,
} from './minioSettings';
import type { MinioSettings } from './minioSettings';

export const BUCKET_JOB = `${MINIO_NAME}-make-bucket`;
const TMP = { name: 'tmp', mountPath: '/tmp' };

function podSecurity(): PodSecurityContext {
  return {
    runAsNonRoot: true, runAsUser: MINIO_UID, runAsGroup: MINIO_UID, fsGroup: MINIO_UID,
    fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
  };
}

function containerSecurity(): SecurityContext {
  return {
    runAsNonRoot: true, runAsUser: MINIO_UID, runAsGroup: MINIO_UID, allowPrivilegeEscalation: false, privileged: false,
    readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
  };
}

function keyEnv(): EnvVar[] {
  return [
    { name: 'MINIO_ROOT_USER', valueFrom: { secretKeyRef: { name: MINIO_NAME, key: 'rootUser' } } },
    { name: 'MINIO_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: MINIO_NAME, key: 'rootPassword' } } },
  ];
}

function podSpec(containers: Container[], extra: Partial<PodSpec>): PodSpec {
  return { automountServiceAccountToken: false, securityContext: podSecurity(), containers, ...extra };
}

export function minioDeployment(s: MinioSettings): Deployment {
  const server: Container = {
    name: MINIO_NAME, image: MINIO_IMAGE, imagePullPolicy: 'IfNotPresent',
    // standalone mode (one server, one drive), as the chapter's `--set mode=standalone`
    args: ['server', '/data', '--address', `:${MINIO_API_PORT}`, '--console-address', `:${MINIO_CONSOLE_PORT}`, '--certs-dir', '/tmp/certs'],
    env: [...keyEnv(), { name: 'HOME', value: '/tmp' }],
    ports: [{ name: 'api', containerPort: MINIO_API_PORT, protocol: 'TCP' }, { name: 'console', containerPort: MINIO_CONSOLE_PORT, protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/minio/health/ready', port: MINIO_API_PORT }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
    livenessProbe: { httpGet: { path: '/minio/health/live', port: MINIO_API_PORT }, initialDelaySeconds: 10, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
    resources: { requests: { cpu: '500m', memory: '4Gi' }, limits: { cpu: '2', memory: '8Gi' } },
    securityContext: containerSecurity(),
    volumeMounts: [{ name: 'data', mountPath: '/data' }, TMP],
  };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: MINIO_NAME, namespace: s.namespace, labels: { ...s.labels } },
    spec: {
      replicas: 1,
      // One ReadWriteOnce volume: the old pod must let go of it before the new one starts.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { 'app.kubernetes.io/name': MINIO_NAME, 'app.kubernetes.io/instance': MINIO_NAME } },
      template: {
        metadata: { labels: { ...s.labels } },
        spec: podSpec([server], { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: MINIO_NAME } }, { name: 'tmp', emptyDir: {} }] }),
      },
    },
  };
}

/** Waits (bounded) for the Service to answer, then makes the bucket; a bucket already there is fine. */
export function bucketScript(s: MinioSettings): string {
  return [
    'set -eu',
    `endpoint=${shellQuote(minioClusterEndpoint(s))}`,
    `bucket=${shellQuote(s.bucket)}`,
    'tries=0',
    'until mc --quiet alias set modelrepo "$endpoint" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1 && mc --quiet ls modelrepo >/dev/null 2>&1; do',
    '  tries=$((tries + 1))',
    '  [ "$tries" -lt 90 ] || { echo "modelrepo: MinIO at $endpoint did not answer within 3 minutes" >&2; exit 1; }',
    '  sleep 2',
    'done',
    'mc --quiet mb --ignore-existing "modelrepo/$bucket"',
    'echo "modelrepo: bucket $bucket is ready at $endpoint"',
  ].join('\n');
}

export function bucketJob(s: MinioSettings): Job {
  const mc: Container = {
    name: 'make-bucket', image: MC_IMAGE, imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c'], args: [bucketScript(s)],
    env: [...keyEnv(), { name: 'HOME', value: '/tmp' }, { name: 'MC_CONFIG_DIR', value: '/tmp/.mc' }],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    securityContext: containerSecurity(),
    volumeMounts: [TMP],
  };
  const labels = { ...s.labels, 'app.kubernetes.io/component': 'make-bucket' };
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: BUCKET_JOB, namespace: s.namespace, labels },
    spec: {
      backoffLimit: 4, activeDeadlineSeconds: 600,
      template: { metadata: { labels }, spec: podSpec([mc], { restartPolicy: 'OnFailure', volumes: [{ name: 'tmp', emptyDir: {} }] }) },
    },
  };
}
