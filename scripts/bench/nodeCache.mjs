#!/usr/bin/env node
// Bytes read from S3 for "8 replicas on 2 nodes, then a rollout to the next version", without and with
// the node cache. Nodes are 2 cache folders, replicas are runs of the very init script a pod carries
// (Debian's aws-cli, as the integration tests run it) against the real S3 server, through a counting
// proxy. The replicas of one node start together, as a Deployment's pods do. Standalone:
//   npx tsc -p . && source <(bash scripts/s3-server.sh start) && node scripts/bench/nodeCache.mjs
// MODELREPO_BENCH_NODECACHE_MB sets the model size (default 32). A script, not a test: nothing is asserted.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const out = (p) => join(root, 'out', p);
if (!existsSync(out('src/core/manifests/initScript.js'))) {
  console.error('compile first: npx tsc -p .');
  process.exit(2);
}
const { S3Client, PutObjectCommand, CreateBucketCommand } = require('@aws-sdk/client-s3');
const { copyScript } = require(out('src/core/manifests/initScript.js'));
const { deleteBucket } = require(out('src/core/storage/s3Buckets.js'));
const { s3Proxy } = require(out('test/helpers/faultServers.js'));

const endpoint = process.env.S3_ENDPOINT;
const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
const region = process.env.AWS_REGION ?? 'us-east-1';
if (!endpoint || !accessKeyId || !secretAccessKey || !existsSync('/usr/bin/aws')) {
  console.error('needs S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and /usr/bin/aws (Debian aws-cli)');
  process.exit(2);
}
const MB = Number(process.env.MODELREPO_BENCH_NODECACHE_MB ?? 32);
const NODES = 2;
const REPLICAS = 8;
const bucket = `t-bench-node-cache-${randomBytes(4).toString('hex')}`;
const s3 = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });

function runScript(script, env) {
  return new Promise((res, rej) => {
    const child = spawn('/bin/sh', ['-c', script], { env: { PATH: '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res() : rej(new Error(`init script exit ${code}: ${err}`))));
  });
}

const versions = [];
const work = await mkdtemp(join(tmpdir(), 'bench-node-cache-'));
const proxy = await s3Proxy(endpoint);
try {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const v of ['2024-03-20', '2024-04-02']) {
    const body = randomBytes(MB * 1024 * 1024);
    const key = `team-a/llama/${v}/llama.Q4_K_M.gguf`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    versions.push({ file: 'llama.Q4_K_M.gguf', size: body.length, sha256: createHash('sha256').update(body).digest('hex'), path: key });
  }
  const rows = [];
  for (const cached of [false, true]) {
    const caches = await Promise.all(Array.from({ length: NODES }, (_, i) => mkdtemp(join(work, `node${i}-`))));
    const before = { bytes: proxy.stats.responseBytes, gets: proxy.stats.log.filter((l) => l.startsWith('GET ') && l.endsWith('.gguf')).length };
    const started = Date.now();
    for (const artifact of versions) { // the first rollout, then the rollout to the next version
      await Promise.all(caches.map(async (cache, n) => {
        await Promise.all(Array.from({ length: REPLICAS / NODES }, async (_, r) => {
          const pod = `llama-${artifact.path.split('/')[2]}-n${n}-r${r}`;
          const dir = await mkdtemp(join(work, `${pod}-`));
          const models = join(dir, 'models');
          await runScript(copyScript({
            endpoint: proxy.url, region, pathStyle: true, bucket, artifacts: [artifact], targetDir: models,
            ...(cached ? { nodeCache: { dir: cache, highBytes: 100 * 1024 ** 3, lowBytes: 80 * 1024 ** 3, leaseMinutes: 10, leaseList: join(models, '.modelrepo-blobs') } } : {}),
          }), { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, HOME: dir, TMPDIR: dir, POD_NAME: pod });
          if (!cached) await rm(dir, { recursive: true, force: true });
        }));
      }));
    }
    const bytes = proxy.stats.responseBytes - before.bytes;
    const gets = proxy.stats.log.filter((l) => l.startsWith('GET ') && l.endsWith('.gguf')).length - before.gets;
    rows.push({ scenario: cached ? 'node cache' : 'emptyDir per pod', gets, bytes, seconds: (Date.now() - started) / 1000 });
  }
  const model = MB * 1024 * 1024;
  console.log(`${REPLICAS} replicas on ${NODES} nodes, model ${MB} MiB, then a rollout to the next version (2 versions in all)`);
  console.log('scenario            GETs (ranged) bytes from S3        x model size   wall s');
  for (const r of rows) {
    console.log(`${r.scenario.padEnd(20)}${String(r.gets).padStart(10)}   ${String(r.bytes).padStart(14)}   ${(r.bytes / model).toFixed(2).padStart(12)}   ${r.seconds.toFixed(1).padStart(6)}`);
  }
  console.log(`saved: ${(100 * (1 - rows[1].bytes / rows[0].bytes)).toFixed(1)} % of the bytes read from S3`);
} finally {
  await proxy.close();
  await deleteBucket({ kind: 's3', endpoint, region, forcePathStyle: true, bucket, credentials: { accessKeyId, secretAccessKey } }).catch(() => undefined);
  s3.destroy();
  await rm(work, { recursive: true, force: true });
}
