// The hostile-input catalogue: every row of test/helpers/hostile/rows*.ts plants something hostile in a
// repository (the real Ceph S3 server, written raw with the AWS SDK, and a real folder, written with
// fs, symlinks and FIFOs) or in the environment, runs the built CLI as a child process with a deadline,
// and checks the exit code, that the message names the object, and the checks every row gets: nothing
// written outside the expected place, no secret, no stack trace, no Node warning, no raw control or
// bidi character in the output. Rows that share a setup run on one prepared place while it is untouched.
// The CLI is bundled like scripts/build.mjs does, to a private folder (dist/ may be rebuilt meanwhile);
// MODELREPO_CLI=<path> runs an already built dist/cli.js instead; HOSTILE_REPORT=<file> appends one JSON
// line per row (id, pass, exit codes, problems) for a status list; HOSTILE_ONLY=<regex> picks rows by id.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { dropBucket, s3Backend } from '../helpers/hostile/backends';
import { newPlace, outputProblems, placeProblems, removePlace, SECRETS_EXTRA, snapshot, untouched } from '../helpers/hostile/place';
import type { Snapshot } from '../helpers/hostile/place';
import { run } from '../helpers/childRun';
import type { Run } from '../helpers/childRun';
import { childEnv, prepareUnprivileged, rowArgs, runRow, showRun } from '../helpers/hostile/runCli';
import { closeNetworkServers } from '../helpers/hostile/rowsNetwork';
import type { RowRun } from '../helpers/hostile/runCli';
import { TABLES } from '../helpers/hostile/tables';
import type { BackendKind, Ctx, Row, Secrets, Table } from '../helpers/hostile/types';
import { createTestBucket, rawS3Client } from '../helpers/s3bucket';
import { s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const ROOT = resolve(__dirname, '../../..');
const BUNDLE = join(ROOT, 'out', 'hostile-cli', String(process.pid));
const CLI = process.env.MODELREPO_CLI ?? join(BUNDLE, 'cli.js');
const S3 = s3TestEnv();
const SECRETS: Secrets = { s3SecretKey: S3?.secretAccessKey ?? 'planted-secret-key-0f9e8d7c', ...SECRETS_EXTRA };
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
/** HOSTILE_ONLY=<regex> runs only the rows whose id matches (e.g. '^(N0|F1)'). */
const ONLY = process.env.HOSTILE_ONLY ? new RegExp(process.env.HOSTILE_ONLY) : undefined;

before(async () => {
  if (process.env.MODELREPO_CLI) return;
  const { build } = await import('esbuild');
  mkdirSync(BUNDLE, { recursive: true });
  // As scripts/build.mjs: @kubernetes/client-node stays a bundle of its own next to cli.js.
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile: CLI, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    logLevel: 'error', banner: { js: '#!/usr/bin/env node' },
    plugins: [{ name: 'client-node-apart', setup: (b) => { b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: './client-node.js', external: true })); } }],
  });
  const built = join(ROOT, 'dist', 'client-node.js');
  if (existsSync(built)) symlinkSync(built, join(BUNDLE, 'client-node.js'));
  else {
    await build({
      outfile: join(BUNDLE, 'client-node.js'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error',
      stdin: { contents: "export * from '@kubernetes/client-node';", resolveDir: ROOT, loader: 'js', sourcefile: 'client-node.js' },
    });
  }
});

after(async () => {
  if (!process.env.MODELREPO_CLI) rmSync(BUNDLE, { recursive: true, force: true });
  await closeNetworkServers();
});

/** The CLI for setups that need the product itself (an upload that attaches its checksums). */
const setupCli = (c: Ctx, args: readonly string[], env: Record<string, string> = {}): Promise<Run> =>
  run(process.execPath, [CLI, ...args, ...c.b.args], { cwd: join(c.work, 'cwd'), env: childEnv(c, env) });

const asList = <T>(x: T | readonly T[] | undefined): readonly T[] => (x === undefined ? [] : Array.isArray(x) ? x as readonly T[] : [x as T]);

