// Runs the init container's script (the very text the Pod carries, with a temp dir for /models) here with
// Debian's aws-cli v2 (/usr/bin/aws, the same 2.9 release as the pinned image) against the real S3 server.
// The keys reach the script the way the Secret's secretKeyRefs deliver them: as environment variables.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pod } from 'kubernetes-types/core/v1';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import { copyScript } from '../../src/core/manifests/initScript';
import type { CopyScriptInput } from '../../src/core/manifests/initScript';
import type { ManifestArtifact } from '../../src/core/manifests/manifestInput';
import { runScript } from '../helpers/childRun';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const AWS = '/usr/bin/aws';
const skip = skipWithoutS3 || (existsSync(AWS) ? false : `${AWS} (Debian's aws-cli v2) is not installed`);

describe('init container script against the real S3 server', { skip }, () => {
  const env = s3TestEnv()!;
  let bucket = '';
  // A name with a space and a quote, to prove the quoting holds in the real shell.
  const file = "tiny model's.Q4_K_M.gguf";
  const key = `team-a/tiny/2024-03-20/${file}`;
  const body = randomBytes(3 * 1024 * 1024 + 17);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const artifact: ManifestArtifact = { file, size: body.length, sha256, path: key };
  let s3: S3Client;
  let work: string;

  const input = (over: Partial<CopyScriptInput> & { targetDir: string }): CopyScriptInput => ({
    endpoint: env.endpoint, region: env.region, pathStyle: true, bucket, artifacts: [artifact],
    label: 'tiny@2024-03-20', ...over,
  });
  const keysEnv = (dir: string, secret = env.secretAccessKey): Record<string, string> => ({
    AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: secret, HOME: dir, TMPDIR: dir,
  });

  before(async () => {
    bucket = await createTestBucket(env, 'init-script');
    s3 = rawS3Client(env);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    work = await mkdtemp(join(tmpdir(), 'init-script-'));
  });

  after(async () => {
    s3?.destroy();
    await deleteTestBucket(env, bucket);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is the script the Pod carries (only the target folder differs)', () => {
    const pod = buildManifests({
      model: 'tiny', version: '2024-03-20', artifacts: [artifact],
      location: { kind: 's3', endpoint: env.endpoint, region: env.region, bucket, pathStyle: true },
    }).find((o) => o.kind === 'Pod') as Pod;
    assert.equal(pod.spec!.initContainers![0].args![0], copyScript(input({ targetDir: '/models' })));
  });

  it('copies the exact object and exits 0 when the sha256 matches', async () => {
    const dir = await mkdtemp(join(work, 'ok-'));
    const r = await runScript(copyScript(input({ targetDir: join(dir, 'models') })), keysEnv(dir));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readFile(join(dir, 'models', file)), body);
    assert.match(r.stdout, new RegExp(`arrived, sha256 ok \\(${sha256}\\)`));
    assert.ok(!`${r.stdout}${r.stderr}`.includes(env.secretAccessKey), 'the secret key is never printed');
    // Run again on the same folder (a restarted pod keeping its emptyDir): checked, not fetched again.
    const again = await runScript(copyScript(input({ targetDir: join(dir, 'models') })), keysEnv(dir));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /is already here, sha256 ok/);
    assert.doesNotMatch(again.stdout, /copying s3:/);
  });

  it('exits non-zero with a clear message and removes the file when the recorded sha256 is wrong', async () => {
    const dir = await mkdtemp(join(work, 'bad-'));
    const wrong = createHash('sha256').update('something else').digest('hex');
    const r = await runScript(copyScript(input({ targetDir: join(dir, 'models'), artifacts: [{ ...artifact, sha256: wrong }] })), keysEnv(dir));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`sha256 MISMATCH for .*${file.replace(/[.]/g, '\\.')}: expected ${wrong}, got ${sha256}; refusing to start the server`));
    assert.ok(!existsSync(join(dir, 'models', file)), 'the wrong file is not left for the server');
  });

  it('says in its log that no sha256 is recorded, and still checks the size', async () => {
    const dir = await mkdtemp(join(work, 'legacy-'));
    const ok = await runScript(copyScript(input({ targetDir: join(dir, 'models'), artifacts: [{ ...artifact, sha256: undefined }] })), keysEnv(dir));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /no sha256 recorded for .*only its size was checked/);
    const wrongSize = await runScript(copyScript(input({ targetDir: join(dir, 'models2'), artifacts: [{ ...artifact, sha256: undefined, size: 5 }] })), keysEnv(dir));
    assert.notEqual(wrongSize.code, 0);
    assert.match(wrongSize.stderr, new RegExp(`size MISMATCH .*expected 5 bytes, got ${body.length}`));
  });

  it('fails clearly when the keys are wrong, without printing them', async () => {
    const dir = await mkdtemp(join(work, 'auth-'));
    const badSecret = 'definitely-not-the-secret-key';
    const r = await runScript(copyScript(input({ targetDir: join(dir, 'models') })), keysEnv(dir, badSecret));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /FAILED to copy s3:\/\//);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(badSecret));
  });
});
