// Contract: what the tool wrote is read back and checked. A version record that is unreadable or
// contradicts storage is Corrupt (listed with a problem, refused by resolve, download and tag); a
// recorded size that differs is Integrity before any transfer; a version whose record was deleted is
// still verified against the checksums attached to its objects; listings read no checksums.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Repository } from '../../src/core/repository';
import { versionManifestKey } from '../../src/core/layout';
import { MAX_TEXT_BYTES } from '../../src/core/storage/storage';
import type { Storage } from '../../src/core/storage/storage';
import type { ContractHarness, DownloadArea, LocalSamples, MakeHarness } from './contractHelpers';
import { WHO, downloadArea, localSamples, localTree, rejects, sha256 } from './contractHelpers';
import { bodyOf } from './streamUploadContract';

const H = 'c'.repeat(64);

function recordText(model: string, version: string, files: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ schema: 1, model, version, created: new Date().toISOString(), createdBy: 'x', files, ...extra });
}

export function recordsContract(make: MakeHarness): void {
  describe('version records are checked; a corrupt one is an error, not "unverified"', () => {
    let h: ContractHarness;
    let repo: Repository;
    let local: LocalSamples;
    let area: DownloadArea;
    const corrupt: [string, string, RegExp][] = [
      ['2.0.0', '{"schema":1,"files":[', /not valid JSON/],
      ['3.0.0', recordText('other', '3.0.0', []), /names model 'other'/],
      ['4.0.0', recordText('rc', '4.0.0', [{ name: '../../x', size: 1, sha256: H }]), /'\.\.\/\.\.\/x', which is refused/],
      ['4.1.0', recordText('rc', '4.1.0', [{ name: 'w.bin', size: -4, sha256: H }]), /whole number/],
    ];
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      local = await localSamples();
      area = await downloadArea();
      const a = await local.file('a.bin', 1000);
      const b = await local.file('b.bin', 2000);
      await repo.upload('rc', '1.0.0', [a.path, b.path]);
      for (const [v, text] of corrupt) {
        await h.rawPut(`rc/${v}/w.bin`, 'w');
        await h.rawPut(versionManifestKey('rc', v), text);
      }
      await repo.upload('rc', '5.0.0', [a.path]);
      await h.rawPut('rc/5.0.0/added.bin', 'added after publication');
      await repo.upload('rc', '6.0.0', [a.path, b.path]);
      await h.storage.delete(['rc/6.0.0/b.bin']);
      await repo.upload('rc', '7.0.0', [a.path]);
      await h.rawPut('rc/7.0.0/a.bin', 'shorter');
      await h.rawPut('rc/big/w.bin', 'w');
      await h.rawPut(versionManifestKey('rc', 'big'), recordText('rc', 'big', [], { createdBy: 'x'.repeat(MAX_TEXT_BYTES) }));
    });
    after(async () => {
      await area.remove();
      await local.remove();
      await h.cleanup();
    });

    it('lists every version, the ones with a corrupt record with a problem', async () => {
      const vs = await repo.listVersions('rc');
      assert.deepEqual(vs.map((v) => v.name), ['1.0.0', '2.0.0', '3.0.0', '4.0.0', '4.1.0', '5.0.0', '6.0.0', '7.0.0', 'big']);
      for (const [v, , reason] of corrupt) {
        const info = vs.find((x) => x.name === v);
        assert.equal(info?.state, 'complete');
        assert.match(info?.problem ?? '', reason, v);
      }
      assert.deepEqual(vs.filter((v) => ['1.0.0', '5.0.0', '6.0.0', '7.0.0'].includes(v.name) && v.problem), []);
    });
    for (const [v, , reason] of corrupt) {
      it(`refuses to resolve, download or tag ${v} (Corrupt, naming the version), and lets it be deleted`, async () => {
        const e = await rejects(repo.resolve({ model: 'rc', version: v }), 'Corrupt', reason);
        assert.equal(e.object, `rc@${v}`);
        const dest = area.dest(`c${v}`);
        await rejects(repo.download({ model: 'rc', version: v }, dest), 'Corrupt', /version record/);
        assert.deepEqual(await localTree(dest), []);
        await rejects(repo.setTag('rc', `t${v.replace(/\./g, '')}`, v), 'Corrupt');
        await repo.deleteVersion('rc', v);
        assert.ok(!(await repo.listVersions('rc')).some((x) => x.name === v));
      });
    }
    it('refuses a record larger than any record the tool writes (Corrupt, naming the version)', async () => {
      const info = (await repo.listVersions('rc')).find((v) => v.name === 'big');
      assert.match(info?.problem ?? '', /corrupt/);
      const e = await rejects(repo.resolve({ model: 'rc', version: 'big' }), 'Corrupt');
      assert.equal(e.object, 'rc@big');
    });
    it('a published version that gained a file: listed with a problem, Corrupt for every reference into it', async () => {
      const arts = await repo.listArtifacts('rc', '5.0.0');
      assert.deepEqual(arts.map((a) => [a.name, a.problem !== undefined]), [['a.bin', false], ['added.bin', true]]);
      await rejects(repo.download({ model: 'rc', version: '5.0.0' }, area.dest('c5')), 'Corrupt', /added\.bin/);
      await rejects(repo.resolve({ model: 'rc', version: '5.0.0', file: 'a.bin' }), 'Corrupt', /added\.bin.*does not list/);
      assert.deepEqual(await localTree(area.dest('c5')), []);
    });
    it('a published version that lost a file: listed with a problem, Corrupt', async () => {
      const arts = await repo.listArtifacts('rc', '6.0.0');
      assert.deepEqual(arts.map((a) => [a.name, a.problem]), [['a.bin', undefined], ['b.bin', 'listed in the version record but missing from storage']]);
      const e = await rejects(repo.download({ model: 'rc', version: '6.0.0' }, area.dest('c6')), 'Corrupt', /'b\.bin', which is missing/);
      assert.equal(e.object, 'rc@6.0.0/b.bin');
      assert.deepEqual(await localTree(area.dest('c6')), []);
    });
    it('a recorded size that differs is Integrity before any transfer', async () => {
      const e = await rejects(repo.download({ model: 'rc', version: '7.0.0' }, area.dest('c7')), 'Integrity', /7 bytes, the version record says 1000/);
      assert.equal(e.object, 'rc@7.0.0/a.bin');
      assert.deepEqual(await localTree(area.dest('c7')), [], 'no partial file either');
      assert.match((await repo.listArtifacts('rc', '7.0.0'))[0].problem ?? '', /differs from the version record/);
    });
  });

  describe('integrity survives a deleted record (checksums attached to the objects)', () => {
    let h: ContractHarness;
    let repo: Repository;
    let local: LocalSamples;
    let area: DownloadArea;
    let a: { path: string; bytes: Buffer };
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      local = await localSamples();
      area = await downloadArea();
      a = await local.file('a.bin', 3000);
      const b = await local.file('b.bin', 1000);
      for (const v of ['1.0.0', '4.0.0', '5.0.0']) {
        await repo.upload('cs', v, [a.path, b.path]);
        await h.storage.delete([versionManifestKey('cs', v)]);
      }
      await h.rawPut('cs/4.0.0/c.bin', 'added by another tool');
      await h.rawPut('cs/5.0.0/a.bin', randomBytes(3000)); // same size, other bytes, no checksum of the tool
      await repo.upload('cs', '2.0.0', [a.path]);
      const other = randomBytes(3000);
      await h.storage.uploadStream('cs/2.0.0/a.bin', bodyOf(other), other.length); // carries the checksum of its new bytes
      await h.rawPut('cs/3.0.0/x.bin', 'legacy');
    });
    after(async () => {
      await area.remove();
      await local.remove();
      await h.cleanup();
    });

    it('verifies a version whose record was deleted against the checksums of its objects', async () => {
      const r = await repo.download({ model: 'cs', version: '1.0.0' }, area.dest('v1'));
      assert.deepEqual(r.downloaded.map((d) => [d.name, d.verifiedBy]), [['a.bin', 'checksum'], ['b.bin', 'checksum']]);
      assert.equal(r.downloaded[0].sha256, sha256(a.bytes));
      assert.equal((await repo.listVersions('cs')).find((v) => v.name === '1.0.0')?.state, 'legacy');
    });
    it('refuses such a version when a file carries no checksum (it was added or replaced by another tool)', async () => {
      await rejects(repo.download({ model: 'cs', version: '4.0.0' }, area.dest('v4')), 'Integrity',
        /written by modelrepo but its record is missing and 'c\.bin' carries no checksum/);
      await rejects(repo.download({ model: 'cs', version: '5.0.0' }, area.dest('v5')), 'Integrity');
      assert.deepEqual(await localTree(area.dest('v4')), []);
      assert.deepEqual(await localTree(area.dest('v5')), []);
    });
    it('refuses a recorded file whose attached checksum disagrees with the record, before any transfer', async () => {
      const e = await rejects(repo.download({ model: 'cs', version: '2.0.0' }, area.dest('v2')), 'Integrity', /checksum attached to the stored file/);
      assert.equal(e.object, 'cs@2.0.0/a.bin');
      assert.deepEqual(await localTree(area.dest('v2')), []);
    });
    it('leaves a version written by another tool unverified', async () => {
      const r = await repo.download({ model: 'cs', version: '3.0.0' }, area.dest('v3'));
      assert.deepEqual(r.downloaded.map((d) => [d.name, d.verifiedBy]), [['x.bin', undefined]]);
    });
    it('reads no checksum to list models, versions, files or tags', async () => {
      let reads = 0;
      const counting = new Proxy(h.storage, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (prop === 'readChecksum') return (...args: Parameters<Storage['readChecksum']>) => { reads++; return target.readChecksum(...args); };
          return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
        },
      });
      const r = new Repository(counting, { who: WHO });
      await r.listModels();
      for (const v of await r.listVersions('cs')) await r.listArtifacts('cs', v.name);
      await r.listTags('cs');
      assert.equal(reads, 0);
      await r.download({ model: 'cs', version: '3.0.0' }, area.dest('count'));
      assert.ok(reads > 0, 'a download does read them');
    });
  });
}
