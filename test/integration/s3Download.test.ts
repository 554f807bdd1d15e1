// Downloads against the real S3 server, as the storage contract has them: the bytes go to a partial
// file with a sidecar next to the destination; the destination is replaced only when complete and
// (with expectedSha256) verified; a cancel removes the partial; a planted symlink is not followed;
// and a download whose process was SIGKILLed is resumed by the next run from what it left: fewer
// bytes are fetched and the result is byte-identical. The killed child writes inline, as the CLI does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DOWNLOAD_PARTIAL_SUFFIX, DOWNLOAD_SIDECAR_SUFFIX } from '../../src/core/storage/storage';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { S3Storage } from '../../src/core/storage/s3Storage';
import { s3Proxy } from '../helpers/faultServers';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';
import { sha256File, tempDir } from './fixtures/s3Files';
import { rejects } from '../contract/contractHelpers';

const env = s3TestEnv();
const MiB = 1024 * 1024;
const SIZE = 12 * MiB;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const partialOf = (dest: string): string => path.join(path.dirname(dest), `.${path.basename(dest)}${DOWNLOAD_PARTIAL_SUFFIX}`);
const sidecarOf = (dest: string): string => path.join(path.dirname(dest), `.${path.basename(dest)}${DOWNLOAD_SIDECAR_SUFFIX}`);
const exists = (p: string): Promise<boolean> => fsp.lstat(p).then(() => true, () => false);

