// Offline checks of generated Kubernetes manifests (no API server can run here), stacked because each
// tool covers a part (see /work/shared/reference/kubernetes-checks.md):
//   schemaProblems      kubernetes-models: types, enums, required fields, quantities, base64 Secret data
//   unknownFields       @kubernetes/client-node's attribute maps: fields the type does not have (typos)
//   nameProblems        metadata/container/volume/port names and label values (kubernetes-models skips them)
//   securityProblems    our own pod-security rules (restricted profile + practices), containers AND initContainers
//   plainCredentials    env values that carry a credential in plain text, containers AND initContainers
//   monokleProblems     @monokle/validation: pod-security-standards, practices, resource-links
//   kubectlSecret       the reference Secret encoding from `kubectl create secret generic --dry-run=client`
// Each returns a list of problems (empty = fine) so a test can also prove it catches a broken manifest.
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Parses a multi-document YAML stream with the `yaml` package (rejects duplicate keys, reports errors). */
export function parseManifests(text: string, version: '1.1' | '1.2' = '1.2'): Obj[] {
  return parseAllDocuments(text, { version, uniqueKeys: true }).map((d, i) => {
    if (d.errors.length > 0) throw new Error(`YAML document ${i}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Obj;
  });
}

const MODELS: Record<string, new (o: Obj) => { validate(): void }> = {
  'v1/Pod': Pod, 'v1/Secret': Secret, 'apps/v1/Deployment': Deployment, 'apps/v1/DaemonSet': DaemonSet, 'v1/Service': Service, 'v1/ServiceAccount': ServiceAccount,
  'v1/Namespace': Namespace, 'v1/PersistentVolumeClaim': PersistentVolumeClaim, 'batch/v1/Job': Job,
};

export function schemaProblems(obj: Obj): string[] {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) return [`no kubernetes-models class for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: { instancePath: string; message: string }[] }).errors;
    return errors ? errors.map((x) => `${x.instancePath} ${x.message}`) : [String(e)];
  }
}

interface Attr { baseName: string; type: string }
type K8sModule = Record<string, unknown>;

/** Loads @kubernetes/client-node (ESM, Node >= 22), or returns the reason it cannot run here. */
export async function loadClientNode(): Promise<K8sModule | string> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) return `@kubernetes/client-node 2.x needs Node >= 22, this is Node ${process.versions.node}`;
  return (await import('@kubernetes/client-node')) as unknown as K8sModule;
}

/** Paths of fields that the Kubernetes type does not have, walking client-node's getAttributeTypeMap(). */
export function unknownFields(obj: Obj, k8s: K8sModule): string[] {
  const version = String(obj.apiVersion).split('/').pop() ?? '';
  return unknownFieldsAs(obj, `${version.charAt(0).toUpperCase()}${version.slice(1)}${obj.kind}`, obj.kind, k8s);
}

/** The same walk from a named client-node type (`V1Container`), for parts embedded in a custom resource. */
export function unknownFieldsAs(value: unknown, rootType: string, rootPath: string, k8s: K8sModule): string[] {
  const problems: string[] = [];
  const typeOf = (name: string): { getAttributeTypeMap(): Attr[] } | undefined => {
    const c = k8s[name] as { getAttributeTypeMap?: () => Attr[] } | undefined;
    return c && typeof c.getAttributeTypeMap === 'function' ? (c as { getAttributeTypeMap(): Attr[] }) : undefined;
  };
  if (!typeOf(rootType)) return [`no client-node type ${rootType}`];
  const walk = (v: unknown, type: string, path: string): void => {
    if (v === null || v === undefined) return;
    const list = /^Array<(.+)>$/.exec(type);
    if (list) {
      if (!Array.isArray(v)) problems.push(`${path}: expected a list of ${list[1]}`);
      else v.forEach((x, i) => walk(x, list[1], `${path}[${i}]`));
      return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
      for (const [k, x] of Object.entries(v as Obj)) walk(x, map[1], `${path}.${k}`);
      return;
    }
    const cls = typeOf(type);
    if (!cls) return; // string, number, boolean, IntOrString, Date, any: types are kubernetes-models' job
    if (typeof v !== 'object' || Array.isArray(v)) {
      problems.push(`${path}: expected an object (${type})`);
      return;
    }
    const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
    for (const [k, x] of Object.entries(v as Obj)) {
      const t = attrs.get(k);
      if (t === undefined) problems.push(`${path}.${k}: ${type} has no field '${k}'`);
      else walk(x, t, `${path}.${k}`);
    }
  };
  walk(value, rootType, rootPath);
  return problems;
}

/** The pod spec of a Pod, of a workload with a pod template, or of a KServe predictor (an inline pod
 *  spec; a `model` predictor's container fields count as the kserve-container, image from the runtime). */
