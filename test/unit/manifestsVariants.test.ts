// The manifest variants beside the Pod (Deployment + Service, llama.cpp CPU/CUDA, vLLM, KServe, A/B,
// following a tag), each put through every offline check, and what makes each variant what it is.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Container, Pod, Service } from 'kubernetes-types/core/v1';
import { buildAbManifests } from '../../src/core/manifests/abTest';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import type { ManifestObject } from '../../src/core/manifests/buildManifests';
import type { ManifestInput } from '../../src/core/manifests/manifestInput';
import { isRepoError } from '../../src/core/errors';
import { loadClientNode, monokleProblems } from '../helpers/k8sChecks';
import { FILE, nfsInput, offlineProblems, s3Input, safetensorsInput, viaYaml } from '../helpers/manifestFixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ab = (mode: 'pinned' | 'follow') => buildAbManifests([
  { track: 'stable', input: { ...s3Input, mode, tag: 'stable' }, replicas: 3 },
  { track: 'canary', input: { ...s3Input, mode, tag: 'canary' }, replicas: 1 },
]);

const VARIANTS: Record<string, () => readonly object[]> = {
  'pod, llama.cpp CPU, pinned': () => buildManifests(s3Input),
  'pod, following the tag': () => buildManifests({ ...s3Input, mode: 'follow' }),
  'pod, llama.cpp CUDA': () => buildManifests({ ...s3Input, runtime: 'llama-cpp-cuda' }),
  'pod, vLLM': () => buildManifests({ ...safetensorsInput, runtime: 'vllm' }),
  'deployment, llama.cpp CPU, pinned': () => buildManifests({ ...s3Input, kind: 'deployment', replicas: 2 }),
  'deployment, following the tag': () => buildManifests({ ...s3Input, kind: 'deployment', mode: 'follow' }),
  'deployment, llama.cpp CUDA': () => buildManifests({ ...s3Input, kind: 'deployment', runtime: 'llama-cpp-cuda', gpus: 2 }),
  'deployment, vLLM': () => buildManifests({ ...safetensorsInput, kind: 'deployment', runtime: 'vllm' }),
  'KServe, llama.cpp CPU': () => buildManifests({ ...s3Input, kind: 'kserve' }),
  'KServe, llama.cpp CUDA': () => buildManifests({ ...s3Input, kind: 'kserve', runtime: 'llama-cpp-cuda' }),
  'KServe, vLLM (Hugging Face runtime)': () => buildManifests({ ...safetensorsInput, kind: 'kserve', runtime: 'vllm' }),
  'A/B, pinned': () => ab('pinned'),
  'A/B, following stable and canary': () => ab('follow'),
  'NFS deployment': () => buildManifests({ ...nfsInput, kind: 'deployment' }),
  'NFS pod following the tag': () => buildManifests({ ...nfsInput, mode: 'follow' }),
  'NFS vLLM': () => buildManifests({ ...nfsInput, runtime: 'vllm', artifacts: safetensorsInput.artifacts.map((a) => ({ ...a, path: a.path.replace('team-a/', '') })) }),
};

const deploymentsOf = (objs: readonly object[]): Deployment[] => objs.filter((o) => (o as Obj).kind === 'Deployment') as Deployment[];
const serviceOf = (objs: readonly object[]): Service => objs.find((o) => (o as Obj).kind === 'Service') as Service;
const podOf = (objs: readonly object[]): Pod => objs.find((o) => (o as Obj).kind === 'Pod') as Pod;
const server = (objs: readonly ManifestObject[]): Container => (deploymentsOf(objs)[0]?.spec?.template.spec ?? podOf(objs).spec)!.containers[0];
const configError = (re: RegExp) => (e: unknown): boolean => isRepoError(e, 'Config') && re.test((e as Error).message);

describe('every manifest variant passes the offline checks', () => {
  let k8s: Record<string, unknown> | undefined;
  before(async () => {
    const m = await loadClientNode();
    k8s = typeof m === 'string' ? undefined : m;
  });

  for (const [name, build] of Object.entries(VARIANTS)) {
    it(`${name}: kubernetes-models / KServe schema, unknown fields, names, pod security, no plain-text keys, monokle`, async (t) => {
      if (!k8s) t.diagnostic('client-node needs Node >= 22: the unknown-field walk is skipped');
      const objs = viaYaml(build());
      assert.deepEqual(objs, JSON.parse(JSON.stringify(build())), 'survives the YAML round trip unchanged');
      assert.deepEqual(offlineProblems(objs, k8s), []);
      const found = await monokleProblems(objs);
      // The restricted profile's volume-type rule objects to inline nfs volumes; nothing else may fire.
      const expected = name.startsWith('NFS') ? ['PSS201'] : [];
      assert.deepEqual([...new Set(found.map((f) => f.ruleId))], expected, JSON.stringify(found));
    });
  }
});

