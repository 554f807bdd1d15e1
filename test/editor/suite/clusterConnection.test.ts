// "Add Connection from Cluster..." in the real extension: the fake API server (test/helpers/
// fakeKubeCluster.ts, started in this extension host and reached through KUBECONFIG as the extension
// reads it) plays a cluster whose MinIO Service leads by port-forward to the real S3 server. The quick
// picks offer the S3 services and the Secret; the keys land in SecretStorage, never in settings; the
// tree shows the bucket's models through the forward; a dropped forward is re-opened for the next
// listing; removing the connection closes the forward.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { openStorage } from '../../../src/core/openStorage';
import { createBucket } from '../../../src/core/storage/s3Buckets';
import { keysDigestOf } from '../../../src/vscode/testApi';
import type { ExtensionApi } from '../../../src/extension';
import { minioCluster } from '../../helpers/fakeKubeCluster';
import type { FakeCluster } from '../../helpers/fakeKubeCluster';
import { s3Config, s3TestEnv, uniqueBucket } from '../../helpers/s3env';
import { F1, MODEL, V1, V2, extensionApi, kids, labelOf, removeConnection, run, scratch, seedChapter, until, walk } from './helpers';

const env = s3TestEnv();
const NAME = 'minio in the cluster';

suite('Add Connection from Cluster (port-forward through the fake API server)', function () {
  let api: ExtensionApi;
  let cluster: FakeCluster;
  let bucket: string;
  let id: string;
  let savedKubeconfig: string | undefined;
  const offered: string[][] = [];

  suiteSetup(async function () {
    if (!env) return this.skip();
    api = await extensionApi();
    bucket = uniqueBucket('cluster-conn');
    await createBucket(s3Config(env, bucket));
    const storage = await openStorage(s3Config(env, bucket));
    await seedChapter(storage);
    storage.dispose?.();
    cluster = await minioCluster(env);
    savedKubeconfig = process.env.KUBECONFIG;
    process.env.KUBECONFIG = cluster.kubeconfig(scratch('cluster-kube'), 'model-storage'); // the extension runs in this process
  });

  suiteTeardown(async () => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    await cluster?.close();
  });

  test('the quick picks offer the S3 services and the Secret; keys go to SecretStorage; the tree shows the models', async () => {
    type Item = { label: string };
    const w = vscode.window as unknown as {
      showQuickPick: (items: readonly (string | Item)[] | Thenable<readonly (string | Item)[]>) => Thenable<string | Item | undefined>;
      showInputBox: (o?: vscode.InputBoxOptions) => Thenable<string | undefined>;
    };
    const saved = { pick: w.showQuickPick, input: w.showInputBox };
    w.showQuickPick = async (items) => {
      const list = await items;
      const labels = list.map((i) => (typeof i === 'string' ? i : i.label));
      offered.push(labels);
      return list.find((i) => (typeof i === 'string' ? i : i.label) === 'model-storage/minio') ?? list.find((i) => i === 'minio');
    };
    w.showInputBox = async () => NAME;
    try {
      id = await run<string>('addClusterConnection', undefined, { bucketFilter: bucket });
    } finally {
      w.showQuickPick = saved.pick;
      w.showInputBox = saved.input;
    }
    assert.ok(id, `the command failed: ${api.lastNotice()?.message}`);
    assert.deepEqual(offered[0], ['data/rgw', 'model-storage/minio']);
    assert.equal(offered[1][0], 'minio');
    assert.equal(await api.keysDigest(id), keysDigestOf({ accessKeyId: env!.accessKeyId, secretAccessKey: env!.secretAccessKey }));
    // Settings changes reach the extension host asynchronously; the workspace may hold its own list.
    const settings = await until('the connection in the settings', () => {
      const text = JSON.stringify(vscode.workspace.getConfiguration('modelRepository').inspect('connections'));
      return text.includes(id) ? text : undefined;
    });
    assert.deepEqual(api.connection(id)?.viaCluster, { namespace: 'model-storage', service: 'minio', port: 9000, context: 'loopback' });
    assert.ok(!settings.includes(env!.secretAccessKey) && !settings.includes(env!.accessKeyId), 'a key is in the settings');
    await until(`connection ${NAME}`, async () => (await kids(api)).find((n) => labelOf(api, n) === NAME));
    const model = await walk(api, NAME, bucket, MODEL);
    assert.deepEqual((await kids(api, model)).map((n) => labelOf(api, n)), ['Tags', V2, V1]);
    assert.ok(cluster.forwardsOpened() > 0, 'the tree went through the port-forward');
  });

  test('a port-forward dropped by the server is re-opened for the next listing', async () => {
    assert.ok(id);
    // The pool may have closed idle connections since the last test: list one version so a forward is open now.
    assert.deepEqual((await kids(api, await walk(api, NAME, bucket, MODEL, V2))).length > 0, true);
    const before = cluster.forwardsOpened();
    assert.ok(cluster.killForwards() > 0, 'the connection kept its pooled connections open');
    // A version not listed yet: the same cached connection must list it through a new WebSocket.
    const files = await kids(api, await walk(api, NAME, bucket, MODEL, V1));
    assert.deepEqual(files.map((n) => labelOf(api, n)), [F1]);
    assert.ok(cluster.forwardsOpened() > before);
  });

  test('removing the connection closes its port-forward', async () => {
    assert.ok(id);
    await removeConnection(api, id);
    await until('every port-forward WebSocket closed', () => (cluster.openForwards() === 0 ? true : undefined));
  });
});
