// Contract: a download checks every destination path before it writes anything, never writes outside
// the destination (a symlink inside it that leads elsewhere is refused, as tar does), refuses two files
// that would land on one local name, reports what each file was verified against, and never replaces a
// good local copy with bytes that fail verification.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Repository } from '../../src/core/repository';
import type { ContractHarness, DownloadArea, LocalSamples, MakeHarness } from './contractHelpers';
import { WHO, downloadArea, localSamples, localTree, rejects } from './contractHelpers';

export function downloadContract(make: MakeHarness): void {
  describe('downloads never write outside the destination, nor replace a good copy with bad bytes', () => {
    let h: ContractHarness;
    let repo: Repository;
    let local: LocalSamples;
    let area: DownloadArea;
    let x: { path: string; bytes: Buffer };
    let y: { path: string; bytes: Buffer };
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      local = await localSamples();
      area = await downloadArea();
      x = await local.file('tree/sub/x.bin', 1500);
      y = await local.file('tree/y.bin', 700);
      await repo.upload('dd', '1.0.0', [path.join(local.dir, 'tree')]);
      await repo.upload('dd', '2.0.0', [path.join(local.dir, 'tree')]);
      await h.rawPut('dc/1.0.0/Model.bin', 'upper');
      await h.rawPut('dc/1.0.0/model.bin', 'lower');
      await h.rawPut('dl/1.0.0/w.bin', 'legacy');
      if (h.storage.kind === 's3') {
        await h.rawPut('dc/2.0.0/a', 'a file');
        await h.rawPut('dc/2.0.0/a/b', 'and a file below a folder of the same name');
      }
    });
    after(async () => {
      await area.remove();
      await local.remove();
      await h.cleanup();
    });

    it('reports per file what it was verified against', async () => {
      const r = await repo.download({ model: 'dd', version: '1.0.0' }, area.dest('ok'));
      assert.deepEqual(r.downloaded.map((d) => [d.name, d.verifiedBy, d.size]), [['sub/x.bin', 'record', 1500], ['y.bin', 'record', 700]]);
      assert.deepEqual(r.files, [path.join(area.dest('ok'), 'sub', 'x.bin'), path.join(area.dest('ok'), 'y.bin')]);
      assert.ok((await fsp.readFile(r.files[0])).equals(x.bytes));
      const legacy = await repo.download({ model: 'dl', version: '1.0.0' }, area.dest('legacy'));
      assert.equal(legacy.downloaded[0].verifiedBy, undefined);
    });
    it('refuses a symlinked folder inside the destination that leads elsewhere, writing nothing', async () => {
      const dest = area.dest('link-dir');
      await fsp.mkdir(dest, { recursive: true });
      await fsp.symlink(area.sentinel, path.join(dest, 'sub'));
      await rejects(repo.download({ model: 'dd', version: '1.0.0' }, dest), 'Unsafe', /symbolic link that leads outside/);
      assert.deepEqual(await localTree(dest), ['sub'], 'y.bin was not written either');
      await area.assertNothingOutside();
    });
    it('refuses a symlinked file inside the destination that leads elsewhere', async () => {
      const dest = area.dest('link-file');
      await fsp.mkdir(dest, { recursive: true });
      await fsp.symlink(path.join(area.sentinel, 'y.bin'), path.join(dest, 'y.bin'));
      await rejects(repo.download({ model: 'dd', version: '1.0.0', file: 'y.bin' }, dest), 'Unsafe', /y\.bin/);
      await area.assertNothingOutside();
    });
    it('follows a symlinked folder that stays inside the destination', async () => {
      const dest = area.dest('inner-link');
      await fsp.mkdir(path.join(dest, 'real'), { recursive: true });
      await fsp.symlink(path.join(dest, 'real'), path.join(dest, 'sub'));
      await repo.download({ model: 'dd', version: '1.0.0' }, dest);
      assert.ok((await fsp.readFile(path.join(dest, 'real', 'x.bin'))).equals(x.bytes));
      await area.assertNothingOutside();
    });
    it('refuses two files that would be one on a case-insensitive filesystem', async () => {
      const dest = area.dest('fold');
      await rejects(repo.download({ model: 'dc', version: '1.0.0' }, dest), 'Unsafe', /'Model\.bin' and 'model\.bin'/);
      assert.deepEqual(await localTree(dest), []);
    });
    it('refuses a file that is also a folder of another file (only S3 can hold both)', async (t) => {
      if (h.storage.kind !== 's3') {
        t.skip('a folder repository cannot hold a file and a folder of one name');
        return;
      }
      await rejects(repo.download({ model: 'dc', version: '2.0.0' }, area.dest('filedir')), 'Unsafe', /is a file and also a folder/);
      assert.deepEqual(await localTree(area.dest('filedir')), []);
    });
    it('keeps the good local copy when the stored bytes fail verification', async () => {
      const dest = area.dest('keep');
      await repo.download({ model: 'dd', version: '2.0.0' }, dest);
      const tampered = Buffer.from(y.bytes);
      tampered[0] ^= 0xff;
      await h.rawPut('dd/2.0.0/y.bin', tampered); // same size: only the sha256 can tell
      const e = await rejects(repo.download({ model: 'dd', version: '2.0.0', file: 'y.bin' }, dest), 'Integrity', /sha256/);
      assert.equal(e.object, 'dd@2.0.0/y.bin');
      assert.ok((await fsp.readFile(path.join(dest, 'y.bin'))).equals(y.bytes), 'the earlier good copy is still there');
      const fresh = area.dest('fresh');
      await rejects(repo.download({ model: 'dd', version: '2.0.0', file: 'y.bin' }, fresh), 'Integrity');
      assert.deepEqual(await localTree(fresh), [], 'no unverified file (nor a partial one) appears');
      await area.assertNothingOutside();
    });
  });
}
