// "Deploy MinIO to Cluster..." inside the real extension host, against the loopback API server
// (test/helpers/fakeKubeApi.ts; no cluster can run here): the objects arrive by server-side apply in
// order, the generated keys reach only the Secret's PATCH (not the report, the notice or the log), and
// a second run keeps the Secret's keys.
import * as assert from 'node:assert/strict';
import type { ExtensionApi } from '../../../src/extension';
import type { DeployedMinio } from '../../../src/commands/deployMinio';
import type { VerifyPodResult } from '../../../src/core/kube/verifyPod';
import { applyWithClient } from '../../../src/core/kube/apply';
import { buildManifests } from '../../../src/core/manifests/buildManifests';
import { SHA, s3Input } from '../../helpers/manifestFixtures';
import { startFakeKube } from '../../helpers/fakeKubeApi';
import type { FakeKube } from '../../helpers/fakeKubeApi';
import { extensionApi, run, scratch } from './helpers';

suite('Deploy MinIO to Cluster, Verify Model in Pod', function () {
  this.timeout(60_000);
  let api: ExtensionApi;
  let kube: FakeKube;
  let kubeconfig = '';

  suiteSetup(async () => {
    api = await extensionApi();
    kube = await startFakeKube({
      exec: (_pod, _c, cmd) => (cmd[0] === 'sha256sum' ? { stdout: `${SHA}  ${cmd[1]}\n`, exitCode: 0 } : { stdout: '5732987904\n', exitCode: 0 }),
    });
    kubeconfig = kube.kubeconfig(scratch('deploy-minio'));
  });
  suiteTeardown(async () => { await kube?.close(); });

  test('applies the MinIO objects with new random keys, waits, and reports the cluster endpoint without a key', async () => {
    const r = await run<DeployedMinio>('deployMinio', undefined, {
      namespace: 'storage', size: '20Gi', kubeconfig, context: 'loopback', nonInteractive: true, pollMs: 20, open: false,
    });
    assert.ok(r, `deploy failed: ${api.lastNotice()?.message}`);
    const patches = kube.patches();
    assert.deepEqual(patches.map((p) => p.path.split('/').slice(-2).join('/')),
      ['namespaces/storage', 'secrets/minio', 'persistentvolumeclaims/minio', 'deployments/minio', 'services/minio', 'jobs/minio-make-bucket']);
    const password = Buffer.from(patches[1].body.data.rootPassword, 'base64').toString();
    assert.match(password, /^[A-Za-z0-9]{40}$/);
    assert.equal(patches[2].body.spec.resources.requests.storage, '20Gi');
    assert.equal(r.endpoint, 'http://minio.storage:9000');
    assert.equal(r.newKeys, true);
    assert.match(r.report, /http:\/\/minio\.storage:9000/);
    for (const text of [r.report, api.lastNotice()?.message ?? '', JSON.stringify(r)]) {
      assert.ok(!text.includes(password) && !text.includes(patches[1].body.data.rootPassword), 'a key is shown');
    }
  });

  test('a second run keeps the keys of the existing Secret', async () => {
    kube.requests.length = 0;
    const r = await run<DeployedMinio>('deployMinio', undefined, { namespace: 'storage', size: '20Gi', kubeconfig, context: 'loopback', nonInteractive: true, pollMs: 20, open: false });
    assert.ok(r, `deploy failed: ${api.lastNotice()?.message}`);
    assert.equal(r.newKeys, false);
    assert.ok(!kube.patches().some((p) => p.path.includes('/secrets/')));
    assert.match(r.report, /kept its root keys/);
  });

  test('Verify Model in Pod: hashes the file in the serving container and reads the health path', async () => {
    await applyWithClient(buildManifests({ ...s3Input, namespace: 'ml' }), { kubeconfig });
    const r = await run<VerifyPodResult & { report: string }>('verifyModelInPod', undefined, { pod: 'llama-3-8b', namespace: 'ml', context: 'loopback', kubeconfig, open: false, nonInteractive: true });
    assert.ok(r, `verify failed: ${api.lastNotice()?.message}`);
    assert.equal(r.fileOutcome, 'match');
    assert.equal(r.path, '/models/llama-3-8b.Q5_K_M.gguf');
    assert.equal(r.health.ok, true);
    assert.match(api.lastNotice()?.message ?? '', /matches its record and the server is healthy/);
  });
});
