// CONTRACT tests of waiting for the pods after an apply (src/core/kube/rollout.ts) against the loopback
// API server of test/helpers/fakeKubeApi.ts: which pod each workload is watched by, and each way a wait
// ends (the model arrived, the copy failed, the time ran out, cancelled). A real cluster is not exercised.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRepoError } from '../../src/core/errors';
import { applyWithClient } from '../../src/core/kube/apply';
import { podTargets, reportLines, waitForPods } from '../../src/core/kube/rollout';
import { buildAbManifests } from '../../src/core/manifests/abTest';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import { startFakeKube } from '../helpers/fakeKubeApi';
import type { FakeKube } from '../helpers/fakeKubeApi';
import { loadClientNode } from '../helpers/k8sChecks';
import { s3Input, safetensorsInput } from '../helpers/manifestFixtures';

describe('which pods a wait watches', () => {
  it('a Pod by name, a Deployment by its selector, an InferenceService by KServe\'s label; none for 0 replicas', () => {
    const applied = (objs: readonly object[]) => objs.map((o) => ({ kind: (o as { kind: string }).kind, name: '', namespace: 'ml' }));
    const pod = buildManifests(s3Input);
    assert.deepEqual(podTargets(pod, applied(pod)), [{ workload: 'Pod llama-3-8b', namespace: 'ml', pod: 'llama-3-8b', initContainer: 'fetch-model' }]);
    const vllm = buildManifests({ ...safetensorsInput, kind: 'deployment', runtime: 'vllm' });
    assert.deepEqual(podTargets(vllm, applied(vllm)), [{ workload: 'Deployment qwen2-5-7b', namespace: 'ml', labelSelector: 'app.kubernetes.io/name=qwen2-5-7b,app.kubernetes.io/instance=qwen2-5-7b' }]);
    const kserve = buildManifests({ ...s3Input, kind: 'kserve' });
    assert.deepEqual(podTargets(kserve, applied(kserve)), [{ workload: 'InferenceService llama-3-8b', namespace: 'ml', labelSelector: 'serving.kserve.io/inferenceservice=llama-3-8b', initContainer: 'storage-initializer' }]);
    const ab = buildAbManifests([{ track: 'stable', input: s3Input, replicas: 2 }, { track: 'off', input: s3Input, replicas: 0 }]);
    assert.deepEqual(podTargets(ab, applied(ab)).map((t) => t.workload), ['Deployment llama-3-8b-stable']);
  });
});

describe('CONTRACT: waiting for the model to arrive, against a loopback API server', async () => {
  const k8s = await loadClientNode();
  const skip = typeof k8s === 'string' ? k8s : false;
  let kube: FakeKube;
  let dir = '';
  let kubeconfig = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rollout-'));
    kube = await startFakeKube({
      pods: (name) => (name.startsWith('slow') ? { phase: 'Pending' }
        : name.startsWith('broken') ? { phase: 'Pending', initExit: 1, log: 'modelrepo: FAILED to copy s3://models/x (see the aws error above)\n' } : undefined),
    });
    kubeconfig = kube.kubeconfig(dir);
  });
  after(async () => {
    await kube?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const applyAndWait = async (name: string, waitMs = 5000) => {
    const objs = buildManifests({ ...s3Input, namespace: undefined, name });
    const applied = await applyWithClient(objs, { kubeconfig });
    return waitForPods(podTargets(objs, applied), { kubeconfig, waitMs, pollMs: 20 });
  };

  it('CONTRACT: a copy that ended well: outcome arrived, the status line and the log\'s modelrepo lines', { skip }, async () => {
    const [r] = await applyAndWait('good');
    assert.equal(r.outcome, 'arrived');
    assert.equal(r.summary?.ok, true);
    const lines = reportLines(r);
    assert.equal(lines[0], 'pod ml/good: Running, ready; fetch-model: terminated (Completed, exit 0); llama-server: running');
    assert.deepEqual(lines.slice(1, 3), ['  fetch-model log:', '    modelrepo: fetching 1 file(s), 4.0 KiB, of m@v from http://s3']);
  });

  it('CONTRACT: a failed copy: outcome failed with the exit code, and the log line that says why', { skip }, async () => {
    const [r] = await applyAndWait('broken');
    assert.equal(r.outcome, 'failed');
    assert.equal(r.reason, 'fetch-model exited with 1 (Error)');
    assert.ok(reportLines(r).includes('    modelrepo: FAILED to copy s3://models/x (see the aws error above)'));
  });

  it('CONTRACT: a copy still running when the time is up: outcome timeout, last status kept; a cancel is Aborted', { skip }, async () => {
    const [r] = await applyAndWait('slow', 200);
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.statusText, 'Pending; fetch-model: running; llama-server: waiting (PodInitializing)');
    const ctl = new AbortController();
    const objs = buildManifests({ ...s3Input, namespace: undefined, name: 'slow-2' });
    const pending = waitForPods(podTargets(objs, await applyWithClient(objs, { kubeconfig })), { kubeconfig, pollMs: 50, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 100);
    await assert.rejects(pending, (e) => isRepoError(e, 'Aborted'));
  });
});
