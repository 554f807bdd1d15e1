// Running a child process to its end and keeping what it printed: the CLI suites run the bundled CLI
// with `node`, the script suites run the init containers' scripts with /bin/sh.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { join } from 'node:path';

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

/** A Node 20 binary for checking that the CLI still runs there (and shows no warning there): the one
 *  MODELREPO_TEST_NODE20 names, else /usr/local/bin/node or /usr/bin/node when it is Node 20 or 21. */
export function node20(): string | undefined {
  const candidates = [process.env.MODELREPO_TEST_NODE20, '/usr/local/bin/node', '/usr/bin/node'].filter((c): c is string => !!c);
  for (const c of candidates) {
    try {
      const v = execFileSync(c, ['--version'], { encoding: 'utf8' }).trim();
      if (/^v2[01]\./.test(v)) return c;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** Bundles the CLI as scripts/build.mjs does, into a file of this suite's own (dist/cli.js may be rebuilt
 *  by a parallel build meanwhile); client-node stays outside and is loaded from node_modules. */
export async function bundleCli(root: string, name: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(root, 'out', 'cli-bundle', `cli-${name}-${process.pid}.js`);
  await build({
    entryPoints: [join(root, 'src/cli/main.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'],
    logLevel: 'error', banner: { js: '#!/usr/bin/env node' }, external: ['@kubernetes/client-node'],
  });
  return outfile;
}