/** Everything wrong with one row's run, or [] when it behaved as the row says. */
async function judge(c: Ctx, row: Row, runs: readonly RowRun[], before: Snapshot): Promise<{ problems: string[]; after: Snapshot }> {
  const problems: string[] = [];
  for (const r of runs) if (r.hung) problems.push(`HUNG: still running after ${(row.deadlineMs ?? 60_000) / 1000} s, killed`);
  const codes = runs.map((r) => r.code);
  if (Array.isArray(row.exit)) {
    const got = [...codes].sort((a, b) => (a ?? -1) - (b ?? -1));
    if (got[0] !== row.exit[0] || got[1] !== row.exit[1]) problems.push(`exit codes ${got.join(' and ')}, expected ${row.exit.join(' and ')}`);
  } else if (codes[0] !== row.exit) problems.push(`exit ${codes[0]}${runs[0].signal ? ` (${runs[0].signal})` : ''}, expected ${String(row.exit)}`);
  const stderr = runs.map((r) => r.stderr).join('\n');
  const stdout = runs.map((r) => r.stdout).join('\n');
  for (const re of asList(row.message)) if (!re.test(stderr)) problems.push(`stderr does not match ${re}`);
  for (const re of asList(row.stdout)) if (!re.test(stdout)) problems.push(`stdout does not match ${re}`);
  if (row.drive?.kind === 'signal' && !runs[0].signalled) problems.push(`the command ended before ${row.drive.signal} could be sent`);
  for (const r of runs) problems.push(...outputProblems(c, row, r));
  const failed = !Array.isArray(row.exit) && row.exit !== 0;
  const place = await placeProblems(c, row, before, failed);
  problems.push(...place.problems);
  if (row.check) {
    try {
      for (const r of runs) await row.check(c, r);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { problems, after: place.after };
}

function tableSuite(table: Table, kind: BackendKind, index: number): void {
  const rows = table.rows.filter((r) => (r.on ?? ['fs', 's3']).includes(kind) && (!ONLY || ONLY.test(r.id)));
  if (rows.length === 0) return;
  describe(`${table.title} [${kind}]`, () => {
    let client: S3Client | undefined;
    let bucket: string | undefined;
    let current: { setup: Row['setup']; c: Ctx; base: Snapshot; last: Snapshot } | undefined;

    before(async () => {
      if (kind !== 's3' || !S3) return;
      client = rawS3Client(S3);
      bucket = await createTestBucket(S3, `hostile-${index}`);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'outside/sentinel.txt', Body: 'outside the repository prefix' }));
    });

    after(async () => {
      if (current) await removePlace(current.c);
      if (client && bucket) await dropBucket(client, bucket);
      client?.destroy();
    });

    /** The row's place: the previous one when it has the same setup and is untouched, else a fresh one. */
    async function placeFor(row: Row): Promise<Ctx> {
      if (current && row.setup && current.setup === row.setup && untouched(current.base, current.last)) return current.c;
      if (current) await removePlace(current.c);
      current = undefined;
      const c = await newPlace(kind, row.id, SECRETS, setupCli, (prefix) => s3Backend(client!, S3!, bucket!, prefix));
      try {
        await row.setup?.(c);
      } catch (e) {
        await removePlace(c);
        throw e;
      }
      const base = await snapshot(c);
      current = { setup: row.setup, c, base, last: base };
      return c;
    }

    for (const row of rows) {
      const skip = row.nodeMajor && NODE_MAJOR < row.nodeMajor ? `needs Node ${row.nodeMajor}` : false;
      it(`${row.id} ${row.title}`, { skip, timeout: (row.deadlineMs ?? 60_000) + 60_000 }, async () => {
        const c = await placeFor(row);
        const extra = prepareUnprivileged(c, row);
        const before = row.unprivileged ? await snapshot(c) : current!.last;
        const runs = await runRow(CLI, c, row, extra);
        const { problems, after } = await judge(c, row, runs, before);
        current!.last = after;
        const args = rowArgs(c, row);
        if (process.env.HOSTILE_REPORT) {
          appendFileSync(process.env.HOSTILE_REPORT, `${JSON.stringify({ table: table.title, kind, id: row.id, title: row.title,
            pass: problems.length === 0, exit: runs.map((r) => r.code), problems })}\n`);
        }
        assert.ok(problems.length === 0, `${problems.map((p) => `- ${p}`).join('\n')}\n${runs.map((r) => showRun(args, r)).join('\n')}`);
      });
    }
  });
}

// The folder rows and the S3 rows run side by side (each kind's rows one after the other): an S3 row
// mostly waits for the server, a folder row mostly computes.
describe('hostile-input catalogue', { concurrency: 2 }, () => {
  describe('folder repositories', { concurrency: 1 }, () => TABLES.forEach((t, i) => tableSuite(t, 'fs', i)));
  describe('S3 repositories (Ceph RGW)', { concurrency: 1, skip: skipWithoutS3 }, () => TABLES.forEach((t, i) => tableSuite(t, 's3', i)));
});
