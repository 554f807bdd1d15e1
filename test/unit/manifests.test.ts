// Manifests for a resolved artifact: the S3 Pod with its init container and Secret, the copy script's
// S3 addressing, the NFS Pod of a folder repository, and the input made from a resolved reference. The
// offline checkers themselves, each shown to fail on a broken manifest, are in manifestsChecks.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, Secret } from 'kubernetes-types/core/v1';
import { buildManifests, usesPlaceholderCredentials } from '../../src/core/manifests/buildManifests';
import type { ManifestObject } from '../../src/core/manifests/buildManifests';
import { toYaml } from '../../src/core/manifests/toYaml';
import { copyScript } from '../../src/core/manifests/initScript';
import { manifestInputFor, PLACEHOLDER } from '../../src/core/manifests/manifestInput';
import { isRepoError, redactSecrets } from '../../src/core/errors';
import type { ResolvedRef } from '../../src/core/types';
import { nameProblems, parseManifests, schemaProblems, securityProblems } from '../helpers/k8sChecks';
import { FILE, keylessS3Input as s3Input, nfsInput, SHA, viaYaml } from '../helpers/manifestFixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const podOf = (objs: readonly ManifestObject[]): Pod => objs.find((o) => o.kind === 'Pod') as Pod;
const secretOf = (objs: readonly ManifestObject[]): Secret | undefined => objs.find((o) => o.kind === 'Secret') as Secret | undefined;

