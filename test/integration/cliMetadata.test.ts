// `modelrepo info`, `search` and `card`, run as a child process of the bundled CLI (as cliChapter.test.ts does)
// against a folder repository seeded with valid GGUF and safetensors files, and `info` against the real
// S3 server, where a model with 32 MiB of tensor data is described from its header alone.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { modelCardKey } from '../../src/core/metadata/modelCard';
import { Repository } from '../../src/core/repository';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import { safetensorsBytes, tinyLlamaSpec, writeGguf } from '../helpers/gguf';
import { run, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
const CLI = join(ROOT, 'out', 'cli-bundle', `cli-meta-${process.pid}.js`);
const PARAMS = { type: 'u64', value: 8_030_261_248n } as const;
const Q4 = 'tiny-llama.Q4_K_M.gguf';

let work = '';
let repoDir = '';

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return run(process.execPath, [CLI, ...args], { cwd: work, env: { ...withoutKeys(), HOME: work, ...env } });
}

async function ok(...args: string[]): Promise<Run> {
  const r = await cli(args);
  assert.equal(r.code, 0, `modelrepo ${args.join(' ')}\n${show(r)}`);
  return r;
}

before(async () => {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile: CLI, bundle: true, platform: 'node', format: 'cjs',
    target: 'node20', sourcemap: false, logLevel: 'error',
  });
  work = mkdtempSync(join(tmpdir(), 'modelrepo-climeta-'));
  repoDir = join(work, 'repo');
  const repo = new Repository(createFsStorage({ kind: 'fs', path: repoDir }), { who: 'seed@test' });
  await writeGguf(join(work, Q4), tinyLlamaSpec({ 'general.file_type': 15, 'general.parameter_count': PARAMS }));
  await writeGguf(join(work, 'tiny-llama.Q8_0.gguf'), tinyLlamaSpec({ 'general.file_type': 7, 'general.parameter_count': PARAMS }));
  await repo.upload('tiny-llama', '2024-01-15', [join(work, 'tiny-llama.Q8_0.gguf')]);
  await repo.upload('tiny-llama', '2024-03-20', [join(work, Q4)]);
  await repo.setTag('tiny-llama', 'latest', '2024-03-20');
  await writeGguf(join(work, 'qwen.Q4_K_M.gguf'), tinyLlamaSpec({ 'general.architecture': 'qwen2', 'general.file_type': 15 }));
  await repo.upload('chat-small', '2024-01-01', [join(work, 'qwen.Q4_K_M.gguf')]);
  writeFileSync(join(work, 'model.safetensors'), safetensorsBytes([{ name: 'a', dtype: 'BF16', shape: [64, 128] }]));
  writeFileSync(join(work, 'broken.gguf'), 'not a gguf');
  await repo.upload('bert-st', '1.0.0', [join(work, 'model.safetensors'), join(work, 'broken.gguf')]);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(CLI, { force: true });
});

describe('modelrepo info', () => {
  it('prints the GGUF facts of what a tag resolves to; --json carries the same numbers', async () => {
    const r = await ok('info', `${repoDir}/tiny-llama:latest`);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `tiny-llama@2024-03-20 (latest -> 2024-03-20) in ${repoDir}`);
    assert.match(lines[1], new RegExp(`^2024-03-20/${Q4.replace(/\./g, '\\.')}  \\d+\\.\\d KiB$`));
    for (const fact of [/^ {2}Format +GGUF v3$/m, /^ {2}Architecture +llama$/m, /^ {2}Parameters +8\.0B \(8,030,261,248\)$/m,
      /^ {2}Quantization +Q4_K_M$/m, /^ {2}Context length +8,192$/m, /^ {2}Tensors +2$/m]) assert.match(r.stdout, fact);
    const j = JSON.parse((await ok('info', `${repoDir}/tiny-llama@2024-01-15`, '--json')).stdout);
    assert.equal(j.version, '2024-01-15');
    assert.deepEqual([j.files[0].metadata.quantization, j.files[0].metadata.parameterCount, j.files[0].metadata.contextLength], ['Q8_0', 8_030_261_248, 8192]);
  });

  it('without a selector describes the newest version; a safetensors header gives dtypes; a bad file is reported beside it', async () => {
    const r = await ok('info', `${repoDir}/bert-st`);
    assert.match(r.stdout, /^1\.0\.0\/model\.safetensors/m);
    assert.match(r.stdout, /^ {2}Dtypes +BF16$/m);
    assert.match(r.stdout, /^ {2}Parameters +8\.2K \(8,192\)$/m);
    assert.match(r.stdout, /^1\.0\.0\/broken\.gguf[^\n]*\n {2}Cannot read metadata of bert-st\/1\.0\.0\/broken\.gguf: not a valid GGUF file/m);
    const alone = await cli(['info', `${repoDir}/bert-st@1.0.0/broken.gguf`]);
    assert.equal(alone.code, 7, show(alone));
    assert.match(alone.stderr, /^modelrepo: Cannot read metadata of bert-st\/1\.0\.0\/broken\.gguf: not a valid GGUF file/m);
    const missing = await cli(['info', `${repoDir}/nope`]);
    assert.equal(missing.code, 3, show(missing));
  });
});

