// The cluster endpoint: pods reach S3 at the connection's cluster endpoint when it is set, and a
// manifest that would send them to a loopback or link-local address is refused (Config, exit 2) with
// the way out in the message. Every place that writes the endpoint into the objects (init script, vLLM
// env, KServe annotations) takes the cluster endpoint.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkClusterEndpoint, clusterEndpointFor, podUnreachableReason } from '../../src/core/connections/clusterEndpoint';
import type { S3ConnectionConfig } from '../../src/core/connections/types';
import { isRepoError } from '../../src/core/errors';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import { manifestInputFor } from '../../src/core/manifests/manifestInput';
import { toYaml } from '../../src/core/manifests/toYaml';
import type { ResolvedRef } from '../../src/core/types';
import { exitCodeOf } from '../../src/cli/exitCodes';

const FILE = 'llama-3-8b.Q5_K_M.gguf';
const ST = 'model.safetensors';
const art = (name: string) => ({ model: 'llama-3-8b', version: '2024-03-20', name, key: `llama-3-8b/2024-03-20/${name}`, size: 10, modified: new Date(0), sha256: 'f'.repeat(64) });
const gguf: ResolvedRef = { model: 'llama-3-8b', version: '2024-03-20', file: FILE, chain: ['latest', `2024-03-20/${FILE}`], artifacts: [art(FILE)] };
const folder: ResolvedRef = { model: 'llama-3-8b', version: '2024-03-20', chain: ['stable', '2024-03-20'], artifacts: [art('config.json'), art(ST)] };
const CLUSTER = 'http://minio.model-storage:9000';
const laptop = (endpoint: string, clusterEndpoint?: string): S3ConnectionConfig => ({ kind: 's3', endpoint, bucket: 'models', region: 'us-east-1', ...(clusterEndpoint ? { clusterEndpoint } : {}) });

describe('podUnreachableReason: loopback and link-local hosts', () => {
  const refused = ['http://127.0.0.1:9000', 'http://127.9.8.7', 'http://localhost:9000', 'http://LOCALHOST.:9000', 'http://minio.localhost',
    'http://[::1]:9000', 'http://[0:0:0:0:0:0:0:1]:9000', 'http://[::ffff:127.0.0.1]:9000', 'http://2130706433:9000', 'http://0x7f.1:9000',
    'http://169.254.169.254', 'http://[fe80::1]:9000', 'http://[febf::1]', 'http://[::ffff:169.254.1.1]'];
  const allowed = ['http://minio.model-storage:9000', 'https://s3.amazonaws.com', 'http://10.0.0.5:9000', 'http://128.0.0.1', 'http://[fec0::1]',
    'http://[2001:db8::1]:9000', 'http://169.255.0.1', 'http://localhost.example.org', 'http://[::2]'];
  for (const e of refused) it(`refuses ${e}`, () => assert.ok(podUnreachableReason(e), e));
  for (const e of allowed) it(`allows ${e}`, () => assert.equal(podUnreachableReason(e), undefined, e));
});

describe('clusterEndpointFor and manifests', () => {
  it('takes the cluster endpoint when set, else the connection endpoint', () => {
    assert.equal(clusterEndpointFor(laptop('http://127.0.0.1:9000', CLUSTER)), CLUSTER);
    assert.equal(clusterEndpointFor(laptop('http://s3.lab:9000')), 'http://s3.lab:9000');
    assert.equal(clusterEndpointFor(laptop('http://s3.lab:9000', '  ')), 'http://s3.lab:9000', 'a blank setting counts as unset');
    assert.equal(clusterEndpointFor({ endpoint: undefined }), undefined, 'AWS');
  });

  it('refuses a loopback endpoint with exit 2 and names the way out', () => {
    assert.throws(() => manifestInputFor(gguf, laptop('http://127.0.0.1:9000'), { ref: 'llama-3-8b:latest' }), (e) => {
      assert.ok(isRepoError(e, 'Config'));
      assert.equal(exitCodeOf(e), 2);
      assert.match(e.message, /^Cannot build the manifest for llama-3-8b:latest: the pods would reach S3 at http:\/\/127\.0\.0\.1:9000, the developer's own machine\. Set the connection's cluster endpoint \(--cluster-endpoint http:\/\/minio\.model-storage:9000/);
      return true;
    });
    assert.throws(() => manifestInputFor(gguf, laptop(CLUSTER, 'http://169.254.1.2:9000')), /link-local/, 'a link-local cluster endpoint too');
  });

  it('writes the cluster endpoint, never the developer endpoint, into every variant that names one', () => {
    const cfg = laptop('http://127.0.0.1:9000', CLUSTER);
    const variants = [
      buildManifests(manifestInputFor(gguf, cfg)),
      buildManifests(manifestInputFor(gguf, cfg, { mode: 'follow', kind: 'deployment' })),
      buildManifests(manifestInputFor(gguf, cfg, { kind: 'kserve' })),
      buildManifests(manifestInputFor(folder, cfg, { runtime: 'vllm' })),
      buildManifests(manifestInputFor(folder, cfg, { runtime: 'vllm', kind: 'kserve' })),
    ];
    for (const objs of variants) {
      const yaml = toYaml(objs);
      assert.ok(!yaml.includes('127.0.0.1'), yaml);
      assert.ok(yaml.includes('minio.model-storage:9000'), yaml);
    }
    const [pod, follow, kserve, vllm] = variants.map(toYaml);
    assert.match(pod, /--endpoint-url 'http:\/\/minio\.model-storage:9000'/);
    assert.match(follow, /--endpoint-url 'http:\/\/minio\.model-storage:9000'/);
    assert.match(kserve, /serving\.kserve\.io\/s3-endpoint: minio\.model-storage:9000/);
    assert.match(vllm, /name: AWS_ENDPOINT_URL\n\s+value: http:\/\/minio\.model-storage:9000/);
  });

  it('checkClusterEndpoint takes an http(s) URL with a host only', () => {
    assert.equal(checkClusterEndpoint(' http://minio.model-storage:9000/ '), CLUSTER);
    for (const bad of ['minio:9000', 'ftp://minio', 'http://minio/bucket', 'http://u:p@minio', 'http://minio?x=1', '']) {
      assert.throws(() => checkClusterEndpoint(bad), (e) => isRepoError(e, 'Config'), bad);
    }
  });
});
