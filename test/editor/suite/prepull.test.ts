// "Pre-pull to Nodes..." and "Remove Pre-pull from Nodes..." in the real extension host, against the real
// S3 server and the loopback API server (test/helpers/fakeKubeApi.ts, reached through KUBECONFIG as the
// extension reads it; a CONTRACT test, no real cluster). The server stores the DaemonSet the command
// applies and serves its pods on three nodes: one cached, one still downloading (bytes so far in the init
// container's log), one failed; the test checks what the user is shown for each node (the log channel,
// the summary notification) and what the command returns.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openStorage } from '../../../src/core/openStorage';
import { humanSize } from '../../../src/core/manifests/initScript';
import { AWS_CLI_IMAGE } from '../../../src/core/manifests/manifestInput';
import { PAUSE_IMAGE } from '../../../src/core/manifests/prefetch';
import type { ExtensionApi } from '../../../src/extension';
import type { TreeNode } from '../../../src/tree/nodes';
import { startFakeKube } from '../../helpers/fakeKubeApi';
import type { FakeKube } from '../../helpers/fakeKubeApi';
import { loadClientNode } from '../../helpers/k8sChecks';
import { s3Config, s3TestEnv, uniqueBucket } from '../../helpers/s3env';
import { F2, MODEL, V2, extensionApi, kids, labelOf, removeConnection, run, scratch, seedChapter, until, walk } from './helpers';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Result { applied: { kind: string; name: string; namespace?: string }[]; nodes: { node: string; outcome: string; bytes?: number; total?: number; reason?: string }[]; lines: string[]; summary: string }

const env = s3TestEnv();
const CONN = 'prepull-s3';
const DS = `${MODEL}-prefetch`;
const DOWNLOADED = 2048;
const MISMATCH = `modelrepo: sha256 MISMATCH for ${MODEL}/${V2}/${F2}: expected aaaa, got bbbb; refusing to start the server`;

