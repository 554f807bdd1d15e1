// A/B: one Deployment per arm (e.g. `stable` and `canary`, each pinned to what its tag resolves to or
// following its tag) behind one Service that selects the label both arms share. The Service spreads
// connections over ready pods, so the weight of an arm is its share of the replicas (3 + 1 = 75 / 25 %).
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Secret, Service } from 'kubernetes-types/core/v1';
import { RepoError } from '../errors';
import { checkDns1035Label, checkDnsLabel, dns1035Label } from './k8sNames';
import { ANNOTATION_PREFIX } from './manifestInput';
import type { ManifestInput } from './manifestInput';
import { credentialsSecret } from './podParts';
import { manifestSettings } from './settings';
import { buildDeployment, buildService, SERVICE_LABEL, withLabels } from './workloads';
import { isS3Pull } from '../backends/podAccess';

export interface AbArm {
  /** The arm's name, a DNS label: `stable`, `canary`. */
  readonly track: string;
  /** What the arm serves (its tag resolved, or followed with mode 'follow'). */
  readonly input: ManifestInput;
  readonly replicas: number;
}

export interface AbOptions {
  /** Name of the Service; the Deployments are `<name>-<track>`. Default: from the first arm's model. */
  readonly name?: string;
  readonly namespace?: string;
}

const TRACK_LABEL = `${ANNOTATION_PREFIX}track`;

export function buildAbManifests(arms: readonly AbArm[], opts: AbOptions = {}): (Secret | Deployment | Service)[] {
  const action = 'build an A/B manifest for';
  if (arms.length < 2) throw new RepoError('Config', action, arms[0]?.input.model ?? 'no model', 'an A/B pair needs at least two arms');
  const base = opts.name !== undefined ? checkDns1035Label('name', opts.name) : dns1035Label(arms[0].input.model, 50);
  const total = arms.reduce((n, a) => n + a.replicas, 0);
  if (!arms.every((a) => Number.isInteger(a.replicas) && a.replicas >= 0) || total === 0) {
    throw new RepoError('Config', action, base, 'replicas are the weights: whole numbers, at least one of them above 0');
  }
  const tracks = arms.map((a) => checkDnsLabel('track', a.track));
  if (new Set(tracks).size !== tracks.length) throw new RepoError('Config', action, base, `the tracks must differ (${tracks.join(', ')})`);
  const share = (r: number): string => `${Math.round((1000 * r) / total) / 10}%`;
  const settings = arms.map((a) => {
    const name = checkDnsLabel('name', `${base}-${a.track}`);
    const s = manifestSettings({ ...a.input, kind: 'deployment', name, replicas: a.replicas, namespace: opts.namespace ?? a.input.namespace });
    const labelled = withLabels(s, { 'app.kubernetes.io/name': base, 'app.kubernetes.io/instance': name, [TRACK_LABEL]: a.track, [SERVICE_LABEL]: base });
    return { ...labelled, annotations: { ...labelled.annotations, [`${ANNOTATION_PREFIX}traffic-share`]: `${share(a.replicas)} (${a.replicas} of ${total} replicas)` } };
  });
  const namespaces = new Set(settings.map((s) => s.namespace ?? ''));
  if (namespaces.size > 1) throw new RepoError('Config', action, base, 'both arms must be in one namespace: a Service selects pods of its own namespace');
  const secrets = new Map<string, Secret>();
  for (const s of settings) if (isS3Pull(s.input.location) && !secrets.has(s.secretName)) secrets.set(s.secretName, credentialsSecret(s));
  const summary = arms.map((a) => `${a.track}: ${a.replicas} (${share(a.replicas)})`).join(', ');
  const service = buildService(withLabels(settings[0], { 'app.kubernetes.io/instance': base }), base, { [`${ANNOTATION_PREFIX}ab`]: summary });
  delete (service.metadata!.labels as Record<string, string>)[TRACK_LABEL];
  return [...secrets.values(), ...settings.map(buildDeployment), service];
}
