// Connecting through the cluster: the fake API server (test/helpers/fakeKubeCluster.ts) plays a cluster
// whose MinIO Service leads, by the Kubernetes port-forward protocol, to the real S3 server (Ceph RGW).
// The core lists the S3 services, reads the keys from the chart's Secret, opens client-node's
// port-forward on a local port and works through it: buckets listed, a file uploaded and downloaded
// whole; a WebSocket dropped by the server costs nothing to the next request; the keys appear in no
// error message. Needs Node 22+ (client-node) and the S3 server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s3Backend } from '../../src/core/backends/s3';
import { isRepoError } from '../../src/core/errors';
import { openStorage } from '../../src/core/openStorage';
import { openKube } from '../../src/core/kube/kubeClient';
import { listS3Services, readS3Service } from '../../src/core/kube/s3Services';
import { listKeySecrets, readClusterKeys } from '../../src/core/kube/clusterKeys';
import { openClusterStorage } from '../../src/core/kube/clusterStorage';
import type { S3ConnectionConfig } from '../../src/core/connections/types';
import { minioCluster } from '../helpers/fakeKubeCluster';
import type { FakeCluster } from '../helpers/fakeKubeCluster';
import { s3TestEnv } from '../helpers/s3env';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';

const env = s3TestEnv();
const oldNode = Number(process.versions.node.split('.')[0]) < 22;
const skip = !env ? 'no S3 server: run scripts/s3-server.sh and export S3_ENDPOINT + keys' : oldNode ? 'client-node needs Node 22' : false;