suite('pre-pull to nodes: the DaemonSet applied, the report per node, the removal', function () {
  let api: ExtensionApi;
  let kube: FakeKube;
  let savedKubeconfig: string | undefined;
  let id: string | undefined;
  let sha = '';
  let size = 0;
  const bucket = uniqueBucket('ext-prepull');
  const tag = (t: string): Promise<TreeNode> => walk(api, CONN, bucket, MODEL, 'Tags', t);
  const daemonSet = (): Obj => kube.patches().find((p) => p.body.kind === 'DaemonSet')!.body;

  suiteSetup(async function () {
    if (!env || typeof (await loadClientNode()) === 'string') return this.skip();
    api = await extensionApi();
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const c = new S3Client({ endpoint: env.endpoint, region: env.region, forcePathStyle: true, credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey } });
    await c.send(new CreateBucketCommand({ Bucket: bucket }));
    c.destroy();
    const repo = await seedChapter(await openStorage(s3Config(env, bucket)));
    const art = (await repo.listArtifacts(MODEL, V2))[0];
    sha = art.sha256 ?? '';
    size = art.size;
    assert.match(sha, /^[0-9a-f]{64}$/, 'the upload recorded the sha256');
    id = await run<string>('addS3Connection', undefined, {
      name: CONN, endpoint: env.endpoint, region: env.region, bucketFilter: bucket, accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey,
      clusterEndpoint: 'http://minio.model-storage:9000', nonInteractive: true,
    });
    assert.ok(id);
    await until(`connection ${CONN}`, async () => (await kids(api)).find((n) => labelOf(api, n) === CONN));
    kube = await startFakeKube({
      nodes: ['gpu-1', 'gpu-2', 'gpu-3'],
      pods: (name) => {
        if (name.endsWith('gpu-1')) return { initExit: 0, log: `modelrepo: ${F2} arrived in the node cache, sha256 ok (${sha})\n` };
        if (name.endsWith('gpu-2')) return { log: `modelrepo: copying s3://${bucket}/${MODEL}/${V2}/${F2} (${size} bytes) into the node cache\nmodelrepo: downloading ${MODEL}/${V2}/${F2}: ${DOWNLOADED} of ${size} bytes\n` };
        return { initExit: 1, log: `${MISMATCH}\n` };
      },
    });
    savedKubeconfig = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kube.kubeconfig(scratch('prepull-kube')); // the extension runs in this same process
  });

  suiteTeardown(async () => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    await kube?.close();
    if (id) await removeConnection(api, id).catch(() => undefined);
  });

  test('Pre-pull to Nodes on a tag: the DaemonSet stored carries the image, the node selector, the tolerations and the tag\'s sha256; each node is reported as the user sees it', async () => {
    kube.requests.length = 0;
    const logBefore = api.logLines().length;
    const r = await run<Result>('prefetchToNodes', await tag('latest'), {
      nodeSelector: { pool: 'gpu' }, tolerations: ['nvidia.com/gpu:NoSchedule', 'dedicated=models'], nonInteractive: true, waitMs: 400, pollMs: 20,
    });
    assert.ok(r, `pre-pull failed: ${api.lastNotice()?.message}`);
    assert.deepEqual(kube.patches().map((p) => p.path), ['/api/v1/namespaces/ml/secrets/modelrepo-s3', `/apis/apps/v1/namespaces/ml/daemonsets/${DS}`]);
    const secret = kube.patches()[0].body;
    assert.equal(Buffer.from(secret.data.AWS_SECRET_ACCESS_KEY, 'base64').toString(), env!.secretAccessKey, 'the keys from SecretStorage');
    const ds = daemonSet();
    const pod = ds.spec.template.spec;
    assert.deepEqual(pod.nodeSelector, { pool: 'gpu' });
    assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }, { key: 'dedicated', operator: 'Equal', value: 'models' }]);
    assert.equal(pod.initContainers[0].image, AWS_CLI_IMAGE);
    assert.equal(pod.containers[0].image, PAUSE_IMAGE);
    assert.equal(ds.metadata.annotations['modelrepo.io/sha256'], sha, 'latest -> v2 pinned by its recorded sha256');
    assert.ok(pod.initContainers[0].args.join('\n').includes(sha), 'the init script fetches the blob by that sha256');
    assert.ok(pod.volumes.some((v: Obj) => v.name === 'node-cache' && v.hostPath?.path === '/var/lib/modelrepo/cache'));
    assert.deepEqual(r.nodes.map((x) => [x.node, x.outcome]), [['gpu-1', 'cached'], ['gpu-2', 'downloading'], ['gpu-3', 'failed']]);
    assert.deepEqual([r.nodes[1].bytes, r.nodes[1].total], [DOWNLOADED, size]);
    const expected = ['gpu-1: cached', `gpu-2: downloading ${humanSize(DOWNLOADED)} of ${humanSize(size)}`, `gpu-3: failed: ${MISMATCH}`];
    assert.deepEqual(r.lines, expected);
    const logged = api.logLines().slice(logBefore).join('\n');
    for (const l of expected) assert.ok(logged.includes(`pre-pull ${MODEL}:latest: ${l}`), `the log channel shows '${l}'`);
    const notice = api.lastNotice();
    assert.equal(notice?.severity, 'warning', 'not every node is cached');
    assert.equal(notice?.message, `Pre-pull ${MODEL}:latest: 1 of 3 nodes cached; ${expected.join('; ')}`);
    for (const k of [env!.accessKeyId, env!.secretAccessKey]) assert.ok(!logged.includes(k) && !notice.message.includes(k), 'a key was shown');
  });

  test('Pre-pull to Nodes asked as a user would: the node selector and the tolerations typed reach the DaemonSet, after the confirmation', async () => {
    kube.requests.length = 0;
    const w = vscode.window as unknown as { showInputBox: (o?: vscode.InputBoxOptions) => Thenable<string | undefined>; showWarningMessage: (...a: unknown[]) => Thenable<unknown> };
    const saved = { input: w.showInputBox, warn: w.showWarningMessage };
    const prompts: string[] = [];
    let confirmed = '';
    w.showInputBox = async (o) => {
      prompts.push(o?.prompt ?? '');
      if (/only nodes with these labels/.test(o?.prompt ?? '')) return 'pool=gpu,zone=eu-1';
      if (/tolerate these taints/.test(o?.prompt ?? '')) return 'nvidia.com/gpu:NoSchedule';
      return undefined;
    };
    w.showWarningMessage = async (...a: unknown[]) => {
      if ((a[1] as vscode.MessageOptions | undefined)?.modal) { confirmed = String(a[0]); return 'Pre-pull'; }
      return saved.warn.apply(vscode.window, a as never);
    };
    let r: Result | undefined;
    try {
      r = await run<Result>('prefetchToNodes', await tag('v2'), { waitMs: 200, pollMs: 20 });
    } finally {
      w.showInputBox = saved.input;
      w.showWarningMessage = saved.warn;
    }
    assert.ok(r, `pre-pull failed: ${api.lastNotice()?.message}`);
    assert.equal(prompts.length, 2, prompts.join(' | '));
    assert.equal(confirmed, `Pre-pull ${MODEL}:v2 into the node cache of the nodes labelled pool=gpu,zone=eu-1, tolerating nvidia.com/gpu:NoSchedule?`);
    const pod = daemonSet().spec.template.spec;
    assert.deepEqual(pod.nodeSelector, { pool: 'gpu', zone: 'eu-1' });
    assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.equal(r.lines.length, 3);
  });

  test('Remove Pre-pull from Nodes: deletes the model\'s pre-pull DaemonSet and its pods; a second time finds none', async () => {
    kube.requests.length = 0;
    const r = await run<{ removed: { kind: string; name: string; namespace: string }[] }>('removePrefetch', await walk(api, CONN, bucket, MODEL), { nonInteractive: true });
    assert.ok(r, `remove failed: ${api.lastNotice()?.message}`);
    assert.deepEqual(r.removed, [{ kind: 'DaemonSet', name: DS, namespace: 'ml' }]);
    assert.deepEqual(kube.requests.filter((q) => q.method === 'DELETE').map((q) => q.path), [`/apis/apps/v1/namespaces/ml/daemonsets/${DS}`]);
    assert.equal(api.lastNotice()?.message, `Removed the pre-pull of ${MODEL}: DaemonSet ml/${DS}`);
    const again = await run<{ removed: unknown[] }>('removePrefetch', await tag('latest'), { nonInteractive: true });
    assert.deepEqual(again?.removed, []);
    assert.equal(api.lastNotice()?.message, `No pre-pull of ${MODEL} in namespace ml`);
  });
});
