// The MinIO deployment (`modelrepo cluster deploy-minio`): its objects pass the same offline checks as
// the model manifests (kubernetes-models, unknown fields, names, the restricted pod security profile,
// no literal credentials, monokle), reproduce the chapter's Helm values, and carry the root keys only
// in the Secret (placeholders in a dry run), reaching the pods through secretKeyRef.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildMinioObjects } from '../../src/core/manifests/minioObjects';
import { CHAPTER_HELM_VALUES, generateMinioKeys, MC_IMAGE, MINIO_IMAGE, minioClusterEndpoint } from '../../src/core/manifests/minioSettings';
import { PLACEHOLDER } from '../../src/core/manifests/manifestInput';
import { toYaml } from '../../src/core/manifests/toYaml';
import { isRepoError, redactSecrets } from '../../src/core/errors';
import { loadClientNode, monokleProblems, plainCredentials, unknownFields } from '../helpers/k8sChecks';
import { offlineProblems, viaYaml } from '../helpers/manifestFixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const byKind = (objs: Obj[], kind: string): Obj => objs.find((o) => o.kind === kind)!;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('MinIO objects', () => {
  const keys = generateMinioKeys();
  const objs = viaYaml(buildMinioObjects({ keys }));

  it('are Namespace, Secret, PVC, Deployment, Service and Job, in the order they are applied', () => {
    assert.deepEqual(objs.map((o) => `${o.kind} ${o.metadata.name}`),
      ['Namespace model-storage', 'Secret minio', 'PersistentVolumeClaim minio', 'Deployment minio', 'Service minio', 'Job minio-make-bucket']);
    assert.ok(objs.slice(1).every((o) => o.metadata.namespace === 'model-storage'));
  });

  it('pass the offline checks: schema, unknown fields, names, restricted pod security, no literal credentials', async () => {
    const k8s = await loadClientNode();
    assert.deepEqual(offlineProblems(objs, typeof k8s === 'string' ? undefined : k8s), []);
    if (typeof k8s !== 'string') for (const o of objs) assert.deepEqual(unknownFields(o, k8s), [], o.kind);
    for (const o of objs) assert.deepEqual(plainCredentials(o, [keys.rootUser, keys.rootPassword]), [], o.kind);
  });

  it('pass monokle (pod security standards, practices, links to the Secret) but for the uid the MinIO chart uses', async () => {
    // uid/gid 1000 as the MinIO chart's securityContext: monokle's practices want ids above 10000.
    const found = await monokleProblems(objs);
    assert.deepEqual([...new Set(found.map((f) => f.ruleId))].sort(), ['KBP104', 'KBP105']);
    const broken = structuredClone(objs);
    delete byKind(broken, 'Deployment').spec.template.spec.securityContext.seccompProfile;
    delete byKind(broken, 'Deployment').spec.template.spec.containers[0].securityContext.seccompProfile;
    assert.ok((await monokleProblems(broken)).some((f) => f.ruleId.startsWith('PSS')), 'monokle sees a missing seccomp profile');
  });

  it('the checks catch a broken variant (root, writable root filesystem)', () => {
    const bad = structuredClone(byKind(objs, 'Deployment'));
    bad.spec.template.spec.securityContext.runAsUser = 0;
    bad.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    bad.spec.template.spec.containers[0].securityContext.runAsUser = 0;
    const problems = offlineProblems([bad]).join('\n');
    assert.match(problems, /runs as root/);
    assert.match(problems, /root filesystem is writable/);
  });

  it("reproduce the chapter's Helm values: standalone, 500Gi, 4Gi memory request, namespace model-storage", () => {
    const d = byKind(objs, 'Deployment');
    const server = d.spec.template.spec.containers[0];
    assert.equal(objs[0].metadata.name, CHAPTER_HELM_VALUES.namespace);
    assert.equal(byKind(objs, 'PersistentVolumeClaim').spec.resources.requests.storage, CHAPTER_HELM_VALUES['persistence.size']);
    assert.equal(server.resources.requests.memory, CHAPTER_HELM_VALUES['resources.requests.memory']);
    // standalone: one replica, one server, one drive (no distributed endpoints such as http://minio-{0...3})
    assert.equal(CHAPTER_HELM_VALUES.mode, 'standalone');
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(server.args.slice(0, 2), ['server', '/data']);
    assert.ok(!server.args.some((a: string) => a.includes('{')), 'no distributed-mode endpoint ellipsis');
    assert.equal(d.spec.strategy.type, 'Recreate');
    assert.equal(minioClusterEndpoint({ namespace: 'model-storage' }), 'http://minio.model-storage:9000', "the chapter's address");
    const svc = byKind(objs, 'Service');
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.deepEqual(svc.spec.ports.map((p: Obj) => [p.name, p.port]), [['api', 9000], ['console', 9001]]);
  });

  it('pin their images, probe MinIO health, and run restricted as uid 1000', () => {
    const spec = byKind(objs, 'Deployment').spec.template.spec;
    const c = spec.containers[0];
    assert.equal(c.image, MINIO_IMAGE);
    assert.match(MINIO_IMAGE, /^quay\.io\/minio\/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    assert.match(MC_IMAGE, /^quay\.io\/minio\/mc:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    assert.equal(c.readinessProbe.httpGet.path, '/minio/health/ready');
    assert.equal(c.livenessProbe.httpGet.path, '/minio/health/live');
    assert.equal(spec.securityContext.runAsUser, 1000);
    assert.equal(spec.securityContext.fsGroup, 1000);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(objs[0].metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  it('carry the keys only in the Secret; the pods read them through secretKeyRef', () => {
    const secret = byKind(objs, 'Secret');
    assert.equal(secret.data.rootUser, b64(keys.rootUser));
    assert.equal(secret.data.rootPassword, b64(keys.rootPassword));
    assert.equal(secret.data.accesskey, b64(keys.rootUser), 'the keys the chapter reads');
    for (const o of objs.filter((x) => x.kind !== 'Secret')) {
      const text = JSON.stringify(o);
      assert.ok(!text.includes(keys.rootPassword) && !text.includes(keys.rootUser), `${o.kind} holds a key`);
    }
    const job = byKind(objs, 'Job').spec.template.spec.containers[0];
    assert.deepEqual(job.env.filter((e: Obj) => e.valueFrom).map((e: Obj) => [e.name, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]),
      [['MINIO_ROOT_USER', 'minio', 'rootUser'], ['MINIO_ROOT_PASSWORD', 'minio', 'rootPassword']]);
    assert.match(job.args[0], /mb --ignore-existing "modelrepo\/\$bucket"/);
    assert.match(job.args[0], /^bucket='models'$/m);
    assert.match(job.args[0], /^endpoint='http:\/\/minio\.model-storage:9000'$/m);
  });

  it('a dry run carries placeholders', () => {
    const secret = byKind(viaYaml(buildMinioObjects()), 'Secret');
    assert.deepEqual(Object.values(secret.data).map((v) => Buffer.from(String(v), 'base64').toString()), [PLACEHOLDER, PLACEHOLDER, PLACEHOLDER, PLACEHOLDER]);
  });

  it('take the namespace, size, storage class and bucket, and refuse bad ones', () => {
    const o = viaYaml(buildMinioObjects({ namespace: 'storage', size: '20Gi', storageClass: 'fast-ssd', bucket: 'team-models' }));
    assert.equal(byKind(o, 'PersistentVolumeClaim').spec.storageClassName, 'fast-ssd');
    assert.equal(byKind(o, 'PersistentVolumeClaim').spec.resources.requests.storage, '20Gi');
    assert.match(byKind(o, 'Job').spec.template.spec.containers[0].args[0], /^bucket='team-models'$/m);
    assert.equal(byKind(o, 'Deployment').metadata.namespace, 'storage');
    assert.equal(byKind(viaYaml(buildMinioObjects()), 'PersistentVolumeClaim').spec.storageClassName, undefined, 'default class');
    assert.throws(() => buildMinioObjects({ size: '500 GB' }), (e) => isRepoError(e, 'Config'));
    assert.throws(() => buildMinioObjects({ namespace: 'Model_Storage' }), (e) => isRepoError(e, 'InvalidName'));
    assert.throws(() => buildMinioObjects({ bucket: 'A;rm' }), (e) => isRepoError(e, 'InvalidName'));
    assert.equal(buildMinioObjects({}, { withSecret: false }).some((x) => x.kind === 'Secret'), false);
  });

  it('generated keys are random letters and digits, and registered as secrets', () => {
    const a = generateMinioKeys();
    const b = generateMinioKeys();
    assert.notEqual(a.rootPassword, b.rootPassword);
    assert.match(a.rootPassword, /^[A-Za-z0-9]{40}$/);
    assert.match(a.rootUser, /^modelrepo-[A-Za-z0-9]{12}$/);
    assert.equal(redactSecrets(`user ${a.rootUser} password ${a.rootPassword}`), 'user *** password ***');
    assert.ok(!toYaml(buildMinioObjects()).includes(a.rootPassword));
  });
});
