// Seeds the demo repository that `npm start` and the browser tests open: model `llama-3-8b` with two
// versions of a tiny but valid GGUF v3 file (a few metadata keys, zero tensors) and the chapter's tags
//   v1 -> 2024-01-15/llama-3-8b.Q4_K_M.gguf, v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf, latest -> v2.
// The files are generated on the spot and written through the project's own core (Repository + the fs
// or S3 storage), bundled here with esbuild, so the layout is exactly what the extension and CLI read.
// Idempotent: versions and tags already there are kept.
//   node scripts/seedDemo.mjs --fs <folder>
//   node scripts/seedDemo.mjs --s3 <bucket>     (S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY from env)
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = 'llama-3-8b';
const VERSIONS = [
  { version: '2024-01-15', file: 'llama-3-8b.Q4_K_M.gguf', fileType: 15, tag: 'v1' }, // 15 = MOSTLY_Q4_K_M
  { version: '2024-03-20', file: 'llama-3-8b.Q5_K_M.gguf', fileType: 17, tag: 'v2' }, // 17 = MOSTLY_Q5_K_M
];

const GGUF_UINT32 = 4;
const GGUF_STRING = 8;

/** A GGUF v3 file: header, metadata key/values, zero tensor infos, padded to the alignment. */
function tinyGguf(meta) {
  const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
  const str = (s) => { const b = Buffer.from(s, 'utf8'); return Buffer.concat([u64(b.length), b]); };
  const parts = [Buffer.from('GGUF', 'ascii'), u32(3), u64(0), u64(meta.length)];
  for (const [key, type, value] of meta) {
    parts.push(str(key), u32(type), type === GGUF_STRING ? str(value) : u32(value));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, Buffer.alloc((32 - (body.length % 32)) % 32)]);
}

function demoFile(v) {
  return tinyGguf([
    ['general.architecture', GGUF_STRING, 'llama'],
    ['general.name', GGUF_STRING, `${MODEL} demo (${v.file.split('.')[1]}, no tensors)`],
    ['general.alignment', GGUF_UINT32, 32],
    ['general.file_type', GGUF_UINT32, v.fileType],
    ['general.quantization_version', GGUF_UINT32, 2],
    ['llama.context_length', GGUF_UINT32, 8192],
    ['llama.embedding_length', GGUF_UINT32, 4096],
    ['llama.block_count', GGUF_UINT32, 32],
  ]);
}

/** Bundles the core's Repository and openStorage into one CommonJS file and loads it. */
async function loadCore() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelrepo-seed-core-'));
  const outfile = path.join(dir, 'core.cjs');
  await build({
    stdin: {
      contents: "export { Repository } from './src/core/repository';\nexport { openStorage } from './src/core/openStorage';\n",
      resolveDir: ROOT, loader: 'ts', sourcefile: 'seed-entry.ts',
    },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error',
  });
  try {
    return createRequire(import.meta.url)(outfile);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function ensureBucket(bucket) {
  const req = createRequire(path.join(ROOT, 'package.json'));
  const { S3Client, CreateBucketCommand, HeadBucketCommand } = req('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: process.env.S3_ENDPOINT, region: process.env.AWS_REGION || 'us-east-1', forcePathStyle: true });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  s3.destroy();
}

async function main() {
  const [mode, where] = process.argv.slice(2);
  if (!['--fs', '--s3'].includes(mode) || !where) {
    console.error('usage: node scripts/seedDemo.mjs --fs <folder> | --s3 <bucket>');
    process.exit(2);
  }
  const { Repository, openStorage } = await loadCore();
  let cfg;
  if (mode === '--fs') {
    fs.mkdirSync(where, { recursive: true });
    cfg = { kind: 'fs', path: path.resolve(where) };
  } else {
    if (!process.env.S3_ENDPOINT) throw new Error('seed --s3 needs S3_ENDPOINT and AWS_* keys in the environment');
    await ensureBucket(where);
    cfg = {
      kind: 's3', endpoint: process.env.S3_ENDPOINT, region: process.env.AWS_REGION || 'us-east-1', forcePathStyle: true,
      bucket: where, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
    };
  }
  const repo = new Repository(await openStorage(cfg), { who: 'modelrepo-demo' });
  const have = new Set((await repo.listVersions(MODEL).catch(() => [])).map((v) => v.name));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'modelrepo-seed-'));
  try {
    for (const v of VERSIONS) {
      if (have.has(v.version)) continue;
      const file = path.join(tmp, v.version, v.file);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, demoFile(v));
      await repo.upload(MODEL, v.version, [file]);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const tags = new Set((await repo.listTags(MODEL)).map((t) => t.name));
  for (const v of VERSIONS) {
    if (!tags.has(v.tag)) await repo.setTag(MODEL, v.tag, `${v.version}/${v.file}`, { expect: null });
  }
  if (!tags.has('latest')) await repo.setTag(MODEL, 'latest', 'v2', { expect: null });
  const latest = await repo.resolve({ model: MODEL, tag: 'latest' });
  console.log(`seeded ${mode === '--fs' ? cfg.path : `s3://${where}`}: ` +
    `${MODEL} versions ${VERSIONS.map((v) => v.version).join(', ')}; ${latest.chain.join(' -> ')}`);
}

await main();
