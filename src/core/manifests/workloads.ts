// The workloads around podSpec(): a bare Pod, a Deployment (replicas, rolling update) and the Service in
// front of Deployments. A Service selects pods by the `modelrepo.io/service` label, so one Service can
// front several Deployments (the A/B pair in abTest.ts) while each Deployment keeps its own selector.
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Pod, Service } from 'kubernetes-types/core/v1';
import type { ManifestSettings } from './manifestInput';
import { objectMeta } from './podParts';
import { podSpec } from './podSpec';

export const SERVICE_LABEL = 'modelrepo.io/service';

export function buildPod(s: ManifestSettings): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: objectMeta(s, s.name, true), spec: podSpec(s) };
}

/** The settings with extra labels on every object and pod (e.g. the Service label, an A/B track). */
export function withLabels(s: ManifestSettings, labels: Record<string, string>): ManifestSettings {
  return { ...s, labels: { ...s.labels, ...labels } };
}

export function buildDeployment(s: ManifestSettings): Deployment {
  // Only labels that never change: a Deployment's selector is immutable (no version, no track value change).
  const selector = {
    'app.kubernetes.io/name': s.labels['app.kubernetes.io/name'],
    'app.kubernetes.io/instance': s.labels['app.kubernetes.io/instance'],
  };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: objectMeta(s, s.name, true),
    spec: {
      replicas: s.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector },
      // A GPU node rarely has a spare GPU for a surge pod: replace one pod at a time in place there.
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: s.gpus > 0 ? { maxSurge: 0, maxUnavailable: 1 } : { maxSurge: 1, maxUnavailable: 0 },
      },
      template: { metadata: { labels: { ...s.labels }, annotations: { ...s.annotations } }, spec: podSpec(s) },
    },
  };
}

/** A ClusterIP Service on port 80 to the pods' `http` port, selecting SERVICE_LABEL=name. */
export function buildService(s: ManifestSettings, name: string, annotations: Record<string, string> = {}): Service {
  const labels = { ...s.labels, 'app.kubernetes.io/instance': name };
  delete (labels as Record<string, string>)['app.kubernetes.io/version'];
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: {
      name, ...(s.namespace !== undefined ? { namespace: s.namespace } : {}), labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      type: 'ClusterIP',
      selector: { [SERVICE_LABEL]: name },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** A Deployment and its Service. */
export function deploymentWithService(s: ManifestSettings): [Deployment, Service] {
  const labelled = withLabels(s, { [SERVICE_LABEL]: s.name });
  return [buildDeployment(labelled), buildService(labelled, s.name)];
}
