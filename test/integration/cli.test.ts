// Runs the built CLI (bundled like dist/cli.js in before()) as a child process and walks
// the chapter's example against a folder repository, the real S3 server through s3://bucket/prefix with
// --endpoint, and the same server through an mc alias (MC_HOST_localai). Ctrl-C and kill -9 mid-upload
// run against S3, where a partial multipart upload is what could be left behind.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { openStorage } from '../../src/core/openStorage';
import { startFakeHub } from '../helpers/fakeHub';
import type { FakeHub } from '../helpers/fakeHub';
import { finish, show, withoutKeys } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
// Bundled with scripts/build.mjs's settings to a private file: dist/cli.js may be rebuilt by a parallel
// build while this suite runs.
const CLI = join(ROOT, 'out', 'cli-bundle', `cli-${process.pid}.js`);
const MODEL = 'llama-3-8b';
const Q4 = 'llama-3-8b.Q4_K_M.gguf';
const Q5 = 'llama-3-8b.Q5_K_M.gguf';

let work = '';
let home = '';

/** The environment of every child: no keys or aliases from this machine, a private HOME. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...withoutKeys(), HOME: home, MODELREPO_USER: 'tester@cli', MODELREPO_CLUSTER_ENDPOINT: 'http://minio.model-storage:9000', ...extra };
}

function start(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd: work, env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return finish(start(args, env));
}

async function ok(args: readonly string[], env: Record<string, string>): Promise<Run> {
  const r = await cli(args, env);
  assert.equal(r.code, 0, `modelrepo ${args.join(' ')}\n${show(r)}`);
  return r;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

const buckets: string[] = [];

/** A fresh bucket, removed with everything in it when the suite ends. */
async function newBucket(purpose: string): Promise<string> {
  const bucket = await createTestBucket(s3TestEnv()!, purpose);
  buckets.push(bucket);
  return bucket;
}

before(async () => {
  // The CLI bundle alone, with scripts/build.mjs's settings, so a half-written extension cannot block it.
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile: CLI, bundle: true, platform: 'node', format: 'cjs',
    target: 'node20', sourcemap: true, logLevel: 'error', banner: { js: '#!/usr/bin/env node' },
  });
  work = mkdtempSync(join(tmpdir(), 'modelrepo-cli-'));
  home = join(work, 'home');
  mkdirSync(home);
  writeFileSync(join(work, Q4), randomBytes(300 * 1024));
  writeFileSync(join(work, Q5), randomBytes(400 * 1024));
});

after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(CLI, { force: true });
  rmSync(`${CLI}.map`, { force: true });
  for (const b of buckets) await deleteTestBucket(s3TestEnv(), b);
});