describe('Deployment variant', () => {
  const objs = buildManifests({ ...s3Input, kind: 'deployment', replicas: 2 });
  const [deployment] = deploymentsOf(objs);
  const service = serviceOf(objs);

  it('returns the Secret, a Deployment on the same pod spec as the Pod, and a Service', () => {
    assert.deepEqual(objs.map((o) => o.kind), ['Secret', 'Deployment', 'Service']);
    assert.deepEqual(deployment.spec!.template.spec, podOf(buildManifests(s3Input)).spec);
    assert.equal(deployment.spec!.replicas, 2);
  });

  it('rolls out one surge pod at a time on CPU, and replaces in place on GPUs (no spare GPU needed)', () => {
    assert.deepEqual(deployment.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const gpu = deploymentsOf(buildManifests({ ...s3Input, kind: 'deployment', runtime: 'llama-cpp-cuda' }))[0];
    assert.deepEqual(gpu.spec!.strategy!.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 });
  });

  it('selects its pods by labels that never change (not the version), which the template carries', () => {
    const selector = deployment.spec!.selector.matchLabels!;
    assert.deepEqual(Object.keys(selector).sort(), ['app.kubernetes.io/instance', 'app.kubernetes.io/name']);
    const labels = deployment.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(selector)) assert.equal(labels[k], v);
    assert.equal(labels['app.kubernetes.io/version'], '2024-03-20');
  });

  it('has a Service whose selector matches the pods and whose target port is the container port name', () => {
    const labels = deployment.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(service.spec!.selector!)) assert.equal(labels[k], v);
    assert.equal(service.spec!.ports![0].targetPort, 'http');
    assert.ok(server(objs).ports!.some((p) => p.name === 'http'));
  });

  it('names Services with a letter first, and refuses a given name that does not start with one', () => {
    assert.equal(serviceOf(buildManifests({ ...s3Input, model: '3b-instruct', kind: 'deployment' })).metadata!.name, 'm-3b-instruct');
    assert.equal(podOf(buildManifests({ ...s3Input, model: '3b-instruct' })).metadata!.name, '3b-instruct');
    assert.throws(() => buildManifests({ ...s3Input, kind: 'deployment', name: '3b' }), (e) => isRepoError(e, 'InvalidName'));
    assert.throws(() => buildManifests({ ...s3Input, kind: 'deployment', replicas: -1 }), configError(/replicas/));
  });
});

