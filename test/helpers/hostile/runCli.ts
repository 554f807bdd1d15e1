// Runs the built CLI for one catalogue row as a child process, with a deadline: a command that hangs is
// killed and reported as hung, never left to hang the suite. Drives a row the way it asks: a signal once
// stderr shows progress, stdout closed after its first line (`| head -1`), or two runs at once.
import { spawn } from 'node:child_process';
import type { SpawnOptions } from 'node:child_process';
import { chmodSync, readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { withoutKeys } from '../childRun';
import type { Run } from '../childRun';
import type { Ctx, Row } from './types';

export interface RowRun extends Run {
  /** The command was killed at its deadline. */
  readonly hung: boolean;
  /** A signal row: whether the signal was sent before the command ended. */
  readonly signalled?: boolean;
}

const NOBODY = 65534;

/** Nothing from this machine's keys, aliases or cluster; the planted secrets instead (a Hub token, a
 *  session token and a kubeconfig with a bearer token), the backend's keys, then the row's own. */
export function childEnv(c: Ctx, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...withoutKeys(/^(AWS_|MC_HOST_|S3_ENDPOINT|MODELREPO_|KUBECONFIG|HF_)/),
    HOME: join(c.work, 'home'), MODELREPO_USER: 'hostile@catalogue', MODELREPO_CLUSTER_ENDPOINT: 'http://minio.model-storage:9000',
    HF_TOKEN: c.secrets.hfToken, AWS_SESSION_TOKEN: c.secrets.sessionToken, KUBECONFIG: c.kubeconfig,
    AWS_SECRET_ACCESS_KEY: c.secrets.s3SecretKey,
    ...c.b.env, ...extra,
  };
}

/** Lets an unprivileged child into the row's folder (keeping files that are meant to be unreadable so). */
function openUp(dir: string): void {
  chmodSync(dir, 0o777);
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const st = lstatSync(p);
    if (st.isSymbolicLink() || (st.mode & 0o777) === 0) continue; // mode 000: meant to be unreadable
    if (st.isDirectory()) openUp(p);
    else chmodSync(p, 0o666);
  }
}

export function prepareUnprivileged(c: Ctx, row: Row): SpawnOptions {
  if (!row.unprivileged || process.getuid?.() !== 0) return {};
  openUp(c.work);
  return { uid: NOBODY, gid: NOBODY };
}

function once(cli: string, args: readonly string[], c: Ctx, row: Row, extra: SpawnOptions): Promise<RowRun> {
  const deadline = row.deadlineMs ?? 60_000;
  const child = spawn(process.execPath, [cli, ...args], { cwd: join(c.work, 'cwd'), env: childEnv(c, row.env?.(c)), stdio: ['ignore', 'pipe', 'pipe'], ...extra });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let hung = false;
    let signalled = false;
    let headDone = false;
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, deadline);
    child.stdout!.on('data', (d: Buffer) => {
      if (headDone) return;
      stdout += d.toString();
      if (row.drive?.kind === 'head' && stdout.includes('\n')) {
        headDone = true;
        stdout = stdout.slice(0, stdout.indexOf('\n') + 1);
        child.stdout!.destroy(); // the reader goes away, as `head -1` does after its line
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const drive = row.drive;
      if (drive?.kind === 'signal' && !signalled && drive.when.test(stderr)) {
        signalled = true;
        child.kill(drive.signal);
      }
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, hung, signalled });
    });
  });
}

/** The row's command line, with the backend's flags unless the row gives its own. */
export const rowArgs = (c: Ctx, row: Row): string[] => [...row.cmd(c), ...(row.bareArgs ? [] : c.b.args)];

/** Runs the row's command (twice at once for a race); the backend's flags are appended. */
export async function runRow(cli: string, c: Ctx, row: Row, extra: SpawnOptions = {}): Promise<RowRun[]> {
  const args = rowArgs(c, row);
  if (row.drive?.kind === 'race') return Promise.all([once(cli, args, c, row, extra), once(cli, args, c, row, extra)]);
  return [await once(cli, args, c, row, extra)];
}

export const showRun = (args: readonly string[], r: RowRun): string =>
  `$ modelrepo ${args.map((a) => JSON.stringify(a)).join(' ')}\nexit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.hung ? ' HUNG: killed at the deadline' : ''}`
  + `\n--- stdout\n${JSON.stringify(r.stdout.slice(0, 3000))}\n--- stderr\n${JSON.stringify(r.stderr.slice(0, 3000))}`;
