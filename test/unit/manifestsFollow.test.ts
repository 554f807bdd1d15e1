// "Follow the tag" versus "pinned": what the manifest says in each mode, and when following is refused.
// The follow script itself runs against the real S3 server in test/integration/followTag.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Pod } from 'kubernetes-types/core/v1';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import { CURRENT_MODEL, followScript } from '../../src/core/manifests/followScript';
import { isRepoError } from '../../src/core/errors';
import { FILE, nfsInput, s3Input, safetensorsInput } from '../helpers/manifestFixtures';

const podOf = (objs: readonly object[]): Pod => objs.find((o) => (o as Pod).kind === 'Pod') as Pod;
const configError = (re: RegExp) => (e: unknown): boolean => isRepoError(e, 'Config') && re.test((e as Error).message);
const mib = (q: string): number => Number(/^(\d+)Mi$/.exec(q)![1]);

describe('follow the tag (S3)', () => {
  const pod = podOf(buildManifests({ ...s3Input, mode: 'follow' }));
  const init = pod.spec!.initContainers![0];
  const server = pod.spec!.containers[0];

  it('carries the follow script for the tag the reference started from, resolving under the repository root', () => {
    assert.equal(init.args![0], followScript({
      endpoint: 'http://minio.minio.svc:9000', region: 'us-east-1', pathStyle: true, bucket: 'models',
      modelPrefix: 'team-a/llama-3-8b/', model: 'llama-3-8b', tag: 'latest', targetDir: '/models',
    }));
    assert.match(init.args![0], /first_tag='latest'\n/);
    assert.match(init.args![0], /model_prefix='team-a\/llama-3-8b\/'\n/);
    assert.doesNotMatch(init.args![0], /2024-03-20/, 'no resolved version is written into the script');
    const other = podOf(buildManifests({ ...s3Input, mode: 'follow', tag: 'stable' }));
    assert.match(other.spec!.initContainers![0].args![0], /first_tag='stable'\n/);
  });

  it('is valid sh for dash and bash, and never contains the keys', () => {
    for (const sh of ['/bin/sh', '/bin/bash']) assert.equal(spawnSync(sh, ['-n', '-c', init.args![0]]).status, 0, sh);
    assert.ok(!init.args![0].includes(s3Input.credentials!.secretAccessKey));
    assert.ok(init.env!.every((e) => e.value === undefined || !/KEY/.test(e.name)));
  });

  it('serves the symlink the script writes, under the model name, since the file is only known at pod start', () => {
    assert.deepEqual(server.args, ['-m', `/models/${CURRENT_MODEL}`, '--host', '0.0.0.0', '--port', '8080', '--alias', 'llama-3-8b']);
  });

  it('annotates the mode and the tag, and no version (neither as label nor annotation)', () => {
    const a = pod.metadata!.annotations!;
    assert.equal(a['modelrepo.io/mode'], 'follow');
    assert.equal(a['modelrepo.io/tag'], 'latest');
    assert.match(a['modelrepo.io/follow'], /every pod start/);
    assert.equal(a['modelrepo.io/version'], undefined);
    assert.equal(pod.metadata!.labels!['app.kubernetes.io/version'], undefined);
    const pinned = podOf(buildManifests(s3Input)).metadata!;
    assert.equal(pinned.annotations!['modelrepo.io/mode'], 'pinned');
    assert.equal(pinned.annotations!['modelrepo.io/version'], '2024-03-20');
    assert.equal(pinned.labels!['app.kubernetes.io/version'], '2024-03-20');
  });

  it('leaves room in the emptyDir for a bigger file than today\'s', () => {
    const size = (p: Pod): number => mib(p.spec!.volumes!.find((v) => v.name === 'models')!.emptyDir!.sizeLimit!);
    assert.ok(size(pod) > size(podOf(buildManifests(s3Input))) * 1.4);
  });

  it('refuses a version reference (no tag), a split GGUF, vLLM, and an artifact path outside the repository root', () => {
    assert.throws(() => buildManifests({ ...s3Input, chain: ['2024-03-20'], mode: 'follow' }), configError(/needs a tag reference/));
    const shard = { ...s3Input.artifacts[0], file: 'm-00001-of-00002.gguf', path: 'team-a/llama-3-8b/2024-03-20/m-00001-of-00002.gguf' };
    assert.throws(() => buildManifests({ ...s3Input, artifacts: [shard], mode: 'follow' }), configError(/split GGUF.*pinned/));
    assert.throws(() => buildManifests({ ...safetensorsInput, runtime: 'vllm', mode: 'follow' }), configError(/vLLM .*cannot follow a tag/));
    assert.throws(() => buildManifests({ ...s3Input, location: { ...s3Input.location, prefix: 'team-b' } as typeof s3Input.location }), configError(/not under the repository root 'team-b'/));
  });
});

describe('follow the tag (NFS)', () => {
  it('mounts the model folder and opens the tag symlink itself: the kernel follows the chain at open', () => {
    const pod = podOf(buildManifests({ ...nfsInput, mode: 'follow' }));
    const c = pod.spec!.containers[0];
    assert.equal(pod.spec!.initContainers, undefined);
    assert.deepEqual(c.volumeMounts, [{ name: 'models', mountPath: '/models', readOnly: true, subPath: 'llama-3-8b' }]);
    assert.deepEqual(c.args!.slice(0, 2), ['-m', '/models/tags/latest']);
    const pinned = podOf(buildManifests(nfsInput)).spec!.containers[0];
    assert.deepEqual(pinned.volumeMounts![0].subPath, 'llama-3-8b/2024-03-20');
    assert.deepEqual(pinned.args!.slice(0, 2), ['-m', `/models/${FILE}`]);
  });

  it('refuses a tag that points at a whole version (llama.cpp opens one file)', () => {
    assert.throws(() => buildManifests({ ...nfsInput, chain: ['latest', '2024-03-20'], mode: 'follow' }), configError(/must point at one file/));
  });
});