describe('S3 downloads: partial file, sidecar, verification, resume after SIGKILL', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let storage: S3Storage;
  let dir = '';
  let body: Buffer;

  before(async () => {
    if (!env) return;
    bucket = await createTestBucket(env, 's3-download');
    storage = createS3Storage(s3Config(env, bucket), { download: { chunkSize: MiB, parallel: 2 } });
    dir = await tempDir('s3-download');
    body = randomBytes(SIZE);
    const src = path.join(dir, 'src.bin');
    await fsp.writeFile(src, body);
    await storage.uploadFile('m/v1/model.bin', src, { partSize: 5 * MiB });
  });
  after(async () => {
    storage?.dispose?.();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
    await deleteTestBucket(env, bucket);
  });

  it('writes to the partial file, replaces the destination only at the end, and leaves no partial or sidecar', async () => {
    const dest = path.join(dir, 'a', 'model.bin');
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await fsp.writeFile(dest, 'the previous file');
    const seen: { partial: boolean; dest: string }[] = [];
    const r = await storage.downloadFile('m/v1/model.bin', dest, {
      expectedSha256: sha(body),
      onProgress: (p) => {
        if (p.stored < SIZE) seen.push({ partial: existsSync(partialOf(dest)), dest: readFileSync(dest, 'utf8').slice(0, 17) });
      },
    });
    assert.deepEqual(r, { size: SIZE, sha256: sha(body) });
    assert.ok(seen.length > 0 && seen.every((s) => s.partial && s.dest === 'the previous file'), JSON.stringify(seen.slice(0, 3)));
    assert.equal(await sha256File(dest), sha(body));
    assert.deepEqual(await fsp.readdir(path.dirname(dest)), ['model.bin']);
  });

  it('with inline writes (as the CLI downloads) the file is byte-identical and verified', async () => {
    const inline = createS3Storage(s3Config(env!, bucket), { download: { chunkSize: MiB, parallel: 3, inlineWrites: true } });
    try {
      const dest = path.join(dir, 'inline', 'model.bin');
      assert.deepEqual(await inline.downloadFile('m/v1/model.bin', dest, { expectedSha256: sha(body) }), { size: SIZE, sha256: sha(body) });
      assert.ok((await fsp.readFile(dest)).equals(body), 'byte-identical');
      assert.deepEqual(await fsp.readdir(path.dirname(dest)), ['model.bin']);
    } finally {
      inline.dispose?.();
    }
  });

  it('a wrong expectedSha256 is Integrity: the previous destination stays, nothing else is left', async () => {
    const dest = path.join(dir, 'b', 'model.bin');
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await fsp.writeFile(dest, 'keep me');
    const e = await rejects(storage.downloadFile('m/v1/model.bin', dest, { expectedSha256: sha(Buffer.from('other')) }), 'Integrity');
    assert.match(e.message, /sha256/);
    assert.equal(await fsp.readFile(dest, 'utf8'), 'keep me');
    assert.deepEqual(await fsp.readdir(path.dirname(dest)), ['model.bin']);
  });

  it('a cancel part way is Aborted and removes the partial file and its sidecar', async () => {
    const dest = path.join(dir, 'c', 'model.bin');
    const ac = new AbortController();
    const e = await rejects(storage.downloadFile('m/v1/model.bin', dest, {
      signal: ac.signal, onProgress: (p) => { if (p.stored >= 2 * MiB) ac.abort(); },
    }), 'Aborted');
    assert.match(e.message, /cancelled/);
    assert.deepEqual(await fsp.readdir(path.dirname(dest)), []);
  });

  it('symlinks planted at the partial and sidecar names are replaced, never followed', async () => {
    const dest = path.join(dir, 'd', 'model.bin');
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    const victim = path.join(dir, 'victim.txt');
    await fsp.writeFile(victim, 'do not touch');
    await fsp.symlink(victim, partialOf(dest));
    await fsp.symlink(victim, sidecarOf(dest));
    await storage.downloadFile('m/v1/model.bin', dest);
    assert.equal(await fsp.readFile(victim, 'utf8'), 'do not touch');
    assert.equal(await sha256File(dest), sha(body));
    assert.equal((await fsp.lstat(dest)).isSymbolicLink(), false);
    assert.deepEqual(await fsp.readdir(path.dirname(dest)), ['model.bin']);
  });

  it('a raw-socket GET that the server refuses gives an error without URL, signature or credential', async () => {
    const proxy = await s3Proxy(env!.endpoint, { refuse: (req) => req.method === 'GET' });
    const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: proxy.url }, { download: { rawSockets: true } });
    try {
      const dest = path.join(dir, 'g', 'model.bin');
      const e = await rejects(s.downloadFile('m/v1/model.bin', dest), 'Storage');
      assert.match(e.message, /^Cannot download m\/v1\/model\.bin: the S3 server answered 501 NotImplemented/);
      assert.doesNotMatch(`${e.message} ${JSON.stringify(e.details)}`, /X-Amz|Signature|Credential|testaccesskey|127\.0\.0\.1:\d+\/[a-z]/i);
      assert.deepEqual(await fsp.readdir(path.dirname(dest)), []);
    } finally {
      s.dispose?.();
      await proxy.close();
    }
  });

  /** Starts a download in a child process through a proxy that stops relaying after `stallAfter` body
   *  bytes, waits until the child's sidecar records progress, and SIGKILLs it. The sidecar's offset. */
  async function killedDownload(dest: string, stallAfter: number): Promise<number> {
    const proxy = await s3Proxy(env!.endpoint, { responseTotalAfter: stallAfter, match: (m) => m === 'GET' });
    const script = `
      const { createS3Storage } = require(process.env.STORAGE_JS);
      const s = createS3Storage(JSON.parse(process.env.CFG), { download: { chunkSize: ${MiB}, parallel: 2, checkpointMs: 0, inlineWrites: true } });
      s.downloadFile('m/v1/model.bin', process.env.DEST).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env, DEST: dest, STORAGE_JS: path.join(__dirname, '../../src/core/storage/s3Storage.js'),
        CFG: JSON.stringify({ ...s3Config(env!, bucket), endpoint: proxy.url, timeouts: { firstByteMs: 120_000, stallMs: 120_000 } }),
      },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const t0 = Date.now();
      let last = -1;
      for (;;) {
        const text = await fsp.readFile(sidecarOf(dest), 'utf8').catch(() => '');
        const contiguous = text ? (JSON.parse(text) as { contiguous: number }).contiguous : 0;
        // Stalled, and no checkpoint moved it since the last look: the child sits still.
        const still = contiguous === last;
        last = contiguous;
        if (contiguous > 0 && proxy.stats.stalled > 0 && still) {
          child.kill('SIGKILL');
          await exited;
          // A checkpoint may have landed between the read above and the kill: what is left counts.
          return (JSON.parse(await fsp.readFile(sidecarOf(dest), 'utf8')) as { contiguous: number }).contiguous;
        }
        if (child.exitCode !== null) assert.fail(`the child ended by itself (${child.exitCode}): ${stderr}`);
        if (Date.now() - t0 > 60_000) assert.fail('the child recorded no progress within 60 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      child.kill('SIGKILL');
      await proxy.close();
    }
  }

  it('a SIGKILLed download leaves partial + sidecar; the next run resumes, fetches only the rest, and is byte-identical', async () => {
    const dest = path.join(dir, 'e', 'model.bin');
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    const at = await killedDownload(dest, 5 * MiB + MiB / 2);
    assert.ok(at >= MiB && at <= 6 * MiB && at % MiB === 0, `resume offset ${at}`);
    assert.ok(await exists(partialOf(dest)), 'the partial file is left');
    assert.ok(await exists(sidecarOf(dest)), 'the sidecar is left');

    const counting = await s3Proxy(env!.endpoint);
    const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: counting.url }, { download: { chunkSize: 4 * MiB } });
    try {
      const resumed: number[] = [];
      const r = await s.downloadFile('m/v1/model.bin', dest, { expectedSha256: sha(body), onProgress: (p) => resumed.push(p.resumed ?? 0) });
      assert.deepEqual(r, { size: SIZE, sha256: sha(body) });
      assert.equal(resumed[0], at, 'progress reports the resumed bytes');
      assert.equal(counting.stats.responseBytes, SIZE - at, 'only the bytes after the resume offset were fetched');
    } finally {
      s.dispose?.();
      await counting.close();
    }
    assert.ok((await fsp.readFile(dest)).equals(body), 'byte-identical');
    assert.deepEqual(await fsp.readdir(path.dirname(dest)), ['model.bin']);
  });

  it('a partial of an object that changed since is discarded: the new object is fetched whole', async () => {
    const dest = path.join(dir, 'f', 'model.bin');
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await killedDownload(dest, 3 * MiB);
    const changed = Buffer.from(body);
    changed.write('changed', 100);
    const src = path.join(dir, 'changed.bin');
    await fsp.writeFile(src, changed);
    const other = createS3Storage(s3Config(env!, bucket));
    const counting = await s3Proxy(env!.endpoint);
    const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: counting.url });
    try {
      await other.uploadFile('m/v1/model.bin', src, { partSize: 5 * MiB });
      const resumed: number[] = [];
      const r = await s.downloadFile('m/v1/model.bin', dest, { onProgress: (p) => resumed.push(p.resumed ?? 0) });
      assert.equal(r.sha256, sha(changed));
      assert.ok(resumed.every((n) => n === 0), 'nothing was resumed');
      assert.equal(counting.stats.responseBytes, SIZE);
      assert.deepEqual(await fsp.readdir(path.dirname(dest)), ['model.bin']);
    } finally {
      await other.uploadFile('m/v1/model.bin', path.join(dir, 'src.bin'), { partSize: 5 * MiB }); // the original back
      other.dispose?.();
      s.dispose?.();
      await counting.close();
    }
  });
});
