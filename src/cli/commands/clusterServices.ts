// `modelrepo cluster-services`: the S3 services of the kube context (MinIO by its labels, or a port that
// looks like S3) with the Secrets in their namespaces that hold S3 keys, i.e. what --via-cluster and
// --cluster-secret can name. Reads the kubeconfig ($KUBECONFIG, else ~/.kube/config); keys are never shown.
import { listKeySecrets } from '../../core/kube/clusterKeys';
import { openKube } from '../../core/kube/kubeClient';
import { listS3Services } from '../../core/kube/s3Services';
import { isRepoError } from '../../core/errors';
import { defineCommand } from '../command';
import { table } from '../format';

export const clusterServicesCommand = defineCommand({
  name: 'cluster-services',
  summary: 'list the S3 services of the kube context, for --via-cluster',
  usage: 'cluster-services [--namespace N] [--cluster-context C]',
  help: `Lists the Services that serve S3 (MinIO found by app=minio or app.kubernetes.io/name=minio, or a
port 9000 or named minio / s3) in every namespace you may list, else in the context's namespace, with
the URL pods use and the Secrets of that namespace that hold S3 keys. Any command then reaches one of
them through a port-forward with --via-cluster <namespace>/<service>.

examples:
  $ modelrepo cluster-services
  SERVICE              PORT  IN THE CLUSTER                     SECRETS
  model-storage/minio  9000  http://minio.model-storage:9000    minio
  $ modelrepo ls s3://models --via-cluster model-storage/minio --cluster-secret minio`,
  options: {
    namespace: { type: 'string', value: '<N>', description: 'only this namespace' },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const context = ctx.flags['cluster-context'];
    const namespace = ctx.flags.namespace;
    const kube = await openKube({ ...(namespace ? { namespace } : {}), ...(context ? { context } : {}), timeouts: ctx.global.timeouts, signal: ctx.signal },
      'list S3 services');
    const services = (await listS3Services(kube)).filter((s) => !namespace || s.namespace === namespace);
    const secrets = new Map<string, string[]>();
    for (const ns of new Set(services.map((s) => s.namespace))) {
      // Not allowed to list Secrets: the column stays empty, --cluster-secret still works.
      secrets.set(ns, await listKeySecrets(kube, ns).catch((e: unknown) => {
        if (isRepoError(e, 'Auth')) return [];
        throw e;
      }));
    }
    ctx.out.data({ context: kube.context, services: services.map((s) => ({ ...s, secrets: secrets.get(s.namespace) ?? [] })) });
    if (services.length === 0) return ctx.out.note(`no S3 service found in context ${kube.context}`);
    ctx.out.text(table([['SERVICE', 'PORT', 'IN THE CLUSTER', 'SECRETS'],
      ...services.map((s) => [`${s.namespace}/${s.name}`, String(s.port), s.clusterEndpoint, (secrets.get(s.namespace) ?? []).join(', ')])]));
  },
});
