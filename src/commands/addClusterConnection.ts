// "Add Connection from Cluster...": an S3 connection to a MinIO (or other S3 Service) inside the
// kubeconfig's cluster, reached through a port-forward. Quick picks: the S3 services found, then the
// Secret with their keys. The keys go to SecretStorage like any connection's; settings keep only the
// route (namespace, service, port, context). The forward is opened by the core when the tree first
// opens the connection, and closed when the cached repository is disposed (connection changed or
// removed, extension deactivated); a dropped forward is re-opened for the next request.
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { listKeySecrets, readClusterKeys } from '../core/kube/clusterKeys';
import { openKube } from '../core/kube/kubeClient';
import type { KubeSession } from '../core/kube/kubeClient';
import { listS3Services, readS3Service } from '../core/kube/s3Services';
import type { S3Service } from '../core/kube/s3Services';
import { newConnectionId } from '../vscode/connectionStore';
import { timeoutSettings } from '../vscode/settings';
import { ask } from './input';
import { cancelled, options } from './pick';
import type { Services } from './services';

export interface AddClusterArgs {
  readonly name?: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly service?: string;
  readonly port?: number;
  readonly secret?: string;
  readonly userKey?: string;
  readonly passwordKey?: string;
  readonly bucket?: string;
  readonly bucketFilter?: string;
  readonly scope?: 'user' | 'workspace';
}

const ACTION = 'add connection from cluster';

async function pickService(kube: KubeSession, a: Partial<AddClusterArgs>): Promise<S3Service> {
  if (a.namespace && a.service) return readS3Service(kube, a.namespace, a.service, a.port);
  const found = await listS3Services(kube);
  if (found.length === 0) {
    throw new RepoError('NotFound', ACTION, `context ${kube.context}`,
      'no Service looks like S3 (label app=minio or app.kubernetes.io/name=minio, or a port 9000 or named minio / s3)');
  }
  const picked = await vscode.window.showQuickPick(found.map((s) => ({
    label: `${s.namespace}/${s.name}`, description: s.clusterEndpoint, detail: s.found === 'labels' ? 'MinIO (by its labels)' : 'an S3 port', s,
  })), { title: `Add Connection from Cluster (${kube.context}): S3 service`, placeHolder: 'Which Service serves S3?', ignoreFocusOut: true });
  if (!picked) throw cancelled(ACTION);
  return picked.s;
}

async function pickSecret(kube: KubeSession, ns: string, a: Partial<AddClusterArgs>): Promise<string> {
  if (a.secret) return a.secret;
  const names = await listKeySecrets(kube, ns).catch(() => [] as string[]);
  const other = '$(edit) Another Secret...';
  const picked = names.length === 0 ? other : (await vscode.window.showQuickPick([...names, other],
    { title: 'Add Connection from Cluster: Secret with the S3 keys', placeHolder: `Secrets of ${ns} holding S3 keys`, ignoreFocusOut: true }));
  if (picked === undefined) throw cancelled(ACTION);
  if (picked !== other) return picked;
  return ask(ACTION, { title: 'Add Connection from Cluster: Secret', prompt: `Name of the Secret in ${ns} with the S3 keys (rootUser / rootPassword, accesskey / secretkey)` });
}

export async function addClusterConnection(s: Services, _node: unknown, raw: unknown): Promise<string> {
  const a = options<AddClusterArgs>(raw);
  const kube = await openKube({ ...(a.context ? { context: a.context } : {}), timeouts: timeoutSettings() }, ACTION);
  const svc = await pickService(kube, a);
  const secret = await pickSecret(kube, svc.namespace, a);
  const keys = await readClusterKeys(kube, svc.namespace, { name: secret, ...(a.userKey && a.passwordKey ? { userKey: a.userKey, passwordKey: a.passwordKey } : {}) });
  const fallback = `${svc.name} (${kube.context})`;
  const name = (a.name ?? (await ask(ACTION, { title: 'Add Connection from Cluster: name', prompt: 'Name shown in the tree', value: fallback }))) || fallback;
  const id = newConnectionId(name);
  await s.store.save({
    id, name, kind: 's3', region: 'us-east-1', pathStyle: true, bucket: a.bucket, bucketFilter: a.bucketFilter,
    viaCluster: { namespace: svc.namespace, service: svc.name, port: svc.port, context: kube.context },
  }, keys, a.scope);
  s.log.info(`added connection ${name} (${id}) through service ${svc.namespace}/${svc.name} of context ${kube.context}`);
  s.notify.info(`Added connection ${name}: it reaches ${svc.clusterEndpoint} through a port-forward.`);
  return id;
}