export function podSpecOf(obj: Obj): Obj | undefined {
  if (obj.kind === 'Pod') return obj.spec;
  if (obj.kind === 'InferenceService') {
    const p = obj.spec?.predictor;
    if (!p) return undefined;
    const { model, ...spec } = p;
    if (!model) return spec;
    const { modelFormat: _f, storageUri: _u, ...fields } = model;
    return { ...spec, containers: [{ name: 'kserve-container', imageFromRuntime: true, ...fields }] };
  }
  return obj.spec?.template?.spec;
}

function containersOf(spec: Obj): { path: string; c: Obj }[] {
  return [
    ...(spec.initContainers ?? []).map((c: Obj, i: number) => ({ path: `initContainers[${i}]`, c })),
    ...(spec.containers ?? []).map((c: Obj, i: number) => ({ path: `containers[${i}]`, c })),
  ];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function nameProblems(obj: Obj): string[] {
  const p: string[] = [];
  const name = String(obj.metadata?.name ?? '');
  if (!(name.length <= 253 && DNS_SUBDOMAIN.test(name))) p.push(`metadata.name '${name}' is not a DNS subdomain`);
  const ns = obj.metadata?.namespace;
  if (ns !== undefined && !(ns.length <= 63 && DNS_LABEL.test(ns))) p.push(`metadata.namespace '${ns}' is not a DNS label`);
  // Services (and what KServe turns into Services) need RFC 1035 names: a letter first.
  if ((obj.kind === 'Service' || obj.kind === 'InferenceService') && !/^[a-z]/.test(name)) p.push(`metadata.name '${name}' does not start with a letter`);
  const labels = { ...(obj.metadata?.labels ?? {}), ...(obj.spec?.template?.metadata?.labels ?? {}) } as Record<string, string>;
  for (const [k, v] of Object.entries(labels)) {
    if (!(v.length <= 63 && LABEL_VALUE.test(v))) p.push(`label ${k}: '${v}' is not a valid label value`);
  }
  const spec = podSpecOf(obj);
  if (spec) {
    for (const { path, c } of containersOf(spec)) {
      if (!(c.name.length <= 63 && DNS_LABEL.test(c.name))) p.push(`${path}.name '${c.name}' is not a DNS label`);
      for (const port of c.ports ?? []) {
        if (port.name !== undefined && (port.name.length > 15 || !/^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(port.name))) {
          p.push(`${path} port name '${port.name}' is not an IANA service name`);
        }
      }
    }
    for (const v of spec.volumes ?? []) if (!DNS_LABEL.test(v.name)) p.push(`volume name '${v.name}' is not a DNS label`);
  }
  return p;
}

/** Restricted pod-security profile and the practices that matter here, for every container. */
export function securityProblems(obj: Obj): string[] {
  const spec = podSpecOf(obj);
  if (!spec) return [];
  const p: string[] = [];
  const psc = spec.securityContext ?? {};
  if (psc.runAsNonRoot !== true) p.push('pod: securityContext.runAsNonRoot is not true');
  if (psc.seccompProfile?.type !== 'RuntimeDefault' && psc.seccompProfile?.type !== 'Localhost') p.push('pod: no seccomp profile');
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) p.push('pod: uses host namespaces');
  if (spec.automountServiceAccountToken !== false) p.push('pod: mounts a service account token it does not need');
  for (const v of spec.volumes ?? []) if (v.hostPath) p.push(`volume ${v.name}: hostPath`);
  for (const { path, c } of containersOf(spec)) {
    const sc = c.securityContext ?? {};
    const user = sc.runAsUser ?? psc.runAsUser;
    if (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true) p.push(`${path}: runAsNonRoot not set`);
    if (user === 0) p.push(`${path}: runs as root (runAsUser 0)`);
    if (sc.allowPrivilegeEscalation !== false) p.push(`${path}: allowPrivilegeEscalation is not false`);
    if (sc.privileged === true) p.push(`${path}: privileged`);
    if (sc.readOnlyRootFilesystem !== true) p.push(`${path}: root filesystem is writable`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) p.push(`${path}: capabilities not dropped (drop: [ALL])`);
    if ((sc.capabilities?.add ?? []).length > 0) p.push(`${path}: adds capabilities`);
    if (!sc.seccompProfile && !psc.seccompProfile) p.push(`${path}: no seccomp profile`);
    const image = String(c.image ?? '');
    const tag = image.includes('@') ? 'digest' : /:[^/]+$/.exec(image)?.[0].slice(1);
    if (!c.imageFromRuntime && (!tag || tag === 'latest')) p.push(`${path}: image '${image}' is not pinned (no tag or :latest)`);
    for (const k of ['cpu', 'memory']) {
      if (!c.resources?.requests?.[k]) p.push(`${path}: no ${k} request`);
      if (!c.resources?.limits?.[k]) p.push(`${path}: no ${k} limit`);
    }
  }
  return p;
}

