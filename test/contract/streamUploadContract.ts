// Contract: Storage.uploadStream streams exactly `size` bytes with sha256 in the same pass; the object
// appears only when the whole body is in and right, and any failure or cancel leaves nothing behind
// (no object, no partial upload). On S3 the larger bodies here go as multipart uploads (forced 5 MiB parts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { UploadProgress } from '../../src/core/storage/storage';
import type { ContractHarness, MakeHarness } from './contractHelpers';
import { rejects, sha256 } from './contractHelpers';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

export interface BodyPlan {
  /** Bytes per chunk (default 256 KiB). */
  readonly chunk?: number;
  /** After this many bytes the body waits for `resume` before going on. */
  readonly stallAt?: number;
  readonly resume?: Promise<void>;
  /** After this many bytes the body fails like a dropped connection. */
  readonly failAt?: number;
}

/** A source stream giving `bytes` in chunks, optionally stalling or failing part way. */
export function bodyOf(bytes: Buffer, plan: BodyPlan = {}): Readable {
  const chunk = plan.chunk ?? 256 * 1024;
  return Readable.from((async function* gen() {
    for (let off = 0; off < bytes.length; off += chunk) {
      if (plan.failAt !== undefined && off >= plan.failAt) throw new Error('connection reset by peer');
      if (plan.stallAt !== undefined && off >= plan.stallAt) await plan.resume;
      yield bytes.subarray(off, Math.min(off + chunk, bytes.length));
    }
  })());
}

export function streamUploadContract(make: MakeHarness): void {
  describe('stream uploads', () => {
    let h: ContractHarness;
    const big = randomBytes(40 * MiB);
    const mid = big.subarray(0, 12 * MiB);
    const small = big.subarray(0, 3000);
    before(async () => {
      h = await make();
    });
    after(() => h.cleanup());

    const nothingLeft = async (key: string): Promise<void> => {
      assert.equal(await h.storage.stat(key), undefined, `nothing at ${key}`);
      assert.deepEqual(await h.storage.listPartialUploads('st/'), [], 'no partial upload left');
      assert.deepEqual((await h.storage.list('st/', { delimited: false })).objects.map((o) => o.key).filter((k) => k === key), []);
    };

    it('round-trips small and empty bodies with their sha256, checked against expectedSha256', async () => {
      const r = await h.storage.uploadStream('st/small.bin', bodyOf(small, { chunk: 1000 }), small.length, { expectedSha256: sha256(small).toUpperCase() });
      assert.deepEqual(r, { key: 'st/small.bin', size: small.length, sha256: sha256(small), resumedBytes: 0 });
      assert.equal((await h.storage.stat('st/small.bin'))?.size, small.length);
      assert.equal(await h.storage.readText('st/small.bin'), small.toString('utf8'));
      const empty = await h.storage.uploadStream('st/empty.bin', bodyOf(Buffer.alloc(0)), 0);
      assert.equal(empty.sha256, sha256(Buffer.alloc(0)));
      assert.equal((await h.storage.stat('st/empty.bin'))?.size, 0);
    });

    it('streams a 40 MiB body in 5 MiB parts, reporting progress up to the total', async () => {
      const progress: UploadProgress[] = [];
      const r = await h.storage.uploadStream('st/big.bin', bodyOf(big, { chunk: 64 * 1024 + 3 }), big.length, {
        partSize: PART, expectedSha256: sha256(big), onProgress: (p) => progress.push(p),
      });
      assert.equal(r.sha256, sha256(big));
      assert.equal(r.size, big.length);
      const st = await h.storage.stat('st/big.bin');
      assert.equal(st?.size, big.length);
      if (h.storage.kind === 's3') assert.match(st?.etag ?? '', /-8$/, 'a multipart object of 8 parts');
      assert.equal(progress.at(-1)?.stored, big.length);
      assert.ok(progress.every((p, i) => p.total === big.length && (i === 0 || p.stored >= progress[i - 1].stored)));
      const back: Buffer[] = [];
      for await (const c of await h.storage.read('st/big.bin')) back.push(c as Buffer);
      assert.equal(sha256(Buffer.concat(back)), sha256(big));
      assert.deepEqual(await h.storage.listPartialUploads('st/'), []);
    });

    it('a wrong expectedSha256 is Integrity: nothing appears, an older object at the key stays', async () => {
      const wrong = sha256('something else');
      const e = await rejects(h.storage.uploadStream('st/bad-small.bin', bodyOf(small), small.length, { expectedSha256: wrong }), 'Integrity');
      assert.equal(e.details.sha256, sha256(small));
      await nothingLeft('st/bad-small.bin');
      await rejects(h.storage.uploadStream('st/bad-mid.bin', bodyOf(mid), mid.length, { partSize: PART, expectedSha256: wrong }), 'Integrity', /sha256/);
      await nothingLeft('st/bad-mid.bin');
      await h.rawPut('st/kept.bin', 'old');
      await rejects(h.storage.uploadStream('st/kept.bin', bodyOf(mid), mid.length, { partSize: PART, expectedSha256: wrong }), 'Integrity');
      assert.equal(await h.storage.readText('st/kept.bin'), 'old');
      assert.deepEqual(await h.storage.listPartialUploads('st/'), []);
    });

    it('a body shorter or longer than the size given is Integrity and leaves nothing', async () => {
      await rejects(h.storage.uploadStream('st/short-small.bin', bodyOf(small.subarray(0, 2000)), small.length), 'Integrity', /2000 of 3000/);
      await nothingLeft('st/short-small.bin');
      await rejects(h.storage.uploadStream('st/short-mid.bin', bodyOf(mid.subarray(0, 7 * MiB)), mid.length, { partSize: PART }), 'Integrity');
      await nothingLeft('st/short-mid.bin');
      await rejects(h.storage.uploadStream('st/long-small.bin', bodyOf(small), 2999), 'Integrity', /more than the 2999 bytes/);
      await nothingLeft('st/long-small.bin');
      await rejects(h.storage.uploadStream('st/long-mid.bin', bodyOf(mid), 10 * MiB, { partSize: PART }), 'Integrity', /more than/);
      await nothingLeft('st/long-mid.bin');
    });

    it('a cancel while the source stalls stops at once: Aborted, the source destroyed, nothing left', async () => {
      const ac = new AbortController();
      const resume = new Promise<void>((r) => ac.signal.addEventListener('abort', () => r()));
      const body = bodyOf(mid, { stallAt: 6 * MiB, resume });
      await rejects(h.storage.uploadStream('st/cancelled.bin', body, mid.length, {
        partSize: PART, signal: ac.signal, onProgress: (p) => { if (p.stored > 0) ac.abort(); },
      }), 'Aborted');
      assert.ok(ac.signal.aborted, 'cancelled after some bytes were stored');
      assert.ok(body.destroyed, 'the source was destroyed');
      await nothingLeft('st/cancelled.bin');
    });

    it('a source that fails part way fails the upload (not Integrity) and leaves nothing', async () => {
      await rejects(h.storage.uploadStream('st/dropped.bin', bodyOf(mid, { failAt: 6 * MiB }), mid.length, { partSize: PART }),
        'Storage', /connection reset by peer/);
      await nothingLeft('st/dropped.bin');
    });
  });
}
