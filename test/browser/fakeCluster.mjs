// Started by scripts/editor-test.sh before code-server, when the S3 server runs: the loopback API
// server of the tests (test/helpers/fakeKubeCluster.ts) playing a cluster whose MinIO Service leads by
// port-forward to the real S3 server. It writes its kubeconfig into the folder given and prints its
// path; code-server's extension host reads it through KUBECONFIG. It runs until it is killed.
// A DaemonSet applied (the pre-pull) runs a pod on node-a, node-b and node-c: node-a's has the files
// cached, node-b's is downloading (bytes so far in its log) for its first DOWNLOAD_MS and then cached,
// node-c's failed. Every applied object but a Secret is written to <folder>/applied/<Kind>-<name>.json for the tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import helpers from '../../out/test/helpers/fakeKubeCluster.js';
import s3 from '../../out/test/helpers/s3env.js';

const DOWNLOAD_MS = 8000;
const dir = process.argv[2];
const env = s3.s3TestEnv();
if (!dir || !env) {
  console.error('usage: S3_ENDPOINT=... node test/browser/fakeCluster.mjs <folder>');
  process.exit(2);
}
mkdirSync(join(dir, 'applied'), { recursive: true });
const firstSeen = new Map(); // pod -> when its status was first asked for
const pods = (name) => {
  const m = /-(node-[abc])$/.exec(name);
  if (!m) return undefined;
  if (!firstSeen.has(name)) firstSeen.set(name, Date.now());
  const file = 'llama-3-8b/2024-03-20/llama-3-8b.Q5_K_M.gguf';
  if (m[1] === 'node-a') return { initExit: 0, log: `modelrepo: ${file} is in the node cache (blob ${'e'.repeat(64)}, size ok, sha256 verified when published)\n` };
  if (m[1] === 'node-c') return { initExit: 1, log: `modelrepo: FAILED to copy s3://models/${file} (see the aws error above)\n` };
  return Date.now() - firstSeen.get(name) < DOWNLOAD_MS
    ? { log: `modelrepo: copying s3://models/${file} (4096 bytes) into the node cache\nmodelrepo: downloading ${file}: 1024 of 4096 bytes\n` }
    : { initExit: 0, log: `modelrepo: ${file} arrived in the node cache, sha256 ok (${'e'.repeat(64)})\n` };
};
// a Secret carries the keys: not written
const onApply = (obj) => obj.kind !== 'Secret' && writeFileSync(join(dir, 'applied', `${obj.kind}-${obj.metadata?.name}.json`), JSON.stringify(obj, null, 1));
const cluster = await helpers.minioCluster(env, { nodes: ['node-a', 'node-b', 'node-c'], pods, onApply });
console.log(cluster.kubeconfig(dir, 'model-storage'));
const stop = () => { cluster.close().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
