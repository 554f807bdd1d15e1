// The parts every workload variant shares: the credentials Secret, the hardened security contexts, the
// copy init container (pinned or following a tag) and the model's mount (its emptyDir or a read-only NFS
// mount). The server containers are the runtimes' (runtimes/); podSpec.ts puts them together.
import type { Container, EnvVar, PodSecurityContext, Secret, SecurityContext, VolumeMount } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { RepoError } from '../errors';
import { followScript } from './followScript';
import { copyScript } from './initScript';
import { MODELS_DIR, PLACEHOLDER } from './manifestInput';
import { cacheMount, cacheScriptInput, podNameEnv } from './nodeCache';
import type { ManifestSettings } from './manifestInput';
import { isS3Pull, isNfsMount } from '../backends/podAccess';

export const MODELS_VOLUME = 'models';
export const TMP_VOLUME = 'tmp';
export const SHM_VOLUME = 'shm';

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

export function secretEnv(s: ManifestSettings, key: string): EnvVar {
  return { name: key, valueFrom: { secretKeyRef: { name: s.secretName, key } } };
}

/** The keys from the Secret, never as literal values. */
export function keyEnv(s: ManifestSettings): EnvVar[] {
  const env = [secretEnv(s, 'AWS_ACCESS_KEY_ID'), secretEnv(s, 'AWS_SECRET_ACCESS_KEY')];
  if (s.input.credentials?.sessionToken) env.push(secretEnv(s, 'AWS_SESSION_TOKEN'));
  return env;
}

/** The init container that copies the artifacts from S3 into the models emptyDir and checks them. */
export function copyContainer(s: ManifestSettings): Container {
  const loc = s.input.location;
  if (!isS3Pull(loc)) throw new RepoError('Config', 'build the copy container for', s.input.model, 'the model is not stored on S3');
  const nodeCache = s.nodeCache ? cacheScriptInput(s.nodeCache) : undefined;
  const source = { endpoint: loc.endpoint, region: loc.region, pathStyle: loc.pathStyle, bucket: loc.bucket, nodeCache };
  const script = s.mode === 'follow'
    ? followScript({ ...source, modelPrefix: s.modelPrefix ?? '', model: s.input.model, tag: s.tag ?? '', targetDir: MODELS_DIR })
    : copyScript({ ...source, artifacts: s.input.artifacts, targetDir: MODELS_DIR, label: `${s.input.model}@${s.input.version}` });
  const env = keyEnv(s);
  // aws-cli may write under $HOME; the root filesystem is read-only, so HOME is the tmp emptyDir.
  env.push({ name: 'HOME', value: '/tmp' });
  if (nodeCache) env.push(podNameEnv());
  return {
    name: 'fetch-model',
    image: s.copyImage,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c'],
    args: [script],
    env,
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    securityContext: containerSecurityContext(s),
    volumeMounts: [{ name: MODELS_VOLUME, mountPath: MODELS_DIR }, { name: TMP_VOLUME, mountPath: '/tmp' }, ...(nodeCache ? [cacheMount(false)] : [])],
  };
}

const trimSlashes = (p: string): string => p.replace(/^\/+|\/+$/g, '');

/** NFS: the version folder (pinned) or the model folder, whose tags/ symlinks the server opens (follow). */
export function modelMount(s: ManifestSettings): VolumeMount {
  const mount: VolumeMount = { name: MODELS_VOLUME, mountPath: MODELS_DIR, readOnly: true };
  if (isNfsMount(s.input.location)) {
    const dir = trimSlashes(s.mode === 'follow' ? s.modelPrefix ?? '' : s.versionPrefix);
    if (dir) mount.subPath = dir;
  }
  return mount;
}
