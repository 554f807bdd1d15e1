// What a folder repository keeps true about the objects it stores: compare-and-swap puts (exactly one
// of N racing writers lands), the checksum sidecar that travels with each uploaded file, mode bits
// kept both ways, and records refused when they are larger than any record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { MAX_TEXT_BYTES } from '../../src/core/storage/storage';
import type { Storage } from '../../src/core/storage/storage';
import { isRepoError } from '../../src/core/errors';
import { allKeys, localSamples, rejects, sha256 } from '../contract/contractHelpers';
import type { LocalSamples } from '../contract/contractHelpers';

describe('folder repository objects', () => {
  let parent: string;
  let root: string;
  let storage: Storage;
  let local: LocalSamples;
  const abs = (key: string): string => path.join(root, ...key.split('/'));
  const sidecarOf = (key: string): string => path.join(path.dirname(abs(key)), `.${path.basename(key)}.modelrepo-sha256`);

  before(async () => {
    parent = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-objects-'));
    root = path.join(parent, 'repo');
    await fsp.mkdir(root);
    storage = createFsStorage({ kind: 'fs', path: root });
    local = await localSamples();
  });
  after(async () => {
    await local.remove();
    await fsp.rm(parent, { recursive: true, force: true });
  });

  describe('putText with ifMatch', () => {
    it('of 16 concurrent writers holding the same etag exactly one lands', async () => {
      const key = 'cas/1.0.0/record.json';
      const first = await storage.putText(key, '{"n":-1}');
      const results = await Promise.allSettled(Array.from({ length: 16 }, (_, n) => storage.putText(key, `{"n":${n}}`, { ifMatch: first.etag })));
      const landed = results.flatMap((r, n) => (r.status === 'fulfilled' ? [n] : []));
      assert.equal(landed.length, 1, `exactly one landed: ${landed.join(', ')}`);
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(isRepoError(r.reason, 'Conflict'), `a loser gets Conflict: ${String(r.reason)}`);
      }
      assert.equal(await storage.readText(key), `{"n":${landed[0]}}`);
      const winner = results[landed[0]] as PromiseFulfilledResult<{ etag: string }>;
      assert.equal((await storage.stat(key))?.etag, winner.value.etag, 'the etag returned is the one stored');
      assert.deepEqual((await fsp.readdir(path.dirname(abs(key)))).sort(), ['record.json'], 'no lock or temp file left');
    });
    it('is a Conflict when the object changed or vanished, and lands when it did not', async () => {
      const key = 'cas/2.0.0/r.json';
      const a = await storage.putText(key, 'a');
      const b = await storage.putText(key, 'b', { ifMatch: a.etag });
      await rejects(storage.putText(key, 'c', { ifMatch: a.etag }), 'Conflict', /changed/);
      await storage.delete([key]);
      await rejects(storage.putText(key, 'd', { ifMatch: b.etag }), 'Conflict', /no longer exists/);
      assert.equal(await storage.readText(key), undefined);
    });
  });

  describe('checksum sidecar', () => {
    it('travels with uploadFile and uploadStream, hidden from listings, removed with the file', async () => {
      const f = await local.file('a.bin', 300_000);
      const up = await storage.uploadFile('ck/1/a.bin', f.path);
      const bytes = Buffer.from('streamed bytes');
      const st = await storage.uploadStream('ck/1/b.bin', Readable.from([bytes]), bytes.length);
      assert.equal(await storage.readChecksum('ck/1/a.bin'), up.sha256);
      assert.equal(await storage.readChecksum('ck/1/b.bin'), sha256(bytes));
      assert.equal(up.sha256, sha256(f.bytes));
      assert.deepEqual(JSON.parse(await fsp.readFile(sidecarOf('ck/1/a.bin'), 'utf8')), { sha256: up.sha256, size: f.bytes.length });
      assert.deepEqual(await allKeys(storage, 'ck/'), ['ck/1/a.bin', 'ck/1/b.bin'], 'sidecars are not objects');
      assert.equal((await storage.list('ck/1/')).refused, undefined);
      await storage.delete(['ck/1/a.bin']);
      await assert.rejects(fsp.access(sidecarOf('ck/1/a.bin')), 'the sidecar went with the file');
      assert.equal(await storage.readChecksum('ck/1/a.bin'), undefined);
      assert.equal(st.sha256, sha256(bytes));
    });
    it('a sidecar left without its file (a crash between the two renames) does not keep a deleted folder alive', async () => {
      const bytes = Buffer.from('abc');
      await storage.uploadStream('ck/3/a.bin', Readable.from([bytes]), 3);
      await storage.uploadStream('ck/3/b.bin', Readable.from([bytes]), 3);
      await fsp.unlink(abs('ck/3/b.bin')); // as if the process died before renaming b.bin into place
      assert.equal(await storage.readChecksum('ck/3/b.bin'), undefined, 'an orphan sidecar is no checksum');
      await storage.delete(['ck/3/a.bin']);
      await assert.rejects(fsp.access(path.dirname(abs('ck/3/a.bin'))), 'the folder was pruned');
    });
    it('is undefined for files other tools wrote and after putText replaced the file', async () => {
      await fsp.mkdir(path.dirname(abs('ck/2/x.bin')), { recursive: true });
      await fsp.writeFile(abs('ck/2/x.bin'), 'cp');
      assert.equal(await storage.readChecksum('ck/2/x.bin'), undefined);
      const bytes = Buffer.from('12345');
      await storage.uploadStream('ck/2/y.bin', Readable.from([bytes]), 5);
      await storage.putText('ck/2/y.bin', 'other');
      assert.equal(await storage.readChecksum('ck/2/y.bin'), undefined, 'a stale checksum is never reported');
      assert.equal(await storage.readChecksum('ck/2/missing.bin'), undefined);
    });
    const tampered: [string, (key: string) => Promise<void>, 'Corrupt' | 'Unsafe', RegExp][] = [
      ['the file grew after it was stored', (k) => fsp.appendFile(abs(k), 'x'), 'Corrupt', /for 4 bytes, but the file now has 5/],
      ['the sidecar holds no sha256', (k) => fsp.writeFile(sidecarOf(k), '{"sha256":"XYZ","size":4}'), 'Corrupt', /not one this tool wrote/],
      ['the sidecar has upper-case hex', (k) => fsp.writeFile(sidecarOf(k), JSON.stringify({ sha256: sha256('abcd').toUpperCase(), size: 4 })),
        'Corrupt', /not one this tool wrote/],
      ['the sidecar is not JSON', (k) => fsp.writeFile(sidecarOf(k), 'garbage'), 'Corrupt', /not one this tool wrote/],
      ['the sidecar is a symlink', async (k) => {
        await fsp.unlink(sidecarOf(k));
        await fsp.symlink('/etc/hostname', sidecarOf(k));
      }, 'Unsafe', /symbolic link/],
    ];
    for (const [what, tamper, code, message] of tampered) {
      it(`is ${code} when ${what}`, async () => {
        const key = `ck/t/${what.replace(/\W+/g, '-')}.bin`;
        await storage.uploadStream(key, Readable.from([Buffer.from('abcd')]), 4);
        await tamper(key);
        await rejects(storage.readChecksum(key), code, message);
      });
    }
  });

  describe('mode bits', () => {
    it('an uploaded file keeps the local mode bits, without setuid/setgid/sticky', async () => {
      for (const [mode, stored] of [[0o751, 0o751], [0o640, 0o640], [0o6755, 0o755], [0o1777, 0o777]]) {
        const f = await local.file(`mode-${mode.toString(8)}.bin`, 1000);
        await fsp.chmod(f.path, mode);
        const key = `modes/up/${path.basename(f.path)}`;
        await storage.uploadFile(key, f.path);
        assert.equal((await fsp.stat(abs(key))).mode & 0o7777, stored, `local ${mode.toString(8)}`);
      }
    });
    it('a downloaded file keeps the repository file mode bits', async () => {
      for (const mode of [0o755, 0o600, 0o444]) {
        const key = `modes/down/m${mode.toString(8)}.bin`;
        await storage.uploadStream(key, Readable.from([Buffer.from('x')]), 1);
        await fsp.chmod(abs(key), mode | 0o4000);
        const dest = path.join(local.dir, 'down', path.basename(key));
        await storage.downloadFile(key, dest);
        assert.equal((await fsp.stat(dest)).mode & 0o7777, mode, `repository ${mode.toString(8)}`);
      }
    });
  });

  describe('readText', () => {
    it('refuses an object larger than MAX_TEXT_BYTES as Corrupt without reading it', async () => {
      const key = 'big/1/.modelrepo-version.json';
      await fsp.mkdir(path.dirname(abs(key)), { recursive: true });
      const fh = await fsp.open(abs(key), 'w');
      await fh.truncate(MAX_TEXT_BYTES + 1); // sparse: nothing to read
      await fh.close();
      await rejects(storage.readText(key), 'Corrupt', /more than any record/);
      await fsp.truncate(abs(key), MAX_TEXT_BYTES);
      assert.equal((await storage.readText(key))?.length, MAX_TEXT_BYTES, 'exactly the limit is read');
    });
  });
});
