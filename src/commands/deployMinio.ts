// "Deploy MinIO to Cluster...": the chapter's MinIO (`cluster deploy-minio` of the CLI) from the editor.
// It asks for the namespace (default model-storage), the volume size (default 500Gi) and an optional
// storage class, confirms the kubectl context, then applies the objects by server-side apply with
// random root keys that stay in memory (an existing `minio` Secret keeps its keys) and waits for MinIO
// and the bucket Job. The report names the address pods use, to set as a connection's cluster endpoint.
import type * as vscode from 'vscode';
import { EXAMPLE_CLUSTER_ENDPOINT } from '../core/connections/clusterEndpoint';
import { deployMinio } from '../core/kube/minioDeploy';
import type { DeployMinioResult } from '../core/kube/minioDeploy';
import { isDnsLabel } from '../core/manifests/k8sNames';
import { CHAPTER_HELM_VALUES, minioSettings } from '../core/manifests/minioSettings';
import { withCancellableProgress } from '../vscode/progress';
import { chooseTarget } from './deployChoices';
import { ask, confirm } from './input';
import type { NonInteractive } from './input';
import { options } from './pick';
import type { Services } from './services';

export interface DeployMinioArgs extends NonInteractive {
  readonly namespace?: string;
  readonly size?: string;
  /** '' or undefined: the cluster's default storage class. */
  readonly storageClass?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly open?: boolean;
}

export interface DeployedMinio extends DeployMinioResult {
  readonly report: string;
  readonly uri: vscode.Uri;
}

const ACTION = 'deploy MinIO to cluster';

export async function deployMinioCommand(s: Services, _node: unknown, raw: unknown): Promise<DeployedMinio> {
  const a = options<DeployMinioArgs>(raw);
  const scripted = a.nonInteractive === true;
  const namespace = a.namespace ?? await ask(ACTION, {
    title: 'Deploy MinIO (1/3)', prompt: 'Namespace', value: CHAPTER_HELM_VALUES.namespace,
    validateInput: (v) => (isDnsLabel(v) ? undefined : 'a DNS label: a-z, 0-9 and -, at most 63 characters'),
  });
  const size = a.size ?? await ask(ACTION, {
    title: 'Deploy MinIO (2/3)', prompt: 'Size of the volume', value: CHAPTER_HELM_VALUES['persistence.size'],
    validateInput: (v) => (/^[1-9][0-9]*(Ki|Mi|Gi|Ti|Pi)$/.test(v) ? undefined : 'a size such as 500Gi or 1Ti'),
  });
  const storageClass = a.storageClass ?? (scripted ? '' : await ask(ACTION, {
    title: 'Deploy MinIO (3/3)', prompt: "Storage class (leave empty for the cluster's default)",
    validateInput: (v) => (v === '' || isDnsLabel(v) ? undefined : 'a storage class name'),
  }));
  const minio = { namespace, size, ...(storageClass ? { storageClass } : {}) };
  minioSettings(minio); // refuses bad input before anything is asked or sent
  const target = await chooseTarget(ACTION, s.log, { ...(a.context ? { context: a.context } : {}), namespace }, !scripted);
  const where = target.context ? `context ${target.context}` : "the kubeconfig's current context";
  if (!scripted) {
    await confirm(ACTION, `Deploy MinIO to ${where}, namespace ${namespace}?`,
      `Namespace, Secret minio (random root keys, kept if it exists), a ${size} volume${storageClass ? ` (${storageClass})` : ''}, `
      + 'the MinIO Deployment and Service, and a Job that makes the bucket models. Server-side apply (field manager modelrepo).', 'Deploy');
  }
  const kube = { ...(a.kubeconfig ? { kubeconfig: a.kubeconfig } : {}), ...(target.context ? { context: target.context } : {}) };
  const r = await withCancellableProgress(`Deploying MinIO to ${namespace}`, (progress, signal) => deployMinio({
    ...minio, ...kube, signal, ...(a.waitMs !== undefined ? { waitMs: a.waitMs } : {}), ...(a.pollMs !== undefined ? { pollMs: a.pollMs } : {}),
    onStatus: (line) => progress.report({ message: line }),
  }));
  const report = [
    `# MinIO in namespace ${r.namespace}`, '',
    `Applied to ${where} by server-side apply (field manager \`modelrepo\`).`, '',
    ...r.applied.map((o) => `- ${o.kind} \`${o.namespace && o.kind !== 'Namespace' ? `${o.namespace}/` : ''}${o.name}\``), '',
    r.newKeys ? `New random root keys are in Secret \`${r.namespace}/minio\` (not shown here).` : `The existing Secret \`${r.namespace}/minio\` kept its root keys.`, '',
    ...r.lines.map((l) => `- ${l}`), '',
    `Pods reach MinIO at \`${r.endpoint}\`: set it as the connection's cluster endpoint (Edit Connection > Cluster endpoint; the CLI's --cluster-endpoint). `
    + `The example address is ${EXAMPLE_CLUSTER_ENDPOINT}.`, '',
  ].join('\n');
  for (const line of report.split('\n').filter((l) => l.trim())) s.log.info(line);
  const uri = s.docs.uri(['Deploy', `minio-${r.namespace}.md`], `${target.context ?? ''}/${Date.now()}`);
  await s.docs.show(uri, report, { open: a.open });
  s.notify.info(`MinIO is ready in namespace ${r.namespace}: pods reach it at ${r.endpoint}`);
  return { ...r, report, uri };
}
