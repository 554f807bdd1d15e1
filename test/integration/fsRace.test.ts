// A writer that swaps a version folder for a symlink out of the repository and back, as fast as it
// can, while this process reads, lists and writes through it: whatever interleaving happens, no byte
// of the file outside is ever returned and nothing outside is created or changed (the descriptor check
// of fsConfine.ts closes the gap between checking a folder and opening a file in it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { isRepoError } from '../../src/core/errors';

const SECRET = 'SENTINEL-race-outside';

describe('a folder swapped for a symlink while it is being used', { timeout: 120_000 }, () => {
  let parent: string;
  before(async () => {
    parent = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-race-'));
  });
  after(() => fsp.rm(parent, { recursive: true, force: true }));

  it('never reads, lists or writes outside the root', async () => {
    const root = path.join(parent, 'repo');
    const outside = path.join(parent, 'outside');
    const v = path.join(root, 'm', '1.0.0');
    await fsp.mkdir(v, { recursive: true });
    await fsp.mkdir(outside);
    for (const dir of [v, outside]) {
      await fsp.writeFile(path.join(dir, 'x.json'), dir === v ? '{"inside":true}' : SECRET);
      await fsp.writeFile(path.join(dir, 'secret-name-only-outside.bin'), dir === v ? 'a' : SECRET);
    }
    await fsp.unlink(path.join(v, 'secret-name-only-outside.bin'));
    const before_ = (await fsp.readdir(outside)).sort();
    const storage = createFsStorage({ kind: 'fs', path: root });
    const swapper = spawn(process.execPath, ['-e', `
      const fs = require('fs');
      const v = ${JSON.stringify(v)}, away = ${JSON.stringify(path.join(root, 'm', '.away'))};
      const until = Date.now() + 2500; let swaps = 0;
      const step = (f) => { try { f(); return true; } catch { return false; } };
      while (Date.now() < until) {
        if (!step(() => fs.renameSync(v, away))) continue;
        if (step(() => fs.symlinkSync(${JSON.stringify(outside)}, v))) { swaps++; step(() => fs.unlinkSync(v)); }
        if (!step(() => fs.renameSync(away, v))) { step(() => fs.rmSync(v, { recursive: true, force: true })); step(() => fs.renameSync(away, v)); }
      }
      process.stdout.write(String(swaps));`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let running = true;
    let swaps = '';
    swapper.stdout.on('data', (d: Buffer) => { swaps += d.toString(); });
    const exited = new Promise<void>((r) => swapper.on('exit', () => { running = false; r(); }));
    const seen: Record<string, number> = {};
    const note = (what: string): void => { seen[what] = (seen[what] ?? 0) + 1; };
    let i = 0;
    /** One round of every operation, each result checked for anything from outside. */
    const round = async (): Promise<void> => {
      const ops: [string, Promise<unknown>, (v: unknown) => boolean][] = [
        ['readText', storage.readText('m/1.0.0/x.json'), (t) => t === undefined || !String(t).includes(SECRET)],
        ['read', storage.read('m/1.0.0/x.json').then(async (st) => { let t = ''; for await (const c of st) t += String(c); return t; }),
          (t) => !String(t).includes(SECRET)],
        ['list', storage.list('m/1.0.0/'), (p) => !JSON.stringify(p).includes('secret-name-only-outside')],
        ['stat', storage.stat('m/1.0.0/secret-name-only-outside.bin'), (st) => st === undefined],
        ['putText', storage.putText(`m/1.0.0/w${i++}.json`, '{}'), () => true],
      ];
      const results = await Promise.allSettled(ops.map(([, p]) => p));
      results.forEach((r, k) => {
        const [name, , safe] = ops[k];
        if (r.status === 'fulfilled') {
          assert.ok(safe(r.value), `${name} showed something from outside: ${JSON.stringify(r.value)}`);
          note(`${name} ok`);
        } else {
          assert.ok(isRepoError(r.reason), `${name}: only RepoErrors: ${String(r.reason)}`);
          note(`${name} ${r.reason.code}`);
        }
      });
    };
    try {
      while (running) await round();
    } finally {
      if (running) swapper.kill('SIGKILL'); // a failed assertion: stop it before the folder is removed
      await exited;
    }
    assert.ok(Number(swaps) > 0, 'the folder was swapped');
    assert.deepEqual((await fsp.readdir(outside)).sort(), before_, 'nothing created outside');
    assert.equal(await fsp.readFile(path.join(outside, 'x.json'), 'utf8'), SECRET);
    assert.ok(Object.keys(seen).some((k) => k.endsWith(' ok')), 'some operations got through between swaps');
    assert.ok(Object.keys(seen).some((k) => k.endsWith(' Unsafe')), 'some operations met the symlink');
    process.stdout.write(`# ${swaps} swaps; outcomes ${JSON.stringify(seen)}\n`);
  });
});
