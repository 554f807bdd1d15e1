// Deploying from the real extension: Generate Kubernetes YAML in its variants (kind, runtime, follow the
// tag or pin) with options instead of dialogs, the runtime picker (the dialog itself, answered by a
// stand-in for showQuickPick: it offers the runtimes of the table that read the files), the A/B
// Deployment command, and "Apply to Cluster
// (Server-Side Apply)". Apply is a CONTRACT test: no API server can run here, so a loopback server started
// in this extension host (test/helpers/fakeKubeApi.ts, reached through a kubeconfig in KUBECONFIG, as the
// extension reads it) records what client-node sends. The Secret it receives must carry the keys held in
// SecretStorage; the report shown must not. A real cluster is not exercised.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { RUNTIME_NAMES, RUNTIMES } from '../../../src/core/manifests/runtimes/runtimeTable';
import type { RuntimeName } from '../../../src/core/manifests/runtimes/runtimeTable';
import { openStorage } from '../../../src/core/openStorage';
import { Repository } from '../../../src/core/repository';
import { createFsStorage } from '../../../src/core/storage/fsStorage';
import type { ExtensionApi } from '../../../src/extension';
import { keysDigestOf } from '../../../src/vscode/testApi';
import type { TreeNode } from '../../../src/tree/nodes';
import { startFakeKube } from '../../helpers/fakeKubeApi';
import type { FakeKube } from '../../helpers/fakeKubeApi';
import { loadClientNode, parseManifests } from '../../helpers/k8sChecks';
import { offlineProblems } from '../../helpers/manifestFixtures';
import { s3Config, s3TestEnv, uniqueBucket } from '../../helpers/s3env';
import { F1, F2, MODEL, V1, V2, addFolder, child, extensionApi, labelOf, kids, makeFile, removeConnection, run, scratch, seedChapter, until, walk } from './helpers';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Generated { yaml: string; document?: vscode.TextDocument }
interface Applied { applied: { kind: string; name: string; namespace?: string }[]; reports: { outcome: string; pod?: string }[]; report: string; uri: vscode.Uri; context?: string }

const env = s3TestEnv();
const kindsOf = (objs: readonly Obj[]): string[] => objs.map((o) => `${o.kind} ${o.metadata.name}`);
const ST_MODEL = 'qwen-st';
const ST_VERSION = '2024-05-01';

interface Offered { readonly value: RuntimeName; readonly label: string; readonly description?: string }

/** Runs Generate Kubernetes YAML as a user would (no options), answering each quick pick with its first
 *  item and each input box with its default, until the runtime picker: its items are returned, and the
 *  command is cancelled there. */
async function runtimePicker(node: TreeNode): Promise<Offered[] | undefined> {
  type Pick = (items: readonly Obj[] | Thenable<readonly Obj[]>, options?: vscode.QuickPickOptions) => Thenable<Obj | undefined>;
  const w = vscode.window as unknown as { showQuickPick: Pick; showInputBox: (o?: vscode.InputBoxOptions) => Thenable<string | undefined> };
  const saved = { pick: w.showQuickPick, input: w.showInputBox };
  let offered: Offered[] | undefined;
  w.showQuickPick = async (items, options) => {
    const list = await items;
    if (/: inference server$/.test(options?.placeHolder ?? '')) {
      offered = list as Offered[];
      return undefined;
    }
    return list[0];
  };
  w.showInputBox = async (o) => o?.value || 'nfs.test.lan';
  try {
    await run('generateManifest', node);
  } finally {
    w.showQuickPick = saved.pick;
    w.showInputBox = saved.input;
  }
  return offered;
}

