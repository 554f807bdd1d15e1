// Contract: atomic, resumable, cancellable uploads; names; downloads verified against sha256.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Repository } from '../../src/core/repository';
import { pendingKey, versionManifestKey } from '../../src/core/layout';
import type { FileProgress } from '../../src/core/types';
import type { ContractHarness, LocalSamples, MakeHarness } from './contractHelpers';
import { WHO, allKeys, gated, localSamples, rejects, sha256 } from './contractHelpers';

export function uploadContract(make: MakeHarness): void {
  describe('uploads publish atomically', () => {
    let h: ContractHarness;
    let repo: Repository;
    let local: LocalSamples;
    let a: { path: string; bytes: Buffer };
    let b: { path: string; bytes: Buffer };
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      local = await localSamples();
      a = await local.file('a.gguf', 3 * 1024);
      b = await local.file('b.gguf', 5 * 1024 + 7);
    });
    after(async () => {
      await local.remove();
      await h.cleanup();
    });

    it('stores files with names, sizes and sha256 in the version manifest', async () => {
      const progress: FileProgress[] = [];
      const m = await repo.upload('up', '1.0.0', [a.path, b.path], { onProgress: (p) => progress.push(p) });
      assert.deepEqual(m.files, [
        { name: 'a.gguf', size: a.bytes.length, sha256: sha256(a.bytes) },
        { name: 'b.gguf', size: b.bytes.length, sha256: sha256(b.bytes) },
      ]);
      assert.equal(m.createdBy, WHO);
      assert.ok(progress.some((p) => p.file === 'b.gguf' && p.stored === p.total && p.total === b.bytes.length));
      const [v] = await repo.listVersions('up');
      assert.deepEqual([v.name, v.state], ['1.0.0', 'complete']);
      assert.ok(v.created instanceof Date);
      const arts = await repo.listArtifacts('up', '1.0.0');
      assert.deepEqual(arts.map((x) => [x.name, x.size, x.sha256]), m.files.map((f) => [f.name, f.size, f.sha256]));
      assert.equal(await h.storage.stat(pendingKey('up', '1.0.0')), undefined);
    });
    it('uploads a folder: its files, subfolders as sub/file, hidden files skipped', async () => {
      await local.file('shards/model-00001-of-00002.safetensors', 2048);
      await local.file('shards/model-00002-of-00002.safetensors', 1024);
      await local.file('shards/tokenizer/config.json', 64);
      await local.file('shards/.gitattributes', 10);
      const m = await repo.upload('up', '2.0.0', [path.join(local.dir, 'shards')]);
      assert.deepEqual(m.files.map((f) => f.name), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'tokenizer/config.json']);
      const { files } = await repo.download({ model: 'up', version: '2.0.0' }, path.join(local.dir, 'out2'));
      assert.ok(files.includes(path.join(local.dir, 'out2', 'tokenizer', 'config.json')));
    });
    it('keeps the version hidden and untaggable until the manifest is written', async () => {
      const g = gated(h.storage, 'putText', (k) => k === versionManifestKey('up', '3.0.0'));
      const running = new Repository(g.storage, { who: WHO }).upload('up', '3.0.0', [a.path, b.path]);
      await g.gate.reached; // every file is stored, the manifest not yet
      try {
        assert.ok(!(await repo.listVersions('up')).some((v) => v.name === '3.0.0'));
        const pending = (await repo.listVersions('up', { includePending: true })).find((v) => v.name === '3.0.0');
        assert.equal(pending?.state, 'pending');
        await rejects(repo.resolve({ model: 'up', version: '3.0.0' }), 'Incomplete');
        await rejects(repo.setTag('up', 'early', '3.0.0'), 'Incomplete', /not published/);
        await rejects(repo.upload('up', '3.0.0', [a.path]), 'Exists', /other files/);
        await rejects(repo.upload('up', '3.0.0', [a.path, b.path]), 'Exists', /already running|right now/);
      } finally {
        g.gate.release();
      }
      await running;
      assert.equal((await repo.listVersions('up')).find((v) => v.name === '3.0.0')?.state, 'complete');
      assert.equal((await repo.setTag('up', 'early', '3.0.0')).target, '../3.0.0');
    });
    it('refuses to write into a published or legacy version', async () => {
      await rejects(repo.upload('up', '1.0.0', [a.path]), 'Exists', /already published/);
      await h.rawPut('up/0.9.0/old.bin', 'copied by aws s3 cp');
      await rejects(repo.upload('up', '0.9.0', [a.path]), 'Exists', /another tool/);
      assert.deepEqual(await allKeys(h.storage, 'up/0.9.0/'), ['up/0.9.0/old.bin']);
    });
    it('leaves an interrupted upload hidden, and the same upload resumes it without resending stored files', async () => {
      const crash = gated(h.storage, 'uploadFile', (k) => k === 'up/4.0.0/b.gguf', new Error('simulated crash'));
      await assert.rejects(new Repository(crash.storage, { who: WHO }).upload('up', '4.0.0', [a.path, b.path], { concurrency: 1 }), /simulated crash/);
      assert.ok(!(await repo.listVersions('up')).some((v) => v.name === '4.0.0'));
      assert.ok(await h.storage.stat(pendingKey('up', '4.0.0')));
      const progress: FileProgress[] = [];
      const m = await repo.upload('up', '4.0.0', [a.path, b.path], { onProgress: (p) => progress.push(p) });
      assert.ok(progress.some((p) => p.file === 'a.gguf' && p.resumed === a.bytes.length), 'a.gguf was stored by the first run');
      assert.equal(m.files[1].sha256, sha256(b.bytes));
      assert.equal(m.files[0].sha256, sha256(a.bytes));
      assert.equal(await h.storage.stat(pendingKey('up', '4.0.0')), undefined);
    });
    it('cancel (AbortSignal) mid-upload leaves no marker, no files and no partial uploads', async () => {
      const big = await local.file('big.bin', 6 * 1024 * 1024 + 123);
      const ac = new AbortController();
      const p = repo.upload('up', '5.0.0', [a.path, big.path], {
        signal: ac.signal, concurrency: 1,
        onProgress: (x) => { if (x.file === 'big.bin' && x.stored > 0) ac.abort(); },
      });
      await rejects(p, 'Aborted');
      assert.equal(await h.storage.stat(pendingKey('up', '5.0.0')), undefined);
      assert.deepEqual(await allKeys(h.storage, 'up/5.0.0/'), []);
      assert.deepEqual(await h.storage.listPartialUploads('up/5.0.0/'), []);
      assert.ok(!(await repo.listVersions('up', { includePending: true })).some((v) => v.name === '5.0.0'));
    });
    it('names bad names, with the object, as InvalidName', async () => {
      const e1 = await rejects(repo.upload('../x', '1.0.0', [a.path]), 'InvalidName');
      assert.match(e1.message, /model name '\.\.\/x'/);
      await rejects(repo.upload('up', 'tags', [a.path]), 'InvalidName', /'tags' is reserved/);
      await rejects(repo.upload('up', 'a/b', [a.path]), 'InvalidName', /slash/);
      await rejects(repo.setTag('up', 'a/b', '1.0.0'), 'InvalidName', /tag name 'a\/b'/);
      await rejects(repo.setTag('up', '', '1.0.0'), 'InvalidName', /empty/);
      const bad = await local.file('bad\u0001name.bin', 10);
      await rejects(repo.upload('up', '6.0.0', [bad.path]), 'InvalidName', /control character/);
      await rejects(repo.upload('up', '7.0.0', [path.join(local.dir, 'missing.bin')]), 'NotFound', /missing\.bin/);
      assert.ok(!(await repo.listVersions('up', { includePending: true })).some((v) => ['6.0.0', '7.0.0'].includes(v.name)));
    });
  });

  describe('downloads are verified against the recorded sha256', () => {
    let h: ContractHarness;
    let repo: Repository;
    let local: LocalSamples;
    let a: { path: string; bytes: Buffer };
    let b: { path: string; bytes: Buffer };
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      local = await localSamples();
      a = await local.file('a.gguf', 4096);
      b = await local.file('b.gguf', 2048);
      await repo.upload('dl', '1.0.0', [a.path, b.path]);
      await repo.setTag('dl', 'latest', '1.0.0/b.gguf');
    });
    after(async () => {
      await local.remove();
      await h.cleanup();
    });

    it('downloads a version byte for byte', async () => {
      const dest = path.join(local.dir, 'v');
      const { files } = await repo.download({ model: 'dl', version: '1.0.0' }, dest);
      assert.deepEqual(files, [path.join(dest, 'a.gguf'), path.join(dest, 'b.gguf')]);
      assert.ok((await fsp.readFile(files[0])).equals(a.bytes));
      assert.ok((await fsp.readFile(files[1])).equals(b.bytes));
    });
    it('downloads the one file a tag points at', async () => {
      const { files } = await repo.download({ model: 'dl', tag: 'latest' }, path.join(local.dir, 't'));
      assert.deepEqual(files, [path.join(local.dir, 't', 'b.gguf')]);
    });
    it('refuses a tampered file with Integrity and never writes it', async () => {
      const tampered = Buffer.alloc(b.bytes.length, 0x54); // same size: only the sha256 can tell
      await h.rawPut('dl/1.0.0/b.gguf', tampered);
      const dest = path.join(local.dir, 'bad');
      const e = await rejects(repo.download({ model: 'dl', tag: 'latest' }, dest), 'Integrity', /sha256/);
      assert.equal(e.details.expected, sha256(b.bytes));
      assert.equal(e.details.actual, sha256(tampered));
      await assert.rejects(fsp.stat(path.join(dest, 'b.gguf')), { code: 'ENOENT' });
    });
  });
}
