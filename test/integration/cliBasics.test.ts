// The command line itself: help, version, unknown commands and options (exit 2), an unknown alias, an
// unreachable endpoint (exit 6, the secret never printed), and import from a local server with the
// Hugging Face Hub's URL layout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startFakeHub } from '../helpers/fakeHub';
import type { FakeHub } from '../helpers/fakeHub';
import { show } from '../helpers/childRun';
import { cliHarness } from '../helpers/cliHarness';

const h = cliHarness('basics');
const { cli, ok } = h;

describe('command line basics', () => {
  it('prints help and the version, and rejects unknown commands and options with exit 2', async () => {
    const help = await ok(['--help'], {});
    assert.match(help.stdout, /usage: modelrepo <command>/);
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
    const repo = join(h.work, 'hub-repo');
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
