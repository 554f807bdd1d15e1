// Uploads and downloads through the S3 backend against the real server: single PUT and multipart,
// parts streamed when they exceed the memory budget, cancel (nothing left behind), resume after an
// in-process failure and after the uploading process is SIGKILLed (only missing parts are sent, a
// changed part is sent again, the bytes and the sha256 cover the whole file), and 1 GiB round trip.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createBucket, deleteBucket } from '../../src/core/storage/s3Buckets';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { S3Storage, S3StorageOptions } from '../../src/core/storage/s3Storage';
import { s3Config, s3TestEnv, skipWithoutS3, uniqueBucket } from '../helpers/s3env';
import { makeFile, MiB, sha256File, tempDir } from './fixtures/s3Files';
import { rejects } from '../contract/contractHelpers';

const env = s3TestEnv();

describe('S3 transfers: multipart, cancel, resume, download', { skip: skipWithoutS3 }, () => {
  const bucket = uniqueBucket('s3-transfer');
  let dir: string;
  let storage: S3Storage;
  const sent: { key: string; n: number }[] = [];
  const open = (opts: S3StorageOptions = {}): S3Storage => createS3Storage(s3Config(env!, bucket, 'repo'), {
    ...opts, upload: { ...opts.upload, onPartSent: (key, n) => sent.push({ key, n }) },
  });
  const sentFor = (key: string): number[] => sent.filter((s) => s.key === key).map((s) => s.n).sort((a, b) => a - b);

  before(async () => {
    if (!env) return;
    await createBucket(s3Config(env, bucket));
    storage = open();
    dir = await tempDir('s3-transfer');
  });
  after(async () => {
    storage?.dispose?.();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
    if (env) await deleteBucket(s3Config(env, bucket));
  });

  it('a small file goes up in one PUT; an empty file too; both come back identical', async () => {
    const small = path.join(dir, 'config.json');
    const sha = await makeFile(small, 300_000);
    const up = await storage.uploadFile('m/v1/config.json', small);
    assert.deepEqual(up, { key: 'm/v1/config.json', size: 300_000, sha256: sha, resumedBytes: 0 });
    assert.deepEqual(sentFor('m/v1/config.json'), [], 'no multipart for a small file');
    assert.match((await storage.stat('m/v1/config.json'))?.etag ?? '', /^[0-9a-f]{32}$/);
    const down = await storage.downloadFile('m/v1/config.json', path.join(dir, 'out', 'config.json'));
    assert.deepEqual(down, { size: 300_000, sha256: sha });
    assert.equal(await sha256File(path.join(dir, 'out', 'config.json')), sha);

    const empty = path.join(dir, 'empty');
    await fsp.writeFile(empty, '');
    const e = await storage.uploadFile('m/v1/empty', empty);
    assert.equal(e.sha256, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.deepEqual(await storage.downloadFile('m/v1/empty', path.join(dir, 'out', 'empty')), { size: 0, sha256: e.sha256 });
  });

  it('a multipart upload sends every part once and round-trips; ranged downloads cross part borders', async () => {
    const file = path.join(dir, 'mp.bin');
    const sha = await makeFile(file, 42 * MiB);
    const progress: number[] = [];
    const up = await storage.uploadFile('m/v1/mp.bin', file, { partSize: 5 * MiB, concurrency: 3, onProgress: (p) => progress.push(p.stored) });
    assert.equal(up.sha256, sha);
    assert.deepEqual(sentFor('m/v1/mp.bin'), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(progress.at(-1), 42 * MiB);
    assert.match((await storage.stat('m/v1/mp.bin'))?.etag ?? '', /-9$/, 'a 9-part multipart object');
    // Raw-socket GETs (plain http endpoints) and the SDK's GETs (https) must give the same bytes.
    for (const rawSockets of [true, false]) {
      const small = open({ download: { chunkSize: 3 * MiB, parallel: 4, rawSockets } });
      try {
        const down = await small.downloadFile('m/v1/mp.bin', path.join(dir, 'out', 'mp.bin'));
        assert.deepEqual(down, { size: 42 * MiB, sha256: sha });
        assert.equal(await sha256File(path.join(dir, 'out', 'mp.bin')), sha);
      } finally {
        small.dispose?.();
      }
    }
    const entries = await fsp.readdir(path.join(dir, 'out'));
    assert.ok(!entries.some((n) => n.endsWith('.partial')), 'no temp files left');
  });

  it('parts larger than the memory budget are streamed one at a time, and round-trip', async () => {
    const tight = open({ memoryBudget: 8 * MiB });
    try {
      const file = path.join(dir, 'streamed.bin');
      const sha = await makeFile(file, 20 * MiB + 12345);
      const up = await tight.uploadFile('m/v1/streamed.bin', file, { partSize: 6 * MiB });
      assert.equal(up.sha256, sha);
      assert.deepEqual(sentFor('m/v1/streamed.bin'), [1, 2, 3, 4]);
      assert.equal((await storage.downloadFile('m/v1/streamed.bin', path.join(dir, 'out', 'streamed.bin'))).sha256, sha);
    } finally {
      tight.dispose?.();
    }
  });

  it('a cancelled upload stops and leaves no multipart upload behind', async () => {
    const file = path.join(dir, 'cancel.bin');
    await makeFile(file, 64 * MiB);
    const ac = new AbortController();
    const p = storage.uploadFile('m/v2/cancel.bin', file, {
      partSize: 5 * MiB, concurrency: 2, signal: ac.signal, onProgress: () => ac.abort(),
    });
    await rejects(p, 'Aborted');
    assert.ok(sentFor('m/v2/cancel.bin').length < 13, 'it stopped before the end');
    assert.deepEqual(await storage.listPartialUploads(''), []);
    assert.equal(await storage.stat('m/v2/cancel.bin'), undefined);
  });

  it('an interrupted upload resumes: stored parts are skipped, a part whose bytes changed is sent again', async () => {
    const key = 'm/v3/resume.bin';
    const file = path.join(dir, 'resume.bin');
    await makeFile(file, 48 * MiB);
    let seen = 0;
    const failed = await rejects(storage.uploadFile(key, file, {
      partSize: 5 * MiB, concurrency: 2,
      onProgress: () => {
        if (++seen === 4) throw new Error('simulated crash');
      },
    }), 'Storage');
    assert.match(failed.message, /simulated crash/);
    const [state] = await storage.partialUploadState(key);
    assert.ok(state && state.parts.length >= 4, 'the parts stored so far stay on the server');
    assert.deepEqual(await storage.listPartialUploads('m/'), [key]);

    // Same size and mtime, different bytes in one stored part: the md5 check must catch it.
    const changed = state.parts[0];
    const { mtime, atime } = await fsp.stat(file);
    const fh = await fsp.open(file, 'r+');
    await fh.write(Buffer.from('changed after the crash'), 0, 23, (changed.partNumber - 1) * 5 * MiB + 100);
    await fh.close();
    await fsp.utimes(file, atime, mtime);

    const before = sent.length;
    const up = await storage.uploadFile(key, file);
    const resent = sent.slice(before).filter((s) => s.key === key).map((s) => s.n).sort((a, b) => a - b);
    const stored = new Set(state.parts.map((p) => p.partNumber));
    const expected = Array.from({ length: 10 }, (_, i) => i + 1).filter((n) => !stored.has(n) || n === changed.partNumber);
    assert.deepEqual(resent, expected, 'only the missing parts and the changed one are sent');
    const storedBytes = state.parts.reduce((sum, p) => sum + p.size, 0);
    assert.equal(up.resumedBytes, storedBytes - changed.size);
    assert.equal(up.sha256, await sha256File(file));
    assert.equal((await storage.downloadFile(key, path.join(dir, 'out', 'resume.bin'))).sha256, up.sha256);
    assert.deepEqual(await storage.listPartialUploads('m/'), []);

    const again = await storage.uploadFile(key, file);
    assert.equal(again.resumedBytes, 48 * MiB, 'the same file already stored is verified, not sent');
    assert.equal(again.sha256, up.sha256);
  });

  it('an upload KILLED half way resumes in a new process, sending only the missing parts', { timeout: 180_000 }, async () => {
    const key = 'm/v4/killed.bin';
    const file = path.join(dir, 'killed.bin');
    const sha = await makeFile(file, 200 * MiB);
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 's3UploadChild.js')], {
      env: { ...process.env, MODELREPO_CHILD: JSON.stringify({ cfg: s3Config(env!, bucket, 'repo'), key, file, partSize: 5 * MiB, concurrency: 2, pauseMs: 150 }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let childOut = '';
    child.stdout.on('data', (d: Buffer) => (childOut += d.toString()));
    child.stderr.on('data', (d: Buffer) => (childOut += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let done = false;
    void exited.then(() => (done = true));
    for (;;) {
      assert.ok(!done, `the child ended before it was killed: ${childOut}`);
      const parts = (await storage.partialUploadState(key))[0]?.parts ?? [];
      if (parts.length >= 8) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1000)); // let the server settle a part that was mid-flight
    const [state] = await storage.partialUploadState(key);
    assert.ok(state.parts.length >= 8 && state.parts.length < 40, `killed half way: ${state.parts.length} of 40 parts stored`);

    const before = sent.length;
    const resumed: number[] = [];
    const up = await storage.uploadFile(key, file, { onProgress: (p) => resumed.push(p.resumed) }); // part size found from the stored parts
    const resent = sent.slice(before).filter((s) => s.key === key).map((s) => s.n);
    const stored = new Set(state.parts.map((p) => p.partNumber));
    assert.ok(resent.every((n) => !stored.has(n)), 'no stored part is sent again');
    // Every part is either sent now or skipped; a part the server finished after our look may be skipped too.
    assert.equal(resent.length * 5 * MiB + up.resumedBytes, 200 * MiB, 'only the missing parts are sent');
    assert.ok(up.resumedBytes >= state.parts.reduce((sum, p) => sum + p.size, 0), 'all parts stored before are skipped');
    assert.equal(resumed.at(-1), up.resumedBytes);
    assert.equal(up.sha256, sha, 'the sha256 covers the whole file, skipped parts included');
    const down = await storage.downloadFile(key, path.join(dir, 'out', 'killed.bin'));
    assert.equal(down.sha256, sha, 'the stored bytes are identical to the local file');
    assert.deepEqual(await storage.listPartialUploads('m/'), []);
    await fsp.rm(path.join(dir, 'out', 'killed.bin'));
  });

  it('a cancelled download removes its temp file; a missing object is NotFound and leaves no file', async () => {
    const slow = open({ download: { chunkSize: 1 * MiB, parallel: 1 } });
    try {
      const ac = new AbortController();
      const target = path.join(dir, 'dl', 'cancel.bin');
      await rejects(slow.downloadFile('m/v1/mp.bin', target, { signal: ac.signal, onProgress: () => ac.abort() }), 'Aborted');
      assert.deepEqual(await fsp.readdir(path.join(dir, 'dl')), []);
      await rejects(slow.downloadFile('m/v1/missing.bin', path.join(dir, 'dl', 'missing.bin')), 'NotFound');
      assert.deepEqual(await fsp.readdir(path.join(dir, 'dl')), []);
    } finally {
      slow.dispose?.();
    }
  });

  it('an object replaced during a download fails with Conflict instead of mixing two versions', async () => {
    const file = path.join(dir, 'replaced.bin');
    await makeFile(file, 12 * MiB);
    await storage.uploadFile('m/v5/replaced.bin', file);
    const slow = open({ download: { chunkSize: 1 * MiB, parallel: 1 } });
    try {
      let replaced: Promise<unknown> | undefined;
      const target = path.join(dir, 'dl2', 'replaced.bin');
      const e = await rejects(slow.downloadFile('m/v5/replaced.bin', target, {
        onProgress: () => {
          replaced ??= storage.putText('m/v5/replaced.bin', 'new content');
        },
      }).finally(() => replaced), 'Conflict');
      assert.match(e.message, /m\/v5\/replaced\.bin/);
      assert.deepEqual(await fsp.readdir(path.join(dir, 'dl2')), []);
    } finally {
      slow.dispose?.();
    }
  });

  it('a 1 GiB file round-trips with matching sha256', { timeout: 240_000 }, async () => {
    const file = path.join(dir, 'big.bin');
    const sha = await makeFile(file, 1024 * MiB);
    try {
      const up = await storage.uploadFile('big/v1/model.gguf', file);
      assert.equal(up.size, 1024 * MiB);
      assert.equal(up.sha256, sha);
      await fsp.rm(file);
      const down = await storage.downloadFile('big/v1/model.gguf', file);
      assert.deepEqual(down, { size: 1024 * MiB, sha256: sha });
      assert.equal(await sha256File(file), sha);
    } finally {
      await fsp.rm(file, { force: true });
      await storage.delete(['big/v1/model.gguf']);
    }
  });
});
