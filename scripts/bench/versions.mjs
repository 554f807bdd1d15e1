// `ls <repo>/<model>` against the number of versions of the model (10, 100, 1,000 by default), for
// this product and `aws s3 ls`, in a bucket of its own (built once, then reused).
import { AWS, awsArgs, cli, timed } from './common.mjs';
import { compare } from './compare.mjs';
import { ensureLayout } from './layout.mjs';

export async function versionScaling({ bucket, counts, rounds, log = console.log }) {
  const models = counts.map((n) => ({ name: `versions-${n}`, versions: n }));
  await ensureLayout(bucket, models, log);
  const points = [];
  for (const m of models) {
    const rows = compare(`ls model of ${m.versions} versions`, {
      modelrepo: () => timed(...cli(['ls', `s3://${bucket}/${m.name}`])),
      'aws s3 ls': () => timed(AWS, awsArgs(['s3', 'ls', `s3://${bucket}/${m.name}/`])),
    }, rounds, { log });
    points.push({ versions: m.versions, modelrepo: rows[0].seconds, aws: rows[1].seconds, stopped: rows[0].timedOut });
  }
  return points;
}