describe('connect through the cluster (port-forward to the real S3 server)', { skip }, () => {
  let cluster: FakeCluster;
  let dir: string;
  let kubeconfig: string;
  let bucket: string;
  before(async () => {
    if (!env) return;
    cluster = await minioCluster(env);
    dir = await mkdtemp(join(tmpdir(), 'mr-fwd-'));
    kubeconfig = cluster.kubeconfig(dir, 'model-storage');
    bucket = await createTestBucket(env, 'cluster-forward');
  });
  after(async () => {
    await cluster?.close();
    await deleteTestBucket(env, bucket);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the S3 services: MinIO by its labels, a port named s3, not a web frontend', async () => {
    const kube = await openKube({ kubeconfig }, 'test');
    const found = await listS3Services(kube);
    assert.deepEqual(found.map((s) => [`${s.namespace}/${s.name}`, s.port, s.clusterEndpoint, s.found]), [
      ['data/rgw', 7480, 'http://rgw.data:7480', 'port'],
      ['model-storage/minio', 9000, 'http://minio.model-storage:9000', 'labels'],
    ]);
    assert.deepEqual(await listKeySecrets(kube, 'model-storage'), ['minio']);
  });

  it('reads the keys from the Secret, picked keys included, and names missing ones without values', async () => {
    const kube = await openKube({ kubeconfig }, 'test');
    assert.deepEqual(await readClusterKeys(kube, 'model-storage', { name: 'minio' }), { accessKeyId: env?.accessKeyId, secretAccessKey: env?.secretAccessKey });
    assert.equal((await readClusterKeys(kube, 'data', { name: 'rgw-keys', userKey: 'user', passwordKey: 'pass' })).secretAccessKey, env?.secretAccessKey);
    await assert.rejects(readClusterKeys(kube, 'data', { name: 'rgw-keys' }), (e: unknown) =>
      isRepoError(e, 'Config') && /its keys: user, pass/.test(e.message) && !e.message.includes(env?.secretAccessKey ?? '?'));
    await assert.rejects(readClusterKeys(kube, 'model-storage', { name: 'nope' }), (e: unknown) => isRepoError(e, 'NotFound'));
  });

  it('uploads and downloads a file through the forward, bytes equal; a dropped WebSocket does not fail the next listing', async () => {
    const cfg: S3ConnectionConfig = { kind: 's3', bucket, viaCluster: { namespace: 'model-storage', service: 'minio', kubeconfig, secret: { name: 'minio' } } };
    const { storage, forward, config } = await openClusterStorage({ ...cfg, viaCluster: cfg.viaCluster! });
    try {
      assert.match(forward.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(config.clusterEndpoint, 'http://minio.model-storage:9000');
      assert.deepEqual(forward.target(), { pod: 'minio-0', port: 9000 });
      assert.ok((await s3Backend.listBuckets(cfg)).includes(bucket), 'buckets listed through a forward of their own');
      const src = join(dir, 'model.bin');
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      await writeFile(src, bytes);
      const up = await storage.uploadFile('m/v1/model.bin', src);
      assert.equal(up.sha256, createHash('sha256').update(bytes).digest('hex'));
      const dst = join(dir, 'back.bin');
      await storage.downloadFile('m/v1/model.bin', dst);
      assert.ok((await readFile(dst)).equals(bytes));
      const before = cluster.forwardsOpened();
      assert.ok(before > 0);
      assert.ok(cluster.killForwards() > 0, 'pooled connections were open through the forward');
      const page = await storage.list('m/', { delimited: false });
      assert.deepEqual(page.objects.map((o) => o.key), ['m/v1/model.bin']);
      assert.ok(cluster.forwardsOpened() > before, 'a new port-forward WebSocket carried the listing');
    } finally {
      storage.dispose?.();
    }
  });

  it('openStorage opens the forward for a viaCluster connection and closing it ends the forward', async () => {
    const storage = await openStorage({ kind: 's3', bucket, viaCluster: { namespace: 'model-storage', service: 'minio', kubeconfig, secret: { name: 'minio' } } });
    const list = await storage.list('', { delimited: true });
    assert.deepEqual(list.prefixes, ['m/']);
    assert.ok(cluster.openForwards() > 0);
    storage.dispose?.();
    // The API server sees every WebSocket of the forward closed (polled; the deadline only stops a hang).
    for (let i = 0; i < 200 && cluster.openForwards() > 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(cluster.openForwards(), 0);
  });

  it('a Service with no ready pod is a Network error naming the Service', async () => {
    if (!env) return;
    const down = await minioCluster(env, { ready: false });
    try {
      const kc = down.kubeconfig(dir, 'model-storage');
      await assert.rejects(openStorage({ kind: 's3', bucket, viaCluster: { namespace: 'model-storage', service: 'minio', kubeconfig: kc, secret: { name: 'minio' } } }),
        (e: unknown) => isRepoError(e, 'Network') && /service model-storage\/minio/.test(e.message) && /no ready pod/.test(e.message));
    } finally {
      await down.close();
    }
  });

  it('a port-forward whose WebSocket handshake is never answered is given up at connect + first-byte time', async () => {
    if (!env) return;
    const hung = await minioCluster(env, { stallForwards: true });
    try {
      const kc = hung.kubeconfig(dir, 'model-storage');
      const timeouts = { connectMs: 1500, firstByteMs: 1500, stallMs: 60_000 };
      const storage = await openStorage({ kind: 's3', bucket, timeouts, viaCluster: { namespace: 'model-storage', service: 'minio', kubeconfig: kc, secret: { name: 'minio' } } });
      try {
        await assert.rejects(storage.list('', { limit: 1 }), (e: unknown) => isRepoError(e, 'Network'));
        assert.ok(hung.requests.some((r) => r.method === 'UPGRADE'), 'the forward asked for a WebSocket');
        // The handshake deadline closes the socket the server never answered (polled; the limit only stops a hang).
        for (let i = 0; i < 800 && hung.stalledForwards() > 0; i++) await new Promise((r) => setTimeout(r, 25));
        assert.equal(hung.stalledForwards(), 0);
      } finally {
        storage.dispose?.();
      }
    } finally {
      await hung.close();
    }
  });

  it('a named Service port that does not exist is refused with the ports it has', async () => {
    const kube = await openKube({ kubeconfig }, 'test');
    await assert.rejects(readS3Service(kube, 'model-storage', 'minio', 9999), (e: unknown) => isRepoError(e, 'Config') && /ports: 9000, 9001/.test(e.message));
  });
});
