// Benchmark: uploads and downloads one large file through the core (createS3Storage, run as a child
// Node process), `aws s3 cp` (Debian's aws-cli v2) and rclone against the same S3 server, alternating
// the tools round by round, and prints the median MiB/s, the ratio to the best peer and the peak RSS
// of each tool's process (from /usr/bin/time -v). The core's figures include its sha256 (computed in
// the same pass as the transfer); the peers compute none.
//   node scripts/bench.mjs                 run the benchmark (scripts/bench.sh builds and starts the server)
//   node scripts/bench.mjs core-upload <key> <file> | core-download <key> <file>   (internal: one core transfer)
// Each round uploads with every tool, then downloads with every tool (one shared object), the tools'
// order rotating from round to round.
// Env: S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION; BENCH_SIZE_MIB (1024),
//      BENCH_ROUNDS (3), BENCH_DIR (tmp), BENCH_TOOLS (core,aws,rclone), BENCH_SETTLE_S (3),
//      BENCH_CORE_OPTS (JSON tuning for createS3Storage), BENCH_KEEP_FILE (keep the source file).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, writeSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const env = process.env;

function coreConfig(bucket) {
  return {
    kind: 's3', endpoint: env.S3_ENDPOINT, region: env.AWS_REGION ?? 'us-east-1', forcePathStyle: true, bucket,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  };
}

async function coreChild(mode, bucket, key, file) {
  const require = createRequire(import.meta.url);
  const { createS3Storage } = require(join(root, 'out/src/core/storage/s3Storage.js'));
  const storage = createS3Storage(coreConfig(bucket), JSON.parse(env.BENCH_CORE_OPTS || '{}'));
  const res = mode === 'core-upload' ? await storage.uploadFile(key, file) : await storage.downloadFile(key, file);
  storage.dispose();
  process.stdout.write(`${JSON.stringify({ sha256: res.sha256, size: res.size })}\n`);
}

/** Runs a command under /usr/bin/time -v; returns wall seconds, peak RSS (MiB) and stdout. */
function timed(cmd, args, extraEnv = {}, unset = []) {
  const childEnv = { ...env, ...extraEnv };
  for (const u of unset) delete childEnv[u];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { env: childEnv, encoding: 'utf8', maxBuffer: 64 * MiB });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { seconds, rssMiB: m ? Number(m[1]) / 1024 : NaN, stdout: r.stdout };
}

