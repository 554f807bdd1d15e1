// The place a catalogue row runs in, and the checks every row gets. Each row (or run of rows sharing a
// setup) has a folder of its own:
//   repo/        the folder repository (S3 rows use a prefix of the table's bucket instead)
//   dest/        the download destination
//   sentinel/    a folder next to dest/: must stay byte-identical, nothing may appear in it
//   outside.txt  a file outside the repository (and the target of `../outside.txt`)
//   elsewhere/   what symlinks planted in a hostile folder repository point at: must stay unchanged
//   files/       local files to upload;  home/  the child's HOME;  cwd/  its working folder
// After the command: nothing outside repo/ and dest/ changed (S3: nothing in the bucket outside the
// row's prefix), dest/ and the repository are unchanged when the command failed, and the output holds
// no secret, no presigned signature, no stack trace, no Node warning and no raw control, bidi or
// zero-width character.
import { mkdtempSync, existsSync, lstatSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '../childRun';
import { fingerprint, fsBackend } from './backends';
import { PWNED_ABS, PWNED_DEEP } from './names';
import type { Backend, BackendKind, Ctx, Row, Secrets } from './types';

export const SECRETS_EXTRA = {
  sessionToken: 'IQoJb3JpZ2luX2VjEPlantedSessionToken7c1d',
  kubeToken: 'kube-planted-bearer-7f3a9c2e51d04b8a',
  hfToken: 'hf_PlantedHubToken0123456789abcdefXYZ',
};

/** A kubeconfig that is valid but points at a port nobody listens on, with a planted bearer token. */
export function kubeconfigText(token: string, server = 'https://127.0.0.1:9'): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
contexts:
- name: lab
  context:
    cluster: lab
    user: lab
    namespace: ml
current-context: lab
users:
- name: lab
  user:
    token: ${token}
`;
}

export type CliRunner = (c: Ctx, args: readonly string[], env?: Record<string, string>) => Promise<Run>;

export async function newPlace(kind: BackendKind, id: string, secrets: Secrets, runner: CliRunner, s3?: (prefix: string) => Backend): Promise<Ctx> {
  const work = mkdtempSync(join(tmpdir(), `modelrepo-hostile-${id}-`));
  for (const d of ['repo', 'dest', 'sentinel/sub', 'elsewhere/model/1.0', 'elsewhere/dir', 'files', 'home', 'cwd']) {
    await fsp.mkdir(join(work, d), { recursive: true });
  }
  await fsp.writeFile(join(work, 'sentinel', 'keep.txt'), 'sentinel: must stay as it is\n');
  await fsp.writeFile(join(work, 'sentinel', 'sub', 'deep.txt'), 'deep sentinel\n');
  await fsp.writeFile(join(work, 'outside.txt'), 'outside the repository: must stay as it is\n');
  await fsp.writeFile(join(work, 'elsewhere', 'secret.gguf'), 'GGUF bytes outside the repository\n');
  await fsp.writeFile(join(work, 'elsewhere', 'model', '1.0', 'x.gguf'), 'GGUF a model outside the repository\n');
  const kubeconfig = join(work, 'kubeconfig.yaml');
  await fsp.writeFile(kubeconfig, kubeconfigText(secrets.kubeToken));
  const prefix = `r-${id.toLowerCase()}-${work.slice(-6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
  const b = kind === 'fs' ? fsBackend(join(work, 'repo')) : s3!(prefix);
  const c: Ctx = {
    b, work, dest: join(work, 'dest'), files: join(work, 'files'), elsewhere: join(work, 'elsewhere'), kubeconfig, secrets,
    ref: (model, selector = '') => `${b.repo}/${model}${selector}`,
    // Where the S3-only traversal names would land (a folder cannot hold such names).
    mustNotExist: kind === 's3' ? [PWNED_ABS, PWNED_DEEP] : [], state: {},
    cli: (args, env) => runner(c, args, env),
  };
  return c;
}

export async function removePlace(c: Ctx): Promise<void> {
  await fsp.chmod(c.work, 0o700).catch(() => undefined);
  await fsp.rm(c.work, { recursive: true, force: true });
}

export interface Snapshot {
  readonly local: Map<string, string>;
  readonly dest: Map<string, string>;
  readonly repo: Map<string, string>;
  readonly outside: Map<string, string>;
}

export async function snapshot(c: Ctx): Promise<Snapshot> {
  const all = await fingerprint(c.work, ['repo', 'home']);
  const local = new Map([...all].filter(([k]) => k !== 'dest' && !k.startsWith('dest/')));
  const dest = new Map([...all].filter(([k]) => k.startsWith('dest/')));
  return { local, dest, repo: await c.b.snapshot(), outside: await c.b.outside() };
}

export function sameMaps(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/** What differs between two fingerprints, for a message. */
export function diff(before: Map<string, string>, after: Map<string, string>): string {
  const out: string[] = [];
  for (const [k, v] of after) if (!before.has(k)) out.push(`+ ${JSON.stringify(k)} (${v.slice(0, 60)})`);
  for (const k of before.keys()) if (!after.has(k)) out.push(`- ${JSON.stringify(k)}`);
  for (const [k, v] of after) if (before.has(k) && before.get(k) !== v) out.push(`~ ${JSON.stringify(k)}`);
  return out.slice(0, 12).join('\n') + (out.length > 12 ? `\n... ${out.length - 12} more` : '');
}

/** Raw C0/C1 controls (but newline and tab), bidi controls, zero-width characters and the BOM. */
const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u;

/** Problems with what a command printed (empty when all is well). */
export function outputProblems(c: Ctx, row: Row, r: Run): string[] {
  const text = `${r.stdout}\n${r.stderr}`;
  const problems: string[] = [];
  const secrets = [c.secrets.s3SecretKey, c.secrets.sessionToken, c.secrets.kubeToken, c.secrets.hfToken, ...(row.secrets?.(c) ?? [])];
  for (const s of secrets) if (s && text.includes(s)) problems.push(`a secret is printed: ${s.slice(0, 6)}...`);
  const sig = /X-Amz-Signature=(?!\*\*\*)[^&\s"'<>]+/i.exec(text);
  if (sig) problems.push(`a presigned URL signature is printed: ${sig[0].slice(0, 30)}...`);
  if (text.includes('\n    at ')) problems.push('a stack trace is printed');
  if (text.includes('Warning:')) problems.push('a Node warning is printed');
  const raw = RAW_UNSAFE.exec(text);
  if (raw) problems.push(`a raw U+${raw[0].codePointAt(0)!.toString(16).padStart(4, '0')} is printed (names must be escaped)`);
  return problems;
}

/** Problems with what the command left behind (empty when all is well). */
export async function placeProblems(c: Ctx, row: Row, before: Snapshot, failed: boolean): Promise<{ problems: string[]; after: Snapshot }> {
  const after = await snapshot(c);
  const problems: string[] = [];
  if (!sameMaps(before.local, after.local)) problems.push(`files outside the repository and the destination changed:\n${diff(before.local, after.local)}`);
  if (!sameMaps(before.outside, after.outside)) problems.push(`objects outside the repository changed:\n${diff(before.outside, after.outside)}`);
  if (failed && !sameMaps(before.dest, after.dest)) problems.push(`the failed command changed the destination:\n${diff(before.dest, after.dest)}`);
  if (failed && !row.writes && !sameMaps(before.repo, after.repo)) problems.push(`the failed command changed the repository:\n${diff(before.repo, after.repo)}`);
  for (const p of c.mustNotExist) {
    if (existsSync(p) || lstatSync(p, { throwIfNoEntry: false })) {
      problems.push(`something was written at ${p}`);
      rmSync(p, { recursive: true, force: true }); // so that the next rows are judged on their own
    }
  }
  return { problems, after };
}

/** True when the place is still as its setup left it (the next row with the same setup may reuse it). */
export function untouched(base: Snapshot, now: Snapshot): boolean {
  return sameMaps(base.local, now.local) && sameMaps(base.dest, now.dest) && sameMaps(base.repo, now.repo);
}
