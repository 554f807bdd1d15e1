// `modelrepo manifest` in every variant and `modelrepo apply`, run as the built CLI in a child process
// (as cliChapter.test.ts does) against models in the real S3 server and in a folder. The YAML of each kind,
// runtime and mode goes through the offline checks of test/helpers/k8sChecks.ts. `apply` is a CONTRACT
// test: no API server can run here, so a loopback server (test/helpers/fakeKubeApi.ts, kubeconfig in a
// temp file) records what client-node sends; the Secret's PATCH must carry the keys and the CLI's
// stdout/stderr must never show them. A real cluster is not exercised.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStorage } from '../../src/core/openStorage';
import { Repository } from '../../src/core/repository';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { RUNTIME_NAMES, RUNTIMES } from '../../src/core/manifests/runtimes/runtimeTable';
import { startFakeKube } from '../helpers/fakeKubeApi';
import type { FakeKube } from '../helpers/fakeKubeApi';
import { loadClientNode, monokleProblems, parseManifests, plainCredentials } from '../helpers/k8sChecks';
import { offlineProblems } from '../helpers/manifestFixtures';
import { run, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'out', 'cli-bundle', `cli-deploy-${process.pid}.js`);
const LLAMA = 'llama-3-8b';
const QWEN = 'qwen2.5-7b';
const Q4 = 'llama-3-8b.Q4_K_M.gguf';
const Q5 = 'llama-3-8b.Q5_K_M.gguf';
const ST = ['config.json', 'model.safetensors', 'tokenizer.json'];
const env = s3TestEnv();
let bucket = '';
const CLUSTER = 'http://minio.model-storage:9000'; // the S3 server is on loopback, which pods cannot reach
let work = '';

function cli(args: readonly string[], extra: Record<string, string> = {}): Promise<Run> {
  const base = withoutKeys(/^(AWS_|MC_HOST_|S3_ENDPOINT|MODELREPO_|KUBECONFIG)/);
  const keys = env ? { AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: env.secretAccessKey, AWS_REGION: env.region } : {};
  return run(process.execPath, [CLI, ...args], { cwd: work, env: { ...base, HOME: join(work, 'home'), MODELREPO_CLUSTER_ENDPOINT: CLUSTER, ...keys, ...extra } });
}

const s3Ref = (model: string, sel: string): string => `s3://${bucket}/team-a/${model}${sel}`;
const S3ARGS = (): string[] => ['--endpoint', env?.endpoint ?? ''];

/** Small stand-ins for the model files, each in a folder of its own (upload keeps the file name). */
function makeFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, size] of [[Q4, 3000], [Q5, 4000], ...ST.map((f) => [f, 2000] as const)] as const) {
    const dir = join(work, 'files', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), Buffer.concat([Buffer.from(name.endsWith('.gguf') ? 'GGUF' : '{}  '), randomBytes(size - 4)]));
    out[name] = join(dir, name);
  }
  return out;
}

/** llama: stable -> 2024-01-15 (Q4), canary -> 2024-03-20 (Q5), latest -> canary; qwen: stable -> 2024-05-01. */
async function seed(repo: Repository, files: Record<string, string>): Promise<void> {
  await repo.upload(LLAMA, '2024-01-15', [files[Q4]]);
  await repo.upload(LLAMA, '2024-03-20', [files[Q5]]);
  await repo.setTag(LLAMA, 'stable', `2024-01-15/${Q4}`, { expect: null });
  await repo.setTag(LLAMA, 'canary', `2024-03-20/${Q5}`, { expect: null });
  await repo.setTag(LLAMA, 'latest', 'canary', { expect: null });
  await repo.upload(QWEN, '2024-05-01', ST.map((f) => files[f]));
  await repo.setTag(QWEN, 'stable', '2024-05-01', { expect: null });
}

before(async () => {
  const { build } = await import('esbuild');
  await build({ entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile: CLI, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' });
  work = mkdtempSync(join(tmpdir(), 'modelrepo-deploy-'));
  mkdirSync(join(work, 'home'));
  const files = makeFiles();
  await seed(new Repository(createFsStorage({ kind: 'fs', path: join(work, 'repo') })), files);
  if (env) {
    bucket = await createTestBucket(env, 'cli-deploy');
    await seed(new Repository(await openStorage(s3Config(env, bucket, 'team-a'))), files);
  }
});

after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(CLI, { force: true });
  await deleteTestBucket(env, bucket);
});

