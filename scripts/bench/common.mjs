// Shared by the benchmark modules: the environment, whole-process timing under /usr/bin/time, the
// peers' command lines and the SDK client the bench uses to build its buckets.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MiB = 1024 * 1024;
export const env = process.env;
export const requireOut = createRequire(join(root, 'package.json'));

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A run that takes longer is stopped (`timeout`) and reported as "more than" (BENCH_TIMEOUT_S). */
export const TIMEOUT_S = Number(env.BENCH_TIMEOUT_S ?? 120);

/** Runs a command under /usr/bin/time; returns wall seconds, CPU seconds (user + system), peak RSS
 *  (MiB), stdout and timedOut. `check` false keeps a non-zero exit (the caller decides). */
export function timed(cmd, args, { extraEnv = {}, unset = [], check = true } = {}) {
  const childEnv = { ...env, ...extraEnv };
  for (const u of unset) delete childEnv[u];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCHTIME %e %U %S %M', 'timeout', String(TIMEOUT_S), cmd, ...args],
    { env: childEnv, encoding: 'utf8', maxBuffer: 256 * MiB });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const timedOut = r.status === 124;
  if (check && r.status !== 0 && !timedOut) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`);
  const m = /BENCHTIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  return { seconds, cpu: m ? Number(m[2]) + Number(m[3]) : NaN, rssMiB: m ? Number(m[4]) / 1024 : NaN, stdout: r.stdout, status: r.status, timedOut };
}

/** The CLI as a user runs it: the bundle if it was built, else tsc's output. */
export function cliCommand() {
  const bundle = join(root, 'dist/cli.js');
  const out = join(root, 'out/src/cli/main.js');
  return spawnSync('test', ['-f', bundle]).status === 0 ? [process.execPath, [bundle]] : [process.execPath, [out]];
}

export function cli(args) {
  const [cmd, pre] = cliCommand();
  return [cmd, [...pre, ...args, '--endpoint', env.S3_ENDPOINT]];
}

export const AWS = '/usr/bin/aws';
export const awsArgs = (args) => ['--endpoint-url', env.S3_ENDPOINT, ...args];

export function aws(args) {
  const r = spawnSync(AWS, awsArgs(args), { encoding: 'utf8', maxBuffer: 256 * MiB });
  if (r.status !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** rclone reads its remote `bench:` from these variables (no config file). */
export const rcloneRun = {
  extraEnv: {
    RCLONE_CONFIG_BENCH_TYPE: 's3', RCLONE_CONFIG_BENCH_PROVIDER: 'Ceph', RCLONE_CONFIG_BENCH_ENDPOINT: env.S3_ENDPOINT,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    RCLONE_CONFIG_BENCH_REGION: env.AWS_REGION ?? 'us-east-1',
  },
  unset: ['AWS_CA_BUNDLE'],
};

export function coreConfig(bucket) {
  return {
    kind: 's3', endpoint: env.S3_ENDPOINT, region: env.AWS_REGION ?? 'us-east-1', forcePathStyle: true, bucket,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  };
}

/** A plain SDK client with room for many requests in flight (building the layout buckets). */
export function sdkClient(maxSockets = 64) {
  const { S3Client } = requireOut('@aws-sdk/client-s3');
  const { NodeHttpHandler } = requireOut('@smithy/node-http-handler');
  const http = requireOut('node:http');
  return new S3Client({
    endpoint: env.S3_ENDPOINT, region: env.AWS_REGION ?? 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets }) }),
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool(items, limit, fn) {
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; await fn(items[i], i); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