const CREDENTIAL_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|ACCESS_KEY|PRIVATE_KEY|API_KEY)/i;
const CREDENTIAL_VALUE = [/^(AKIA|ASIA)[A-Z0-9]{16}$/, /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i];

/** Env vars (containers and initContainers) whose literal value is, or looks like, a credential. */
export function plainCredentials(obj: Obj, knownSecrets: readonly string[] = []): string[] {
  const spec = podSpecOf(obj);
  if (!spec) return [];
  const p: string[] = [];
  for (const { path, c } of containersOf(spec)) {
    for (const e of c.env ?? []) {
      if (e.value === undefined) continue;
      const v = String(e.value);
      if (CREDENTIAL_NAME.test(e.name)) p.push(`${path}: env ${e.name} has a literal value (use secretKeyRef)`);
      else if (knownSecrets.some((s) => s.length > 0 && v.includes(s))) p.push(`${path}: env ${e.name} carries a known secret`);
      else if (CREDENTIAL_VALUE.some((r) => r.test(v))) p.push(`${path}: env ${e.name} looks like a credential`);
    }
    for (const [i, a] of [...(c.command ?? []), ...(c.args ?? [])].entries()) {
      if (knownSecrets.some((s) => s.length > 0 && String(a).includes(s))) p.push(`${path}: command/args[${i}] carries a known secret`);
    }
  }
  return p;
}

export interface MonokleFinding { readonly ruleId: string; readonly message: string; readonly path?: string }

// Rules enabled by id: the practices and the whole pod-security-standards set (restricted included),
// plus links (a secretKeyRef to a Secret that is not in the set).
const MONOKLE_RULES = [
  'KBP001', 'KBP002', 'KBP003', 'KBP004', 'KBP005', 'KBP100', 'KBP101', 'KBP102', 'KBP103', 'KBP104', 'KBP105',
  'KBP106', 'KBP109', 'KBP113', 'KBP115', 'KBP116',
  ...Array.from({ length: 11 }, (_, i) => `PSS${101 + i}`), ...Array.from({ length: 6 }, (_, i) => `PSS${201 + i}`),
  'LNK001',
];

let monokleRuns = 0;

/** Runs @monokle/validation offline on the objects (kubernetes-schema and OPA plugins off). */
export async function monokleProblems(objects: readonly Obj[]): Promise<MonokleFinding[]> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const m: any = await import('@monokle/validation');
  const { stringify } = await import('yaml');
  // monokle caches parsed resources by id across validators: fresh ids for every call.
  const run = ++monokleRuns;
  const resources = objects.map((o, i) => ({
    id: `run${run}-r${i}`, fileId: `run${run}`, filePath: `manifest-${run}.yaml`, fileOffset: 0, name: o.metadata?.name ?? '',
    apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata?.namespace, content: o, text: stringify(o),
  }));
  const validator = new m.MonokleValidator({
    loader: new m.DefaultPluginLoader(), parser: new m.ResourceParser(), schemaLoader: new m.SchemaLoader(),
    suppressors: [], fixer: new m.DisabledFixer(),
  });
  await validator.preload({
    plugins: {
      'pod-security-standards': true, practices: true, 'resource-links': true,
      'kubernetes-schema': false, 'open-policy-agent': false, 'yaml-syntax': false,
    },
    rules: Object.fromEntries(MONOKLE_RULES.map((r) => [r, 'err'])),
  });
  const response = await validator.validate({ resources: m.processRefs(resources, new m.ResourceParser()) });
  const out: MonokleFinding[] = [];
  for (const run of response.runs) {
    for (const r of run.results) {
      const loc = r.locations?.[1]?.logicalLocations?.[0]?.fullyQualifiedName;
      out.push({ ruleId: r.ruleId, message: r.message?.text ?? '', path: loc });
    }
  }
  return out;
}

/** `kubectl create secret generic ... --dry-run=client -o yaml`, parsed; a string says why it could not run. */
export function kubectlSecret(name: string, namespace: string | undefined, literals: Record<string, string>): Obj | string {
  const args = ['create', 'secret', 'generic', name, ...(namespace ? ['-n', namespace] : [])];
  for (const [k, v] of Object.entries(literals)) args.push(`--from-literal=${k}=${v}`);
  args.push('--dry-run=client', '-o', 'yaml');
  const r = spawnSync('kubectl', args, { encoding: 'utf8' });
  if (r.error) return `kubectl is not available here (${(r.error as NodeJS.ErrnoException).code})`;
  if (r.status !== 0) throw new Error(`kubectl failed: ${r.stderr}`);
  return parseManifests(r.stdout)[0];
}
