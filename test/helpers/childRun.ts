// Running a child process to its end and keeping what it printed: the CLI suites run the bundled CLI
// with `node`, the script suites run the init containers' scripts with /bin/sh.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

export interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Collects the output of a child started with piped stdout/stderr until it exits. */
export function finish(child: ChildProcess, onStderr?: (text: string) => void): Promise<Run> {
  return new Promise((res, rej) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); onStderr?.(stderr); });
    child.on('error', rej);
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
  });
}

/** Runs `command` with `args` (stdin closed) to its end. */
export function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<Run> {
  return finish(spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** A run, for assertion messages. */
export const show = (r: Run): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** This process's environment without what would point a child at this machine's storage or cluster. */
export function withoutKeys(drop = /^(AWS_|MC_HOST_|S3_ENDPOINT|MODELREPO_)/): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!drop.test(k)) env[k] = v;
  return env;
}

/** Runs a shell script with sh and only `env`, /usr/bin first on PATH: Debian's aws-cli v2, not the
 *  pip v1 that comes first on this machine's PATH (as the init containers' scripts expect). */
export function runScript(script: string, env: Record<string, string>): Promise<Run> {
  return run('/bin/sh', ['-c', script], { env: { PATH: '/usr/bin:/bin', ...env } });
}
