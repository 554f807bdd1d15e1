// Upload and download of one large file: `modelrepo upload` / `modelrepo download` (which verifies the
// sha256 recorded at upload) against `aws s3 cp` and `rclone copyto` at their defaults (which verify
// nothing for a multipart object), all as whole processes.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MiB, AWS, aws, awsArgs, cli, rcloneRun, timed } from './common.mjs';
import { compare, settle } from './compare.mjs';

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

/** Returns the rows of the upload and the download comparison. */
export function transferCases({ bucket, dir, sizeMiB, rounds, settleS, tools, log = console.log }) {
  mkdirSync(dir, { recursive: true });
  const name = 'weights.bin';
  const srcDir = join(dir, `src-${sizeMiB}`);
  mkdirSync(srcDir, { recursive: true });
  const src = join(srcDir, name);
  if (!existsSync(src) || statSync(src).size !== sizeMiB * MiB) makeFile(src, sizeMiB);
  const dstDir = join(dir, 'dst');
  const dst = join(dstDir, name);
  const clean = () => {
    rmSync(dstDir, { recursive: true, force: true });
    mkdirSync(dstDir, { recursive: true });
    settle(settleS);
  };
  // The object every download reads, uploaded by the CLI so its sha256 is recorded (and verified).
  aws(['s3', 'rm', '--recursive', '--only-show-errors', `s3://${bucket}/big/`]);
  timed(...cli(['upload', `s3://${bucket}/big@1.0.0`, src, '--quiet']));
  const refKey = `big/1.0.0/${name}`;
  const up = {
    modelrepo: (round) => timed(...cli(['upload', `s3://${bucket}/up@1.0.${round}`, src, '--quiet'])),
    'aws s3 cp': (round) => timed(AWS, awsArgs(['s3', 'cp', '--only-show-errors', src, `s3://${bucket}/up-aws/${round}/${name}`])),
    rclone: (round) => timed('rclone', ['copyto', src, `bench:${bucket}/up-rclone/${round}/${name}`], rcloneRun),
  };
  const down = {
    modelrepo: () => timed(...cli(['download', `s3://${bucket}/big@1.0.0`, dstDir, '--quiet'])),
    'aws s3 cp': () => timed(AWS, awsArgs(['s3', 'cp', '--only-show-errors', `s3://${bucket}/${refKey}`, dst])),
    rclone: () => timed('rclone', ['copyto', `bench:${bucket}/${refKey}`, dst], rcloneRun),
  };
  const pick = (all) => Object.fromEntries(Object.entries(all).filter(([t]) => tools.includes(t.split(' ')[0])));
  const checked = (runs) => Object.fromEntries(Object.entries(runs).map(([t, f]) => [t, (round) => {
    const r = f(round);
    if (statSync(dst, { throwIfNoEntry: false })?.size !== sizeMiB * MiB) throw new Error(`${t} download: wrong size`);
    return r;
  }]));
  const label = (way) => `${way} ${sizeMiB >= 1024 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`}`;
  const rows = [
    ...compare(label('upload'), pick(up), rounds, { before: clean, log }),
    ...compare(`${label('download')} (verified)`, checked(pick(down)), rounds, { before: clean, log }),
  ];
  rmSync(dstDir, { recursive: true, force: true });
  for (const p of ['up/', 'up-aws/', 'up-rclone/']) aws(['s3', 'rm', '--recursive', '--only-show-errors', `s3://${bucket}/${p}`]);
  return rows.map((r) => ({ ...r, mibs: sizeMiB / r.seconds }));
}
