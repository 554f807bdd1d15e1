// `modelrepo cluster deploy-minio [--namespace N] [--size S] [--storage-class C] [--bucket B] [--dry-run]`:
// the chapter's MinIO, without Helm. The objects are applied by server-side apply with random root keys
// made in memory (never printed, never written); --dry-run prints the YAML with placeholder keys.
// `cluster` takes subcommands so that later cluster tasks gather under one name.
import { deployMinio } from '../../core/kube/minioDeploy';
import { buildMinioObjects } from '../../core/manifests/minioObjects';
import { minioClusterEndpoint, minioSettings } from '../../core/manifests/minioSettings';
import { toYaml } from '../../core/manifests/toYaml';
import { defineCommand } from '../command';
import { UsageError } from '../exitCodes';

const USAGE = 'cluster deploy-minio [--namespace N] [--size 500Gi] [--storage-class C] [--bucket models] [--dry-run] [--context C] [--kubeconfig F] [--wait-timeout S]';

export const clusterCommand = defineCommand({
  name: 'cluster',
  summary: 'cluster tasks: deploy-minio puts the S3 storage of the chapter (MinIO, one bucket) into a cluster',
  usage: USAGE,
  help: `deploy-minio applies, by server-side apply to the kubeconfig's current context (or --context):
a Namespace (default model-storage, restricted pod security enforced), the Secret minio with random
root keys (rootUser/rootPassword, also as accesskey/secretkey), a PersistentVolumeClaim (default 500Gi,
the cluster's default storage class unless --storage-class), a one-replica MinIO Deployment (pinned
image, uid 1000, read-only root filesystem, health probes, 4Gi memory request), the ClusterIP Service
minio (9000 S3 API, 9001 console) and a Job that makes the first bucket (default models). Then it waits
(--wait-timeout, default 300 s; 0: do not wait) until MinIO is available and the bucket made.
The keys are never printed or written to a file; run it again and the existing Secret keeps its keys.
Read them with kubectl get secret minio -n <namespace> -o jsonpath='{.data.rootPassword}' | base64 -d.
--dry-run prints the YAML with placeholder keys and talks to no cluster. Needs Node 22 or newer.

examples:
  modelrepo cluster deploy-minio
  modelrepo cluster deploy-minio --namespace storage --size 50Gi --storage-class fast-ssd
  modelrepo cluster deploy-minio --dry-run | less`,
  options: {
    namespace: { type: 'string', value: '<N>', description: 'namespace (default model-storage)' },
    size: { type: 'string', value: '<size>', description: 'size of the volume (default 500Gi)' },
    'storage-class': { type: 'string', value: '<C>', description: "storage class of the volume (default: the cluster's default)" },
    bucket: { type: 'string', value: '<B>', description: 'the first bucket (default models)' },
    'dry-run': { type: 'boolean', description: 'print the YAML (placeholder keys) instead of applying it' },
    context: { type: 'string', value: '<C>', description: "kubeconfig context (default: the kubeconfig's current context)" },
    kubeconfig: { type: 'string', value: '<F>', description: 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' },
    'wait-timeout': { type: 'string', value: '<seconds>', description: 'how long to wait for MinIO and the bucket (default 300; 0: do not wait)' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const usage = `modelrepo ${USAGE}`;
    if (ctx.args[0] !== 'deploy-minio') throw new UsageError(`unknown cluster task '${ctx.args[0]}' (tasks: deploy-minio)`, usage);
    const { namespace, size, 'storage-class': storageClass, bucket, kubeconfig, context } = ctx.flags;
    const minio = {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(storageClass !== undefined ? { storageClass } : {}),
      ...(bucket !== undefined ? { bucket } : {}),
    };
    const s = minioSettings(minio);
    if (ctx.flags['dry-run'] === true) {
      const objects = buildMinioObjects(minio);
      if (ctx.out.json) ctx.out.data({ namespace: s.namespace, endpoint: minioClusterEndpoint(s), objects });
      else ctx.out.raw(toYaml(objects));
      ctx.out.note('# the Secret holds placeholder keys: without --dry-run, random keys are made and sent to the cluster only');
      return;
    }
    const waitText = ctx.flags['wait-timeout'];
    if (waitText !== undefined && !/^\d+$/.test(waitText)) throw new UsageError(`--wait-timeout '${waitText}' is not a number of seconds`, usage);
    let last = '';
    const r = await deployMinio({
      ...minio,
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      ...(context !== undefined ? { context } : {}),
      signal: ctx.signal, timeouts: ctx.global.timeouts,
      ...(waitText !== undefined ? { waitMs: Number(waitText) * 1000 } : {}),
      ...(process.env.MODELREPO_POLL_MS ? { pollMs: Number(process.env.MODELREPO_POLL_MS) } : {}),
      onStatus: (line) => { if (line !== last) ctx.out.note(last = line); },
    });
    for (const a of r.applied) ctx.out.text(`applied ${a.kind} ${a.namespace && a.kind !== 'Namespace' ? `${a.namespace}/` : ''}${a.name}`);
    ctx.out.text(r.newKeys ? `made new root keys in Secret ${r.namespace}/minio (not shown)` : `kept the root keys of the existing Secret ${r.namespace}/minio`);
    for (const l of r.lines) ctx.out.text(l);
    ctx.out.text(`pods reach MinIO at ${r.endpoint}: use it as the connection's cluster endpoint (--cluster-endpoint ${r.endpoint})`);
    ctx.out.data({ namespace: r.namespace, endpoint: r.endpoint, newKeys: r.newKeys, ready: r.ready, applied: r.applied, status: r.lines });
  },
});