/** The chapter's example, start to end, against one repository. */
function walkChapter(label: string, setup: () => Promise<{ repo: string; env: Record<string, string>; args: string[]; manifestArgs: string[] }>,
  skip: string | false, full = true): void {
  describe(`the chapter's example on ${label}`, { skip }, () => {
    // The alias walk repeats only what differs with the connection; the rest is the s3:// walk's.
    const more = full ? it : (): void => undefined;
    let repo = '';
    let env: Record<string, string> = {};
    let extra: string[] = [];
    let manifestArgs: string[] = [];
    const m = (): string => `${repo}/${MODEL}`;
    const run = (...args: string[]): Promise<Run> => cli([...args, ...extra], env);
    const good = (...args: string[]): Promise<Run> => ok([...args, ...extra], env);

    before(async () => {
      ({ repo, env, args: extra, manifestArgs } = await setup());
    });

    it('uploads two versions and says what it stored', async () => {
      const a = await good('upload', `${m()}@2024-01-15`, join(work, Q4));
      assert.match(a.stdout, /^Uploaded llama-3-8b@2024-01-15 to .*: 1 file, 300 KiB/m);
      const b = JSON.parse((await good('upload', `${m()}@2024-03-20`, join(work, Q5), '--json')).stdout);
      assert.equal(b.version, '2024-03-20');
      assert.deepEqual(b.files.map((f: { name: string }) => f.name), [Q5]);
      assert.equal(b.files[0].sha256, sha256(join(work, Q5)));
    });

    more('refuses to write into a complete version (exit 8)', async () => {
      const r = await run('upload', `${m()}@2024-01-15`, join(work, Q5));
      assert.equal(r.code, 8, show(r));
      assert.match(r.stderr, /^modelrepo: Cannot .*2024-01-15/m);
    });

    it('tags v1, v2 and latest, then moves latest with the right --expect', async () => {
      await good('tag', `${m()}:v1`, `2024-01-15/${Q4}`, '--expect', 'none');
      await good('tag', `${m()}:v2`, `2024-03-20/${Q5}`);
      await good('tag', `${m()}:latest`, 'v1', '--expect', 'none');
      const moved = await good('tag', `${m()}:latest`, 'v2', '--expect', 'v1');
      assert.equal(moved.stdout.trim(), `Tagged ${MODEL}:latest: latest -> v2 -> 2024-03-20/${Q5}`);
    });

    it('resolves latest to the exact chain, then the file with size and sha256', async () => {
      const r = await good('resolve', `${m()}:latest`);
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines[0], `latest -> v2 -> 2024-03-20/${Q5}`);
      assert.equal(lines.length, 2);
      assert.match(lines[1], new RegExp(`^  2024-03-20/${Q5.replace(/\./g, '\\.')}  400 KiB  sha256:${sha256(join(work, Q5))}$`));
      const j = JSON.parse((await good('resolve', `${m()}:latest`, '--json')).stdout);
      assert.deepEqual(j.chain, ['latest', 'v2', `2024-03-20/${Q5}`]);
      assert.equal(j.files[0].size, 400 * 1024);
    });

    it('refuses a move whose --expect is stale (exit 4) and changes nothing', async () => {
      const r = await run('tag', `${m()}:latest`, 'v1', '--expect', 'v1');
      assert.equal(r.code, 4, show(r));
      assert.match(r.stderr, /^modelrepo: Cannot (move )?tag llama-3-8b/m);
      assert.match(r.stderr, /v2/, 'the message says where the tag points now');
      const again = await good('resolve', `${m()}:latest`);
      assert.equal(again.stdout.split('\n')[0], `latest -> v2 -> 2024-03-20/${Q5}`);
    });

    more('shows the history of latest, oldest first', async () => {
      const j = JSON.parse((await good('history', `${m()}:latest`, '--json')).stdout);
      assert.deepEqual(j.records.map((r: { op: string }) => r.op), ['create', 'move']);
      assert.equal(j.records[1].who, 'tester@cli');
      const text = (await good('history', `${m()}:latest`)).stdout.trim().split('\n');
      assert.equal(text.length, 2);
      assert.match(text[1], /latest {2}v1 -> v2 +tester@cli$/);
    });

    it('lists models, and versions with tags, files and tag chains', async () => {
      const models = JSON.parse((await good('ls', repo, '--json')).stdout);
      assert.deepEqual(models.models, [MODEL]);
      const view = JSON.parse((await good('ls', m(), '--json')).stdout);
      assert.deepEqual(view.versions.map((v: { name: string }) => v.name), ['2024-01-15', '2024-03-20']);
      assert.deepEqual([...view.versions[1].tags].sort(), ['latest', 'v2']);
      assert.equal(view.versions[0].files[0].sha256, sha256(join(work, Q4)));
      const text = (await good('ls', m())).stdout;
      assert.match(text, /^ {2}latest -> v2 -> 2024-03-20\/llama-3-8b\.Q5_K_M\.gguf$/m);
      assert.match(text, /^ {2}2024-03-20 {2}complete {2}(latest, v2|v2, latest)$/m);
    });

    it('prints manifests on stdout only, as YAML that parses', async () => {
      const r = await good('manifest', `${m()}:latest`, '--namespace', 'inference', '--secret-name', 'minio-keys', ...manifestArgs);
      const docs = parseAllDocuments(r.stdout).map((d) => {
        assert.equal(d.errors.length, 0, String(d.errors[0]));
        return d.toJS() as { kind: string; metadata: { namespace?: string; annotations?: Record<string, string> }; spec?: unknown };
      });
      const pod = docs.find((d) => d.kind === 'Pod');
      assert.ok(pod, r.stdout);
      assert.equal(pod.metadata.namespace, 'inference');
      assert.equal(pod.metadata.annotations?.['modelrepo.io/chain'], `latest -> v2 -> 2024-03-20/${Q5}`);
      assert.equal(pod.metadata.annotations?.['modelrepo.io/sha256'], sha256(join(work, Q5)));
      if (!repo.startsWith('/')) {
        const secret = docs.find((d) => d.kind === 'Secret') as { metadata: { name: string } } | undefined;
        assert.equal(secret?.metadata.name, 'minio-keys');
        assert.ok(!r.stdout.includes(s3TestEnv()?.secretAccessKey ?? '\u0000'), 'no real secret without --with-keys');
      }
    });

    more('downloads what a tag stands for, byte for byte', async () => {
      const dest = join(work, `dl-${label.replace(/\W/g, '')}`);
      const r = JSON.parse((await good('download', `${m()}:v1`, dest, '--json')).stdout);
      assert.equal(r.version, '2024-01-15');
      assert.equal(sha256(join(dest, Q4)), sha256(join(work, Q4)));
    });

    more('refuses to delete a tagged version (exit 8)', async () => {
      const r = await run('rm', `${m()}@2024-01-15`);
      assert.equal(r.code, 8, show(r));
      assert.match(r.stderr, /^modelrepo: Cannot .*2024-01-15/m);
    });

    more('says not found (exit 3) for a missing tag', async () => {
      const r = await run('resolve', `${m()}:nope`);
      assert.equal(r.code, 3, show(r));
      assert.match(r.stderr, /nope/);
    });

    more('rejects bad names with exit 2, naming them', async () => {
      const a = await run('upload', `${repo}/tags@v1`, join(work, Q4));
      assert.equal(a.code, 2, show(a));
      assert.match(a.stderr, /^modelrepo: Cannot use model name 'tags': /m);
      const b = await run('tag', `${m()}:.hidden`, 'v1');
      assert.equal(b.code, 2, show(b));
      assert.match(b.stderr, /'\.hidden'/);
      const c = JSON.parse((await run('tag', `${m()}:a@b`, 'v1', '--json')).stdout);
      assert.equal(c.error.exitCode, 2);
      assert.match(c.error.message, /a@b|'a'/);
    });

    more('moves a tag back (rollback) and deletes it, both in the history', async () => {
      await good('tag', `${m()}:latest`, 'v1', '--expect', 'v2');
      await good('untag', `${m()}:latest`, '--expect', 'v1');
      const j = JSON.parse((await good('history', `${m()}:latest`, '--json')).stdout);
      assert.deepEqual(j.records.map((r: { op: string }) => r.op), ['create', 'move', 'move', 'delete']);
      const r = await run('resolve', `${m()}:latest`);
      assert.equal(r.code, 3, show(r));
    });

    more('shares a URL that fetches the file', async () => {
      const r = await good('share', `${m()}:v2`, '--expires', '10m');
      const url = r.stdout.trim();
      if (url.startsWith('file://')) {
        assert.equal(sha256(fileURLToPath(url)), sha256(join(work, Q5)));
      } else {
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.equal(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), sha256(join(work, Q5)));
      }
    });
  });
}

