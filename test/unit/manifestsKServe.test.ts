// The KServe variant: Secret with the serving.kserve.io/s3-* annotations, a ServiceAccount listing it,
// and an InferenceService checked against the strict schema subset (which is shown to catch mistakes).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret, ServiceAccount } from 'kubernetes-types/core/v1';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import type { InferenceService } from '../../src/core/manifests/kserve';
import { isRepoError } from '../../src/core/errors';
import { loadClientNode } from '../helpers/k8sChecks';
import { kserveProblems } from '../helpers/kserveSchema';
import { FILE, nfsInput, s3Input, safetensorsInput, viaYaml } from '../helpers/manifestFixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const build = (over: Partial<typeof s3Input> = {}) => {
  const [secret, sa, isvc] = buildManifests({ ...s3Input, kind: 'kserve', ...over });
  return { secret: secret as Secret, sa: sa as ServiceAccount, isvc: isvc as InferenceService };
};

describe('KServe variant', () => {
  const { secret, sa, isvc } = build();

  it('returns the Secret, the ServiceAccount that lists it, and the InferenceService using that account', () => {
    assert.deepEqual([secret.kind, sa.kind, isvc.kind], ['Secret', 'ServiceAccount', 'InferenceService']);
    assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
    assert.deepEqual(sa.secrets, [{ name: secret.metadata!.name }]);
    assert.equal(isvc.spec.predictor.serviceAccountName, sa.metadata!.name);
    assert.deepEqual(Object.keys(secret.data!).sort(), ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
  });

  it('annotates the Secret with the endpoint (host:port, no scheme), https, region and SSL verification', () => {
    assert.deepEqual(secret.metadata!.annotations, {
      'serving.kserve.io/s3-endpoint': 'minio.minio.svc:9000', 'serving.kserve.io/s3-usehttps': '0',
      'serving.kserve.io/s3-region': 'us-east-1', 'serving.kserve.io/s3-verifyssl': '0',
    });
    const https = build({ location: { kind: 's3', endpoint: 'https://s3.lan', region: 'eu-2', bucket: 'models', prefix: 'team-a' } }).secret;
    assert.equal(https.metadata!.annotations!['serving.kserve.io/s3-endpoint'], 's3.lan');
    assert.equal(https.metadata!.annotations!['serving.kserve.io/s3-usehttps'], '1');
    assert.equal(https.metadata!.annotations!['serving.kserve.io/s3-verifyssl'], '1');
    const aws = build({ location: { kind: 's3', bucket: 'models', prefix: 'team-a' } }).secret;
    assert.equal(aws.metadata!.annotations!['serving.kserve.io/s3-endpoint'], 's3.amazonaws.com');
  });

  it('GGUF: llama.cpp as kserve-container, the file as STORAGE_URI, served from /mnt/models', () => {
    const c = isvc.spec.predictor.containers![0];
    assert.equal(c.name, 'kserve-container');
    assert.deepEqual(c.env, [{ name: 'STORAGE_URI', value: `s3://models/team-a/llama-3-8b/2024-03-20/${FILE}` }]);
    assert.deepEqual(c.args!.slice(0, 2), ['-m', `/mnt/models/${FILE}`]);
    assert.equal(isvc.metadata.annotations!['modelrepo.io/sha256'], s3Input.artifacts[0].sha256);
  });

  it('safetensors: the Hugging Face runtime with storageUri on the version folder', () => {
    const [, , v] = buildManifests({ ...safetensorsInput, kind: 'kserve', runtime: 'vllm' }) as [Secret, ServiceAccount, InferenceService];
    assert.deepEqual(v.spec.predictor.model!.modelFormat, { name: 'huggingface' });
    assert.equal(v.spec.predictor.model!.storageUri, 's3://models/team-a/qwen2.5-7b/2024-05-01/');
    assert.equal(v.spec.predictor.containers, undefined);
  });

  it('refuses a folder repository and following a tag, saying why', () => {
    assert.throws(() => buildManifests({ ...nfsInput, kind: 'kserve' }), (e) => isRepoError(e, 'Config') && /folder repository/.test((e as Error).message));
    assert.throws(() => build({ mode: 'follow' }), (e) => isRepoError(e, 'Config') && /cannot follow a tag: use the pinned mode/.test((e as Error).message));
  });
});

describe('KServe schema subset (ajv) and the Kubernetes parts inside it', () => {
  let k8s: Record<string, unknown> | undefined;
  before(async () => {
    const m = await loadClientNode();
    k8s = typeof m === 'string' ? undefined : m;
  });
  const good = viaYaml([build().isvc])[0];
  const goodModel = viaYaml([buildManifests({ ...safetensorsInput, kind: 'kserve', runtime: 'vllm' })[2]])[0];
  const broken = (edit: (o: Obj) => void, from: Obj = good): string[] => {
    const o = structuredClone(from);
    edit(o);
    return kserveProblems(o, k8s);
  };

  it('accepts both predictor forms', () => {
    assert.deepEqual(kserveProblems(good, k8s), []);
    assert.deepEqual(kserveProblems(goodModel, k8s), []);
  });

  it('catches misspelt or unknown fields anywhere the CRD would silently keep them', () => {
    assert.match(broken((o) => { o.spec.predictor.servceAccountName = 'x'; }).join(), /must NOT have additional properties.*servceAccountName/);
    assert.match(broken((o) => { o.spec.predictor.model.storageURI = o.spec.predictor.model.storageUri; delete o.spec.predictor.model.storageUri; }, goodModel).join(),
      /storageUri|storageURI/);
    assert.match(broken((o) => { o.spec.predictr = o.spec.predictor; delete o.spec.predictor; }).join(), /predictr|predictor/);
  });

  it('catches a wrong container name, a storage URI that is not S3, and both predictor forms at once', () => {
    assert.match(broken((o) => { o.spec.predictor.containers[0].name = 'llama'; }).join(), /must be equal to constant/);
    assert.match(broken((o) => { o.spec.predictor.containers[0].env[0].value = 'https://example.com/m.gguf'; }).join(), /must contain at least 1 valid item/);
    assert.match(broken((o) => { o.spec.predictor.model = goodModel.spec.predictor.model; }).join(), /must match exactly one schema in oneOf/);
    assert.match(broken((o) => { o.metadata.name = '3b'; }).join(), /must match pattern/);
  });

  it('catches mistakes inside the embedded container and pod security context', (t) => {
    assert.match(broken((o) => { o.spec.predictor.containers[0].ports[0].containerPort = 'eighty'; }).join(), /containerPort must be integer/);
    assert.match(broken((o) => { o.spec.predictor.securityContext.runAsUser = 'root'; }).join(), /runAsUser must be integer/);
    if (!k8s) { t.skip('client-node needs Node >= 22 for the unknown-field walk'); return; }
    assert.deepEqual(broken((o) => { o.spec.predictor.containers[0].imagePullPolicyy = 'Always'; }),
      ["predictor.containers[0].imagePullPolicyy: V1Container has no field 'imagePullPolicyy'"]);
  });
});
