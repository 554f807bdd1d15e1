// The CLI as a process, run as a child the way a shell or a CI job runs it: SIGINT and SIGTERM during
// an upload to the real S3 server (exit 130 / 143, no multipart upload left behind), a reader that
// closes the pipe early (exit 0, no stack trace), no Node warning on stderr, malformed deadlines
// (exit 2 naming the flag or variable), a model that does not exist (exit 3), files this user may not
// read or write (exit 5), and the basic commands on Node 20.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Repository } from '../../src/core/repository';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { bundleCli, finish, node20, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { createTestBucket, deleteTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
const s3 = s3TestEnv();
const NODE20 = node20();
const TRACE = /\n\s+at .+:\d+/;
let CLI = '';
let work = '';
let repo = '';
let bucket = '';
let raw: S3Client | undefined;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keys = s3 ? { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region } : {};
  return { ...withoutKeys(), HOME: join(work, 'home'), MODELREPO_USER: 'tester@cli', ...keys, ...extra };
}

type Stdio = 'pipe' | 'ignore';
function start(args: readonly string[], extra: Record<string, string> = {}, node = process.execPath, stdio: [Stdio, Stdio, Stdio] = ['ignore', 'pipe', 'pipe']): ChildProcess {
  return spawn(node, [CLI, ...args], { cwd: work, env: env(extra), stdio });
}
const cli = (args: readonly string[], extra: Record<string, string> = {}, node = process.execPath): Promise<Run> => finish(start(args, extra, node));
const S3 = (): string[] => ['--endpoint', s3?.endpoint ?? ''];

before(async () => {
  CLI = await bundleCli(ROOT, 'process');
  work = mkdtempSync(join(tmpdir(), 'modelrepo-process-'));
  chmodSync(work, 0o755); // the permission tests run the CLI as another user, who reads the repository
  mkdirSync(join(work, 'home'));
  repo = join(work, 'repo');
  const r = new Repository(createFsStorage({ kind: 'fs', path: repo }));
  writeFileSync(join(work, 'small.gguf'), randomBytes(4096));
  await r.upload('tiny', '1.0.0', [join(work, 'small.gguf')]);
  await r.setTag('tiny', 'latest', '1.0.0', { expect: null });
  // Enough models that `ls` writes more than a pipe holds (64 KiB): the reader closes it mid-way.
  for (let i = 0; i < 2500; i++) mkdirSync(join(repo, `a-model-with-a-long-name-for-the-pipe-${String(i).padStart(4, '0')}`));
  if (s3) {
    bucket = await createTestBucket(s3, 'cli-process');
    raw = rawS3Client(s3);
  }
});

after(async () => {
  raw?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(CLI, { force: true });
  await deleteTestBucket(s3, bucket);
});

describe('SIGINT and SIGTERM during an upload to S3', { skip: skipWithoutS3 }, () => {
  let big = '';
  before(() => {
    big = join(work, 'big.gguf');
    writeFileSync(big, randomBytes(64 * 1024 * 1024));
  });

  /** Starts an upload and sends `sig` (`times` times) once the first bytes are stored. */
  function interrupted(prefix: string, sig: NodeJS.Signals, times = 1): Promise<Run> {
    const child = start(['upload', `s3://${bucket}/${prefix}/m@1.0.0`, big, ...S3()], { MODELREPO_PROGRESS_MS: '0' });
    let sent = false;
    return finish(child, (err) => {
      if (!sent && /uploading .*[1-9][0-9.]* MiB \//.test(err)) {
        sent = true;
        for (let i = 0; i < times; i++) child.kill(sig);
      }
    });
  }

  async function leftovers(prefix: string): Promise<{ uploads: string[]; keys: string[] }> {
    const uploads = await raw!.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/` }));
    const objects = await raw!.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
    return {
      uploads: (uploads.Uploads ?? []).map((u) => u.Key ?? ''),
      keys: (objects.Contents ?? []).map((o) => o.Key ?? '').filter((k) => !k.includes('/.modelrepo/')),
    };
  }

  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${sig} cancels like Ctrl-C: exit ${code}, no multipart upload and no file left`, async () => {
      const prefix = sig.toLowerCase();
      const r = await interrupted(prefix, sig);
      assert.equal(r.code, code, show(r));
      assert.match(r.stderr, /cancelling/);
      assert.match(r.stderr, /^modelrepo: cancelled$/m);
      assert.doesNotMatch(r.stderr, TRACE);
      assert.deepEqual(await leftovers(prefix), { uploads: [], keys: [] });
    });
  }

  it('a second SIGTERM quits at once, still with 143', async () => {
    const r = await interrupted('twice', 'SIGTERM', 2);
    assert.equal(r.code, 143, show(r));
    assert.doesNotMatch(r.stderr, TRACE);
  });
});

