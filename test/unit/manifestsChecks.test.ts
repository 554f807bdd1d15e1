// The offline checkers of test/helpers/k8sChecks.ts on the manifests for a resolved artifact. Each checker
// is also shown to fail on a deliberately broken manifest, so a pass means something.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import { PLACEHOLDER } from '../../src/core/manifests/manifestInput';
import {
  kubectlSecret, loadClientNode, monokleProblems, nameProblems, parseManifests, plainCredentials,
  schemaProblems, securityProblems, unknownFields,
} from '../helpers/k8sChecks';
import { keylessS3Input as s3Input, nfsInput, viaYaml } from '../helpers/manifestFixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const clone = <T>(o: T): T => structuredClone(o);

describe('offline manifest checks (each also fails on a broken manifest)', () => {
  const good = viaYaml(buildManifests(s3Input));
  const goodPod = good.find((o) => o.kind === 'Pod')!;
  const goodSecret = good.find((o) => o.kind === 'Secret')!;

  it('the YAML parser used by the checks rejects a duplicate key instead of keeping the last one', () => {
    assert.throws(() => parseManifests('kind: Pod\nmetadata:\n  name: a\n  name: b\n'), /Map keys must be unique/);
  });

  it('kubernetes-models: valid, and catches a wrong type, a bad quantity, a missing name and bad base64', () => {
    for (const o of good) assert.deepEqual(schemaProblems(o), []);
    const bad = clone(goodPod);
    bad.spec.containers[0].ports[0].containerPort = 'eighty';
    bad.spec.containers[0].resources.limits.cpu = 'lots';
    delete bad.spec.initContainers[0].name;
    const problems = schemaProblems(bad).join('\n');
    assert.match(problems, /containerPort must be integer/);
    assert.match(problems, /limits\/cpu/);
    assert.match(problems, /must have required property '?name'?/);
    const badSecret = clone(goodSecret);
    badSecret.data.AWS_ACCESS_KEY_ID = 'not base64!';
    assert.match(schemaProblems(badSecret).join(), /format "byte"/);
  });

  it('unknown fields (client-node attribute maps): none, and a typo that kubernetes-models lets through is caught', async (t) => {
    const k8s = await loadClientNode();
    if (typeof k8s === 'string') { t.skip(k8s); return; }
    for (const o of good) assert.deepEqual(unknownFields(o, k8s), []);
    const bad = clone(goodPod);
    bad.spec.initContainers[0].imagePullPolicyy = 'Always';
    bad.spec.securityContext.readOnlyRootFilesystem = true; // a container field at pod level
    assert.deepEqual(schemaProblems(bad), [], 'kubernetes-models does not see these');
    assert.deepEqual(unknownFields(bad, k8s), [
      "Pod.spec.securityContext.readOnlyRootFilesystem: V1PodSecurityContext has no field 'readOnlyRootFilesystem'",
      "Pod.spec.initContainers[0].imagePullPolicyy: V1Container has no field 'imagePullPolicyy'",
    ]);
  });

  it('names: valid, and an invalid object, container or volume name is caught', () => {
    const bad = clone(goodPod);
    bad.metadata.name = 'Llama_3';
    bad.spec.containers[0].name = 'llama.server';
    assert.deepEqual(schemaProblems(bad), [], 'kubernetes-models does not check names');
    assert.equal(nameProblems(bad).length, 2);
  });

  it('pod security (own rules): hardened, and each weakening is caught in init and server containers', () => {
    assert.deepEqual(securityProblems(goodPod), []);
    const bad = clone(goodPod);
    bad.spec.initContainers[0].securityContext.allowPrivilegeEscalation = true;
    bad.spec.initContainers[0].image = 'amazon/aws-cli:latest';
    bad.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    bad.spec.containers[0].securityContext.capabilities = { drop: ['NET_RAW'] };
    delete bad.spec.containers[0].resources.limits;
    bad.spec.volumes.push({ name: 'host', hostPath: { path: '/' } });
    assert.deepEqual(securityProblems(bad), [
      'volume host: hostPath',
      'initContainers[0]: allowPrivilegeEscalation is not false',
      "initContainers[0]: image 'amazon/aws-cli:latest' is not pinned (no tag or :latest)",
      'containers[0]: root filesystem is writable',
      'containers[0]: capabilities not dropped (drop: [ALL])',
      'containers[0]: no cpu limit',
      'containers[0]: no memory limit',
    ]);
  });

  it('no plain-text credential in any env (containers and initContainers); a literal key is caught', () => {
    const real = viaYaml(buildManifests({ ...s3Input, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' } }));
    const pod = real.find((o) => o.kind === 'Pod')!;
    assert.deepEqual(plainCredentials(pod, ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG']), []);
    const bad = clone(pod);
    bad.spec.initContainers[0].env[1] = { name: 'AWS_SECRET_ACCESS_KEY', value: 'wJalrXUtnFEMI/K7MDENG' };
    bad.spec.containers[0].env = [{ name: 'MC_HOST_local', value: 'http://minio:supersecret@minio:9000' }, { name: 'X', value: 'AKIAIOSFODNN7EXAMPLE' }];
    assert.deepEqual(plainCredentials(bad, ['wJalrXUtnFEMI/K7MDENG']), [
      'initContainers[0]: env AWS_SECRET_ACCESS_KEY has a literal value (use secretKeyRef)',
      'containers[0]: env MC_HOST_local looks like a credential',
      'containers[0]: env X looks like a credential',
    ]);
  });

  it('@monokle/validation (pod-security-standards, practices, links): clean, and catches weakened pods and a missing Secret', async () => {
    assert.deepEqual(await monokleProblems(good), []);
    const bad = clone(goodPod);
    bad.spec.containers[0].image = 'ghcr.io/ggml-org/llama.cpp:latest';
    bad.spec.securityContext.runAsUser = 0;
    bad.spec.containers[0].securityContext.runAsUser = 0;
    delete bad.spec.initContainers[0].securityContext.seccompProfile;
    delete bad.spec.securityContext.seccompProfile;
    const ids = new Set((await monokleProblems([bad])).map((f) => f.ruleId)); // no Secret in the set
    for (const id of ['KBP001', 'KBP104', 'PSS205', 'LNK001']) assert.ok(ids.has(id), `${id} in ${[...ids]}`);
  });

  it('monokle on the NFS pod: only the restricted profile\'s volume-type rule objects (inline nfs)', async () => {
    const found = await monokleProblems(viaYaml(buildManifests(nfsInput)));
    assert.deepEqual([...new Set(found.map((f) => f.ruleId))], ['PSS201']);
  });

  it('the Secret matches `kubectl create secret generic --dry-run=client -o yaml`, and a changed value does not', (t) => {
    const creds = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalr/K7MDENG+bPxRfiCY=' };
    const ref = kubectlSecret('modelrepo-s3', 'ml', creds);
    if (typeof ref === 'string') { t.skip(ref); return; }
    const ours = viaYaml(buildManifests({ ...s3Input, credentials: { accessKeyId: creds.AWS_ACCESS_KEY_ID, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY } }))
      .find((o) => o.kind === 'Secret')!;
    const comparable = (s: Obj) => ({ apiVersion: s.apiVersion, kind: s.kind, name: s.metadata.name, namespace: s.metadata.namespace, type: s.type ?? 'Opaque', data: s.data });
    assert.deepEqual(comparable(ours), comparable(ref));
    const placeholders = kubectlSecret('modelrepo-s3', 'ml', { AWS_ACCESS_KEY_ID: PLACEHOLDER, AWS_SECRET_ACCESS_KEY: PLACEHOLDER }) as Obj;
    assert.deepEqual(comparable(goodSecret), comparable(placeholders));
    const changed = clone(ours);
    changed.data.AWS_SECRET_ACCESS_KEY = Buffer.from('other').toString('base64');
    assert.notDeepEqual(comparable(changed), comparable(ref));
  });
});
