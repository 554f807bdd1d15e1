// The harness of the CLI suites that walk the chapter's example (cliChapter, cliConnections, cliCancel,
// cliBasics): the CLI bundled once per suite file into a file of its own, run as a child process in a
// scratch folder with a private HOME and two model files, and fresh buckets removed when the file ends.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleCli, finish, show, withoutKeys } from './childRun';
import type { Run } from './childRun';
import { createTestBucket, deleteTestBucket } from './s3bucket';
import { s3TestEnv } from './s3env';

export const MODEL = 'llama-3-8b';
export const Q4 = 'llama-3-8b.Q4_K_M.gguf';
export const Q5 = 'llama-3-8b.Q5_K_M.gguf';

export const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

export interface CliHarness {
  /** The scratch folder (cwd of every child), holding Q4 (300 KiB) and Q5 (400 KiB). */
  readonly work: string;
  start(args: readonly string[], env: Record<string, string>): ChildProcess;
  cli(args: readonly string[], env?: Record<string, string>): Promise<Run>;
  /** A run that must exit 0. */
  ok(args: readonly string[], env: Record<string, string>): Promise<Run>;
  /** A fresh bucket, removed with everything in it when the suite ends. */
  newBucket(purpose: string): Promise<string>;
}

/** Registers the suite file's before/after hooks; `name` tells its bundle and scratch folder apart. */
export function cliHarness(name: string): CliHarness {
  const root = resolve(__dirname, '../../..');
  let work = '';
  let home = '';
  let cliFile = '';
  const buckets: string[] = [];

  before(async () => {
    cliFile = await bundleCli(root, name);
    work = mkdtempSync(join(tmpdir(), `modelrepo-${name}-`));
    home = join(work, 'home');
    mkdirSync(home);
    writeFileSync(join(work, Q4), randomBytes(300 * 1024));
    writeFileSync(join(work, Q5), randomBytes(400 * 1024));
  });

  after(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
    if (cliFile) rmSync(cliFile, { force: true });
    for (const b of buckets) await deleteTestBucket(s3TestEnv(), b);
  });

  /** The environment of every child: no keys or aliases from this machine, a private HOME. */
  const baseEnv = (extra: Record<string, string>): NodeJS.ProcessEnv =>
    ({ ...withoutKeys(), HOME: home, MODELREPO_USER: 'tester@cli', MODELREPO_CLUSTER_ENDPOINT: 'http://minio.model-storage:9000', ...extra });
  const start = (args: readonly string[], env: Record<string, string>): ChildProcess =>
    spawn(process.execPath, [cliFile, ...args], { cwd: work, env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<Run> => finish(start(args, env));

  return {
    get work() { return work; },
    start,
    cli,
    async ok(args, env) {
      const r = await cli(args, env);
      assert.equal(r.code, 0, `modelrepo ${args.join(' ')}\n${show(r)}`);
      return r;
    },
    async newBucket(purpose) {
      const bucket = await createTestBucket(s3TestEnv()!, purpose);
      buckets.push(bucket);
      return bucket;
    },
  };
}