describe('a reader that stops reading', () => {
  it('ls | head -1: the pipe closes after the first line; exit 0, nothing on stderr', async () => {
    const child = start(['ls', repo]);
    child.stdout!.once('data', () => child.stdout!.destroy());
    const r = await finish(child);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stderr, '');
  });

  it('resolve with stdout closed before it writes: exit 0, no EPIPE', async () => {
    const child = start(['resolve', `${repo}/tiny:latest`]);
    child.stdout!.destroy();
    const r = await finish(child);
    assert.equal(r.code, 0, show(r));
    assert.doesNotMatch(r.stderr, /EPIPE|Error/);
  });

  it('a closed stderr does not change the outcome: ls of a missing folder is still exit 3', async () => {
    const child = start(['ls', join(work, 'no-such-folder')]);
    child.stderr!.destroy();
    const r = await finish(child);
    assert.equal(r.code, 3, show(r));
  });
});

describe('no Node warning reaches stderr', { skip: skipWithoutS3 }, () => {
  const nodes = [process.execPath, ...(NODE20 ? [NODE20] : [])];
  before(async () => {
    // A model with many versions and tags: its listing checks markers and tags many at a time.
    const puts = [];
    for (let v = 1; v <= 30; v++) puts.push(raw!.send(new PutObjectCommand({ Bucket: bucket, Key: `w/big/1.0.${v}/model.bin`, Body: 'x' })));
    for (let t = 1; t <= 15; t++) puts.push(raw!.send(new PutObjectCommand({ Bucket: bucket, Key: `w/big/tags/t${t}`, Body: `1.0.${t}` })));
    await Promise.all(puts);
    const files = join(work, 'many');
    mkdirSync(files);
    for (let i = 0; i < 40; i++) writeFileSync(join(files, `shard-${i}.bin`), randomBytes(1024));
    for (let i = 0; i < 2; i++) writeFileSync(join(files, `large-${i}.bin`), randomBytes(40 * 1024 * 1024));
  });

  for (const node of nodes) {
    it(`a large listing and a multi-file upload on Node ${node === process.execPath ? process.versions.node : '20'}`, async () => {
      const ls = await cli(['ls', `s3://${bucket}/w/big`, ...S3()], {}, node);
      assert.equal(ls.code, 0, show(ls));
      assert.match(ls.stdout, /1\.0\.30/);
      assert.doesNotMatch(ls.stderr, /warning/i, show(ls));
      const up = await cli(['upload', `s3://${bucket}/w/up-${nodes.indexOf(node)}@1.0.0`, join(work, 'many'), ...S3()], {}, node);
      assert.equal(up.code, 0, show(up));
      assert.match(up.stdout, /42 files/);
      assert.doesNotMatch(up.stderr, /warning/i, show(up));
    });
  }
});

