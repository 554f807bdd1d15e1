// Contract: a repository holding hostile names (written straight into the bucket or the folder, as an
// attacker with write access would) keeps working: listings keep the safe entries and report the
// others escaped, and every operation that would use a hostile entry fails with Unsafe naming the
// object, before anything is written. Keys that only S3 can hold (`..`, `.`, empty segments) and names
// only a filesystem takes without trouble (C0 controls: S3's XML delete cannot carry them) are per backend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Repository } from '../../src/core/repository';
import { pendingKey } from '../../src/core/layout';
import { showName } from '../../src/core/names';
import type { ContractHarness, DownloadArea, LocalSamples, MakeHarness } from './contractHelpers';
import { DISGUISING, WHO, allKeys, downloadArea, localSamples, localTree, rejects } from './contractHelpers';

/** Names no platform can use safely: for models, versions and tags. */
function hostileNames(h: ContractHarness): string[] {
  const common = ['evil\u202Egguf', 'cafe\u0301', 'CON', 'late\u200Bst', 'a\\b', 'trail.', '\uFF4Dodel'];
  return h.storage.kind === 's3' ? [...common, '..', '.', ''] : [...common, 'x\u0001y'];
}

/** File names inside a version (may walk, on S3). */
function hostileFiles(h: ContractHarness): string[] {
  const common = ['x\u202Egnp.exe', 'cafe\u0301.bin', 'con.gguf', 'z\u200Bw.bin', 'back\\slash.bin', 'dot.', 'sub/\u2066.bin'];
  return h.storage.kind === 's3'
    ? [...common, '../../escape.bin', '../../../../sentinel/pwned.bin', './dot.bin', 'a//b.bin', 'sub/../../../up.bin']
    : [...common, 'c\u0001.bin'];
}

export function hostileNamesContract(make: MakeHarness): void {
  describe('hostile names in storage are reported and refused', () => {
    let h: ContractHarness;
    let repo: Repository;
    let area: DownloadArea;
    let local: LocalSamples;
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      area = await downloadArea();
      local = await localSamples();
      await h.rawPut('good/1.0.0/w.bin', 'good');
      for (const n of hostileNames(h)) await h.rawPut(`${n}/1.0.0/w.bin`, 'hostile model');
      await h.rawPut('hv/1.0.0/w.bin', 'good');
      for (const n of hostileNames(h)) await h.rawPut(`hv/${n}/w.bin`, 'hostile version');
      await h.rawPut('hf/1.0.0/good.bin', 'good file');
      for (const n of hostileFiles(h)) await h.rawPut(`hf/1.0.0/${n}`, 'hostile file');
      await repo.upload('hf', '2.0.0', [(await local.file('a.bin', 64)).path]);
      await h.rawPut('hf/2.0.0/\u202Eevil.bin', 'added after publication');
      await h.rawPut('ht/1.0.0/w.bin', 'good');
      await h.rawLink('ht/tags/ok', '../1.0.0');
      await h.rawLink('ht/tags/bidi', '../1.0.0/\u202Ew.bin');
      for (const n of hostileNames(h).filter((x) => x !== '' && x !== '.')) await h.rawLink(`ht/tags/${n}`, '../1.0.0');
    });
    after(async () => {
      await area.remove();
      await local.remove();
      await h.cleanup();
    });

    it('lists the safe models and reports the others, escaped', async () => {
      const page = await repo.listModels();
      assert.deepEqual(page.models, ['good', 'hf', 'hv', 'ht'].sort());
      assert.deepEqual((page.refused ?? []).map((r) => r.name).sort(), hostileNames(h).map(showName).sort());
      for (const r of page.refused ?? []) {
        assert.doesNotMatch(r.name, DISGUISING);
        assert.ok(r.reason.length > 0);
      }
    });
    it('pages past refused models without losing or repeating any', async () => {
      const seen: string[] = [];
      const refused: string[] = [];
      let cursor: string | undefined;
      do {
        const p = await repo.listModels({ limit: 1, cursor });
        seen.push(...p.models);
        refused.push(...(p.refused ?? []).map((r) => r.name));
        cursor = p.cursor;
      } while (cursor && seen.length < 20);
      assert.deepEqual(seen, ['good', 'hf', 'hv', 'ht'].sort());
      assert.deepEqual(refused.sort(), hostileNames(h).map(showName).sort());
    });
    it('lists versions, reporting the unsafe ones escaped with a problem', async () => {
      const vs = await repo.listVersions('hv');
      assert.deepEqual(vs.filter((v) => !v.problem).map((v) => v.name), ['1.0.0']);
      const bad = vs.filter((v) => v.problem);
      assert.deepEqual(bad.map((v) => v.name).sort(), hostileNames(h).map(showName).sort());
      for (const v of bad) assert.doesNotMatch(v.name, DISGUISING);
    });
    it('lists files, reporting the unsafe ones escaped with a problem', async () => {
      const arts = await repo.listArtifacts('hf', '1.0.0');
      assert.deepEqual(arts.filter((a) => !a.problem).map((a) => a.name), ['good.bin']);
      const bad = arts.filter((a) => a.problem);
      assert.deepEqual(bad.map((a) => a.name).sort(), hostileFiles(h).map(showName).sort());
      for (const a of bad) assert.doesNotMatch(`${a.name} ${a.key} ${a.problem}`, DISGUISING);
    });
    it('refuses to resolve, download, tag or delete a version holding them: Unsafe, naming it, nothing written', async () => {
      const e = await rejects(repo.resolve({ model: 'hf', version: '1.0.0' }), 'Unsafe');
      assert.equal(e.object, 'hf@1.0.0');
      assert.doesNotMatch(e.message, DISGUISING);
      const dest = area.dest('hf');
      await rejects(repo.download({ model: 'hf', version: '1.0.0' }, dest), 'Unsafe', /hf@1\.0\.0/);
      assert.deepEqual(await localTree(dest), []);
      await area.assertNothingOutside();
      await rejects(repo.setTag('hf', 'whole', '1.0.0'), 'Unsafe', /^Cannot tag hf@1\.0\.0/);
      const before = await allKeys(h.storage, 'hf/1.0.0/');
      await rejects(repo.deleteVersion('hf', '1.0.0'), 'Unsafe', /storage's own tools/);
      assert.deepEqual(await allKeys(h.storage, 'hf/1.0.0/'), before, 'nothing was deleted');
      assert.equal(await h.storage.stat(pendingKey('hf', '1.0.0')), undefined, 'no marker was written');
    });
    it('still serves the safe file of a version written by another tool', async () => {
      const dest = area.dest('one');
      const { files } = await repo.download({ model: 'hf', version: '1.0.0', file: 'good.bin' }, dest);
      assert.deepEqual(files, [path.join(dest, 'good.bin')]);
      assert.equal(await fsp.readFile(files[0], 'utf8'), 'good file');
      assert.equal((await repo.setTag('hf', 'one', '1.0.0/good.bin')).target, '../1.0.0/good.bin');
      await area.assertNothingOutside();
    });
    it('refuses even the recorded files of a published version that gained an unsafe object', async () => {
      const e = await rejects(repo.resolve({ model: 'hf', version: '2.0.0', file: 'a.bin' }), 'Unsafe');
      assert.match(e.message, /\\u\{202e\}evil\.bin/);
      await rejects(repo.download({ model: 'hf', version: '2.0.0' }, area.dest('v2')), 'Unsafe');
      assert.deepEqual(await localTree(area.dest('v2')), []);
    });
    it('lists tags, reporting unsafe names and malformed link text escaped', async () => {
      const tags = await repo.listTags('ht');
      assert.deepEqual(tags.find((t) => t.name === 'ok')?.resolved?.chain, ['ok', '1.0.0']);
      const bidi = tags.find((t) => t.name === 'bidi');
      assert.match(bidi?.problem ?? '', /does not point at a file/);
      assert.equal(bidi?.target, '../1.0.0/\\u{202e}w.bin');
      const expected = hostileNames(h).filter((x) => x !== '' && x !== '.').map(showName);
      const bad = tags.filter((t) => t.name !== 'bidi' && t.problem);
      assert.deepEqual(bad.map((t) => t.name).sort(), expected.sort());
      for (const t of tags) assert.doesNotMatch(`${t.name} ${t.target} ${t.problem ?? ''}`, DISGUISING);
      const e = await rejects(repo.resolve({ model: 'ht', tag: 'bidi' }), 'BrokenLink');
      assert.doesNotMatch(e.message, DISGUISING);
      assert.deepEqual((await repo.listVersions('ht'))[0].tags, ['ok']);
    });
  });
}

