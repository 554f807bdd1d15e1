// Whole-process comparisons: each case runs every tool once per round, the tools' order rotating from
// round to round; a row is the median wall time and CPU and the largest peak RSS of one tool.
import { spawnSync } from 'node:child_process';
import { AWS, awsArgs, median, rcloneRun, timed } from './common.mjs';

/** `tools`: { name: () => timed(...) }; `before` runs untimed ahead of each run. */
export function compare(label, tools, rounds, { before, log = console.log } = {}) {
  const names = Object.keys(tools);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      if (runs[name].some((r) => r.timedOut)) continue; // one stopped run is the figure
      before?.(name, round);
      const r = tools[name](round);
      runs[name].push(r);
      log(`  ${label.padEnd(28)} ${name.padEnd(10)} ${r.timedOut ? '>' : ' '}${r.seconds.toFixed(2).padStart(7)} s  cpu ${r.cpu.toFixed(2).padStart(6)} s  ${r.rssMiB.toFixed(0).padStart(4)} MiB`);
    }
  }
  return names.map((tool) => ({
    label, tool, seconds: median(runs[tool].map((r) => r.seconds)), cpu: median(runs[tool].map((r) => r.cpu)),
    rssMiB: Math.max(...runs[tool].map((r) => r.rssMiB)), runs: runs[tool].length, timedOut: runs[tool].some((r) => r.timedOut),
  }));
}

/** Flushes dirty pages and waits, so the server's background work of one run does not land on the next. */
export function settle(seconds) {
  spawnSync('sync');
  if (seconds > 0) spawnSync('sleep', [String(seconds)]);
}

export const peer = {
  aws: (args) => () => timed(AWS, awsArgs(args)),
  rclone: (args) => () => timed('rclone', args, rcloneRun),
};

/** The peers ask for less than the product (no tags, no states, no records): the note says so. */
export function listingCases(bucket, model, query) {
  return [
    {
      label: 'ls <repo> (models)', cli: ['ls', `s3://${bucket}`],
      peers: { 'aws s3 ls': peer.aws(['s3', 'ls', `s3://${bucket}/`]), 'rclone lsf': peer.rclone(['lsf', `bench:${bucket}`]) },
    },
    {
      label: 'ls <repo>/<model>', cli: ['ls', `s3://${bucket}/${model}`],
      peers: { 'aws s3 ls': peer.aws(['s3', 'ls', `s3://${bucket}/${model}/`]), 'rclone lsf': peer.rclone(['lsf', `bench:${bucket}/${model}`]) },
    },
    {
      // The peers have no search: the nearest is listing the model folders (the name filter is free).
      label: `search <repo> ${query}`, cli: ['search', `s3://${bucket}`, query],
      peers: { 'aws s3 ls': peer.aws(['s3', 'ls', `s3://${bucket}/`]), 'rclone lsf': peer.rclone(['lsf', `bench:${bucket}`]) },
    },
  ];
}