describe('deadlines on the command line and in the environment', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['a malformed MODELREPO_CONNECT_TIMEOUT', [], { MODELREPO_CONNECT_TIMEOUT: 'ten' }, /MODELREPO_CONNECT_TIMEOUT: 'ten' is not a number of seconds/],
    ['a malformed MODELREPO_STALL_TIMEOUT', [], { MODELREPO_STALL_TIMEOUT: '-1' }, /MODELREPO_STALL_TIMEOUT/],
    ['--timeout 0', ['--timeout', '0'], {}, /--timeout '0' is not a number of seconds/],
    ['--connect-timeout 1x', ['--connect-timeout', '1x'], {}, /--connect-timeout '1x'/],
  ];
  for (const [what, args, extra, message] of cases) {
    it(`${what} is a usage error (exit 2) naming it`, async () => {
      const r = await cli(['ls', repo, ...args], extra);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }

  it('well-formed deadlines change nothing for a command that works', async () => {
    const r = await cli(['resolve', `${repo}/tiny:latest`, '--connect-timeout', '2.5', '--timeout', '5', '--stall-timeout', '5'], { MODELREPO_FIRST_BYTE_TIMEOUT: '7' });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^latest -> 1\.0\.0$/m);
  });
});

describe('a model that does not exist is exit 3', { skip: skipWithoutS3 }, () => {
  it('ls s3://bucket/<missing model> says so instead of listing an empty repository', async () => {
    await raw!.send(new PutObjectCommand({ Bucket: bucket, Key: 'x/present/1.0.0/f.bin', Body: 'x' }));
    const missing = await cli(['ls', `s3://${bucket}/x/absent`, ...S3()]);
    assert.equal(missing.code, 3, show(missing));
    assert.match(missing.stderr, /^modelrepo: Cannot list absent: no such model in s3:\/\/.*\/x/m);
    const present = await cli(['ls', `s3://${bucket}/x/present`, ...S3(), '--json']);
    assert.equal(present.code, 0, show(present));
    assert.deepEqual(JSON.parse(present.stdout).versions.map((v: { name: string }) => v.name), ['1.0.0']);
  });
});

describe('local files this user may not read or write are exit 5, naming them', { skip: process.getuid?.() === 0 ? false : 'needs root to run the CLI as another user' }, () => {
  const asNobody = (args: string[]): Promise<Run> =>
    finish(spawn(process.execPath, [CLI, ...args], { cwd: '/', env: { ...env(), HOME: '/tmp' }, uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] }));
  let open = '';
  before(() => {
    // A folder the other user can enter, holding a file and a folder it may not read or write.
    open = mkdtempSync(join(tmpdir(), 'modelrepo-perm-'));
    chmodSync(open, 0o755);
    writeFileSync(join(open, 'secret.gguf'), 'x');
    chmodSync(join(open, 'secret.gguf'), 0o600);
    mkdirSync(join(open, 'locked'), { mode: 0o755 });
    mkdirSync(join(open, 'repo'), { mode: 0o777 });
  });
  after(() => rmSync(open, { recursive: true, force: true }));

  it('upload of an unreadable file', async () => {
    const r = await asNobody(['upload', `${open}/repo/m@1.0.0`, join(open, 'secret.gguf')]);
    assert.equal(r.code, 5, show(r));
    assert.match(r.stderr, new RegExp(`Cannot read '${join(open, 'secret.gguf').replace(/[.]/g, '\\.')}': permission denied`));
  });

  it('download into a folder it may not write', async () => {
    const r = await asNobody(['download', `${repo}/tiny:latest`, join(open, 'locked', 'dest')]);
    assert.equal(r.code, 5, show(r));
    assert.match(r.stderr, /cannot write into .*locked: permission denied/);
  });
});

describe('Node 20', { skip: NODE20 ? false : 'no Node 20 binary here (set MODELREPO_TEST_NODE20)' }, () => {
  it('runs --version and ls', async () => {
    const v = await cli(['--version'], {}, NODE20);
    assert.equal(v.code, 0, show(v));
    assert.match(v.stdout, /^modelrepo \d+\.\d+\.\d+/);
    const ls = await cli(['ls', `${repo}/tiny`, '--json'], {}, NODE20);
    assert.equal(ls.code, 0, show(ls));
    assert.deepEqual(JSON.parse(ls.stdout).tags.map((t: { name: string }) => t.name), ['latest']);
  });
});
