// Contract: tag moves are compare-and-swap, every landed change is in the history, rollback, racing
// writers, and versions in use cannot be deleted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Repository } from '../../src/core/repository';
import { isRepoError } from '../../src/core/errors';
import type { HistoryRecord } from '../../src/core/layout';
import type { ContractHarness, LocalSamples, MakeHarness } from './contractHelpers';
import { WHO, allKeys, gated, localSamples, rejects } from './contractHelpers';

export function tagsContract(make: MakeHarness): void {
  describe('tags: compare-and-swap, history, rollback', () => {
    let h: ContractHarness;
    let repo: Repository;
    let other: Repository;
    let local: LocalSamples;
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      other = new Repository(h.storage, { who: 'bob@elsewhere' });
      local = await localSamples();
      const f = await local.file('w.gguf', 1024);
      await repo.upload('tg', '1.0.0', [f.path]);
      await repo.upload('tg', '2.0.0', [f.path]);
      await h.rawPut('tg/3.0.0/w.gguf', 'half');
      await h.rawPut('tg/3.0.0/.modelrepo-pending.json', '{"schema":1,"files":[]}'); // an interrupted upload elsewhere
    });
    after(async () => {
      await local.remove();
      await h.cleanup();
    });

    it('creates a tag that must not exist yet, and refuses a second create', async () => {
      const t = await repo.setTag('tg', 'stable', '1.0.0', { expect: null });
      assert.equal(t.target, '../1.0.0');
      assert.deepEqual(t.resolved?.chain, ['stable', '1.0.0']);
      const e = await rejects(repo.setTag('tg', 'stable', '2.0.0', { expect: null }), 'Exists');
      assert.equal(e.details.current, '../1.0.0');
    });
    it('points tags at files and at other tags', async () => {
      assert.equal((await repo.setTag('tg', 'file', '2.0.0/w.gguf')).target, '../2.0.0/w.gguf');
      const t = await repo.setTag('tg', 'latest', 'stable');
      assert.equal(t.target, 'stable');
      assert.deepEqual(t.resolved?.chain, ['latest', 'stable', '1.0.0']);
    });
    it('moves with the expected link text, and refuses a stale expectation with who, where and when', async () => {
      await other.setTag('tg', 'stable', '2.0.0', { expect: '../1.0.0' });
      const e = await rejects(repo.setTag('tg', 'stable', '1.0.0', { expect: '../1.0.0' }), 'Conflict', /moved to \.\.\/2\.0\.0 by bob@elsewhere at /);
      assert.equal(e.object, 'tg:stable');
      assert.equal(e.details.current, '../2.0.0');
      assert.equal(e.details.who, 'bob@elsewhere');
      assert.ok(!Number.isNaN(Date.parse(String(e.details.when))));
      assert.equal((await repo.resolve({ model: 'tg', tag: 'stable' })).version, '2.0.0');
    });
    it('accepts the resolved form the caller saw as the expectation', async () => {
      // latest -> stable -> 2.0.0: a caller who saw "2.0.0" may move latest
      const t = await repo.setTag('tg', 'latest', '2.0.0/w.gguf', { expect: '2.0.0' });
      assert.equal(t.target, '../2.0.0/w.gguf');
      await rejects(repo.setTag('tg', 'latest', 'stable', { expect: '1.0.0' }), 'Conflict');
    });
    it('refuses missing, unfinished and cyclic targets', async () => {
      await rejects(repo.setTag('tg', 'x', '9.9.9'), 'NotFound', /9\.9\.9/);
      await rejects(repo.setTag('tg', 'x', '1.0.0/nope.gguf'), 'NotFound', /nope\.gguf/);
      await rejects(repo.setTag('tg', 'x', '3.0.0'), 'Incomplete');
      await rejects(repo.setTag('tg', 'x', '../../other/1.0.0'), 'InvalidRef', /leaves the model/);
      await repo.setTag('tg', 'a', 'stable');
      await repo.setTag('tg', 'b', 'a');
      await rejects(repo.setTag('tg', 'stable', 'b'), 'BrokenLink', /cycle: stable -> b -> a -> stable/);
      await rejects(repo.setTag('tg', 'a', 'a'), 'BrokenLink', /itself/);
      assert.equal((await repo.resolve({ model: 'tg', tag: 'b' })).version, '2.0.0');
    });
    it('records deletes, and refuses a delete with a stale expectation', async () => {
      await repo.setTag('tg', 'tmp', '1.0.0');
      await rejects(repo.deleteTag('tg', 'tmp', { expect: '2.0.0' }), 'Conflict');
      await repo.deleteTag('tg', 'tmp', { expect: '../1.0.0' });
      await rejects(repo.deleteTag('tg', 'tmp'), 'NotFound');
      const hist = await repo.history('tg', 'tmp');
      assert.deepEqual(hist.map((r) => [r.op, r.from, r.to, r.who]), [
        ['create', undefined, '../1.0.0', WHO],
        ['delete', '../1.0.0', undefined, WHO],
      ]);
      assert.ok(!(await repo.listTags('tg')).some((t) => t.name === 'tmp'));
    });
    it('keeps the history of every landed move, oldest first, and rolls back by moving back', async () => {
      const hist = await repo.history('tg', 'stable');
      assert.deepEqual(hist.map((r) => [r.op, r.from, r.to, r.who]), [
        ['create', undefined, '../1.0.0', WHO],
        ['move', '../1.0.0', '../2.0.0', 'bob@elsewhere'],
      ]);
      const last = hist[hist.length - 1];
      await repo.setTag('tg', 'stable', last.from as string, { expect: last.to });
      assert.equal((await repo.resolve({ model: 'tg', tag: 'stable' })).version, '1.0.0');
      const all = await repo.history('tg');
      assert.ok(all.length >= 8);
      assert.deepEqual([...new Set(all.map((r) => r.tag))].sort(), ['a', 'b', 'file', 'latest', 'stable', 'tmp']);
      assert.ok(all.every((r, i) => i === 0 || all[i - 1].when <= r.when));
    });
    it('shows which tags resolve into each version', async () => {
      const vs = await repo.listVersions('tg');
      assert.deepEqual(vs.map((v) => [v.name, [...v.tags]]), [['1.0.0', ['a', 'b', 'stable']], ['2.0.0', ['file', 'latest']]]);
    });
    it('refuses to delete a version while tags point at it, then deletes it whole', async () => {
      const e = await rejects(repo.deleteVersion('tg', '2.0.0'), 'InUse', /file, latest/);
      assert.deepEqual(e.details.tags, ['file', 'latest']);
      await repo.deleteTag('tg', 'file');
      await repo.setTag('tg', 'latest', '1.0.0');
      await repo.deleteVersion('tg', '2.0.0');
      assert.deepEqual((await repo.listVersions('tg', { includePending: true })).map((v) => v.name), ['1.0.0', '3.0.0']);
      assert.deepEqual(await allKeys(h.storage, 'tg/2.0.0/'), []);
      await rejects(repo.resolve({ model: 'tg', version: '2.0.0' }), 'NotFound');
      await rejects(repo.deleteVersion('tg', '2.0.0'), 'NotFound');
    });
    it('a change that lands but whose history record cannot be written returns a warning, not a failure', async () => {
      const isHistory = (k: string): boolean => k.startsWith('tg/.modelrepo/history/');
      const created = await repo.setTag('tg', 'warned', '1.0.0');
      assert.equal(created.warning, undefined);
      const full = new Repository(gated(h.storage, 'putText', isHistory, new Error('no space left on device')).storage, { who: WHO });
      const moved = await full.setTag('tg', 'warned', '1.0.0/w.gguf');
      assert.match(moved.warning ?? '', /^moved, but its history record could not be written: .*no space left on device/);
      assert.equal(moved.target, '../1.0.0/w.gguf');
      assert.equal((await h.storage.readLink('tg/tags/warned'))?.target, '../1.0.0/w.gguf', 'the move landed');
      const gone = new Repository(gated(h.storage, 'putText', isHistory, new Error('no space left on device')).storage, { who: WHO });
      const deleted = await gone.deleteTag('tg', 'warned');
      assert.match(deleted.warning ?? '', /^deleted, but its history record could not be written/);
      assert.equal(await h.storage.readLink('tg/tags/warned'), undefined, 'the delete landed');
      assert.deepEqual((await repo.deleteTag('tg', 'latest')), {});
      assert.deepEqual((await repo.history('tg', 'warned')).map((r) => r.op), ['create']);
    });
  });

  describe('20 writers racing to move one tag', () => {
    let h: ContractHarness;
    const N = 20;
    const file = (i: number): string => `f${String(i).padStart(2, '0')}.bin`;
    before(async () => {
      h = await make();
      await Promise.all(Array.from({ length: N + 1 }, (_, i) => h.rawPut(`race/1.0.0/${file(i)}`, `file ${i}`)));
    });
    after(() => h.cleanup());

    const writers = (): Repository[] => Array.from({ length: N }, (_, i) => new Repository(h.storage, { who: `writer-${i}` }));
    const settle = async (ps: Promise<unknown>[]): Promise<{ landed: number[]; conflicts: { i: number; details: Record<string, unknown> }[] }> => {
      const rs = await Promise.allSettled(ps);
      const landed: number[] = [];
      const conflicts: { i: number; details: Record<string, unknown> }[] = [];
      rs.forEach((r, i) => {
        if (r.status === 'fulfilled') landed.push(i);
        else if (isRepoError(r.reason, 'Conflict')) conflicts.push({ i, details: { ...r.reason.details } });
        else assert.fail(`writer ${i} failed with something other than Conflict: ${String(r.reason)}`);
      });
      return { landed, conflicts };
    };
    const checkChain = (hist: readonly HistoryRecord[]): void => {
      for (let i = 1; i < hist.length; i++) assert.equal(hist[i].from, hist[i - 1].to, `record ${i} must start where ${i - 1} ended`);
    };

    it('with "replace whatever is there": every move lands or conflicts, and history holds exactly the landed ones', async () => {
      const repo = new Repository(h.storage, { who: WHO });
      await repo.setTag('race', 'hot', '1.0.0', { expect: null });
      const { landed, conflicts } = await settle(writers().map((w, i) => w.setTag('race', 'hot', `1.0.0/${file(i)}`)));
      assert.equal(landed.length + conflicts.length, N);
      assert.ok(landed.length >= 1);
      const hist = await repo.history('race', 'hot');
      assert.equal(hist.length, 1 + landed.length);
      assert.deepEqual(hist.slice(1).map((r) => r.who).sort(), landed.map((i) => `writer-${i}`).sort());
      checkChain(hist);
      for (const r of hist.slice(1)) assert.equal(r.to, `../1.0.0/${file(Number(r.who.slice(7)))}`);
      assert.equal((await h.storage.readLink('race/tags/hot'))?.target, hist[hist.length - 1].to);
    });
    it('with the same expectation: exactly one lands, every other gets Conflict naming the winner', async () => {
      const repo = new Repository(h.storage, { who: WHO });
      const current = (await h.storage.readLink('race/tags/hot'))?.target as string;
      const targets = Array.from({ length: N + 1 }, (_, i) => `1.0.0/${file(i)}`).filter((t) => `../${t}` !== current).slice(0, N);
      const { landed, conflicts } = await settle(writers().map((w, i) => w.setTag('race', 'hot', targets[i], { expect: current })));
      assert.equal(landed.length, 1, `exactly one move lands (landed: ${landed.join(', ')})`);
      assert.equal(conflicts.length, N - 1);
      const winner = `../${targets[landed[0]]}`;
      for (const c of conflicts) assert.equal(c.details.current, winner);
      // A loser refused by the storage learns the author from the link; one refused by its own pre-check
      // (it read after the move landed) from the history, which may not hold the record yet. Never a wrong name.
      assert.ok(conflicts.every((c) => c.details.who === `writer-${landed[0]}` || String(c.details.who).startsWith('someone')));
      const hist = await repo.history('race', 'hot');
      assert.equal(hist[hist.length - 1].who, `writer-${landed[0]}`);
      assert.equal(hist[hist.length - 1].to, winner);
      checkChain(hist);
    });
    it('creating with expect null: exactly one lands, the others get Exists', async () => {
      const rs = await Promise.allSettled(writers().map((w, i) => w.setTag('race', 'cold', `1.0.0/${file(i)}`, { expect: null })));
      assert.equal(rs.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of rs) if (r.status === 'rejected') assert.ok(isRepoError(r.reason, 'Exists'), String(r.reason));
      assert.equal((await new Repository(h.storage).history('race', 'cold')).length, 1);
    });
  });
}
