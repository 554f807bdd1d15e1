// manifestSettings(): checks a ManifestInput and fills every default once (names, labels, annotations,
// resources, runtime, pinned or follow mode). What depends on the runtime (image, port, GPUs, resources,
// which file it opens) comes from its entry in runtimes/runtimeTable.ts.
import { registerSecret, RepoError } from '../errors';
import { checkInput, checkVariant, pickModelFile } from './inputChecks';
import { checkDns1035Label, checkDnsLabel, checkDnsSubdomain, dns1035Label, dnsLabel, labelValue } from './k8sNames';
import { nodeCacheAnnotations, nodeCacheSettings } from './nodeCache';
import { ANNOTATION_PREFIX, AWS_CLI_IMAGE, DEFAULT_SECRET_NAME } from './manifestInput';
import type { ManifestArtifact, ManifestInput, ManifestSettings, NfsLocation, S3Location } from './manifestInput';
import { formatOf } from './runtimes/runtime';
import type { Runtime } from './runtimes/runtime';
import { RUNTIMES, runtimeNamed, runtimesServing } from './runtimes/runtimeTable';
import { isS3Pull } from '../backends/podAccess';

export function manifestSettings(input: ManifestInput): ManifestSettings {
  checkInput(input);
  if (input.credentials) {
    registerSecret(input.credentials.secretAccessKey);
    registerSecret(input.credentials.sessionToken);
  }
  const kind = input.kind ?? 'pod';
  const runtime = input.runtime ?? runtimesServing([input.artifacts.map((a) => a.file)])[0];
  const rt = runtimeNamed(runtime, 'build a manifest for', `${input.model}@${input.version}`);
  const mode = input.mode ?? 'pinned';
  // A Deployment comes with a Service, and KServe makes Services: those names must start with a letter.
  const name = kind === 'pod'
    ? (input.name !== undefined ? checkDnsLabel('name', input.name) : dnsLabel(input.model))
    : (input.name !== undefined ? checkDns1035Label('name', input.name) : dns1035Label(input.model));
  const namespace = input.namespace !== undefined ? checkDnsLabel('namespace', input.namespace) : undefined;
  const secretName = checkDnsSubdomain('secret name', input.secretName ?? DEFAULT_SECRET_NAME);
  const modelFile = input.modelFile ?? defaultModelFile(input, rt);
  const main = input.artifacts.find((a) => a.file === modelFile);
  if (!main) {
    throw new RepoError('NotFound', 'build a manifest for', `${input.model}@${input.version}/${modelFile}`, 'no such file in the version');
  }
  const tag = mode === 'follow' ? input.tag ?? (input.chain && input.chain.length > 1 ? input.chain[0] : undefined) : undefined;
  const { versionPrefix, modelPrefix } = prefixes(input, main);
  const gpus = rt.gpus === 'none' ? 0 : input.gpus ?? rt.gpus.default;
  const replicas = input.replicas ?? 1;
  checkVariant(input, { kind, runtime, mode, tag, modelFile, modelPrefix, gpus, replicas });
  const totalSize = input.artifacts.reduce((sum, a) => sum + a.size, 0);
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
    // Following a tag, the version is only known at pod start.
    ...(mode === 'pinned' ? { 'app.kubernetes.io/version': labelValue(input.version) } : {}),
    'app.kubernetes.io/component': 'inference',
    'app.kubernetes.io/managed-by': 'modelrepo',
  };
  const annotations: Record<string, string> = { [`${ANNOTATION_PREFIX}model`]: input.model, [`${ANNOTATION_PREFIX}mode`]: mode };
  if (mode === 'pinned') {
    annotations[`${ANNOTATION_PREFIX}version`] = input.version;
    annotations[`${ANNOTATION_PREFIX}file`] = modelFile;
    annotations[`${ANNOTATION_PREFIX}sha256`] = main.sha256 ?? 'not recorded';
    annotations[`${ANNOTATION_PREFIX}source`] = sourceUri(input.location, main);
  } else {
    annotations[`${ANNOTATION_PREFIX}tag`] = tag ?? '';
    annotations[`${ANNOTATION_PREFIX}follow`] = 'resolved at every pod start: restart the pods after moving the tag';
  }
  if (input.chain && input.chain.length > 0) annotations[`${ANNOTATION_PREFIX}chain`] = input.chain.join(' -> ');
  if (input.ref) annotations[`${ANNOTATION_PREFIX}ref`] = input.ref;
  const nodeCache = nodeCacheSettings(input, rt, kind);
  if (nodeCache) Object.assign(annotations, nodeCacheAnnotations(nodeCache));
  if (mode === 'pinned' && input.artifacts.length > 1) {
    annotations[`${ANNOTATION_PREFIX}files`] = JSON.stringify(input.artifacts.map((a) => ({ file: a.file, size: a.size, sha256: a.sha256 })));
  }
  return {
    input, name, namespace, secretName, modelFile, totalSize, labels, annotations,
    resources: resourcesFor(input, rt, totalSize, gpus),
    port: input.port ?? rt.port,
    image: input.image ?? rt.image,
    copyImage: input.copyImage ?? AWS_CLI_IMAGE,
    runAsUser: input.runAsUser ?? 10001,
    kind, runtime, mode, tag, replicas, gpus, versionPrefix, modelPrefix, nodeCache,
  };
}