describe('buildManifests for an S3 repository', () => {
  const objs = buildManifests(s3Input);
  const pod = podOf(objs);
  const spec = pod.spec!;
  const init = spec.initContainers![0];
  const server = spec.containers[0];

  it('returns a Secret and a Pod that survive the YAML round trip unchanged', () => {
    assert.deepEqual(objs.map((o) => o.kind), ['Secret', 'Pod']);
    assert.deepEqual(viaYaml(objs), JSON.parse(JSON.stringify(objs)));
  });

  it('writes strings that YAML 1.1 (kubectl) would misread as dates, booleans or numbers with quotes', () => {
    const odd = buildManifests({ ...s3Input, model: 'yes', version: '2024-03-20', port: 8080 });
    const back = parseManifests(toYaml(odd), '1.1');
    assert.deepEqual(back, JSON.parse(JSON.stringify(odd)));
    assert.match(toYaml(odd), /app\.kubernetes\.io\/version: "2024-03-20"/);
  });

  it('names everything with valid DNS names derived from the model', () => {
    assert.equal(pod.metadata!.name, 'llama-3-8b');
    assert.equal(pod.metadata!.namespace, 'ml');
    const q = podOf(buildManifests({ ...s3Input, model: 'Llama-3-8B.Q5_K_M' }));
    assert.equal(q.metadata!.name, 'llama-3-8b-q5-k-m');
    const long = podOf(buildManifests({ ...s3Input, model: `${'Very_Long.Model-Name'.repeat(6)}` }));
    assert.ok(long.metadata!.name!.length <= 63);
    for (const o of objs) assert.deepEqual(nameProblems(o as Obj), []);
  });

  it('refuses invalid explicit names and ports with InvalidName / Config errors', () => {
    assert.throws(() => buildManifests({ ...s3Input, namespace: 'ML_Team' }), (e) => isRepoError(e, 'InvalidName'));
    assert.throws(() => buildManifests({ ...s3Input, secretName: 'Bad Secret' }), (e) => isRepoError(e, 'InvalidName'));
    assert.throws(() => buildManifests({ ...s3Input, port: 80 }), (e) => isRepoError(e, 'Config') && /1024/.test(e.message));
  });

  it('records model, version, file, sha256, source and the tag chain as annotations and labels', () => {
    const a = pod.metadata!.annotations!;
    assert.equal(a['modelrepo.io/model'], 'llama-3-8b');
    assert.equal(a['modelrepo.io/version'], '2024-03-20');
    assert.equal(a['modelrepo.io/file'], FILE);
    assert.equal(a['modelrepo.io/sha256'], SHA);
    assert.equal(a['modelrepo.io/chain'], `latest -> v2 -> 2024-03-20/${FILE}`);
    assert.equal(a['modelrepo.io/source'], `s3://models/team-a/llama-3-8b/2024-03-20/${FILE}`);
    assert.equal(pod.metadata!.labels!['app.kubernetes.io/name'], 'llama-3-8b');
    assert.equal(pod.metadata!.labels!['app.kubernetes.io/version'], '2024-03-20');
  });

  it('copies the exact object with a pinned aws-cli image and keys from the Secret only', () => {
    assert.match(init.image!, /^amazon\/aws-cli:\d+\.\d+\.\d+$/);
    assert.deepEqual(init.command, ['/bin/sh', '-c']);
    assert.equal(init.args![0], copyScript({
      endpoint: 'http://minio.minio.svc:9000', region: 'us-east-1', pathStyle: true, bucket: 'models',
      artifacts: s3Input.artifacts, targetDir: '/models', label: 'llama-3-8b@2024-03-20',
    }));
    assert.match(init.args![0], /--endpoint-url 'http:\/\/minio\.minio\.svc:9000'/);
    assert.match(init.args![0], /fetch 'team-a\/llama-3-8b\/2024-03-20\/llama-3-8b\.Q5_K_M\.gguf' '\/models\/llama-3-8b\.Q5_K_M\.gguf' 5732987904 'f{64}'/);
    const refs = init.env!.filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom!.secretKeyRef!.name, e.valueFrom!.secretKeyRef!.key]);
    assert.deepEqual(refs, [['AWS_ACCESS_KEY_ID', 'modelrepo-s3', 'AWS_ACCESS_KEY_ID'], ['AWS_SECRET_ACCESS_KEY', 'modelrepo-s3', 'AWS_SECRET_ACCESS_KEY']]);
    assert.equal(spawnSync('sh', ['-n', '-c', init.args![0]]).status, 0, 'the script is valid sh');
  });

  it('sizes the emptyDir from the artifact and mounts it read-only in the server', () => {
    const models = spec.volumes!.find((v) => v.name === 'models')!;
    const mi = Number(/^(\d+)Mi$/.exec(models.emptyDir!.sizeLimit!)![1]);
    assert.ok(mi * 2 ** 20 >= 5_732_987_904 && mi * 2 ** 20 < 5_732_987_904 * 1.2, `sizeLimit ${mi}Mi`);
    assert.deepEqual(server.volumeMounts, [{ name: 'models', mountPath: '/models', readOnly: true }]);
    assert.equal(init.volumeMounts!.find((m) => m.name === 'models')!.readOnly, undefined);
  });

  it('runs llama-server on the model file with a readiness probe, resources and a port', () => {
    assert.deepEqual(server.args, ['-m', `/models/${FILE}`, '--host', '0.0.0.0', '--port', '8080']);
    assert.match(server.image!, /^ghcr\.io\/ggml-org\/llama\.cpp:server/);
    assert.deepEqual(server.readinessProbe!.httpGet, { path: '/health', port: 8080 });
    assert.ok(server.resources!.requests!.memory && server.resources!.limits!.cpu);
    const custom = podOf(buildManifests({ ...s3Input, port: 9000, resources: { limits: { cpu: '8' } } })).spec!.containers[0];
    assert.deepEqual(custom.args!.slice(-1), ['9000']);
    assert.equal(custom.resources!.limits!.cpu, '8');
    assert.equal(custom.resources!.limits!.memory, server.resources!.limits!.memory);
  });

  it('puts placeholders in the Secret unless real keys are passed, and registers real ones as secrets', () => {
    assert.ok(usesPlaceholderCredentials(s3Input));
    const data = secretOf(objs)!.data!;
    assert.equal(Buffer.from(data.AWS_SECRET_ACCESS_KEY, 'base64').toString(), PLACEHOLDER);
    const real = buildManifests({ ...s3Input, credentials: { accessKeyId: 'AKIAREALKEY', secretAccessKey: 'real/Secret+Key=1', sessionToken: 'tok-123456' } });
    const d = secretOf(real)!.data!;
    assert.equal(Buffer.from(d.AWS_SECRET_ACCESS_KEY, 'base64').toString(), 'real/Secret+Key=1');
    assert.equal(Buffer.from(d.AWS_SESSION_TOKEN, 'base64').toString(), 'tok-123456');
    assert.ok(podOf(real).spec!.initContainers![0].env!.some((e) => e.name === 'AWS_SESSION_TOKEN' && e.valueFrom?.secretKeyRef));
    assert.ok(!JSON.stringify(podOf(real)).includes('real/Secret+Key=1'), 'the Pod never carries the key');
    assert.equal(redactSecrets('key real/Secret+Key=1 here'), 'key *** here');
  });

  it('logs that no sha256 is recorded and checks the size only, for versions written by other tools', () => {
    const legacy = podOf(buildManifests({ ...s3Input, artifacts: [{ ...s3Input.artifacts[0], sha256: undefined }] }));
    assert.equal(legacy.metadata!.annotations!['modelrepo.io/sha256'], 'not recorded');
    assert.match(legacy.spec!.initContainers![0].args![0], / 5732987904 ''\n/);
    assert.match(legacy.spec!.initContainers![0].args![0], /no sha256 recorded/);
  });
});