function aws(args) {
  const r = spawnSync('/usr/bin/aws', ['--endpoint-url', env.S3_ENDPOINT, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function makeFile(path, sizeMiB) {
  // Random-looking, not compressible, fast: one random MiB with a counter in front of each copy.
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  for (let i = 0; i < sizeMiB; i++) {
    block.writeUInt32LE(i, 0);
    writeSync(fd, block);
    hash.update(block);
  }
  closeSync(fd);
  return hash.digest('hex');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  for (const v of ['S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    if (!env[v]) throw new Error(`${v} is not set (scripts/bench.sh starts the server and sets it)`);
  }
  const sizeMiB = Number(env.BENCH_SIZE_MIB ?? 1024);
  const rounds = Number(env.BENCH_ROUNDS ?? 3);
  const tools = (env.BENCH_TOOLS ?? 'core,aws,rclone').split(',');
  const dir = env.BENCH_DIR ?? join(tmpdir(), 'modelrepo-bench');
  mkdirSync(dir, { recursive: true });
  const src = join(dir, `src-${sizeMiB}.bin`);
  const dst = join(dir, 'dst.bin');
  const bucket = `bench-${randomBytes(4).toString('hex')}`;
  console.log(`file ${sizeMiB} MiB, ${rounds} rounds, tools ${tools.join(', ')}, endpoint ${env.S3_ENDPOINT}, bucket ${bucket}`);
  const sha = makeFile(src, sizeMiB);
  aws(['s3api', 'create-bucket', '--bucket', bucket]);
  const rcloneEnv = {
    RCLONE_CONFIG_BENCH_TYPE: 's3', RCLONE_CONFIG_BENCH_PROVIDER: 'Ceph', RCLONE_CONFIG_BENCH_ENDPOINT: env.S3_ENDPOINT,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    RCLONE_CONFIG_BENCH_REGION: env.AWS_REGION ?? 'us-east-1',
  };
  const self = fileURLToPath(import.meta.url);
  const run = {
    core: {
      up: (key) => {
        const r = timed(process.execPath, [self, 'core-upload', bucket, key, src]);
        if (JSON.parse(r.stdout).sha256 !== sha) throw new Error('core upload: sha256 differs');
        return r;
      },
      down: (key) => {
        const r = timed(process.execPath, [self, 'core-download', bucket, key, dst]);
        if (JSON.parse(r.stdout).sha256 !== sha) throw new Error('core download: sha256 differs');
        return r;
      },
    },
    aws: {
      up: (key) => timed('/usr/bin/aws', ['--endpoint-url', env.S3_ENDPOINT, 's3', 'cp', '--only-show-errors', src, `s3://${bucket}/${key}`]),
      down: (key) => timed('/usr/bin/aws', ['--endpoint-url', env.S3_ENDPOINT, 's3', 'cp', '--only-show-errors', `s3://${bucket}/${key}`, dst]),
    },
    rclone: {
      up: (key) => timed('rclone', ['copyto', src, `bench:${bucket}/${key}`], rcloneEnv, ['AWS_CA_BUNDLE']),
      down: (key) => timed('rclone', ['copyto', `bench:${bucket}/${key}`, dst], rcloneEnv, ['AWS_CA_BUNDLE']),
    },
  };
  // Warm the server up (the first writes to a fresh pool are slow) and store the object all downloads read.
  aws(['s3', 'cp', '--only-show-errors', src, `s3://${bucket}/ref.bin`]);
  const results = { up: {}, down: {} };
  // Before each timed run: no leftover destination, dirty pages flushed, and a pause so the server
  // finishes the background work of the previous run (a fast upload leaves the OSD busy for a while,
  // which would otherwise slow down whichever tool runs next).
  const settle = () => {
    rmSync(dst, { force: true });
    spawnSync('sync');
    spawnSync('sleep', [String(Number(env.BENCH_SETTLE_S ?? 3))]);
  };
  for (let round = 0; round < rounds; round++) {
    const order = tools.map((_, i) => tools[(i + round) % tools.length]);
    for (const way of ['up', 'down']) {
      for (const tool of order) {
        const key = way === 'up' ? `up-${tool}-${round}.bin` : 'ref.bin';
        settle();
        const r = run[tool][way](key);
        if (way === 'down' && statSync(dst).size !== sizeMiB * MiB) throw new Error(`${tool} download: wrong size`);
        if (way === 'up') aws(['s3', 'rm', '--only-show-errors', `s3://${bucket}/${key}`]);
        (results[way][tool] ??= []).push(r);
        console.log(`  round ${round + 1} ${way.padEnd(4)} ${tool.padEnd(6)} ${(sizeMiB / r.seconds).toFixed(1).padStart(7)} MiB/s  ${r.rssMiB.toFixed(0).padStart(4)} MiB RSS`);
      }
    }
  }
  rmSync(dst, { force: true });
  aws(['s3', 'rb', '--force', `s3://${bucket}`]);
  if (!env.BENCH_KEEP_FILE) rmSync(src, { force: true });
  console.log('\nmedian of each tool (the core includes sha256; ratio = core or peer / best peer)');
  const verdict = [];
  for (const way of ['up', 'down']) {
    const stats = Object.fromEntries(Object.entries(results[way]).map(([tool, rs]) => [tool, {
      mibs: median(rs.map((r) => sizeMiB / r.seconds)), rss: Math.max(...rs.map((r) => r.rssMiB)),
    }]));
    const best = Math.max(...Object.entries(stats).filter(([t]) => t !== 'core').map(([, s]) => s.mibs));
    const label = way === 'up' ? 'upload' : 'download';
    console.log(`${label}:`);
    for (const [tool, s] of Object.entries(stats)) {
      const ratio = Number.isFinite(best) ? `${(s.mibs / best).toFixed(2)}x` : '-';
      console.log(`  ${tool.padEnd(7)} ${s.mibs.toFixed(1).padStart(7)} MiB/s  ${ratio.padStart(6)}  peak RSS ${s.rss.toFixed(0)} MiB`);
    }
    if (stats.core && Number.isFinite(best)) {
      verdict.push(`${label} ${(stats.core.mibs / best).toFixed(2)}x best peer (target 1.05x): ${stats.core.mibs / best >= 1.05 ? 'met' : 'MISSED'}`);
      verdict.push(`${label} core peak RSS ${stats.core.rss.toFixed(0)} MiB (target < 200): ${stats.core.rss < 200 ? 'met' : 'MISSED'}`);
    }
  }
  console.log(`\n${verdict.join('\n')}`);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'core-upload' || mode === 'core-download') {
  await coreChild(mode, ...rest);
} else if (mode) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
} else {
  if (!existsSync(join(root, 'out/src/core/storage/s3Storage.js'))) {
    console.error('out/ is missing: run `npx tsc -p .` first (scripts/bench.sh does)');
    process.exit(2);
  }
  await main();
}
