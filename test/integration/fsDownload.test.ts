// Downloads from a folder repository: the bytes go to `.<name>.modelrepo-download` plus a sidecar,
// a killed run is resumed by the next one (same object) and discarded otherwise, expectedSha256 guards
// the destination, and nothing planted at the partial's or sidecar's name is ever followed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { CHECKPOINT } from '../../src/core/storage/fsDownload';
import { DOWNLOAD_PARTIAL_SUFFIX, DOWNLOAD_SIDECAR_SUFFIX } from '../../src/core/storage/storage';
import type { ObjectInfo, Storage } from '../../src/core/storage/storage';
import { rejects, sha256 } from '../contract/contractHelpers';

const MiB = 1024 * 1024;

describe('folder repository downloads', { timeout: 120_000 }, () => {
  let parent: string;
  let storage: Storage;
  let dl: string;
  const bytes = Buffer.alloc(5 * MiB);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 12)) & 0xff;
  const key = 'm/1.0.0/model.bin';
  let info: ObjectInfo;
  let n = 0;
  /** A fresh destination with its partial and sidecar paths. */
  const dest = (): { file: string; partial: string; sidecar: string } => {
    const file = path.join(dl, `d${n++}`, 'model.bin');
    return { file, partial: path.join(path.dirname(file), `.model.bin${DOWNLOAD_PARTIAL_SUFFIX}`),
      sidecar: path.join(path.dirname(file), `.model.bin${DOWNLOAD_SIDECAR_SUFFIX}`) };
  };
  /** What a killed run leaves: the first `written` bytes (or `partialBytes`) and the sidecar. */
  const killedRun = async (d: ReturnType<typeof dest>, written: number, over: Partial<{ etag: string; partialBytes: Buffer }> = {}): Promise<void> => {
    await fsp.mkdir(path.dirname(d.file), { recursive: true });
    await fsp.writeFile(d.partial, over.partialBytes ?? bytes.subarray(0, written));
    await fsp.writeFile(d.sidecar, JSON.stringify({ key, etag: over.etag ?? info.etag, size: info.size, written }));
  };
  const gone = async (...paths: string[]): Promise<void> => {
    for (const p of paths) await assert.rejects(fsp.lstat(p), `${p} was removed`);
  };

  before(async () => {
    parent = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-download-'));
    dl = path.join(parent, 'downloads');
    storage = createFsStorage({ kind: 'fs', path: path.join(parent, 'repo') });
    await storage.uploadStream(key, Readable.from([bytes]), bytes.length);
    info = (await storage.stat(key)) as ObjectInfo;
  });
  after(() => fsp.rm(parent, { recursive: true, force: true }));

  it('resumes what a killed run left, hashing the bytes already there', async () => {
    const d = dest();
    await killedRun(d, 3 * MiB);
    const seen: number[] = [];
    const r = await storage.downloadFile(key, d.file, { onProgress: (p) => seen.push(p.resumed ?? -1), expectedSha256: sha256(bytes) });
    assert.equal(r.sha256, sha256(bytes));
    assert.ok(seen.length > 0 && seen.every((x) => x === 3 * MiB), `resumed from 3 MiB: ${[...new Set(seen)].join(',')}`);
    assert.ok((await fsp.readFile(d.file)).equals(bytes));
    await gone(d.partial, d.sidecar);
  });

  const discarded: [string, (d: ReturnType<typeof dest>) => Promise<void>][] = [
    ['the partial holds other bytes', (d) => killedRun(d, 2 * MiB, { partialBytes: Buffer.alloc(2 * MiB, 9) })],
    ['the object changed since (another etag)', (d) => killedRun(d, 2 * MiB, { etag: 'another-etag' })],
    ['the sidecar claims more than the partial holds', async (d) => {
      await killedRun(d, 2 * MiB);
      await fsp.truncate(d.partial, MiB);
    }],
    ['the sidecar is unreadable', async (d) => {
      await killedRun(d, 2 * MiB);
      await fsp.writeFile(d.sidecar, '{"key":');
    }],
  ];
  for (const [what, make] of discarded) {
    it(`starts over when ${what}`, async () => {
      const d = dest();
      await make(d);
      let resumed = -1;
      const r = await storage.downloadFile(key, d.file, { onProgress: (p) => { resumed = p.resumed ?? 0; } });
      assert.equal(resumed, 0);
      assert.equal(r.sha256, sha256(bytes));
      assert.ok((await fsp.readFile(d.file)).equals(bytes));
      await gone(d.partial, d.sidecar);
    });
  }

  it('never follows a symlink planted at the partial or sidecar name', async () => {
    const d = dest();
    const victim = path.join(parent, 'victim.txt');
    const victim2 = path.join(parent, 'victim2.txt');
    await fsp.writeFile(victim, 'keep me');
    await fsp.writeFile(victim2, 'keep me too');
    await fsp.mkdir(path.dirname(d.file), { recursive: true });
    await fsp.symlink(victim, d.partial);
    await fsp.symlink(victim2, d.sidecar);
    await storage.downloadFile(key, d.file);
    assert.equal(await fsp.readFile(victim, 'utf8'), 'keep me');
    assert.equal(await fsp.readFile(victim2, 'utf8'), 'keep me too');
    assert.ok((await fsp.readFile(d.file)).equals(bytes));
    await gone(d.partial, d.sidecar);
  });

  it('with expectedSha256 replaces the destination only when the hash matches', async () => {
    const d = dest();
    await fsp.mkdir(path.dirname(d.file), { recursive: true });
    await fsp.writeFile(d.file, 'the old file');
    const e = await rejects(storage.downloadFile(key, d.file, { expectedSha256: sha256('something else') }), 'Integrity', /left as it was/);
    assert.equal(e.details.actual, sha256(bytes));
    assert.equal(await fsp.readFile(d.file, 'utf8'), 'the old file');
    await gone(d.partial, d.sidecar);
    await storage.downloadFile(key, d.file, { expectedSha256: sha256(bytes).toUpperCase() });
    assert.ok((await fsp.readFile(d.file)).equals(bytes));
  });

  it('a cancel removes the partial and its sidecar and leaves the destination alone', async () => {
    const d = dest();
    const ac = new AbortController();
    await rejects(storage.downloadFile(key, d.file, {
      signal: ac.signal, onProgress: (p) => { if (p.stored >= 2 * MiB) ac.abort(); },
    }), 'Aborted');
    await gone(d.file, d.partial, d.sidecar);
  });

  it('a SIGKILLed download leaves partial and sidecar, and the next run resumes from the last checkpoint', async () => {
    const bigKey = 'm/2.0.0/big.bin';
    const big = Buffer.alloc(CHECKPOINT * 2 + 3 * MiB, 0x5a);
    big.write('head', 0);
    big.write('tail', big.length - 4);
    await storage.uploadStream(bigKey, Readable.from([big]), big.length);
    const d = dest();
    const fsModule = path.join(__dirname, '..', '..', 'src', 'core', 'storage', 'fsStorage.js');
    // The child stops dead (blocks its only thread) once past the first checkpoint, until it is killed.
    const child = spawn(process.execPath, ['-e', `
      const { createFsStorage } = require(${JSON.stringify(fsModule)});
      const s = createFsStorage({ kind: 'fs', path: ${JSON.stringify(storage.root)} });
      s.downloadFile(${JSON.stringify(bigKey)}, ${JSON.stringify(d.file)}, { onProgress: (p) => {
        if (p.stored >= ${CHECKPOINT + 2 * MiB}) { require('fs').writeSync(1, 'stuck'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }
      } });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => resolve());
      child.on('exit', (code) => reject(new Error(`the child ended on its own (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const side = JSON.parse(await fsp.readFile(d.sidecar, 'utf8')) as { key: string; written: number };
    assert.equal(side.key, bigKey);
    assert.ok(side.written >= CHECKPOINT, `a checkpoint was recorded (${side.written})`);
    assert.ok((await fsp.stat(d.partial)).size >= side.written);
    let resumed = -1;
    const r = await storage.downloadFile(bigKey, d.file, { onProgress: (p) => { resumed = p.resumed ?? 0; }, expectedSha256: sha256(big) });
    assert.equal(resumed, side.written);
    assert.equal(r.sha256, sha256(big));
    assert.ok((await fsp.readFile(d.file)).equals(big));
    await gone(d.partial, d.sidecar);
  });
});
