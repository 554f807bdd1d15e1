// Runs the built CLI as a child process and walks the chapter's example against a folder repository, the
// real S3 server through s3://bucket/prefix with --endpoint, and the same server through an mc alias
// (MC_HOST_localai).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { show } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { cliHarness, MODEL, Q4, Q5, sha256 } from '../helpers/cliHarness';
import { s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const h = cliHarness('chapter');
const { cli, ok, newBucket } = h;

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
      const a = await good('upload', `${m()}@2024-01-15`, join(h.work, Q4));
      assert.match(a.stdout, /^Uploaded llama-3-8b@2024-01-15 to .*: 1 file, 300 KiB/m);
      const b = JSON.parse((await good('upload', `${m()}@2024-03-20`, join(h.work, Q5), '--json')).stdout);
      assert.equal(b.version, '2024-03-20');
      assert.deepEqual(b.files.map((f: { name: string }) => f.name), [Q5]);
      assert.equal(b.files[0].sha256, sha256(join(h.work, Q5)));
    });

    more('refuses to write into a complete version (exit 8)', async () => {
      const r = await run('upload', `${m()}@2024-01-15`, join(h.work, Q5));
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
      assert.match(lines[1], new RegExp(`^  2024-03-20/${Q5.replace(/\./g, '\\.')}  400 KiB  sha256:${sha256(join(h.work, Q5))}$`));
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
      assert.equal(view.versions[0].files[0].sha256, sha256(join(h.work, Q4)));
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
      assert.equal(pod.metadata.annotations?.['modelrepo.io/sha256'], sha256(join(h.work, Q5)));
      if (!repo.startsWith('/')) {
        const secret = docs.find((d) => d.kind === 'Secret') as { metadata: { name: string } } | undefined;
        assert.equal(secret?.metadata.name, 'minio-keys');
        assert.ok(!r.stdout.includes(s3TestEnv()?.secretAccessKey ?? '\u0000'), 'no real secret without --with-keys');
      }
    });

    more('downloads what a tag stands for, byte for byte', async () => {
      const dest = join(h.work, `dl-${label.replace(/\W/g, '')}`);
      const r = JSON.parse((await good('download', `${m()}:v1`, dest, '--json')).stdout);
      assert.equal(r.version, '2024-01-15');
      assert.equal(sha256(join(dest, Q4)), sha256(join(h.work, Q4)));
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
      const a = await run('upload', `${repo}/tags@v1`, join(h.work, Q4));
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
        assert.equal(sha256(fileURLToPath(url)), sha256(join(h.work, Q5)));
      } else {
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.equal(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), sha256(join(h.work, Q5)));
      }
    });
  });
}

walkChapter('a folder repository', async () => ({
  repo: join(h.work, 'repo'), env: {}, args: [],
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
