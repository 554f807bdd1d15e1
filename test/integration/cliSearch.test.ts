// `modelrepo search` as a process on a folder repository of many models written as other tools write
// them: Ctrl-C during the first metadata search exits 130 and the next run reuses every header read
// before the cancel (the metadata index was saved on the way out); files that are not GGUF are one
// count on stderr; a name search prints the matching names.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleCli, finish, run, show, withoutKeys } from '../helpers/childRun';
import { ggufHeader, tinyLlamaSpec } from '../helpers/gguf';

const ROOT = resolve(__dirname, '../../..');
const MODELS = 400;
let CLI = '';
let work = '';
let repoDir = '';

before(async () => {
  CLI = await bundleCli(ROOT, 'search');
  work = mkdtempSync(join(tmpdir(), 'modelrepo-clisearch-'));
  repoDir = join(work, 'repo');
  const { header, dataBytes } = ggufHeader(tinyLlamaSpec());
  const body = Buffer.concat([header, Buffer.alloc(dataBytes)]);
  for (let i = 0; i < MODELS; i++) {
    const dir = join(repoDir, `m-${String(i).padStart(3, '0')}`, '1.0.0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.gguf'), body);
  }
  for (const i of [7, 8, 9]) writeFileSync(join(repoDir, `m-00${i}`, '1.0.0', 'notes.gguf'), 'plain text');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (CLI) rmSync(CLI, { force: true });
});

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...withoutKeys(), HOME: work, ...extra });

describe('modelrepo search as a process', () => {
  it('a name search prints the names that match', async () => {
    const r = await run(process.execPath, [CLI, 'search', repoDir, 'm-01'], { env: env() });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(r.stdout.trim().split('\n'), Array.from({ length: 10 }, (_, i) => `m-01${i}`));
  });

  it('Ctrl-C during the first metadata search exits 130; the next run reuses what was read', async () => {
    const child = spawn(process.execPath, [CLI, 'search', repoDir, 'arch:llama', '--json'],
      { env: env({ MODELREPO_PROGRESS_MS: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let sent = false;
    const r = await finish(child, (err) => {
      if (!sent && /searching \d+\/400 models: [1-9]\d* headers read/.test(err)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.equal(r.code, 130, show(r));
    assert.match(r.stderr, /^modelrepo: cancelled$/m);
    const next = await run(process.execPath, [CLI, 'search', repoDir, 'arch:llama', '--json'], { env: env() });
    assert.equal(next.code, 0, show(next));
    const j = JSON.parse(next.stdout) as { hits: unknown[]; headersRead: number; headersFromIndex: number; skipped: string[] };
    assert.equal(j.hits.length, MODELS);
    assert.equal(j.headersRead + j.headersFromIndex, MODELS + 3);
    assert.ok(j.headersFromIndex > 0, `nothing read before the cancel was kept: ${next.stderr}`);
    assert.equal(j.skipped.length, 3);
    const text = await run(process.execPath, [CLI, 'search', repoDir, 'arch:llama'], { env: env() });
    assert.match(text.stderr, /^note: 3 files are not GGUF or safetensors and were skipped$/m);
    assert.match(text.stderr, /^0 headers read, 403 from the metadata index$/m);
    assert.doesNotMatch(text.stderr, /notes\.gguf/);
  });
});
