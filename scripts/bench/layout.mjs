// Builds a bucket in the chapter layout (README "The layout"): for each model, V date versions with one
// small GGUF file each, and tags/v2 -> <last version>/<file>, tags/latest -> v2 (the tag object's body
// is the link text). A bucket that already holds the same layout is reused: the bucket tag
// `bench-layout` is set only after the last object landed, so a half-built bucket is filled again.
import { join } from 'node:path';
import { MiB, pool, requireOut, root, sdkClient } from './common.mjs';

const DAY = 24 * 3600 * 1000;
const FIRST = Date.UTC(2020, 0, 1);
export const versionName = (i) => new Date(FIRST + i * DAY).toISOString().slice(0, 10);
export const modelName = (i) => `model-${String(i).padStart(4, '0')}`;
export const fileName = (model) => `${model}.Q4_K_M.gguf`;

/** A valid, tiny GGUF (header of a 2-tensor llama, zero tensor data), so search can read its metadata. */
function ggufBody() {
  try {
    const { ggufHeader, tinyLlamaSpec } = requireOut(join(root, 'out/test/helpers/gguf.js'));
    const { header, dataBytes } = ggufHeader(tinyLlamaSpec());
    return Buffer.concat([header, Buffer.alloc(dataBytes)]);
  } catch {
    return Buffer.from('GGUF');
  }
}

/** The objects of one model with `versions` versions. */
export function modelObjects(model, versions) {
  const out = [];
  for (let v = 0; v < versions; v++) out.push({ key: `${model}/${versionName(v)}/${fileName(model)}` });
  out.push({ key: `${model}/tags/v2`, body: `${versionName(versions - 1)}/${fileName(model)}` });
  out.push({ key: `${model}/tags/latest`, body: 'v2' });
  return out;
}

async function layoutTag(client, bucket) {
  const { GetBucketTaggingCommand } = requireOut('@aws-sdk/client-s3');
  try {
    const r = await client.send(new GetBucketTaggingCommand({ Bucket: bucket }));
    return r.TagSet?.find((t) => t.Key === 'bench-layout')?.Value;
  } catch {
    return undefined;
  }
}

/** Makes sure `bucket` holds `models` ([{ name, versions }]); returns { objects, seconds, reused }. */
export async function ensureLayout(bucket, models, log = console.log) {
  const s3 = requireOut('@aws-sdk/client-s3');
  const client = sdkClient(64);
  const signature = models.length <= 5 ? models.map((m) => `${m.name}:${m.versions}`).join(',')
    : `${models.length}x${models[0].versions}`;
  const objects = models.flatMap((m) => modelObjects(m.name, m.versions));
  try {
    if (await layoutTag(client, bucket) === signature) return { objects: objects.length, seconds: 0, reused: true };
    await client.send(new s3.CreateBucketCommand({ Bucket: bucket })).catch((e) => {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(e.name)) throw e;
    });
    const body = ggufBody();
    log(`  building ${bucket}: ${objects.length} objects (${signature}) ...`);
    const t0 = Date.now();
    let done = 0;
    await pool(objects, 64, async (o) => {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body ?? body }));
          break;
        } catch (e) {
          if (attempt >= 4) throw e;
          await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
        }
      }
      if (++done % 10000 === 0) log(`    ${done}/${objects.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    });
    await client.send(new s3.PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: 'bench-layout', Value: signature }] } }));
    return { objects: objects.length, seconds: (Date.now() - t0) / 1000, reused: false, bodyBytes: body.length / MiB };
  } finally {
    client.destroy();
  }
}

/** Creates `bucket` unless it exists. */
export async function ensureBucket(bucket) {
  const { CreateBucketCommand } = requireOut('@aws-sdk/client-s3');
  const client = sdkClient(4);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((e) => {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(e.name)) throw e;
    });
  } finally {
    client.destroy();
  }
}
