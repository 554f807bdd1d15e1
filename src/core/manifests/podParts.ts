// The parts every workload variant shares: the credentials Secret, the hardened security contexts, the
// model volume (an emptyDir filled by the copy init container, or a read-only NFS mount) and the
// llama.cpp server container. A Pod, a Deployment or a Job only wraps podSpec() differently.
import type { Container, EnvVar, PodSecurityContext, PodSpec, Secret, SecurityContext, Volume, VolumeMount } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { RepoError } from '../errors';
import { copyScript } from './initScript';
import { MODELS_DIR, PLACEHOLDER } from './manifestInput';
import type { ManifestSettings } from './manifestInput';
import { mebibytes } from './k8sNames';

const MODELS_VOLUME = 'models';
const TMP_VOLUME = 'tmp';

export function objectMeta(s: ManifestSettings, name: string, withAnnotations: boolean): ObjectMeta {
  return {
    name,
    ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
    labels: { ...s.labels },
    ...(withAnnotations ? { annotations: { ...s.annotations } } : {}),
  };
}

/** The Secret the init container reads its keys from (base64 `data`, as `kubectl create secret` writes it). */
export function credentialsSecret(s: ManifestSettings): Secret {
  const c = s.input.credentials;
  const values: Record<string, string> = {
    AWS_ACCESS_KEY_ID: c?.accessKeyId ?? PLACEHOLDER,
    AWS_SECRET_ACCESS_KEY: c?.secretAccessKey ?? PLACEHOLDER,
  };
  if (c?.sessionToken) values.AWS_SESSION_TOKEN = c.sessionToken;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  // One Secret serves every model of the connection: no model labels on it.
  const labels = { 'app.kubernetes.io/component': 'credentials', 'app.kubernetes.io/managed-by': 'modelrepo' };
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: s.secretName, ...(s.namespace !== undefined ? { namespace: s.namespace } : {}), labels },
    type: 'Opaque', data,
  };
}

export function podSecurityContext(s: ManifestSettings): PodSecurityContext {
  return {
    runAsNonRoot: true, runAsUser: s.runAsUser, runAsGroup: s.runAsUser, fsGroup: s.runAsUser,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(s: ManifestSettings): SecurityContext {
  return {
    runAsNonRoot: true, runAsUser: s.runAsUser, runAsGroup: s.runAsUser,
    allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function secretEnv(s: ManifestSettings, key: string): EnvVar {
  return { name: key, valueFrom: { secretKeyRef: { name: s.secretName, key } } };
}

/** The init container that copies the artifacts from S3 into the models emptyDir and checks them. */
export function copyContainer(s: ManifestSettings): Container {
  const loc = s.input.location;
  if (loc.kind !== 's3') throw new RepoError('Config', 'build the copy container for', s.input.model, 'the model is not stored on S3');
  const script = copyScript({
    endpoint: loc.endpoint, region: loc.region, pathStyle: loc.pathStyle, bucket: loc.bucket,
    artifacts: s.input.artifacts, targetDir: MODELS_DIR, label: `${s.input.model}@${s.input.version}`,
  });
  const env = [secretEnv(s, 'AWS_ACCESS_KEY_ID'), secretEnv(s, 'AWS_SECRET_ACCESS_KEY')];
  if (s.input.credentials?.sessionToken) env.push(secretEnv(s, 'AWS_SESSION_TOKEN'));
  // aws-cli may write under $HOME; the root filesystem is read-only, so HOME is the tmp emptyDir.
  env.push({ name: 'HOME', value: '/tmp' });
  return {
    name: 'fetch-model',
    image: s.copyImage,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c'],
    args: [script],
    env,
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    securityContext: containerSecurityContext(s),
    volumeMounts: [{ name: MODELS_VOLUME, mountPath: MODELS_DIR }, { name: TMP_VOLUME, mountPath: '/tmp' }],
  };
}

/** The version folder relative to the NFS export (`llama-3-8b/2024-03-20`). */
function nfsVersionDir(s: ManifestSettings): string {
  const a = s.input.artifacts[0];
  return a.path.slice(0, a.path.length - a.file.length).replace(/^\/+|\/+$/g, '');
}

export function modelVolumes(s: ManifestSettings): Volume[] {
  const loc = s.input.location;
  if (loc.kind === 'nfs') {
    return [{ name: MODELS_VOLUME, nfs: { server: loc.server, path: loc.path, readOnly: true } }];
  }
  // Room for the files plus 5 % and 256 MiB for aws-cli's temporary part files.
  const size = s.totalSize * 1.05 + 256 * 1024 * 1024;
  return [
    { name: MODELS_VOLUME, emptyDir: { sizeLimit: mebibytes(size) } },
    { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
  ];
}

export function modelMount(s: ManifestSettings): VolumeMount {
  const mount: VolumeMount = { name: MODELS_VOLUME, mountPath: MODELS_DIR, readOnly: true };
  if (s.input.location.kind === 'nfs') {
    const dir = nfsVersionDir(s);
    if (dir) mount.subPath = dir;
  }
  return mount;
}

export function serverContainer(s: ManifestSettings): Container {
  return {
    name: 'llama-server',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    args: ['-m', `${MODELS_DIR}/${s.modelFile}`, '--host', '0.0.0.0', '--port', String(s.port)],
    ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
    // llama-server answers 503 on /health while it loads the model, 200 once it serves.
    readinessProbe: {
      httpGet: { path: '/health', port: s.port },
      initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3,
    },
    resources: { requests: { ...s.resources.requests }, limits: { ...s.resources.limits } },
    securityContext: containerSecurityContext(s),
    volumeMounts: [modelMount(s)],
  };
}

export function podSpec(s: ManifestSettings): PodSpec {
  const copy = s.input.location.kind === 's3';
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(s),
    ...(copy ? { initContainers: [copyContainer(s)] } : {}),
    containers: [serverContainer(s)],
    volumes: modelVolumes(s),
  };
}