walkChapter('a folder repository', async () => ({
  repo: join(work, 'repo'), env: {}, args: [],
  manifestArgs: ['--nfs-server', 'nfs.example.com', '--nfs-path', '/export/models'],
}), false);

walkChapter('S3 through s3://bucket/prefix and --endpoint', async () => {
  const s3 = s3TestEnv();
  assert.ok(s3);
  const bucket = await newBucket('cli-s3');
  return {
    repo: `s3://${bucket}/team-a`, args: ['--endpoint', s3.endpoint], manifestArgs: [],
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region },
  };
}, skipWithoutS3);

walkChapter('S3 through an mc alias (MC_HOST_localai)', async () => {
  const s3 = s3TestEnv();
  assert.ok(s3);
  const bucket = await newBucket('cli-alias');
  const u = new URL(s3.endpoint);
  u.username = encodeURIComponent(s3.accessKeyId);
  u.password = encodeURIComponent(s3.secretAccessKey);
  return { repo: `localai/${bucket}/team-b`, args: [], manifestArgs: [], env: { MC_HOST_localai: u.toString().replace(/\/$/, '') } };
}, skipWithoutS3, false);

describe('connections from the files mc and the AWS CLI write', { skip: skipWithoutS3 }, () => {
  it('lists a bucket through the alias mc wrote, without any AWS_* variable', async () => {
    const s3 = s3TestEnv();
    assert.ok(s3);
    const bucket = await newBucket('cli-mccfg');
    const cfgHome = join(work, 'mc-home');
    mkdirSync(join(cfgHome, '.mc'), { recursive: true });
    writeFileSync(join(cfgHome, '.mc', 'config.json'), JSON.stringify({
      version: '10',
      aliases: { cfgalias: { url: s3.endpoint, accessKey: s3.accessKeyId, secretKey: s3.secretAccessKey, api: 's3v4', path: 'auto' } },
    }));
    const up = await cli(['upload', `cfgalias/${bucket}/m@1.0.0`, join(work, Q4), '--json'], { HOME: cfgHome });
    assert.equal(up.code, 0, show(up));
    const r = await cli(['ls', `cfgalias/${bucket}`, '--json'], { HOME: cfgHome });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout).models, ['m']);
  });

  it('says a wrong secret key is an authentication problem (exit 5) without printing it', async () => {
    const s3 = s3TestEnv();
    assert.ok(s3);
    const wrong = `${s3.secretAccessKey}-wrong`;
    const r = await cli(['ls', 's3://any-bucket-name', '--endpoint', s3.endpoint],
      { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: wrong });
    assert.equal(r.code, 5, show(r));
    assert.match(r.stderr, /^modelrepo: Cannot /m);
    assert.ok(!r.stderr.includes(wrong));
  });

  it('uses an AWS profile with its endpoint_url for s3:// references (--profile)', async () => {
    const s3 = s3TestEnv();
    assert.ok(s3);
    const bucket = await newBucket('cli-profile');
    const awsHome = join(work, 'aws-home');
    mkdirSync(join(awsHome, '.aws'), { recursive: true });
    writeFileSync(join(awsHome, '.aws', 'config'), `[profile lab]\nregion = ${s3.region}\nendpoint_url = ${s3.endpoint}\n`);
    writeFileSync(join(awsHome, '.aws', 'credentials'), `[lab]\naws_access_key_id = ${s3.accessKeyId}\naws_secret_access_key = ${s3.secretAccessKey}\n`);
    const up = await cli(['upload', `s3://${bucket}/p/m@1.0.0`, join(work, Q4), '--profile', 'lab'], { HOME: awsHome });
    assert.equal(up.code, 0, show(up));
    const r = await cli(['ls', `s3://${bucket}/p`, '--json'], { HOME: awsHome, AWS_PROFILE: 'lab' });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout).models, ['m']);
    const missing = await cli(['ls', `s3://${bucket}`, '--profile', 'nope'], { HOME: awsHome });
    assert.equal(missing.code, 2, show(missing));
    assert.match(missing.stderr, /profile 'nope'/);
  });
});

