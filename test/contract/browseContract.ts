// Contract: repositories written by other tools in the chapter's layout, broken links, paging.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository } from '../../src/core/repository';
import { MAX_CHAIN } from '../../src/core/links';
import type { ContractHarness, LocalSamples, MakeHarness } from './contractHelpers';
import { WHO, localSamples, rejects } from './contractHelpers';

const Q4 = 'llama-3-8b/2024-01-15/llama-3-8b.Q4_K_M.gguf';
const Q5 = 'llama-3-8b/2024-03-20/llama-3-8b.Q5_K_M.gguf';

export function chapterLayoutContract(make: MakeHarness): void {
  describe("the chapter's tree, written by other tools", () => {
    let h: ContractHarness;
    let repo: Repository;
    let local: LocalSamples;
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      local = await localSamples();
      await h.rawPut(Q4, 'GGUF q4 weights\n');
      await h.rawPut(Q5, 'GGUF q5 weights, a bit longer\n');
      await h.rawLink('llama-3-8b/tags/latest', 'v2');
      await h.rawLink('llama-3-8b/tags/v1', '2024-01-15/llama-3-8b.Q4_K_M.gguf'); // the chapter's shorthand
      await h.rawLink('llama-3-8b/tags/v2', '../2024-03-20/llama-3-8b.Q5_K_M.gguf'); // a real relative symlink
    });
    after(async () => {
      await local.remove();
      await h.cleanup();
    });

    it('lists the model', async () => {
      assert.deepEqual((await repo.listModels()).models, ['llama-3-8b']);
    });
    it('lists both versions oldest first as legacy, with the tags resolving into each', async () => {
      const vs = await repo.listVersions('llama-3-8b');
      assert.deepEqual(vs.map((v) => [v.name, v.state, [...v.tags]]), [
        ['2024-01-15', 'legacy', ['v1']],
        ['2024-03-20', 'legacy', ['latest', 'v2']],
      ]);
    });
    it('lists artifacts with size and no checksum', async () => {
      const [a] = await repo.listArtifacts('llama-3-8b', '2024-03-20');
      assert.equal(a.name, 'llama-3-8b.Q5_K_M.gguf');
      assert.equal(a.key, Q5);
      assert.equal(a.size, 'GGUF q5 weights, a bit longer\n'.length);
      assert.equal(a.sha256, undefined);
      assert.ok(a.modified instanceof Date);
    });
    it('lists tags with their link text and resolved chains', async () => {
      const tags = await repo.listTags('llama-3-8b');
      assert.deepEqual(tags.map((t) => [t.name, t.target, t.resolved?.chain.join(' -> ')]), [
        ['latest', 'v2', 'latest -> v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf'],
        ['v1', '2024-01-15/llama-3-8b.Q4_K_M.gguf', 'v1 -> 2024-01-15/llama-3-8b.Q4_K_M.gguf'],
        ['v2', '../2024-03-20/llama-3-8b.Q5_K_M.gguf', 'v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf'],
      ]);
      assert.ok(tags.every((t) => t.token.length > 0 && t.problem === undefined));
    });
    it('resolves latest through v2 to the Q5 file', async () => {
      const r = await repo.resolve({ model: 'llama-3-8b', tag: 'latest' });
      assert.deepEqual(r.chain, ['latest', 'v2', '2024-03-20/llama-3-8b.Q5_K_M.gguf']);
      assert.equal(r.version, '2024-03-20');
      assert.equal(r.file, 'llama-3-8b.Q5_K_M.gguf');
      assert.deepEqual(r.artifacts.map((a) => a.key), [Q5]);
    });
    it('resolves versions and version files directly, and names what is missing', async () => {
      const v = await repo.resolve({ model: 'llama-3-8b', version: '2024-01-15' });
      assert.deepEqual(v.artifacts.map((a) => a.name), ['llama-3-8b.Q4_K_M.gguf']);
      const f = await repo.resolve({ model: 'llama-3-8b', version: '2024-01-15', file: 'llama-3-8b.Q4_K_M.gguf' });
      assert.equal(f.artifacts.length, 1);
      await rejects(repo.resolve({ model: 'llama-3-8b', version: '2099-01-01' }), 'NotFound', /2099-01-01/);
      await rejects(repo.resolve({ model: 'llama-3-8b', version: '2024-01-15', file: 'nope.gguf' }), 'NotFound', /nope\.gguf/);
      await rejects(repo.resolve({ model: 'llama-3-8b', tag: 'nope' }), 'NotFound', /nope/);
    });
    it('downloads a legacy file (nothing to verify) and shares it', async () => {
      const { files } = await repo.download({ model: 'llama-3-8b', tag: 'v1' }, path.join(local.dir, 'dl'));
      assert.deepEqual(files, [path.join(local.dir, 'dl', 'llama-3-8b.Q4_K_M.gguf')]);
      assert.equal(await fsp.readFile(files[0], 'utf8'), 'GGUF q4 weights\n');
      const url = await repo.shareUrl('llama-3-8b', '2024-01-15', 'llama-3-8b.Q4_K_M.gguf', 600);
      const body = url.startsWith('file:') ? await fsp.readFile(fileURLToPath(url), 'utf8') : await (await fetch(url)).text();
      assert.equal(body, 'GGUF q4 weights\n');
    });
    it('lets new tags point at a legacy version', async () => {
      const t = await repo.setTag('llama-3-8b', 'stable', '2024-01-15', { expect: null });
      assert.equal(t.target, '../2024-01-15');
      assert.deepEqual(t.resolved?.chain, ['stable', '2024-01-15']);
      assert.deepEqual((await h.storage.readLink('llama-3-8b/tags/stable'))?.target, '../2024-01-15');
    });
  });
}