describe('copyScript addressing style', () => {
  // A stand-in `aws` that prints the config it was given and its arguments, then fails: enough to see
  // what the script asks of aws-cli (the real aws-cli runs in test/integration/initContainer.test.ts).
  const runWithFakeAws = (pathStyle: boolean, endpoint?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-aws-'));
    try {
      writeFileSync(join(dir, 'aws'), '#!/bin/sh\n[ -n "${AWS_CONFIG_FILE:-}" ] && cat "$AWS_CONFIG_FILE"\necho "ARGS $*"\nexit 3\n');
      chmodSync(join(dir, 'aws'), 0o755);
      const script = copyScript({ endpoint, pathStyle, bucket: 'models', artifacts: [{ file: 'a.gguf', size: 1, path: 'm/v/a.gguf' }], targetDir: join(dir, 'out') });
      return spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin`, TMPDIR: dir } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('needs no config for path-style on a custom endpoint (aws-cli default) and for AWS itself', () => {
    const r = runWithFakeAws(true, 'http://minio.example:9000');
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stdout, /addressing_style/);
    assert.match(r.stdout, /ARGS --endpoint-url http:\/\/minio\.example:9000 --region us-east-1 s3 cp --only-show-errors s3:\/\/models\/m\/v\/a\.gguf .*\/out\/a\.gguf/);
    assert.match(r.stderr, /modelrepo: FAILED to copy s3:\/\/models\/m\/v\/a\.gguf/);
    assert.doesNotMatch(runWithFakeAws(false).stdout, /addressing_style|--endpoint-url/);
  });

  it('writes an aws config file for virtual-hosted style on a custom endpoint, and for path-style on AWS', () => {
    assert.match(runWithFakeAws(false, 'https://minio.example').stdout, /\[default\]\ns3 =\n  addressing_style = virtual\n/);
    assert.match(runWithFakeAws(true).stdout, /addressing_style = path/);
  });
});

describe('buildManifests for a filesystem repository', () => {
  const objs = buildManifests(nfsInput);
  const pod = podOf(objs);

  it('mounts the NFS export read-only at the version folder instead of copying, with no Secret', () => {
    assert.deepEqual(objs.map((o) => o.kind), ['Pod']);
    assert.equal(pod.spec!.initContainers, undefined);
    assert.deepEqual(pod.spec!.volumes, [{ name: 'models', nfs: { server: 'nfs.example.internal', path: '/exports/models', readOnly: true } }]);
    assert.deepEqual(pod.spec!.containers[0].volumeMounts, [{ name: 'models', mountPath: '/models', readOnly: true, subPath: 'llama-3-8b/2024-03-20' }]);
    assert.deepEqual(pod.spec!.containers[0].args!.slice(0, 2), ['-m', `/models/${FILE}`]);
  });

  it('passes the schema, unknown-name and security checks', () => {
    for (const o of viaYaml(objs)) {
      assert.deepEqual(schemaProblems(o), []);
      assert.deepEqual(nameProblems(o), []);
      assert.deepEqual(securityProblems(o), []);
    }
  });
});

describe('manifestInputFor a resolved reference', () => {
  const resolved: ResolvedRef = {
    model: 'llama-3-8b', version: '2024-03-20', file: FILE, chain: ['latest', `2024-03-20/${FILE}`],
    artifacts: [{ model: 'llama-3-8b', version: '2024-03-20', name: FILE, key: `llama-3-8b/2024-03-20/${FILE}`, size: 10, modified: new Date(0), sha256: SHA }],
  };

  it('adds the bucket prefix to the key and takes endpoint, region and path style from the connection', () => {
    const input = manifestInputFor(resolved, { kind: 's3', endpoint: 'http://ceph.lab:7480', bucket: 'models', prefix: 'team-a', region: 'eu-1' }, { namespace: 'ml' });
    assert.equal(input.artifacts[0].path, `team-a/llama-3-8b/2024-03-20/${FILE}`);
    assert.deepEqual(input.location, { kind: 's3', endpoint: 'http://ceph.lab:7480', region: 'eu-1', bucket: 'models', pathStyle: true, prefix: 'team-a' });
    assert.equal(input.namespace, 'ml');
    assert.equal(input.modelFile, FILE);
  });

  it('uses the NFS export of a folder repository, and refuses one without NFS settings', () => {
    const input = manifestInputFor(resolved, { kind: 'fs', path: '/mnt/models', nfs: { server: 'nas', path: '/export/models' } });
    assert.deepEqual(input.location, { kind: 'nfs', server: 'nas', path: '/export/models' });
    assert.throws(() => manifestInputFor(resolved, { kind: 'fs', path: '/mnt/models' }), (e) => isRepoError(e, 'Config') && /NFS/.test(e.message));
  });

  it('picks the model file of a whole version: the only .gguf or the first shard, else asks for one', () => {
    const art = (name: string) => ({ ...resolved.artifacts[0], name, key: `m/v/${name}` });
    const version = (names: string[]): ResolvedRef => ({ ...resolved, file: undefined, artifacts: names.map(art) });
    const cfg = { kind: 's3', bucket: 'b' } as const;
    assert.equal(podOf(buildManifests(manifestInputFor(version(['README.md', 'a.gguf']), cfg))).spec!.containers[0].args![1], '/models/a.gguf');
    const shards = ['m-00002-of-00002.gguf', 'm-00001-of-00002.gguf'];
    const sharded = podOf(buildManifests(manifestInputFor(version(shards), cfg)));
    assert.equal(sharded.spec!.containers[0].args![1], '/models/m-00001-of-00002.gguf');
    assert.equal((sharded.spec!.initContainers![0].args![0].match(/^fetch '/gm) ?? []).length, 2, 'both shards are copied');
    assert.throws(() => buildManifests(manifestInputFor(version(['a.gguf', 'b.gguf']), cfg)), (e) => isRepoError(e, 'InvalidRef') && /a\.gguf, b\.gguf/.test(e.message));
  });
});
