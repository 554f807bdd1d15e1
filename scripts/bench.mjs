// `npm run bench` (scripts/bench.sh builds, starts the server if needed and installs the peers): measures
// in one run, against the same S3 server,
//   cli       `modelrepo ls <repo>`, `ls <repo>/<model>`, `search <repo> <name>` against `aws s3 ls` and
//             `rclone lsf`, on a bucket in the chapter layout it builds (or reuses) itself;
//   transfer  upload and verified download of one large file against `aws s3 cp` and `rclone copyto`;
//   tree      the editor view's level loads, in-process;
//   versions  `ls <model>` against the number of versions (10, 100, 1,000), with `aws s3 ls`;
// then writes docs/benchmarks.md and docs/benchmarks-versions.svg.
// Flags / env: --models N (BENCH_MODELS, 20), --versions V (BENCH_VERSIONS, 10): the layout (the full
// one is 1000 x 100, ~102,000 objects); BENCH_SIZE_MIB (1024); BENCH_ROUNDS (3); BENCH_SETTLE_S (3);
// BENCH_SCALE (10,100,1000); BENCH_PARTS (cli,transfer,tree,versions); BENCH_TOOLS (modelrepo,aws,rclone:
// the transfer tools); BENCH_TIMEOUT_S (120: a longer run is stopped, shown as such, not repeated);
// BENCH_DIR (tmp); BENCH_OUT (docs: where the report goes).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cli, env, root, timed } from './bench/common.mjs';
import { compare, listingCases } from './bench/compare.mjs';
import { ensureBucket, ensureLayout, modelName, versionName } from './bench/layout.mjs';
import { machine, writeReport } from './bench/report.mjs';
import { transferCases } from './bench/transfer.mjs';
import { treeLevels } from './bench/tree.mjs';
import { versionScaling } from './bench/versions.mjs';

const { values: flags } = parseArgs({ options: { models: { type: 'string' }, versions: { type: 'string' } } });
const positive = (text, name) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} '${text}' is not a positive whole number`);
  return n;
};
const params = {
  models: positive(flags.models ?? env.BENCH_MODELS ?? 20, 'models'),
  versions: positive(flags.versions ?? env.BENCH_VERSIONS ?? 10, 'versions'),
  sizeMiB: positive(env.BENCH_SIZE_MIB ?? 1024, 'BENCH_SIZE_MIB'),
  rounds: positive(env.BENCH_ROUNDS ?? 3, 'BENCH_ROUNDS'),
  settleS: Number(env.BENCH_SETTLE_S ?? 3),
  scale: (env.BENCH_SCALE ?? '10,100,1000').split(',').map((n) => positive(n, 'BENCH_SCALE')),
  parts: (env.BENCH_PARTS ?? 'cli,transfer,tree,versions').split(','),
  tools: (env.BENCH_TOOLS ?? 'modelrepo,aws,rclone').split(','),
  dir: env.BENCH_DIR ?? join(tmpdir(), 'modelrepo-bench'),
  outDir: env.BENCH_OUT ?? join(root, 'docs'),
};

async function main() {
  for (const v of ['S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    if (!env[v]) throw new Error(`${v} is not set (scripts/bench.sh starts the server and sets it)`);
  }
  if (!existsSync(join(root, 'out/src/core/openStorage.js'))) throw new Error('out/ is missing: run `npx tsc -p .` (scripts/bench.sh does)');
  const has = (p) => params.parts.includes(p);
  const bucket = `bench-layout-${params.models}x${params.versions}`;
  console.log(`bench: layout ${params.models} models x ${params.versions} versions, ${params.rounds} rounds, parts ${params.parts.join(',')}`);
  const layout = { models: params.models, versions: params.versions, objects: 0, seconds: 0, reused: true };
  if (has('cli') || has('tree')) {
    Object.assign(layout, await ensureLayout(bucket,
      Array.from({ length: params.models }, (_, i) => ({ name: modelName(i), versions: params.versions }))));
    console.log(`  layout ${bucket}: ${layout.objects} objects${layout.reused ? ' (reused)' : ` built in ${layout.seconds.toFixed(0)} s`}`);
  }
  const model = modelName(Math.floor(params.models / 2));
  const version = versionName(params.versions - 1);
  // The start-up cost every command pays, as a row of its own.
  const cliRows = has('cli') ? [
    ...compare('modelrepo --help (start-up)', { modelrepo: () => timed(...cli(['--help'])) }, params.rounds),
    ...listingCases(bucket, model, model).flatMap((c) => compare(c.label, { modelrepo: () => timed(...cli(c.cli)), ...c.peers }, params.rounds)),
  ] : [];
  let transferRows = [];
  if (has('transfer')) {
    await ensureBucket('bench-transfer');
    transferRows = transferCases({ bucket: 'bench-transfer', dir: params.dir, sizeMiB: params.sizeMiB, rounds: params.rounds, settleS: params.settleS, tools: params.tools });
  }
  const tree = has('tree') ? await treeLevels({ bucket, model, version, rounds: Math.max(5, params.rounds) }) : [];
  const versions = has('versions') ? await versionScaling({ bucket: 'bench-versions', counts: params.scale, rounds: params.rounds }) : [];
  const at = writeReport({
    cliRows, transferRows, tree, versions, layout, m: machine(), params,
    command: `BENCH_MODELS=${params.models} BENCH_VERSIONS=${params.versions} npm run bench`,
  });
  console.log(`\nwrote ${at}`);
}

await main();
