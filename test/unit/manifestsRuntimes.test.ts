// Every runtime of the table, driven by the table itself (a runtime added there is checked here without
// touching this file): each workload kind, S3 and NFS, pinned and (when it can) following a tag, A/B and
// several GPUs, through every offline check; what the table promises (image, port, health endpoint,
// copy or stream, GPUs) found in the objects and in what a wait after an apply watches; the formats it
// refuses, naming the runtimes that read them.
// Then SGLang's own command line and pod (Ollama: manifestsOllama.test.ts).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import { podTargets } from '../../src/core/kube/rollout';
import { buildAbManifests } from '../../src/core/manifests/abTest';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import type { InferenceService } from '../../src/core/manifests/kserve';
import type { ManifestInput } from '../../src/core/manifests/manifestInput';
import { FORMATS } from '../../src/core/manifests/runtimes/runtime';
import type { ModelFormat, Runtime } from '../../src/core/manifests/runtimes/runtime';
import { RUNTIME_NAMES, RUNTIMES, runtimesServing } from '../../src/core/manifests/runtimes/runtimeTable';
import { SGLANG_IMAGE } from '../../src/core/manifests/runtimes/sglang';
import { isRepoError } from '../../src/core/errors';
import { loadClientNode, monokleProblems } from '../helpers/k8sChecks';
import { inputIn, offlineProblems, safetensorsInput, viaYaml } from '../helpers/manifestFixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FORMAT_LIST = Object.keys(FORMATS) as ModelFormat[];
const configError = (re: RegExp) => (e: unknown): boolean => isRepoError(e, 'Config') && re.test((e as Error).message);
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The pod spec of a Pod or of the first Deployment. */
const specOf = (objs: readonly object[]): PodSpec => {
  const o = objs.find((x) => ['Pod', 'Deployment'].includes((x as Obj).kind)) as Obj;
  return o.kind === 'Pod' ? o.spec : (o as Deployment).spec!.template.spec!;
};
const isvcOf = (objs: readonly object[]): InferenceService => objs.find((x) => (x as Obj).kind === 'InferenceService') as InferenceService;

/** The variants every runtime is built in, from what its entry says it can do. */
function variantsOf(rt: Runtime): [string, () => readonly object[]][] {
  const input = (where: 's3' | 'nfs' = 's3'): ManifestInput => ({ ...inputIn(rt.formats[0], where), runtime: rt.name as never });
  const out: [string, () => readonly object[]][] = [
    ['pod, pinned', () => buildManifests(input())],
    ['deployment, pinned, 2 replicas', () => buildManifests({ ...input(), kind: 'deployment', replicas: 2 })],
    ['KServe', () => buildManifests({ ...input(), kind: 'kserve' })],
    ['NFS pod', () => buildManifests(input('nfs'))],
    ['A/B, pinned', () => buildAbManifests([
      { track: 'stable', input: { ...input(), tag: 'stable' }, replicas: 3 },
      { track: 'canary', input: { ...input(), tag: 'canary' }, replicas: 1 },
    ])],
  ];
  if (rt.gpus !== 'none') {
    out.push(['deployment, 2 GPUs', () => buildManifests({ ...input(), kind: 'deployment', gpus: 2 })]);
    out.push(['KServe, 2 GPUs', () => buildManifests({ ...input(), kind: 'kserve', gpus: 2 })]);
  }
  if (rt.cannotFollow === undefined) {
    out.push(['pod, following the tag', () => buildManifests({ ...input(), mode: 'follow' })]);
    out.push(['deployment, following the tag', () => buildManifests({ ...input(), kind: 'deployment', mode: 'follow' })]);
    out.push(['NFS pod, following the tag', () => buildManifests({ ...input('nfs'), mode: 'follow' })]);
  }
  return out;
}

describe('every runtime of the table passes the offline checks in every variant it offers', () => {
  let k8s: Record<string, unknown> | undefined;
  before(async () => {
    const m = await loadClientNode();
    k8s = typeof m === 'string' ? undefined : m;
  });

  for (const name of RUNTIME_NAMES) {
    for (const [variant, build] of variantsOf(RUNTIMES[name])) {
      it(`${name}, ${variant}: schemas, unknown fields, names, pod security, no plain-text keys, monokle`, async (t) => {
        if (!k8s) t.diagnostic('client-node needs Node >= 22: the unknown-field walk is skipped');
        const objs = viaYaml(build());
        assert.deepEqual(objs, JSON.parse(JSON.stringify(build())), 'survives the YAML round trip unchanged');
        assert.deepEqual(offlineProblems(objs, k8s), []);
        const found = await monokleProblems(objs);
        // The restricted profile's volume-type rule objects to inline nfs volumes; nothing else may fire.
        assert.deepEqual([...new Set(found.map((f) => f.ruleId))], variant.startsWith('NFS') ? ['PSS201'] : [], JSON.stringify(found));
      });
    }
  }
});