suite('deploy: manifest variants, A/B, apply to cluster', function () {
  let api: ExtensionApi;
  let k8s: Record<string, unknown> | undefined;
  const ids: string[] = [];
  const FS = 'deploy-fs';
  const S3 = 'deploy-s3';
  const bucket = uniqueBucket('ext-deploy');

  suiteSetup(async () => {
    api = await extensionApi();
    const m = await loadClientNode();
    k8s = typeof m === 'string' ? undefined : m;
    const folder = scratch('deploy-fs');
    const repo = await seedChapter(createFsStorage({ kind: 'fs', path: folder }));
    const st = scratch('deploy-st');
    await repo.upload(ST_MODEL, ST_VERSION, ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => makeFile(st, f)));
    ids.push(await addFolder(api, folder, FS));
  });

  suiteTeardown(async () => {
    for (const id of ids) await removeConnection(api, id).catch(() => undefined);
  });

  const fsTag = async (tag: string): Promise<TreeNode> => child(api, await walk(api, FS, MODEL, 'Tags'), tag);

  test('generate manifest: a Deployment on llama.cpp CUDA following tag latest over NFS; options skip the dialogs', async () => {
    const g = await run<Generated>('generateManifest', await fsTag('latest'), {
      kind: 'deployment', runtime: 'llama-cpp-cuda', mode: 'follow', replicas: 2, nfsServer: 'nfs.test.lan', nfsPath: '/export/models', namespace: 'serving',
      nonInteractive: true,
    });
    assert.ok(g?.document, 'no document opened');
    assert.equal(vscode.window.activeTextEditor?.document, g.document);
    const text = g.document.getText();
    assert.equal(text.split('\n')[0], `# Model Repository: latest -> v2 -> ${V2}/${F2} (follows tag latest, resolved at pod start (now ${V2}/${F2}))`);
    assert.match(text, /^# Deployment, runtime llama-cpp-cuda$/m);
    const objs = parseManifests(text);
    assert.deepEqual(offlineProblems(objs, k8s), []);
    assert.deepEqual(kindsOf(objs), [`Deployment ${MODEL}`, `Service ${MODEL}`]);
    const d = objs[0];
    assert.equal(d.metadata.namespace, 'serving');
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.metadata.annotations['modelrepo.io/mode'], 'follow');
    const server = d.spec.template.spec.containers[0];
    assert.equal(server.resources.limits['nvidia.com/gpu'], '1');
    assert.ok(server.args.includes('/models/tags/latest'), 'the server opens the tag symlink on NFS');
  });

  test('generate manifest: the same tag pinned in a Pod on llama.cpp CPU (the old { mode: "pin" } still works)', async () => {
    const g = await run<Generated>('generateManifest', await fsTag('latest'), { mode: 'pin', nfsServer: 'nfs.test.lan', open: false, nonInteractive: true });
    assert.ok(g);
    assert.match(g.yaml, new RegExp(`^# Model Repository: latest -> v2 -> ${V2}/${F2} \\(pinned to ${V2}/${F2}\\)$`, 'm'));
    const objs = parseManifests(g.yaml);
    assert.deepEqual(kindsOf(objs), [`Pod ${MODEL}`]);
    assert.equal(objs[0].metadata.annotations['modelrepo.io/version'], V2);
    assert.ok(objs[0].spec.containers[0].args.includes(`/models/${F2}`));
  });

  test('generate manifest refuses KServe on a folder repository, saying why', async () => {
    const g = await run<Generated>('generateManifest', await fsTag('v1'), { kind: 'kserve', nfsServer: 'nfs.test.lan', open: false, nonInteractive: true });
    assert.equal(g, undefined);
    assert.match(api.lastNotice()?.message ?? '', /KServe's storage initializer reads from S3 here/);
  });

  test('the runtime picker offers the runtimes of the table that read the files: GGUF ones for a GGUF file, safetensors ones for a folder', async () => {
    const gguf = await runtimePicker(await fsTag('latest'));
    const folder = await runtimePicker(await walk(api, FS, ST_MODEL, ST_VERSION));
    assert.ok(gguf && folder, 'the runtime picker was not shown');
    const reading = (format: string): RuntimeName[] => RUNTIME_NAMES.filter((n) => (RUNTIMES[n].formats as readonly string[]).includes(format));
    assert.deepEqual(gguf.map((i) => i.value), reading('gguf'), 'a GGUF file: exactly the runtimes reading GGUF, in table order');
    assert.deepEqual(folder.map((i) => i.value), reading('safetensors'));
    assert.deepEqual([...new Set([...gguf, ...folder].map((i) => i.value))].sort(), [...RUNTIME_NAMES].sort(), 'every runtime of the table is offered');
    for (const i of [...gguf, ...folder]) assert.deepEqual([i.label, i.description], [RUNTIMES[i.value].label, RUNTIMES[i.value].description]);
  });

  suite('on the real S3 server', function () {
    let kube: FakeKube;
    let savedKubeconfig: string | undefined;
    let keys: { accessKeyId: string; secretAccessKey: string };
    const tag = (t: string): Promise<TreeNode> => walk(api, S3, bucket, MODEL, 'Tags', t);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');

    suiteSetup(async function () {
      if (!env) return this.skip();
      const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
      const c = new S3Client({ endpoint: env.endpoint, region: env.region, forcePathStyle: true, credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey } });
      await c.send(new CreateBucketCommand({ Bucket: bucket }));
      c.destroy();
      await seedChapter(await openStorage(s3Config(env, bucket)));
      const id = await run<string>('addS3Connection', undefined, {
        name: S3, endpoint: env.endpoint, region: env.region, bucketFilter: bucket, accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey,
        // the test server is on loopback, which pods cannot reach: manifests need the cluster's address
        clusterEndpoint: 'http://minio.model-storage:9000',
        nonInteractive: true,
      });
      assert.ok(id);
      ids.push(id);
      await until(`connection ${S3}`, async () => (await kids(api)).find((n) => labelOf(api, n) === S3));
      // the keys given to the command; the API server must receive exactly what SecretStorage holds
      keys = { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };
      assert.equal(await api.keysDigest(id), keysDigestOf(keys), 'SecretStorage does not hold the keys given');
      kube = await startFakeKube();
      savedKubeconfig = process.env.KUBECONFIG;
      process.env.KUBECONFIG = kube.kubeconfig(scratch('deploy-kube')); // the extension runs in this same process
    });

    suiteTeardown(async () => {
      if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = savedKubeconfig;
      await kube?.close();
    });

    test('generate manifest: a KServe InferenceService, pinned, with placeholder keys', async () => {
      const g = await run<Generated>('generateManifest', await tag('v2'), { kind: 'kserve', nonInteractive: true });
      assert.ok(g?.document);
      const text = g.document.getText();
      const objs = parseManifests(text);
      assert.deepEqual(offlineProblems(objs, k8s), []);
      assert.deepEqual(kindsOf(objs), ['Secret modelrepo-s3', 'ServiceAccount modelrepo-s3', `InferenceService ${MODEL}`]);
      assert.equal(objs[0].metadata.annotations['serving.kserve.io/s3-endpoint'], 'minio.model-storage:9000', 'the cluster endpoint, not the loopback one');
      assert.equal(objs[0].metadata.namespace, 'ml', "the namespace of the kubeconfig's current context");
      assert.match(text, /^# The Secret holds placeholder keys/m);
      assert.ok(!text.includes(keys.secretAccessKey) && !text.includes(b64(keys.secretAccessKey)), 'a key is in the document');
    });

    test('generate manifest with the node cache: options, and the picker that offers it (emptyDir first) on S3', async () => {
      const g = await run<Generated>('generateManifest', await tag('v2'), { kind: 'deployment', replicas: 8, nodeCache: {}, open: false, nonInteractive: true });
      assert.ok(g, `generate failed: ${api.lastNotice()?.message}`);
      assert.match(g.yaml, /^# Deployment, runtime llama-cpp-cpu, node cache in \/var\/lib\/modelrepo\/cache \(hostPath\)$/m);
      const objs = parseManifests(g.yaml);
      const d = objs.find((o) => o.kind === 'Deployment')!;
      assert.deepEqual(offlineProblems(objs, k8s), [`Deployment ${MODEL}: volume node-cache: hostPath`], 'hostPath is the only exception');
      assert.match(d.metadata.annotations['modelrepo.io/pod-security'], /not allowed under baseline\/restricted/);
      // The dialogs: every picker answered with its first item but "where the model is kept", whose items are kept.
      type Pick = (items: readonly Obj[] | Thenable<readonly Obj[]>, options?: vscode.QuickPickOptions) => Thenable<Obj | undefined>;
      const w = vscode.window as unknown as { showQuickPick: Pick };
      const saved = w.showQuickPick;
      let offered: Obj[] = [];
      w.showQuickPick = async (items, options) => {
        const list = await items;
        if (/: where the model is kept$/.test(options?.placeHolder ?? '')) { offered = [...list]; return list[1]; }
        return list[0];
      };
      let picked: Generated | undefined;
      try {
        picked = await run<Generated>('generateManifest', await tag('v2'));
      } finally {
        w.showQuickPick = saved;
      }
      assert.deepEqual(offered.map((o) => o.value), ['pod', 'host', 'pv']);
      assert.match(String(offered[1].detail), /not allowed under baseline\/restricted/);
      assert.ok(picked && /hostPath:/.test(picked.yaml), 'the hostPath choice reaches the manifest');
    });

    test('A/B Deployment on a model: two tags with their replicas, two Deployments behind one Service', async () => {
      const g = await run<Generated>('abDeployment', await walk(api, S3, bucket, MODEL), { arms: [{ tag: 'v1', replicas: 3 }, { tag: 'v2', replicas: 1 }], nonInteractive: true });
      assert.ok(g?.document);
      const text = g.document.getText();
      assert.match(text, new RegExp(`^# Model Repository: v1 -> ${V1}/${F1} \\(pinned to ${V1}/${F1}\\)$`, 'm'));
      const objs = parseManifests(text);
      assert.deepEqual(offlineProblems(objs, k8s), []);
      assert.deepEqual(kindsOf(objs), ['Secret modelrepo-s3', `Deployment ${MODEL}-v1`, `Deployment ${MODEL}-v2`, `Service ${MODEL}`]);
      assert.deepEqual(objs.slice(1, 3).map((o) => o.spec.replicas), [3, 1]);
      assert.equal(objs[1].metadata.annotations['modelrepo.io/traffic-share'], '75% (3 of 4 replicas)');
    });

    test('Apply to Cluster: the Secret gets the keys from SecretStorage by server-side apply; the report shows the pod and the copy log, never a key', async function () {
      if (!k8s) return this.skip();
      kube.requests.length = 0;
      const r = await run<Applied>('applyToCluster', await tag('latest'), { nonInteractive: true, pollMs: 20 });
      assert.ok(r, `apply failed: ${api.lastNotice()?.message}`);
      const patches = kube.patches();
      assert.deepEqual(patches.map((p) => p.path), ['/api/v1/namespaces/ml/secrets/modelrepo-s3', `/api/v1/namespaces/ml/pods/${MODEL}`]);
      assert.deepEqual(patches[0].body.data, { AWS_ACCESS_KEY_ID: b64(keys.accessKeyId), AWS_SECRET_ACCESS_KEY: b64(keys.secretAccessKey) });
      assert.ok(kube.requests.filter((q) => q.method === 'PATCH').every((q) => q.query.get('fieldManager') === 'modelrepo' && q.contentType === 'application/apply-patch+yaml'));
      const recorded = (await new Repository(await openStorage(s3Config(env!, bucket))).listArtifacts(MODEL, V2))[0].sha256;
      assert.equal(patches[1].body.metadata.annotations['modelrepo.io/sha256'], recorded, 'the Pod pins what latest resolves to');
      assert.equal(r.context, 'loopback');
      assert.deepEqual(r.reports.map((x) => [x.pod, x.outcome]), [[MODEL, 'arrived']]);
      assert.match(r.report, /Running, ready; fetch-model: terminated \(Completed, exit 0\); llama-server: running/);
      assert.match(r.report, /modelrepo: \/models\/model\.gguf arrived, sha256 ok/);
      assert.equal(r.uri.scheme, 'modelrepo-doc');
      assert.equal(api.docText(r.uri), r.report, 'the report is a read-only document, not a file');
      for (const k of [keys.accessKeyId, keys.secretAccessKey, b64(keys.accessKeyId), b64(keys.secretAccessKey)]) assert.ok(!r.report.includes(k), 'a key is in the report');
      assert.match(api.lastNotice()?.message ?? '', /^Applied llama-3-8b:latest to context loopback, namespace ml: the model arrived$/);
    });

    test('A/B Deployment applied to the cluster: Secret, both Deployments and the Service; each arm\'s pod watched', async function () {
      if (!k8s) return this.skip();
      kube.requests.length = 0;
      const r = await run<{ applied?: Applied }>('abDeployment', await walk(api, S3, bucket, MODEL), {
        arms: [{ tag: 'v1', replicas: 3 }, { tag: 'latest', replicas: 1 }], mode: 'follow', apply: true, nonInteractive: true, pollMs: 20, open: false,
      });
      assert.ok(r?.applied, `apply failed: ${api.lastNotice()?.message}`);
      assert.deepEqual(kube.patches().map((p) => p.path), ['/api/v1/namespaces/ml/secrets/modelrepo-s3',
        `/apis/apps/v1/namespaces/ml/deployments/${MODEL}-v1`, `/apis/apps/v1/namespaces/ml/deployments/${MODEL}-latest`, `/api/v1/namespaces/ml/services/${MODEL}`]);
      assert.equal(kube.patches()[0].body.data.AWS_SECRET_ACCESS_KEY, b64(keys.secretAccessKey));
      assert.deepEqual(r.applied.reports.map((x) => [x.pod, x.outcome]), [[`${MODEL}-v1-7d9f-abcde`, 'arrived'], [`${MODEL}-latest-7d9f-abcde`, 'arrived']]);
      assert.ok(!r.applied.report.includes(keys.secretAccessKey));
    });
  });
});