describe('runtimes', () => {
  it('llama.cpp CUDA: the server-cuda image, GPU limit and toleration, all layers offloaded', () => {
    const objs = buildManifests({ ...s3Input, runtime: 'llama-cpp-cuda', gpus: 2 });
    const c = server(objs);
    assert.match(c.image!, /^ghcr\.io\/ggml-org\/llama\.cpp:server-cuda-b\d+$/);
    assert.equal(c.resources!.limits!['nvidia.com/gpu'], '2');
    assert.deepEqual(c.args!.slice(-2), ['--n-gpu-layers', '999']);
    assert.deepEqual(podOf(objs).spec!.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    const cpu = server(buildManifests(s3Input));
    assert.match(cpu.image!, /^ghcr\.io\/ggml-org\/llama\.cpp:server-b\d+$/);
    assert.equal(cpu.resources!.limits!['nvidia.com/gpu'], undefined);
  });

  it('vLLM: streams the version folder from S3 with runai_streamer and the MinIO settings, keys from the Secret', () => {
    const objs = buildManifests({ ...safetensorsInput, runtime: 'vllm' });
    const pod = podOf(objs);
    const c = pod.spec!.containers[0];
    assert.equal(pod.spec!.initContainers, undefined, 'no copy: vLLM reads S3 itself');
    assert.deepEqual(c.command, ['vllm']);
    assert.deepEqual(c.args, ['serve', 's3://models/team-a/qwen2.5-7b/2024-05-01/', '--load-format', 'runai_streamer',
      '--host', '0.0.0.0', '--port', '8000', '--served-model-name', 'qwen2.5-7b']);
    const env = Object.fromEntries(c.env!.map((e) => [e.name, e.value ?? `secret:${e.valueFrom?.secretKeyRef?.name}/${e.valueFrom?.secretKeyRef?.key}`]));
    assert.equal(env.AWS_ENDPOINT_URL, 'http://minio.minio.svc:9000');
    assert.equal(env.RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING, '0');
    assert.equal(env.AWS_EC2_METADATA_DISABLED, 'true');
    assert.equal(env.AWS_ACCESS_KEY_ID, 'secret:modelrepo-s3/AWS_ACCESS_KEY_ID');
    assert.equal(env.AWS_SECRET_ACCESS_KEY, 'secret:modelrepo-s3/AWS_SECRET_ACCESS_KEY');
    assert.equal(c.resources!.limits!['nvidia.com/gpu'], '1');
    assert.match(c.image!, /^vllm\/vllm-openai:v\d+\.\d+\.\d+$/);
  });

  it('vLLM refuses GGUF, and llama.cpp refuses safetensors, each naming the runtimes to use', () => {
    assert.throws(() => buildManifests({ ...s3Input, runtime: 'vllm' }),
      configError(new RegExp(`${FILE.replace(/\./g, '\\.')} is GGUF, and vLLM loads safetensors .*: use the llama-cpp-cpu, llama-cpp-cuda or ollama runtime for GGUF files`)));
    const oneFile: ManifestInput = { ...safetensorsInput, artifacts: [safetensorsInput.artifacts[1]] };
    assert.throws(() => buildManifests({ ...oneFile, runtime: 'llama-cpp-cpu' }),
      configError(/is safetensors, and llama\.cpp serves GGUF: use the vllm or sglang runtime for safetensors files/));
    assert.throws(() => buildManifests({ ...s3Input, runtime: 'tgi' as never }), configError(/'tgi' is not a runtime \(llama-cpp-cpu, llama-cpp-cuda, vllm, sglang, ollama\)/));
  });

  it('without a runtime: the first of the table that serves the files (llama.cpp CPU for GGUF, vLLM for safetensors)', () => {
    assert.equal(server(buildManifests(s3Input)).name, 'llama-server');
    assert.equal(server(buildManifests({ ...safetensorsInput, runtime: undefined })).name, 'vllm');
  });
});

describe('A/B: two Deployments on two tags behind one Service', () => {
  const objs = ab('follow');
  const [stable, canary] = deploymentsOf(objs);
  const service = serviceOf(objs);

  it('has one Secret, a Deployment per track and one Service, weights as replica counts', () => {
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata!.name}`), ['Secret/modelrepo-s3', 'Deployment/llama-3-8b-stable', 'Deployment/llama-3-8b-canary', 'Service/llama-3-8b']);
    assert.deepEqual([stable.spec!.replicas, canary.spec!.replicas], [3, 1]);
    assert.equal(stable.metadata!.annotations!['modelrepo.io/traffic-share'], '75% (3 of 4 replicas)');
    assert.equal(service.metadata!.annotations!['modelrepo.io/ab'], 'stable: 3 (75%), canary: 1 (25%)');
  });

  it('each arm follows its own tag', () => {
    const tagOf = (d: Deployment): string | undefined => /first_tag='([^']*)'/.exec(d.spec!.template.spec!.initContainers![0].args![0])?.[1];
    assert.deepEqual([tagOf(stable), tagOf(canary)], ['stable', 'canary']);
  });

  it('the Service selects the pods of both arms, and each Deployment only its own', () => {
    const matches = (sel: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(sel).every(([k, v]) => labels[k] === v);
    const [ls, lc] = [stable, canary].map((d) => d.spec!.template.metadata!.labels!);
    assert.ok(matches(service.spec!.selector!, ls) && matches(service.spec!.selector!, lc));
    assert.ok(!matches(stable.spec!.selector.matchLabels!, lc) && !matches(canary.spec!.selector.matchLabels!, ls));
    assert.deepEqual([ls['modelrepo.io/track'], lc['modelrepo.io/track']], ['stable', 'canary']);
  });

  it('refuses one arm, equal tracks, no replicas at all, and arms in two namespaces', () => {
    const arm = { track: 'stable', input: s3Input, replicas: 1 };
    assert.throws(() => buildAbManifests([arm]), configError(/at least two arms/));
    assert.throws(() => buildAbManifests([arm, arm]), configError(/tracks must differ/));
    assert.throws(() => buildAbManifests([{ ...arm, replicas: 0 }, { ...arm, track: 'b', replicas: 0 }]), configError(/weights/));
    assert.throws(() => buildAbManifests([arm, { ...arm, track: 'b', input: { ...s3Input, namespace: 'other' } }]), configError(/one namespace/));
  });
});