describe('what the table says is what the manifests do', () => {
  for (const name of RUNTIME_NAMES) {
    const rt = RUNTIMES[name];
    const input: ManifestInput = { ...inputIn(rt.formats[0]), runtime: name };

    it(`${name}: its table entry is complete, its image pinned`, () => {
      assert.equal(rt.name, name);
      assert.ok(rt.label && rt.description && rt.server && rt.reads, 'label, description, server and reads are set');
      assert.ok(rt.formats.length > 0);
      assert.ok(Number.isInteger(rt.port) && rt.port >= 1024 && rt.port <= 65535, `port ${rt.port}`);
      assert.match(rt.image, /^[a-z0-9.-]+(\/[a-z0-9._-]+)+:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$/, 'a registry path with a versioned tag');
      assert.doesNotMatch(rt.image, /:(latest|main|nightly|server|server-cuda)$/);
    });

    it(`${name}: the image, port, health endpoint, GPU limit and copy of the table`, () => {
      const spec = specOf(buildManifests(input));
      const c = spec.containers[0];
      assert.equal(c.image, rt.image);
      assert.deepEqual(c.ports, [{ name: 'http', containerPort: rt.port, protocol: 'TCP' }]);
      assert.deepEqual(c.readinessProbe!.httpGet, { path: rt.health.path, port: rt.port });
      assert.equal(c.readinessProbe!.initialDelaySeconds, rt.health.initialDelaySeconds);
      assert.deepEqual((spec.initContainers ?? []).map((x) => x.name), rt.fromS3 === 'copy' ? ['fetch-model'] : []);
      const gpus = rt.gpus === 'none' ? 0 : rt.gpus.default;
      assert.equal(c.resources!.limits!['nvidia.com/gpu'], gpus > 0 ? String(gpus) : undefined);
      assert.equal(spec.tolerations !== undefined, gpus > 0);
      const nfs = specOf(buildManifests({ ...inputIn(rt.formats[0], 'nfs'), runtime: name }));
      assert.equal(nfs.initContainers, undefined, 'a folder repository is mounted, never copied');
      assert.deepEqual(nfs.containers[0].volumeMounts![0], { name: 'models', mountPath: '/models', readOnly: true,
        subPath: rt.opens === 'folder' ? 'qwen2.5-7b/2024-05-01' : 'llama-3-8b/2024-03-20' });
      const custom = specOf(buildManifests({ ...input, port: 9000, image: 'example.org/server:1.0' })).containers[0];
      assert.equal(custom.image, 'example.org/server:1.0');
      assert.equal(custom.readinessProbe!.httpGet!.port, 9000);
    });

    it(`${name}: GPUs as the table says (${JSON.stringify(rt.gpus)})`, () => {
      const gpus = rt.gpus;
      if (gpus === 'none') {
        const c = specOf(buildManifests({ ...input, gpus: 2 })).containers[0];
        assert.equal(c.resources!.limits!['nvidia.com/gpu'], undefined, 'a CPU-only runtime gets no GPU');
        return;
      }
      assert.equal(specOf(buildManifests({ ...input, gpus: 3 })).containers[0].resources!.limits!['nvidia.com/gpu'], '3');
      assert.throws(() => buildManifests({ ...input, gpus: gpus.min - 1 }), configError(new RegExp(`the ${name} runtime needs a whole number of at least ${gpus.min}`)));
    });

    it(`${name}: following a tag ${rt.cannotFollow === undefined ? 'works' : 'is refused, saying why'}`, () => {
      const follow = (): readonly object[] => buildManifests({ ...input, mode: 'follow' });
      if (rt.cannotFollow !== undefined) {
        assert.throws(follow, configError(new RegExp(`${escape(rt.server)} ${escape(rt.cannotFollow)}, so it cannot follow a tag`)));
        return;
      }
      const spec = specOf(follow());
      assert.match(spec.initContainers![0].args![0], /first_tag='latest'/);
      assert.ok(JSON.stringify(spec.containers[0]).includes('/models/modelrepo-current.gguf'), 'the server opens the file the tag resolved to');
    });

    for (const other of FORMAT_LIST.filter((f) => !rt.formats.includes(f))) {
      it(`${name}: refuses ${FORMATS[other].name}, naming every runtime that reads it`, () => {
        const readers = RUNTIME_NAMES.filter((n) => (RUNTIMES[n].formats as readonly string[]).includes(other));
        assert.ok(readers.length > 0);
        assert.throws(() => buildManifests({ ...inputIn(other), runtime: name }), (e: unknown) => {
          assert.ok(isRepoError(e, 'Config'), String(e));
          assert.match(e.message, new RegExp(`is ${FORMATS[other].name}, and ${escape(rt.server)} ${escape(rt.reads)}: use the `));
          for (const r of readers) assert.ok(e.message.includes(r), `${r} is not named: ${e.message}`);
          return true;
        });
      });
    }

    it(`${name}: after an apply, the wait watches the copy when the runtime copies (else the server runs)`, () => {
      const objs = buildManifests({ ...input, kind: 'deployment' });
      const [target] = podTargets(objs, objs.map((o) => ({ kind: (o as Obj).kind, name: '', namespace: 'ml' })));
      assert.equal(target.initContainer, rt.fromS3 === 'copy' ? 'fetch-model' : undefined);
    });

    it(`${name}: KServe predictor from the table (storage initializer on ${rt.opens === 'file' ? 'the file' : 'the version folder'})`, () => {
      const isvc = isvcOf(buildManifests({ ...input, kind: 'kserve' }));
      const p = isvc.spec.predictor;
      const uri = p.model?.storageUri ?? p.containers![0].env!.find((e) => e.name === 'STORAGE_URI')!.value!;
      assert.equal(uri.endsWith('/'), rt.opens === 'folder', uri);
      if (p.containers) assert.equal(p.containers[0].image, rt.image);
    });
  }

  it('a GGUF file gets exactly the runtimes reading GGUF, a safetensors folder those reading safetensors; the first is the default', () => {
    for (const format of FORMAT_LIST) {
      const files = inputIn(format).artifacts.map((a) => a.file);
      const readers = RUNTIME_NAMES.filter((n) => (RUNTIMES[n].formats as readonly string[]).includes(format));
      assert.deepEqual(runtimesServing([files]), readers, format);
      const spec = specOf(buildManifests({ ...inputIn(format), runtime: undefined }));
      assert.equal(spec.containers[0].image, RUNTIMES[readers[0]].image, `default runtime for ${format}`);
    }
    assert.deepEqual(runtimesServing([['weights.bin']]), [...RUNTIME_NAMES], 'nothing fits: every runtime, and building says why');
    assert.deepEqual(runtimesServing([['a.gguf'], ['config.json', 'b.safetensors']]), [...RUNTIME_NAMES], 'A/B arms in two formats');
  });
});

