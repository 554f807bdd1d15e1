// Started by scripts/editor-test.sh before code-server, when the S3 server runs: the loopback API
// server of the tests (test/helpers/fakeKubeCluster.ts) playing a cluster whose MinIO Service leads by
// port-forward to the real S3 server. It writes its kubeconfig into the folder given and prints its
// path; code-server's extension host reads it through KUBECONFIG. It runs until it is killed.
import { mkdirSync } from 'node:fs';
import helpers from '../../out/test/helpers/fakeKubeCluster.js';
import s3 from '../../out/test/helpers/s3env.js';

const dir = process.argv[2];
const env = s3.s3TestEnv();
if (!dir || !env) {
  console.error('usage: S3_ENDPOINT=... node test/browser/fakeCluster.mjs <folder>');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const cluster = await helpers.minioCluster(env);
console.log(cluster.kubeconfig(dir, 'model-storage'));
const stop = () => { cluster.close().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
