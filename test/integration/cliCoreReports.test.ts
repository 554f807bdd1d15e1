// What the CLI makes of what the repository layer reports beside a result: entries a listing refused
// or cannot use (`ls` prints the rest, names each on stderr and exits 9) and a tag change that landed
// while its history record failed (the warning on stderr, exit 0). Run as a child against a real folder
// and the real S3 server, where a bucket policy refuses the history writes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DeleteBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { openStorage } from '../../src/core/openStorage';
import { Repository } from '../../src/core/repository';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { bundleCli, run, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
const s3 = s3TestEnv();
let CLI = '';
let work = '';
let bucket = '';

function cli(args: readonly string[]): Promise<Run> {
  const keys = s3 ? { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region } : {};
  return run(process.execPath, [CLI, ...args], { cwd: work, env: { ...withoutKeys(), HOME: join(work, 'home'), ...keys } });
}

before(async () => {
  CLI = await bundleCli(ROOT, 'reports');
  work = mkdtempSync(join(tmpdir(), 'modelrepo-reports-'));
  mkdirSync(join(work, 'home'));
  if (s3) bucket = await createTestBucket(s3, 'cli-reports');
});

after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(CLI, { force: true });
  await deleteTestBucket(s3, bucket);
});

describe('ls with entries the repository refuses', () => {
  let repo = '';
  before(async () => {
    repo = join(work, 'repo');
    writeFileSync(join(work, 'a.gguf'), randomBytes(1024));
    const r = new Repository(createFsStorage({ kind: 'fs', path: repo }));
    await r.upload('good', '1.0.0', [join(work, 'a.gguf')]);
    await r.upload('mixed', '1.0.0', [join(work, 'a.gguf')]);
    // A model and a version that are symbolic links leaving the repository.
    mkdirSync(join(work, 'outside', '2.0.0'), { recursive: true });
    writeFileSync(join(work, 'outside', '2.0.0', 'x.bin'), 'x');
    symlinkSync(join(work, 'outside'), join(repo, 'escape'));
    symlinkSync(join(work, 'outside', '2.0.0'), join(repo, 'mixed', '2.0.0'));
  });

  it('the repository: safe models on stdout, one stderr line per refused entry, exit 9', async () => {
    const r = await cli(['ls', repo]);
    assert.equal(r.code, 9, show(r));
    assert.deepEqual(r.stdout.trim().split('\n'), ['good', 'mixed']);
    assert.equal(r.stderr.trim().split('\n').length, 1, show(r));
    assert.match(r.stderr, /^modelrepo: .*: left out 'escape': a symbolic link/m);
    const j = await cli(['ls', repo, '--json']);
    assert.equal(j.code, 9, show(j));
    const doc = JSON.parse(j.stdout);
    assert.deepEqual(doc.models, ['good', 'mixed']);
    assert.deepEqual(doc.refused.map((e: { name: string }) => e.name), ["'escape'"]);
  });

  it('a model: its usable versions, the refused one named on stderr, exit 9', async () => {
    const r = await cli(['ls', `${repo}/mixed`, '--json']);
    assert.equal(r.code, 9, show(r));
    assert.deepEqual(JSON.parse(r.stdout).versions.map((v: { name: string }) => v.name), ['1.0.0']);
    assert.match(r.stderr, /^modelrepo: .*mixed: left out '2\.0\.0': a symbolic link/m);
  });
});

describe('a tag change whose history record cannot be written', { skip: skipWithoutS3 }, () => {
  const raw = s3 ? rawS3Client(s3) : undefined;
  let ref = '';
  before(async () => {
    const storage = await openStorage(s3Config(s3!, bucket));
    try {
      writeFileSync(join(work, 'b.gguf'), randomBytes(1024));
      const r = new Repository(storage);
      await r.upload('hist', '1.0.0', [join(work, 'b.gguf')]);
      await r.upload('hist', '2.0.0', [join(work, 'b.gguf')]);
      await r.setTag('hist', 'latest', '1.0.0', { expect: null });
    } finally {
      storage.dispose?.();
    }
    // From now on the history of `hist` cannot be written; its tags still can.
    await raw!.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{
      Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/hist/.modelrepo/*` }] }) }));
    ref = `s3://${bucket}/hist`;
  });
  after(async () => {
    await raw?.send(new DeleteBucketPolicyCommand({ Bucket: bucket })).catch(() => undefined);
    raw?.destroy();
  });

  it('tag moves it, says so on stdout, warns on stderr and exits 0; untag likewise', async () => {
    const moved = await cli(['tag', `${ref}:latest`, '2.0.0', '--endpoint', s3!.endpoint]);
    assert.equal(moved.code, 0, show(moved));
    assert.match(moved.stdout, /^Tagged hist:latest: latest -> 2\.0\.0$/m);
    assert.match(moved.stderr, /^modelrepo: warning: /m);
    const resolved = await cli(['resolve', `${ref}:latest`, '--endpoint', s3!.endpoint]);
    assert.match(resolved.stdout, /^latest -> 2\.0\.0$/m, 'the move landed');
    const deleted = await cli(['untag', `${ref}:latest`, '--endpoint', s3!.endpoint, '--json']);
    assert.equal(deleted.code, 0, show(deleted));
    assert.equal(typeof JSON.parse(deleted.stdout).warning, 'string');
    assert.match(deleted.stderr, /^modelrepo: warning: /m);
  });
});