export function brokenLinksContract(make: MakeHarness): void {
  describe('broken links are clear errors, never a hang or a wrong file', () => {
    let h: ContractHarness;
    let repo: Repository;
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      const t = (name: string): string => `bl/tags/${name}`;
      await h.rawPut('bl/1.0.0/a.bin', 'a');
      await h.rawLink(t('ok'), '../1.0.0/a.bin');
      await h.rawLink(t('a'), 'b');
      await h.rawLink(t('b'), 'a');
      await h.rawLink(t('self'), 'self');
      await h.rawLink(t('dangling'), 'ghost');
      await h.rawLink(t('dfile'), '../1.0.0/missing.bin');
      await h.rawLink(t('escape'), '../../other/1.0.0/a.bin');
      await h.rawLink(t('absolute'), '/etc/passwd');
      await h.rawPut(t('empty'), '');
      await h.rawPut(t('multi'), 'v1\nv2\n');
      await h.rawPut(t('binary'), Buffer.from([0, 1, 2, 0xff, 0xfe]));
      await h.rawPut(t('long'), 'x'.repeat(2000));
      for (let i = 0; i <= MAX_CHAIN + 2; i++) await h.rawLink(t(`c${i}`), i === MAX_CHAIN + 2 ? '../1.0.0' : `c${i + 1}`);
    });
    after(() => h.cleanup());

    const cases: [string, RegExp][] = [
      ['a', /cycle.*a -> b -> a/],
      ['self', /cycle/],
      ['dangling', /'ghost'.*does not exist/],
      ['dfile', /1\.0\.0\/missing\.bin.*does not exist/],
      ['escape', /leaves the model/],
      ['absolute', /absolute/],
      ['empty', /empty/],
      ['multi', /line|not text/],
      ['binary', /binary|not text/],
      ['long', /bytes/],
      ['c0', /longer than/],
    ];
    for (const [tag, pattern] of cases) {
      it(`resolving '${tag}' is BrokenLink (${pattern.source})`, async () => {
        const e = await rejects(repo.resolve({ model: 'bl', tag }), 'BrokenLink', pattern);
        assert.match(e.object, new RegExp(`^bl:${tag}$`));
      });
    }
    it('lists every tag, marking the broken ones instead of failing', async () => {
      const tags = await repo.listTags('bl');
      const broken = tags.filter((t) => t.problem).map((t) => t.name);
      for (const [tag] of cases) assert.ok(broken.includes(tag), `${tag} should be broken`);
      assert.deepEqual(tags.find((t) => t.name === 'ok')?.resolved?.chain, ['ok', '1.0.0/a.bin']);
      assert.equal(tags.length, 12 + MAX_CHAIN + 3);
    });
    it('still lists versions, with only the working tags', async () => {
      const vs = await repo.listVersions('bl');
      assert.deepEqual(vs.map((v) => v.name), ['1.0.0']);
      assert.ok(vs[0].tags.includes('ok'));
      assert.ok(vs[0].tags.includes(`c${MAX_CHAIN + 2 - (MAX_CHAIN - 1)}`), 'a chain of exactly MAX_CHAIN tags still resolves');
      for (const [tag] of cases) assert.ok(!vs[0].tags.includes(tag), `${tag} is broken and points nowhere`);
    });
    it('refuses to point a tag at a broken one, and can replace a malformed tag', async () => {
      await rejects(repo.setTag('bl', 'new', 'dangling'), 'BrokenLink', /does not resolve/);
      const t = await repo.setTag('bl', 'binary', '1.0.0');
      assert.deepEqual(t.resolved?.chain, ['binary', '1.0.0']);
    });
  });
}