describe('SGLang', () => {
  const sglang = (over: Partial<ManifestInput> = {}): readonly object[] => buildManifests({ ...safetensorsInput, runtime: 'sglang', ...over });

  it('copies the version folder in and checks it, then runs sglang.launch_server on it', () => {
    const spec = specOf(sglang());
    const c: Container = spec.containers[0];
    assert.equal(c.image, SGLANG_IMAGE);
    assert.deepEqual(c.command, ['python3', '-m', 'sglang.launch_server']);
    assert.deepEqual(c.args, ['--model-path', '/models', '--host', '0.0.0.0', '--port', '30000', '--served-model-name', 'qwen2.5-7b']);
    const script = spec.initContainers![0].args![0];
    for (const a of safetensorsInput.artifacts) assert.match(script, new RegExp(`fetch '${escape(a.path)}' '/models/${escape(a.file)}' ${a.size} 'f{64}'`));
    assert.deepEqual(c.volumeMounts, [{ name: 'models', mountPath: '/models', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }, { name: 'shm', mountPath: '/dev/shm' }]);
    assert.deepEqual(spec.volumes!.map((v) => [v.name, v.emptyDir?.medium ?? '', v.emptyDir?.sizeLimit]),
      [['models', '', spec.volumes![0].emptyDir!.sizeLimit], ['tmp', '', '4Gi'], ['shm', 'Memory', '2Gi']], 'one /tmp, shared with the copy');
    const env = Object.fromEntries(c.env!.map((e) => [e.name, e.value]));
    assert.equal(env.HOME, '/tmp');
    assert.ok(Object.values(env).every((v) => v === undefined || v.startsWith('/tmp')), 'every cache on the tmp emptyDir');
  });

  it('spreads over several GPUs with tensor parallelism', () => {
    const c = specOf(sglang({ gpus: 4 })).containers[0];
    assert.deepEqual(c.args!.slice(-2), ['--tp-size', '4']);
    assert.equal(c.resources!.limits!['nvidia.com/gpu'], '4');
  });

  it('on KServe: a kserve-container on the folder the storage initializer copied', () => {
    const p = isvcOf(sglang({ kind: 'kserve' })).spec.predictor;
    const c = p.containers![0];
    assert.equal(c.name, 'kserve-container');
    assert.deepEqual(c.env![0], { name: 'STORAGE_URI', value: 's3://models/team-a/qwen2.5-7b/2024-05-01/' });
    assert.deepEqual(c.args!.slice(0, 2), ['--model-path', '/mnt/models']);
    assert.deepEqual(p.volumes!.map((v) => v.name), ['tmp', 'shm']);
  });

  it('refuses GGUF weights in the version and a version without safetensors', () => {
    const withGguf = { ...safetensorsInput, artifacts: [...safetensorsInput.artifacts, { ...safetensorsInput.artifacts[0], file: 'x.gguf', path: 'team-a/qwen2.5-7b/2024-05-01/x.gguf' }] };
    assert.throws(() => buildManifests({ ...withGguf, runtime: 'sglang' }), configError(/x\.gguf is GGUF, and SGLang serves a safetensors folder/));
    const noWeights = { ...safetensorsInput, artifacts: [safetensorsInput.artifacts[0]], modelFile: 'config.json' };
    assert.throws(() => buildManifests({ ...noWeights, runtime: 'sglang' }), configError(/SGLang needs a version with \.safetensors weights/));
  });
});