const kindsOf = (objs: readonly Obj[]): string[] => objs.map((o) => `${o.kind} ${o.metadata.name}`);
const podSpec = (o: Obj): Obj => (o.kind === 'Pod' ? o.spec : o.spec.template.spec);

/** [name, arguments after `manifest`, what makes the variant what it is] */
const S3_VARIANTS: [string, () => string[], (objs: Obj[]) => void][] = [
  ['pod, llama.cpp CPU, pinned', () => [s3Ref(LLAMA, ':latest')], (objs) => {
    assert.deepEqual(kindsOf(objs), ['Secret modelrepo-s3', `Pod ${LLAMA}`]);
    assert.equal(objs[1].metadata.annotations['modelrepo.io/version'], '2024-03-20');
    assert.equal(objs[1].spec.initContainers[0].name, 'fetch-model');
  }],
  ['deployment, llama.cpp CUDA, following the tag, 2 replicas, 2 GPUs', () => [s3Ref(LLAMA, ':latest'), '--kind', 'deployment', '--runtime', 'llama-cpp-cuda', '--follow', '--replicas', '2', '--gpus', '2'], (objs) => {
    assert.deepEqual(kindsOf(objs), ['Secret modelrepo-s3', `Deployment ${LLAMA}`, `Service ${LLAMA}`]);
    const d = objs[1];
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.metadata.annotations['modelrepo.io/mode'], 'follow');
    assert.equal(d.metadata.annotations['modelrepo.io/tag'], 'latest');
    const server = podSpec(d).containers[0];
    assert.equal(server.image, RUNTIMES['llama-cpp-cuda'].image);
    assert.equal(server.resources.limits['nvidia.com/gpu'], '2');
    assert.match(podSpec(d).initContainers[0].args[0], /^first_tag='latest'$/m, 'the init script follows latest');
  }],
  ['KServe InferenceService, llama.cpp CPU', () => [s3Ref(LLAMA, ':stable'), '--kind', 'kserve', '--namespace', 'inference'], (objs) => {
    assert.deepEqual(kindsOf(objs), ['Secret modelrepo-s3', 'ServiceAccount modelrepo-s3', `InferenceService ${LLAMA}`]);
    assert.equal(objs[0].metadata.annotations['serving.kserve.io/s3-endpoint'], new URL(CLUSTER).host, 'the cluster endpoint, not the loopback one');
    const c = objs[2].spec.predictor.containers[0];
    assert.ok(c.env.some((e: Obj) => e.name === 'STORAGE_URI' && e.value === `s3://${bucket}/team-a/${LLAMA}/2024-01-15/${Q4}`));
    assert.ok(objs.every((o) => o.metadata.namespace === 'inference'));
  }],
  ['KServe InferenceService, vLLM for safetensors', () => [s3Ref(QWEN, ':stable'), '--kind', 'kserve', '--runtime', 'vllm'], (objs) => {
    assert.deepEqual(kindsOf(objs), ['Secret modelrepo-s3', 'ServiceAccount modelrepo-s3', 'InferenceService qwen2-5-7b']);
    assert.equal(objs[2].spec.predictor.model.storageUri, `s3://${bucket}/team-a/${QWEN}/2024-05-01/`);
  }],
  ['pod, safetensors without --runtime: vLLM (the first runtime reading them) streaming from S3', () => [s3Ref(QWEN, '@2024-05-01'), '--secret-name', 'minio-keys'], (objs) => {
    const pod = objs.find((o) => o.kind === 'Pod')!;
    assert.equal(pod.spec.initContainers, undefined, 'vLLM copies nothing');
    assert.equal(pod.spec.containers[0].image, RUNTIMES.vllm.image);
    assert.ok(pod.spec.containers[0].args.join(' ').includes('--load-format runai_streamer'));
    assert.equal(objs[0].metadata.name, 'minio-keys');
  }],
  ['pod, SGLang: the version folder copied in and checked, then sglang.launch_server', () => [s3Ref(QWEN, ':stable'), '--runtime', 'sglang'], (objs) => {
    const [init, c] = [objs[1].spec.initContainers[0], objs[1].spec.containers[0]];
    for (const f of ST) assert.ok(init.args[0].includes(`'/models/${f}'`), `${f} is copied`);
    assert.deepEqual([c.image, ...c.command, ...c.args.slice(0, 2)], [RUNTIMES.sglang.image, 'python3', '-m', 'sglang.launch_server', '--model-path', '/models']);
  }],
  ['KServe InferenceService, SGLang on the copied folder, 2 GPUs', () => [s3Ref(QWEN, ':stable'), '--kind', 'kserve', '--runtime', 'sglang', '--gpus', '2'], (objs) => {
    const c = objs[2].spec.predictor.containers[0];
    assert.deepEqual([c.env[0].value, ...c.args.slice(-2)], [`s3://${bucket}/team-a/${QWEN}/2024-05-01/`, '--tp-size', '2']); }],
  ['deployment, Ollama following the tag on a GPU', () => [s3Ref(LLAMA, ':latest'), '--kind', 'deployment', '--runtime', 'ollama', '--follow', '--gpus', '1'], (objs) => {
    const [init, c] = [podSpec(objs[1]).initContainers[0], podSpec(objs[1]).containers[0]];
    assert.deepEqual([c.image, c.resources.limits['nvidia.com/gpu'], /^first_tag='latest'$/m.test(init.args[0])], [RUNTIMES.ollama.image, '1', true]);
    assert.match(c.args[0], /^model='\/models\/modelrepo-current\.gguf'$[\s\S]*ollama create "\$name"/m); }],
  ['A/B: stable=3 and canary=1 behind one Service, following the tags', () => ['--ab', `${s3Ref(LLAMA, ':stable')}=3`, `${s3Ref(LLAMA, ':canary')}=1`, '--follow'], (objs) => {
    assert.deepEqual(kindsOf(objs), ['Secret modelrepo-s3', `Deployment ${LLAMA}-stable`, `Deployment ${LLAMA}-canary`, `Service ${LLAMA}`]);
    assert.deepEqual(objs.slice(1, 3).map((d) => d.spec.replicas), [3, 1]);
    assert.deepEqual(objs.slice(1, 3).map((d) => d.metadata.annotations['modelrepo.io/traffic-share']), ['75% (3 of 4 replicas)', '25% (1 of 4 replicas)']);
    assert.deepEqual(objs[3].spec.selector, { 'modelrepo.io/service': LLAMA });
    assert.deepEqual(objs.slice(1, 3).map((d) => d.metadata.annotations['modelrepo.io/tag']), ['stable', 'canary']);
  }],
];

