// The repository contract on the filesystem backend (a temp folder), plus what only a filesystem
// shows: tags are real relative symlinks that `ls -l` and the kernel can follow.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { openStorage } from '../../src/core/openStorage';
import { Repository } from '../../src/core/repository';
import { repositoryContract } from '../contract/repositoryContract';
import type { ContractHarness } from '../contract/repositoryContract';
import { localSamples, rejects, sha256 } from '../contract/contractHelpers';
import { bodyOf } from '../contract/streamUploadContract';

async function makeFs(): Promise<ContractHarness> {
  const parent = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-fs-'));
  const root = path.join(parent, 'models');
  await fsp.mkdir(root);
  const abs = (base: string, key: string): string => path.join(base, ...key.split('/'));
  const put = async (base: string, key: string, body: string | Buffer): Promise<void> => {
    await fsp.mkdir(path.dirname(abs(base, key)), { recursive: true });
    await fsp.writeFile(abs(base, key), body); // plain cp
  };
  return {
    storage: createFsStorage({ kind: 'fs', path: root }),
    rawPut: (key, body) => put(root, key, body),
    rawPutOutside: (key, body) => put(parent, key, body),
    rawLink: async (key, target) => {
      await fsp.mkdir(path.dirname(abs(root, key)), { recursive: true });
      await fsp.symlink(target, abs(root, key)); // plain ln -s
    },
    cleanup: () => fsp.rm(parent, { recursive: true, force: true }),
  };
}

repositoryContract('a filesystem folder', makeFs);