/** The runtime's entry for settings already made (its name was checked then). */
export function runtimeOf(s: ManifestSettings): Runtime {
  return RUNTIMES[s.runtime];
}

/** A folder runtime serves the whole version: the file only names it (the first weights file, in the
 *  annotations). A file runtime on a version with weights in other formats only: one of them, which the
 *  checks then refuse, naming the runtimes that read it. */
function defaultModelFile(input: ManifestInput, rt: Runtime): string {
  const files = input.artifacts.map((a) => a.file);
  const weights = files.filter((f) => { const format = formatOf(f); return format !== undefined && rt.formats.includes(format); }).sort();
  if (rt.opens === 'folder' && weights.length > 0) return weights[0];
  const foreign = files.filter((f) => formatOf(f) !== undefined).sort();
  if (rt.opens === 'file' && weights.length === 0 && foreign.length > 0) return foreign[0];
  return pickModelFile(input.model, input.version, files);
}

function resourcesFor(input: ManifestInput, rt: Runtime, totalSize: number, gpus: number): ManifestSettings['resources'] {
  const gpu: Record<string, string> = gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {};
  const base = rt.resources(totalSize);
  return {
    requests: { ...base.requests, ...input.resources?.requests },
    limits: { ...base.limits, ...input.resources?.limits, ...gpu },
  };
}

/** The version and model folders of the main artifact (`team-a/llama-3-8b/2024-03-20/`, `team-a/llama-3-8b/`). */
function prefixes(input: ManifestInput, main: ManifestArtifact): { versionPrefix: string; modelPrefix?: string } {
  const versionPrefix = main.path.slice(0, main.path.length - main.file.length);
  const tail = `${input.model}/${input.version}/`;
  if (versionPrefix !== tail && !versionPrefix.endsWith(`/${tail}`)) return { versionPrefix };
  const derived = versionPrefix.slice(0, versionPrefix.length - `${input.version}/`.length);
  const loc = input.location;
  if (isS3Pull(loc) && loc.prefix !== undefined) {
    const root = loc.prefix.replace(/^\/+|\/+$/g, '');
    const fromRoot = `${root ? `${root}/` : ''}${input.model}/`;
    if (fromRoot !== derived) {
      throw new RepoError('Config', 'build a manifest for', `${input.model}@${input.version}`,
        `the artifact path '${main.path}' is not under the repository root '${root}'`);
    }
  }
  return { versionPrefix, modelPrefix: derived };
}

function sourceUri(location: S3Location | NfsLocation, a: ManifestArtifact): string {
  return isS3Pull(location)
    ? `s3://${location.bucket}/${a.path}`
    : `nfs://${location.server}${location.path.replace(/\/+$/, '')}/${a.path}`;
}
