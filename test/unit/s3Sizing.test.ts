// Pure sizing rules of the S3 transfers: the part size grows with the file so that any file up to
// S3's 5 TiB limit fits in 10,000 parts, and the shared buffer pool never lends more than its budget.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../src/core/storage/s3Buffers';
import { choosePartSize, partCount, partLength } from '../../src/core/storage/s3Resume';

const MiB = 1024 * 1024;
const TiB = 1024 * 1024 * MiB;

describe('S3 part sizes', () => {
  it('uses 8 MiB parts for ordinary files and grows them so 5 TiB stays under 10,000 parts', () => {
    assert.equal(choosePartSize(100 * MiB), 8 * MiB);
    assert.equal(choosePartSize(70 * 1024 * MiB), 8 * MiB);
    for (const size of [100 * 1024 * MiB, 1 * TiB, 5 * TiB]) {
      const part = choosePartSize(size);
      assert.ok(part >= 8 * MiB && part % MiB === 0, `${part}`);
      assert.ok(partCount(size, part) <= 10_000, `${size} bytes in ${partCount(size, part)} parts`);
    }
  });

  it('honours a forced part size, but never below 5 MiB or above what 10,000 parts allow', () => {
    assert.equal(choosePartSize(200 * MiB, 5 * MiB), 5 * MiB);
    assert.equal(choosePartSize(200 * MiB, 1 * MiB), 5 * MiB);
    assert.ok(partCount(5 * TiB, choosePartSize(5 * TiB, 5 * MiB)) <= 10_000);
  });

  it('splits a file into full parts and a shorter last part', () => {
    assert.equal(partCount(42 * MiB, 5 * MiB), 9);
    assert.equal(partLength(42 * MiB, 5 * MiB, 1), 5 * MiB);
    assert.equal(partLength(42 * MiB, 5 * MiB, 9), 2 * MiB);
    assert.equal(partCount(0, 8 * MiB), 1);
  });
});

describe('S3 buffer pool', () => {
  it('lends up to its budget, makes the next borrower wait, and reuses returned buffers', async () => {
    const pool = new BufferPool(3 * MiB);
    await pool.run(async () => {
      const a = await pool.acquire(MiB);
      const b = await pool.acquire(MiB);
      const c = await pool.acquire(MiB);
      let got: Buffer | undefined;
      const waiting = pool.acquire(MiB).then((d) => (got = d));
      await new Promise((r) => setImmediate(r));
      assert.equal(got, undefined, 'the fourth buffer waits while the budget is lent out');
      pool.release(b);
      await waiting;
      assert.equal(got, b, 'the returned buffer is lent again');
      for (const x of [a, c, b]) pool.release(x);
    });
  });

  it('always lends one buffer when nothing is lent, even one larger than the budget', async () => {
    const pool = new BufferPool(MiB);
    const big = await pool.acquire(4 * MiB);
    assert.equal(big.length, 4 * MiB);
    pool.release(big);
  });
});