describe('modelrepo search', () => {
  it('finds models by architecture and quantization, as text and JSON', async () => {
    const r = await ok('search', repoDir, 'arch:llama', 'quant:Q4_K_M');
    assert.equal(r.stdout.split('\n')[0], 'tiny-llama  2024-03-20');
    assert.match(r.stdout, /^ {2}tiny-llama\.Q4_K_M\.gguf +\S+ KiB +llama · 8\.0B params · Q4_K_M · ctx 8192 · 2 tensors$/m);
    assert.match(r.stderr, /1 of 3 models in .* match 'arch:llama quant:Q4_K_M'/);
    const q = JSON.parse((await ok('search', repoDir, 'quant:q4_k_m', '--json')).stdout);
    assert.deepEqual(q.hits.map((h: { model: string }) => h.model), ['chat-small', 'tiny-llama']);
    assert.equal(q.scanned, 3);
    assert.deepEqual(q.skipped, ['bert-st/1.0.0/broken.gguf']);
    assert.deepEqual(q.problems, []);
    const text = await ok('search', repoDir, 'arch:llama');
    assert.match(text.stderr, /^note: 1 file is not GGUF or safetensors and was skipped$/m);
    assert.doesNotMatch(text.stderr, /broken\.gguf/);
    assert.match(text.stderr, /^0 headers read, 4 from the metadata index$/m);
    const all = JSON.parse((await ok('search', repoDir, 'quant:Q8_0', '--all-versions', '--json')).stdout);
    assert.deepEqual(all.hits.map((h: { model: string }) => h.model), ['tiny-llama'], 'the older version was not searched');
    assert.deepEqual(JSON.parse((await ok('search', repoDir, 'quant:Q8_0', '--json')).stdout).hits, []);
    const byName = await ok('search', repoDir, 'chat');
    assert.equal(byName.stdout.trim(), 'chat-small');
    const empty = await cli(['search', repoDir, ' ']);
    assert.equal(empty.code, 2, show(empty));
  });
});

describe('modelrepo card', () => {
  it('says there is none, creates one from the metadata, keeps an existing one unless --force', async () => {
    const file = join(repoDir, modelCardKey('tiny-llama'));
    const none = await cli(['card', `${repoDir}/tiny-llama`]);
    assert.equal(none.code, 3, show(none));
    assert.match(none.stderr, /tiny-llama\/README\.md does not exist .*--create/);
    const created = await ok('card', `${repoDir}/tiny-llama`, '--create');
    assert.equal(readFileSync(file, 'utf8'), created.stdout);
    assert.match(created.stdout, /Architecture \*\*llama\*\*, \*\*8\.0B\*\* parameters, context length \*\*8192\*\*, quantizations `Q4_K_M`, `Q8_0`\./);
    assert.match(created.stdout, /^\| 2024-03-20 \| latest \| complete \|/m);
    writeFileSync(file, '# tiny-llama\n\nWritten by hand.\n');
    assert.equal((await ok('card', `${repoDir}/tiny-llama`)).stdout, '# tiny-llama\n\nWritten by hand.\n');
    const again = await cli(['card', `${repoDir}/tiny-llama`, '--create']);
    assert.equal(again.code, 8, show(again));
    assert.equal(readFileSync(file, 'utf8'), '# tiny-llama\n\nWritten by hand.\n');
    const forced = JSON.parse((await ok('card', `${repoDir}/tiny-llama`, '--create', '--force', '--json')).stdout);
    assert.equal(forced.replaced, true);
    assert.equal(readFileSync(file, 'utf8'), forced.text);
    const noModel = await cli(['card', `${repoDir}/nope`, '--create']);
    assert.equal(noModel.code, 3, show(noModel));
  });
});

describe('modelrepo info on the real S3 server', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let size = 0;

  before(async () => {
    const env = s3TestEnv()!;
    bucket = await createTestBucket(env, 'cli-info');
    const cfg = s3Config(env, bucket, 'team');
    const big = join(work, 'big.Q5_K_M.gguf');
    size = await writeGguf(big, tinyLlamaSpec({ 'general.file_type': 17, 'general.parameter_count': PARAMS },
      [{ name: 'token_embd.weight', shape: [2048, 4096] }, { name: 'output_norm.weight', shape: [4096] }])); // 32 MiB of F32
    const storage = createS3Storage(cfg);
    await new Repository(storage, { who: 'seed@test' }).upload('big', '2024-03-20', [big]);
    storage.dispose?.();
  });
  after(() => deleteTestBucket(s3TestEnv(), bucket));

  it('describes a 32 MiB model from ranged reads of its header', async () => {
    const env = s3TestEnv()!;
    const r = await cli(['info', `s3://${bucket}/team/big@2024-03-20`, '--endpoint', env.endpoint, '--json'],
      { AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: env.secretAccessKey, AWS_REGION: env.region });
    assert.equal(r.code, 0, show(r));
    const m = JSON.parse(r.stdout).files[0].metadata;
    assert.deepEqual([m.architecture, m.quantization, m.contextLength, m.tensorCount], ['llama', 'Q5_K_M', 8192, 2]);
    assert.ok(size > 32 * 1024 * 1024, `the file is ${size} bytes`);
    assert.ok(m.bytesRead <= 4 * 1024 * 1024, `read ${m.bytesRead} bytes of a ${size}-byte file`);
  });
});