/** Symbolic links are a filesystem's own way to point outside the repository: the backend refuses to
 *  follow them (ListPage.refused) and the repository reports and refuses what it refused. */
export function symlinkContract(make: MakeHarness): void {
  describe('symbolic links leaving a folder repository are reported and refused', () => {
    let h: ContractHarness;
    let repo: Repository;
    let area: DownloadArea;
    const onlyFs = (t: { skip(msg: string): void }): boolean => {
      if (h.storage.kind === 'fs') return true;
      t.skip('only a folder repository has symbolic links');
      return false;
    };
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      area = await downloadArea();
      if (h.storage.kind !== 'fs' || !h.rawPutOutside) return;
      await h.rawPutOutside('outside/secret.bin', 'outside the repository');
      await h.rawPut('sl/1.0.0/w.bin', 'good');
      await h.rawLink('sl/1.0.0/leak.bin', '../../../outside/secret.bin');
      await h.rawPut('sl/3.0.0/w.bin', 'good');
      await h.rawLink('sl/2.0.0', '../../outside');
    });
    after(async () => {
      await area.remove();
      await h.cleanup();
    });

    it('lists a symlinked version folder with a problem', async (t) => {
      if (!onlyFs(t)) return;
      const vs = await repo.listVersions('sl');
      assert.deepEqual(vs.filter((v) => !v.problem).map((v) => v.name), ['1.0.0', '3.0.0']);
      assert.deepEqual(vs.filter((v) => v.problem).map((v) => v.name), [showName('2.0.0')]);
    });
    it('lists a symlinked file with a problem', async (t) => {
      if (!onlyFs(t)) return;
      const arts = await repo.listArtifacts('sl', '1.0.0');
      assert.deepEqual(arts.map((a) => [a.name, a.problem !== undefined]), [[showName('leak.bin'), true], ['w.bin', false]]);
    });
    it('refuses to download through either link, writing nothing', async (t) => {
      if (!onlyFs(t)) return;
      await rejects(repo.download({ model: 'sl', version: '2.0.0' }, area.dest('folder')), 'Unsafe', /sl@2\.0\.0/);
      await rejects(repo.download({ model: 'sl', version: '1.0.0' }, area.dest('file')), 'Unsafe', /leak\.bin/);
      assert.deepEqual(await localTree(area.dest('folder')), []);
      assert.deepEqual(await localTree(area.dest('file')), []);
      await area.assertNothingOutside();
      assert.equal((await repo.download({ model: 'sl', version: '3.0.0' }, area.dest('ok'))).files.length, 1);
    });
  });
}