describe('cancel and resume on S3', { skip: skipWithoutS3 }, () => {
  const s3 = s3TestEnv();
  let bucket = '';
  let big = '';
  let env: Record<string, string> = {};

  before(async () => {
    if (!s3) return;
    bucket = await newBucket('cli-cancel');
    big = join(work, 'big.gguf');
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

describe('import from a local server with the Hub URL layout', () => {
  let hub: FakeHub | undefined;
  const gguf = randomBytes(200 * 1024);
  before(async () => {
    hub = await startFakeHub([{
      id: 'org/tiny-gguf', sha: 'a'.repeat(40),
      files: [{ path: 'tiny.Q4_K_M.gguf', content: gguf }, { path: 'README.md', content: Buffer.from('# tiny'), lfs: false }],
    }]);
  });
  after(async () => { await hub?.close(); });

  it('imports the chosen file into a new version, records its sha256 and tags it', async () => {
    const repo = join(work, 'hub-repo');
    const r = JSON.parse((await ok(['import', 'org/tiny-gguf', `${repo}/tiny`, '--include', '*.gguf', '--tag', 'v1',
      '--hf-endpoint', hub!.url, '--json'], {})).stdout);
    assert.equal(r.version, `${new Date().toISOString().slice(0, 10)}-hf-${'a'.repeat(12)}`);
    assert.deepEqual(r.files.map((f: { name: string }) => f.name), ['tiny.Q4_K_M.gguf']);
    assert.equal(r.files[0].sha256, createHash('sha256').update(gguf).digest('hex'));
    const res = await ok(['resolve', `${repo}/tiny:v1`], {});
    assert.equal(res.stdout.split('\n')[0], `v1 -> ${r.version}`);
    const bad = await cli(['import', 'org/tiny-gguf', `${repo}/tiny2`, '--include', 'nothing-*.bin', '--hf-endpoint', hub!.url], {});
    assert.equal(bad.code, 3, show(bad));
    assert.match(bad.stderr, /nothing-\*\.bin/);
  });
});

describe('command line basics', () => {
  it('prints help and the version, and rejects unknown commands and options with exit 2', async () => {
    const h = await ok(['--help'], {});
    assert.match(h.stdout, /usage: modelrepo <command>/);
    const uh = await ok(['upload', '--help'], {});
    assert.match(uh.stdout, /usage: modelrepo upload <repo>\/<model>\[@<version>\] <files or folders\.\.\.> \[--tag <tag>\]/);
    const v = await ok(['--version'], {});
    assert.match(v.stdout, /^modelrepo \d+\.\d+\.\d+/);
    const u = await cli(['frobnicate'], {});
    assert.equal(u.code, 2, show(u));
    const o = await cli(['ls', './x', '--bogus'], {});
    assert.equal(o.code, 2, show(o));
    assert.match(o.stderr, /--bogus/);
    const missing = await cli(['tag', './r/m:latest'], {});
    assert.equal(missing.code, 2, show(missing));
    assert.match(missing.stderr, /usage: modelrepo tag/);
  });

  it('names an unknown alias as a usage problem (exit 2) without a stack trace', async () => {
    const r = await cli(['ls', 'nosuchalias/models'], {});
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /^modelrepo: Cannot find mc alias 'nosuchalias'/m);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  });

  it('reports an unreachable endpoint as a network error (exit 6) and never prints the secret key', async () => {
    const secret = 'sEcReT-KeY-never-printed-123';
    const r = await cli(['ls', 's3://models', '--endpoint', 'http://127.0.0.1:9', '--json'],
      { AWS_ACCESS_KEY_ID: 'AKIA-TEST', AWS_SECRET_ACCESS_KEY: secret });
    assert.equal(r.code, 6, show(r));
    assert.equal(JSON.parse(r.stdout).error.exitCode, 6);
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
  });

  it('leaves nothing behind in a folder repository after Ctrl-C', { skip: false }, async () => {
    // The folder upload is fast, so this only checks that a cancelled or finished run leaves no scratch files.
    const repo = join(work, 'cancel-fs');
    const big = join(work, 'fs-big.bin');
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