describe('filesystem specifics', () => {
  let h: ContractHarness;
  let root: string;
  before(async () => {
    h = await makeFs();
    root = h.storage.root;
  });
  after(() => h.cleanup());

  it('opens through openStorage without loading the AWS SDK', async () => {
    const s = await openStorage({ kind: 'fs', path: root });
    assert.equal(s.kind, 'fs');
    assert.ok(!Object.keys(require.cache).some((k) => k.includes('@aws-sdk')), 'the AWS SDK was loaded');
  });
  it('writes tags as relative symlinks the kernel can follow (ls -l tags/ shows latest -> v2)', async () => {
    const local = await localSamples();
    try {
      const f = await local.file('llama-3-8b.Q5_K_M.gguf', 100);
      const repo = new Repository(h.storage);
      await repo.upload('llama-3-8b', '2024-03-20', [f.path]);
      await repo.setTag('llama-3-8b', 'v2', '2024-03-20/llama-3-8b.Q5_K_M.gguf');
      await repo.setTag('llama-3-8b', 'latest', 'v2');
      const tags = path.join(root, 'llama-3-8b', 'tags');
      assert.equal(await fsp.readlink(path.join(tags, 'latest')), 'v2');
      assert.equal(await fsp.readlink(path.join(tags, 'v2')), '../2024-03-20/llama-3-8b.Q5_K_M.gguf');
      assert.ok((await fsp.readFile(path.join(tags, 'latest'))).equals(await fsp.readFile(f.path)));
      const entries = await fsp.readdir(tags);
      assert.deepEqual(entries.filter((n) => !n.startsWith('.')).sort(), ['latest', 'v2']);
      assert.deepEqual(entries.filter((n) => /lock|tmp|partial/.test(n)), [], 'no lock or temp files left behind');
    } finally {
      await local.remove();
    }
  });
  it('keeps compare-and-swap correct across processes (lock file + rename)', async () => {
    await h.rawPut('xp/1.0.0/w.bin', 'w');
    const repo = new Repository(h.storage, { who: 'setup' });
    await repo.setTag('xp', 'hot', '1.0.0');
    const repoModule = path.join(__dirname, '..', '..', 'src', 'core', 'repository.js');
    const fsModule = path.join(__dirname, '..', '..', 'src', 'core', 'storage', 'fsStorage.js');
    // Each process moves the tag 5 times between two targets, each time expecting what it just read.
    const worker = `
      const { Repository } = require(${JSON.stringify(repoModule)});
      const { createFsStorage } = require(${JSON.stringify(fsModule)});
      (async () => {
        const storage = createFsStorage({ kind: 'fs', path: ${JSON.stringify(root)} });
        const repo = new Repository(storage, { who: 'proc-' + process.argv[1] });
        let landed = 0;
        for (let i = 0; i < 5; i++) {
          const cur = (await storage.readLink('xp/tags/hot')).target;
          const next = cur === '../1.0.0' ? '1.0.0/w.bin' : '1.0.0';
          try { await repo.setTag('xp', 'hot', next, { expect: cur }); landed++; }
          catch (e) { if (e.code !== 'Conflict') throw e; }
        }
        process.stdout.write(String(landed));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const run = (n: number): Promise<number> => new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', worker, String(n)], (err, stdout) => (err ? reject(err) : resolve(Number(stdout))));
    });
    const landed = await Promise.all([0, 1, 2, 3, 4, 5].map(run));
    const total = landed.reduce((a, b) => a + b, 0);
    assert.ok(total >= 5, `at least the uncontended moves land (landed ${total})`);
    const hist = await repo.history('xp', 'hot');
    assert.equal(hist.length, 1 + total, 'history holds exactly the landed moves');
    for (let i = 1; i < hist.length; i++) assert.equal(hist[i].from, hist[i - 1].to, `record ${i} starts where ${i - 1} ended`);
    assert.equal((await h.storage.readLink('xp/tags/hot'))?.target, hist[hist.length - 1].to);
  });
  it('rejects keys that would leave the root, and a relative root', async () => {
    await rejects(h.storage.readText('../outside'), 'InvalidName');
    assert.throws(() => createFsStorage({ kind: 'fs', path: 'relative/dir' }), /absolute/);
    const missing = createFsStorage({ kind: 'fs', path: path.join(root, 'no-such-folder') });
    await rejects(missing.list(''), 'NotFound', /repository folder does not exist/);
    assert.deepEqual(await h.storage.list('no-such-model/'), { prefixes: [], objects: [], cursor: undefined });
  });
  it('a failed stream upload leaves no temp file in the folder', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024, 5);
    await rejects(h.storage.uploadStream('sf/1/a.bin', bodyOf(bytes), bytes.length, { expectedSha256: sha256('x') }), 'Integrity');
    await rejects(h.storage.uploadStream('sf/1/b.bin', bodyOf(bytes, { failAt: 1024 * 1024 }), bytes.length), 'Storage');
    const r = await h.storage.uploadStream('sf/1/c.bin', bodyOf(bytes), bytes.length);
    assert.equal(r.sha256, sha256(bytes));
    assert.deepEqual((await fsp.readdir(path.join(root, 'sf', '1'))).sort(), ['.c.bin.modelrepo-sha256', 'c.bin'], 'only the file and its checksum sidecar');
  });
  it('resumes an interrupted upload from the partial file, hashing the stored prefix from the local file', async () => {
    const local = await localSamples();
    try {
      const f = await local.file('big.bin', 3 * 1024 * 1024);
      const ac = new AbortController();
      // A failure that is not a cancel keeps the partial: simulate a killed process by stopping the stream.
      const key = 'm/1.0.0/big.bin';
      let stopped = false;
      await assert.rejects(h.storage.uploadFile(key, f.path, {
        onProgress: (p) => { if (p.stored >= 2 * 1024 * 1024 && !stopped) { stopped = true; throw new Error('killed'); } },
        signal: ac.signal,
      }));
      assert.deepEqual(await h.storage.listPartialUploads('m/'), [key]);
      const r = await h.storage.uploadFile(key, f.path);
      assert.ok(r.resumedBytes >= 1024 * 1024, `resumed ${r.resumedBytes}`);
      assert.equal(r.sha256, sha256(f.bytes));
      assert.ok((await fsp.readFile(path.join(root, 'm', '1.0.0', 'big.bin'))).equals(f.bytes));
      assert.deepEqual(await h.storage.listPartialUploads('m/'), []);
    } finally {
      await local.remove();
    }
  });
});