export function pagingContract(make: MakeHarness): void {
  describe('paging, a prefix, and unrelated objects next to the models', () => {
    let h: ContractHarness;
    let repo: Repository;
    const models = Array.from({ length: 25 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      await Promise.all(models.map((m) => h.rawPut(`${m}/1.0.0/w.bin`, m)));
      await h.rawPut('README.txt', 'not a model'); // loose objects in the root (mc cp x localai/models/)
      await h.rawPut('loose.gguf', 'weights without a model folder');
      await h.rawPut('notes/readme.md', 'a folder that holds no versions');
      if (h.rawPutOutside) {
        await h.rawPutOutside('outside-model/1.0.0/x.bin', 'not in this repository');
        await h.rawPutOutside('x/1.0.0/y.bin', 'not in this repository either');
      }
    });
    after(() => h.cleanup());

    const expected = [...models, 'notes'];
    it('pages 26 models 10 at a time, sorted, none twice, none lost', async () => {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const r = await repo.listModels({ limit: 10, cursor });
        pages.push(r.models);
        cursor = r.cursor;
      } while (cursor && pages.length < 10);
      assert.deepEqual(pages.map((p) => p.length), [10, 10, 6]);
      assert.deepEqual(pages.flat(), expected);
    });
    it('filters case-insensitively, paged', async () => {
      const first = await repo.listModels({ limit: 4, filter: 'M1' });
      assert.deepEqual(first.models, ['m10', 'm11', 'm12', 'm13']);
      const second = await repo.listModels({ limit: 4, filter: 'M1', cursor: first.cursor });
      const third = await repo.listModels({ limit: 4, filter: 'M1', cursor: second.cursor });
      assert.deepEqual([...second.models, ...third.models], ['m14', 'm15', 'm16', 'm17', 'm18', 'm19']);
      assert.equal(third.cursor, undefined);
      assert.deepEqual((await repo.listModels({ filter: 'nothing-like-this' })).models, []);
    });
    it('pages the storage listing itself with a limit', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await h.storage.list('', { limit: 10, cursor });
        assert.ok(page.prefixes.length + page.objects.length <= 10);
        seen.push(...page.prefixes, ...page.objects.map((o) => o.key));
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 20);
      assert.deepEqual(seen.sort(), [...expected.map((m) => `${m}/`), 'README.txt', 'loose.gguf'].sort());
    });
    it('sees nothing outside its root, and a folder without versions has none', async () => {
      const all = (await repo.listModels()).models;
      assert.ok(!all.includes('outside-model') && !all.includes('x'));
      assert.deepEqual(await repo.listVersions('notes'), []);
      assert.deepEqual((await repo.listVersions('m07')).map((v) => v.name), ['1.0.0']);
    });
  });
}