describe('modelrepo manifest: every kind, runtime and mode passes the offline checks', { skip: skipWithoutS3 }, () => {
  let k8s: Record<string, unknown> | undefined;
  before(async () => {
    const m = await loadClientNode();
    k8s = typeof m === 'string' ? undefined : m;
  });

  for (const [name, args, check] of S3_VARIANTS) {
    it(`${name}: YAML on stdout only, offline checks, monokle, no key in it`, async () => {
      const r = await cli(['manifest', ...args(), ...S3ARGS()]);
      assert.equal(r.code, 0, show(r));
      const objs = parseManifests(r.stdout);
      assert.deepEqual(offlineProblems(objs, k8s), []);
      for (const o of objs) assert.deepEqual(plainCredentials(o, [env!.accessKeyId, env!.secretAccessKey]), []);
      assert.deepEqual([...new Set((await monokleProblems(objs)).map((f) => f.ruleId))], []);
      assert.ok(!r.stdout.includes(env!.secretAccessKey) && !r.stdout.includes(Buffer.from(env!.secretAccessKey).toString('base64')), 'a key is in the YAML');
      assert.match(r.stderr, /^# \S/m, 'what the reference resolved to is noted on stderr');
      check(objs);
    });
  }

  it('a folder repository: a Deployment following the tag over NFS', async () => {
    const r = await cli(['manifest', `${join(work, 'repo')}/${LLAMA}:latest`, '--kind', 'deployment', '--follow', '--nfs-server', 'nfs.lan', '--nfs-path', '/export/models']);
    assert.equal(r.code, 0, show(r));
    const objs = parseManifests(r.stdout);
    assert.deepEqual(offlineProblems(objs, k8s), []);
    assert.deepEqual(kindsOf(objs), [`Deployment ${LLAMA}`, `Service ${LLAMA}`]);
    const spec = podSpec(objs[0]);
    assert.deepEqual(spec.volumes[0].nfs, { server: 'nfs.lan', path: '/export/models', readOnly: true });
    assert.ok(spec.containers[0].args.includes('/models/tags/latest'), 'the server opens the tag symlink itself');
  });

  it('--help lists every runtime of the table, in --runtime and in the runtimes section', async () => {
    const r = await cli(['manifest', '--help']);
    assert.ok(r.code === 0 && r.stdout.includes(`[--runtime ${RUNTIME_NAMES.join('|')}]`), show(r));
    for (const name of RUNTIME_NAMES) assert.match(r.stdout, new RegExp(`^ {2}${name} +${RUNTIMES[name].label}: `, 'm'));
  });

  it('refuses variants that cannot serve the files, with exit 2 and the reason', async () => {
    const cases: [string[], RegExp][] = [
      [[s3Ref(LLAMA, ':latest'), '--runtime', 'vllm'], /GGUF, and vLLM loads safetensors.*: use the llama-cpp-cpu, llama-cpp-cuda or ollama runtime/],
      [[s3Ref(QWEN, ':stable'), '--runtime', 'ollama'], /is safetensors, and Ollama imports GGUF: use the vllm or sglang runtime/],
      [[s3Ref(LLAMA, ':latest'), '--runtime', 'tgi'], new RegExp(`--runtime 'tgi' is not one of ${RUNTIME_NAMES.join(', ')}`)],
      [[s3Ref(LLAMA, '@2024-03-20'), '--follow'], /following needs a tag reference/],
      [[s3Ref(LLAMA, ':latest'), '--kind', 'statefulset'], /--kind 'statefulset' is not one of pod, deployment, kserve/],
      [[s3Ref(LLAMA, ':latest'), '--replicas', 'two'], /--replicas 'two' is not a whole number/],
      [['--ab', `${s3Ref(LLAMA, ':stable')}=3`], /--ab needs at least two arms/],
      [['--ab', `${s3Ref(LLAMA, ':stable')}=3`, s3Ref(LLAMA, ':canary')], /is not <ref>=<replicas>/],
      [[s3Ref(LLAMA, ':stable'), s3Ref(LLAMA, ':canary')], /expected one reference/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['manifest', ...args, ...S3ARGS()]);
      assert.equal(r.code, 2, `${args.join(' ')}\n${show(r)}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });
});

describe('CONTRACT: modelrepo apply against a loopback API server', { skip: skipWithoutS3 }, async () => {
  const k8s = await loadClientNode();
  const skip = typeof k8s === 'string' ? k8s : false;
  let kube: FakeKube;
  let kubeconfig = '';
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const noKeys = (r: Run): void => {
    for (const k of [env!.accessKeyId, env!.secretAccessKey, b64(env!.accessKeyId), b64(env!.secretAccessKey)]) {
      assert.ok(!r.stdout.includes(k) && !r.stderr.includes(k), `a key reached the output\n${show(r)}`);
    }
  };

  before(async () => {
    kube = await startFakeKube({
      pods: (name) => (name.startsWith('bad-sha') ? { phase: 'Pending', initExit: 1, log: `modelrepo: copying s3://x (4000 bytes)\nmodelrepo: sha256 MISMATCH for /models/${Q5}: expected ${'a'.repeat(64)}, got ${'b'.repeat(64)}; refusing to start the server\n` } : undefined),
    });
    kubeconfig = kube.kubeconfig(work);
  });
  after(async () => { await kube?.close(); });

  it('sends the Secret with the keys by server-side apply, waits, and prints the pod status and the copy log (keys never printed)', { skip }, async () => {
    kube.requests.length = 0;
    const r = await cli(['apply', s3Ref(LLAMA, ':latest'), ...S3ARGS(), '--kubeconfig', kubeconfig, '--wait']);
    assert.equal(r.code, 0, show(r));
    const patches = kube.patches();
    assert.deepEqual(patches.map((p) => p.path), ['/api/v1/namespaces/ml/secrets/modelrepo-s3', `/api/v1/namespaces/ml/pods/${LLAMA}`]);
    assert.deepEqual(patches[0].body.data, { AWS_ACCESS_KEY_ID: b64(env!.accessKeyId), AWS_SECRET_ACCESS_KEY: b64(env!.secretAccessKey) });
    for (const p of kube.requests.filter((x) => x.method === 'PATCH')) {
      assert.equal(p.query.get('fieldManager'), 'modelrepo');
      assert.equal(p.contentType, 'application/apply-patch+yaml');
    }
    assert.deepEqual(r.stdout.split('\n').slice(0, 3), ['applied Secret ml/modelrepo-s3', `applied Pod ml/${LLAMA}`,
      `pod ml/${LLAMA}: Running, ready; fetch-model: terminated (Completed, exit 0); llama-server: running`]);
    assert.match(r.stdout, /^ {2}fetch-model log:\n {4}modelrepo: fetching/m);
    assert.match(r.stdout, /^ {4}modelrepo: \/models\/model\.gguf arrived, sha256 ok \(f{64}\)$/m);
    noKeys(r);
  });

  it('a following Deployment: finds its pod by the selector (--json); the A/B pair goes to another namespace and context', { skip }, async () => {
    const r = await cli(['apply', s3Ref(LLAMA, ':latest'), ...S3ARGS(), '--kubeconfig', kubeconfig, '--kind', 'deployment', '--follow', '--wait', '--json']);
    assert.equal(r.code, 0, show(r));
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.applied.map((a: Obj) => a.kind), ['Secret', 'Deployment', 'Service']);
    assert.equal(j.pods[0].pod, `${LLAMA}-7d9f-abcde`);
    assert.equal(j.pods[0].outcome, 'arrived');
    assert.ok(j.pods[0].log.some((l: string) => /arrived, sha256 ok/.test(l)));
    noKeys(r);
    kube.requests.length = 0;
    const ab = await cli(['apply', '--ab', `${s3Ref(LLAMA, ':stable')}=3`, `${s3Ref(LLAMA, ':canary')}=1`, ...S3ARGS(),
      '--kubeconfig', kubeconfig, '--context', 'loopback', '--namespace', 'team-b']);
    assert.equal(ab.code, 0, show(ab));
    assert.deepEqual(kube.patches().map((p) => p.path), ['/api/v1/namespaces/team-b/secrets/modelrepo-s3',
      `/apis/apps/v1/namespaces/team-b/deployments/${LLAMA}-stable`, `/apis/apps/v1/namespaces/team-b/deployments/${LLAMA}-canary`,
      `/api/v1/namespaces/team-b/services/${LLAMA}`]);
    noKeys(ab);
  });

  it('a sha256 mismatch in the init container is exit 7, with its log line shown', { skip }, async () => {
    const r = await cli(['apply', s3Ref(LLAMA, ':latest'), ...S3ARGS(), '--kubeconfig', kubeconfig, '--name', 'bad-sha', '--wait']);
    assert.equal(r.code, 7, show(r));
    assert.match(r.stdout, /fetch-model: terminated \(Error, exit 1\)/);
    assert.match(r.stdout, /^ {4}modelrepo: sha256 MISMATCH for /m);
    assert.match(r.stderr, /^modelrepo: Cannot wait for the model to arrive: bad-sha: fetch-model exited with 1/m);
    noKeys(r);
  });

  it('wrong token is exit 5, a dead API server exit 6, no explicit keys exit 2: nothing printed holds a key', { skip }, async () => {
    const wrong = join(work, 'wrong-token.yaml');
    writeFileSync(wrong, readFileSync(kubeconfig, 'utf8').replace(kube.token, 'not-the-token'));
    const auth = await cli(['apply', s3Ref(LLAMA, ':latest'), ...S3ARGS(), '--kubeconfig', wrong]);
    assert.equal(auth.code, 5, show(auth));
    assert.match(auth.stderr, /did not accept the credentials of context 'loopback' \(401\)/);
    noKeys(auth);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const dead = join(work, 'dead.yaml');
    writeFileSync(dead, readFileSync(kubeconfig, 'utf8').replace(kube.url, `http://127.0.0.1:${port}`));
    const net = await cli(['apply', s3Ref(LLAMA, ':latest'), ...S3ARGS(), '--kubeconfig', dead]);
    assert.equal(net.code, 6, show(net));
    assert.match(net.stderr, new RegExp(`cannot reach the Kubernetes API server at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    noKeys(net);
    kube.requests.length = 0;
    const chain = await cli(['apply', s3Ref(LLAMA, ':latest'), ...S3ARGS(), '--kubeconfig', kubeconfig], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    assert.equal(chain.code, 2, show(chain));
    assert.match(chain.stderr, /no explicit keys/);
    assert.equal(kube.requests.length, 0, 'nothing was sent to the cluster');
  });
});
