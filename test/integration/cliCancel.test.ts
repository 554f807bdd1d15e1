// Ctrl-C and kill -9 mid-upload: on S3, where a partial multipart upload is what could be left behind, the
// cancelled run leaves none and the killed one is resumed by the same command; on a folder, no scratch
// files stay.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStorage } from '../../src/core/openStorage';
import { finish, show } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { cliHarness, MODEL, sha256 } from '../helpers/cliHarness';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const h = cliHarness('cancel');
const { cli, ok, start, newBucket } = h;

describe('cancel and resume on S3', { skip: skipWithoutS3 }, () => {
  const s3 = s3TestEnv();
  let bucket = '';
  let big = '';
  let env: Record<string, string> = {};

  before(async () => {
    if (!s3) return;
    bucket = await newBucket('cli-cancel');
    big = join(h.work, 'big.gguf');
    writeFileSync(big, randomBytes(64 * 1024 * 1024));
    env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region, MODELREPO_PROGRESS_MS: '0' };
  });

  /** Starts an upload and delivers `sig` once the first bytes are stored. */
  async function interrupted(ref: string, sig: NodeJS.Signals): Promise<Run> {
    const child = start(['upload', ref, big, '--endpoint', s3!.endpoint], env);
    let sent = false;
    return finish(child, (err) => {
      if (!sent && /uploading .*[1-9][0-9.]* MiB \//.test(err)) {
        sent = true;
        child.kill(sig);
      }
    });
  }

  async function leftovers(prefix: string): Promise<{ partial: string[]; keys: string[] }> {
    const storage = await openStorage(s3Config(s3!, bucket, prefix));
    try {
      const page = await storage.list('', { delimited: false });
      return { partial: await storage.listPartialUploads(''), keys: page.objects.map((o) => o.key) };
    } finally {
      storage.dispose?.();
    }
  }

  it('Ctrl-C exits 130 and leaves no partial upload and no version', async () => {
    const r = await interrupted(`s3://${bucket}/c/${MODEL}@1.0.0`, 'SIGINT');
    assert.equal(r.code, 130, show(r));
    assert.match(r.stderr, /cancelled/);
    const left = await leftovers('c');
    assert.deepEqual(left.partial, []);
    assert.deepEqual(left.keys.filter((k) => !k.includes('/.modelrepo/')), []);
    const ls = await cli(['ls', `s3://${bucket}/c/${MODEL}`, '--endpoint', s3!.endpoint, '--json'], env);
    assert.ok(ls.code === 0 || ls.code === 3, show(ls));
    if (ls.code === 0) assert.deepEqual(JSON.parse(ls.stdout).models ?? JSON.parse(ls.stdout).versions, []);
  });

  it('after kill -9, the same command resumes and says how many bytes it did not send again', async () => {
    const ref = `s3://${bucket}/k/${MODEL}@1.0.0`;
    const r = await interrupted(ref, 'SIGKILL');
    assert.equal(r.signal, 'SIGKILL', show(r));
    const again = await ok(['upload', ref, big, '--endpoint', s3!.endpoint, '--json'], env);
    const j = JSON.parse(again.stdout);
    assert.ok(j.resumedBytes > 0, again.stdout);
    assert.equal(j.files[0].sha256, sha256(big));
    const text = await ok(['resolve', ref, '--endpoint', s3!.endpoint], env);
    assert.match(text.stdout, new RegExp(`sha256:${sha256(big)}`));
    assert.deepEqual((await leftovers('k')).partial, []);
  });
});

describe('cancel on a folder repository', () => {
  it('leaves nothing behind in a folder repository after Ctrl-C', { skip: false }, async () => {
    // The folder upload is fast, so this only checks that a cancelled or finished run leaves no scratch files.
    const repo = join(h.work, 'cancel-fs');
    const big = join(h.work, 'fs-big.bin');
    writeFileSync(big, randomBytes(64 * 1024 * 1024));
    const child = start(['upload', `${repo}/m@1.0.0`, big], { MODELREPO_PROGRESS_MS: '0' });
    let sent = false;
    const r = await finish(child, (err) => {
      if (!sent && /uploading .*[1-9][0-9.]* MiB \//.test(err)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(r.code === 130 || r.code === 0, show(r));
    const files = existsSync(repo) ? readdirSync(repo, { recursive: true }).map(String) : [];
    assert.deepEqual(files.filter((f) => /modelrepo-(partial|tmp|lock)/.test(f)), []);
    if (r.code === 130) assert.deepEqual(files.filter((f) => f.endsWith('.bin')), []);
    rmSync(big);
  });
});
