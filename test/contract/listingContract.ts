// Contract: a model's versions, files and tags come from a few listing pages, not from requests per
// version. A counting pass-through wrapper (the real backend underneath, its pages capped small so
// that paging shows) counts the calls: listing pages grow with the objects, per-version reads do not
// happen, and a version record is read only for a version that has one. The answers equal the
// version-by-version reads (listArtifacts, listTags), and the newest-first pages of the tree cover
// every version once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Repository } from '../../src/core/repository';
import type { ListOptions, Storage } from '../../src/core/storage/storage';
import type { VersionInfo } from '../../src/core/types';
import type { ContractHarness, LocalSamples, MakeHarness } from './contractHelpers';
import { WHO, localSamples } from './contractHelpers';

const PAGE = 10;

/** The backend with every call counted by method name, and pages of at most PAGE entries. */
function counting(inner: Storage): { storage: Storage; calls: Map<string, number>; reset(): void } {
  const calls = new Map<string, number>();
  const storage = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        if (prop === 'list') {
          const opts = (args[1] ?? {}) as ListOptions;
          return target.list(args[0] as string, { ...opts, limit: Math.min(opts.limit ?? PAGE, PAGE) });
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { storage, calls, reset: () => calls.clear() };
}

const versionName = (i: number): string => `2024-01-${String(i + 1).padStart(2, '0')}`;

export function listingContract(make: MakeHarness): void {
  describe("a model's listing costs listing pages, not requests per version", () => {
    let h: ContractHarness;
    let c: ReturnType<typeof counting>;
    let repo: Repository;
    let plain: Repository;
    let local: LocalSamples;
    const N = 24;
    before(async () => {
      h = await make();
      c = counting(h.storage);
      repo = new Repository(c.storage, { who: WHO });
      plain = new Repository(h.storage, { who: WHO });
      local = await localSamples();
      const puts: Promise<void>[] = [];
      for (let i = 0; i < N; i++) {
        puts.push(h.rawPut(`wide/${versionName(i)}/model.gguf`, `weights ${i}`), h.rawPut(`wide/${versionName(i)}/config.json`, '{}'));
      }
      for (let i = 0; i < 30; i++) puts.push(h.rawPut(`wide/.modelrepo/history/latest/2024${String(i).padStart(4, '0')}.json`, '{}'));
      await Promise.all(puts);
      await h.rawLink('wide/tags/latest', `../${versionName(N - 1)}`);
      await h.rawLink('wide/tags/first', `../${versionName(0)}/model.gguf`);
      await h.rawLink('wide/tags/gone', '../1999-01-01');
      const f = await local.file('a.bin', 100);
      await plain.upload('mixed', '1.0.0', [f.path]);
      await plain.upload('mixed', '2.0.0', [f.path]);
      await h.rawPut('mixed/3.0.0/x.bin', 'foreign');
      await h.rawPut('mixed/4.0.0/.modelrepo-pending.json', '{"schema":1}');
      await h.rawPut('mixed/4.0.0/part.bin', 'half');
    });
    after(async () => {
      await local.remove();
      await h.cleanup();
    });

    it(`describes ${N} foreign versions from the listing pages alone: no per-version reads`, async () => {
      c.reset();
      const m = await repo.describeModel('wide');
      assert.deepEqual(m.versions.map((v) => [v.name, v.state]), Array.from({ length: N }, (_, i) => [versionName(i), 'legacy']));
      assert.deepEqual([...m.files.values()].map((fs) => fs.map((a) => a.name)), Array.from({ length: N }, () => ['config.json', 'model.gguf']));
      assert.deepEqual(m.versions.find((v) => v.name === versionName(N - 1))?.tags, ['latest']);
      assert.deepEqual(m.tags.map((t) => [t.name, t.problem === undefined]), [['first', true], ['gone', false], ['latest', true]]);
      // The level: N versions + tags/ + .modelrepo/ in pages of 10; the flat listing: 2N objects and 3
      // tags, the history jumped over (at most one page of it is read).
      const levelPages = Math.ceil((N + 2) / PAGE);
      const flatPages = Math.ceil((2 * N + 3 + PAGE) / PAGE) + 1;
      assert.ok((c.calls.get('list') ?? 0) <= levelPages + flatPages, `list calls: ${c.calls.get('list')}`);
      for (const k of ['stat', 'read', 'readText', 'readChecksum']) assert.equal(c.calls.get(k) ?? 0, 0, `${k} calls`);
      assert.ok((c.calls.get('readLink') ?? 0) <= 3, `one read per tag, got ${c.calls.get('readLink')}`);
    });
    it('gives what the version-by-version reads give', async () => {
      const m = await repo.describeModel('mixed');
      const vs = await plain.listVersions('mixed', { includePending: true });
      assert.deepEqual(m.versions.map((v) => [v.name, v.state, v.problem]), vs.map((v) => [v.name, v.state, v.problem]));
      assert.deepEqual(m.versions.map((v) => v.state), ['complete', 'complete', 'legacy', 'pending']);
      for (const v of vs) {
        const arts = await plain.listArtifacts('mixed', v.name);
        assert.deepEqual(m.files.get(v.name)?.map((a) => [a.name, a.size, a.sha256]), arts.map((a) => [a.name, a.size, a.sha256]));
      }
      assert.deepEqual(await repo.describeModel('wide').then((w) => w.tags.map((t) => [t.name, t.target, t.problem])),
        (await plain.listTags('wide')).map((t) => [t.name, t.target, t.problem]));
    });
    it('reads the records of published versions only, and hides the pending one from listVersions', async () => {
      c.reset();
      const m = await repo.describeModel('mixed');
      assert.equal(c.calls.get('readText') ?? 0, 2, 'the records of 1.0.0 and 2.0.0');
      assert.equal(c.calls.get('stat') ?? 0, 0);
      assert.ok(m.files.get('1.0.0')?.every((a) => a.sha256 !== undefined));
      assert.deepEqual((await repo.listVersions('mixed')).map((v) => v.name), ['1.0.0', '2.0.0', '3.0.0']);
    });
    it('pages versions newest first for a tree: each once, none lost, reading no record', async () => {
      c.reset();
      const seen: VersionInfo[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const p = await repo.listVersionsPage('wide', { limit: 7, cursor });
        seen.push(...p.versions);
        cursor = p.cursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, Math.ceil(N / 7));
      assert.deepEqual(seen.map((v) => v.name), Array.from({ length: N }, (_, i) => versionName(N - 1 - i)));
      assert.deepEqual(seen.find((v) => v.name === versionName(0))?.tags, ['first']);
      // Only a tag pointing outside the page looks its version up (record and marker): per tag, not per version.
      const lookups = (c.calls.get('stat') ?? 0) + (c.calls.get('readText') ?? 0);
      assert.ok(lookups <= 2 * 3 * pages, `stat + readText: ${lookups}`);
      assert.equal(c.calls.get('read') ?? 0, 0);
      const all = await plain.listVersions('mixed', { includePending: true });
      const paged = (await repo.listVersionsPage('mixed', { includePending: true })).versions;
      assert.deepEqual(paged.map((v) => [v.name, v.state]), [...all].reverse().map((v) => [v.name, v.state]));
    });
    it('one page of a tree lists only the key range of its versions', async () => {
      const full = counting(h.storage);
      await new Repository(full.storage).describeModel('wide');
      c.reset();
      await repo.listVersionsPage('wide', { limit: 3 });
      // The level (3 pages of 10) plus the objects of 3 versions (one page), tags read by link.
      assert.ok((c.calls.get('list') ?? 0) < (full.calls.get('list') ?? 0), `${c.calls.get('list')} vs ${full.calls.get('list')}`);
    });
    it('resolves a tag in a few calls, whatever the number of versions', async () => {
      c.reset();
      const r = await repo.resolve({ model: 'wide', tag: 'latest' });
      assert.deepEqual(r.chain, ['latest', versionName(N - 1)]);
      const total = [...c.calls.values()].reduce((a, b) => a + b, 0);
      assert.ok(total <= 6, `calls: ${JSON.stringify([...c.calls])}`);
    });
    it('refuses a cursor it did not hand out', async () => {
      await assert.rejects(repo.listVersionsPage('wide', { cursor: 'bm90IGEgY3Vyc29y' }), /cursor/);
    });
  });
}
