import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { copyRange } from '../../src/core/storage/fsCopy';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A source whose reads take `readMs` and a destination whose writes take `writeMs` (or fail). */
function handles(readMs: number, writeMs: number, writeFails = false): { src: FileHandle; dst: FileHandle } {
  const src = {
    read: async (buf: Buffer, off: number, len: number) => { await sleep(readMs); buf.fill(7, off, off + len); return { bytesRead: len, buffer: buf }; },
  } as unknown as FileHandle;
  const dst = {
    write: async (buf: Buffer, off: number, len: number) => {
      await sleep(writeMs);
      if (writeFails) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      return { bytesWritten: len, buffer: buf };
    },
  } as unknown as FileHandle;
  return { src, dst };
}

/** Runs `fn` and returns the rejections that went unhandled while it ran (and a tick after). */
async function unhandledDuring(fn: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const on = (reason: unknown): void => { seen.push(reason); };
  process.on('unhandledRejection', on);
  try {
    await fn().catch(() => undefined);
    await sleep(50);
  } finally {
    process.off('unhandledRejection', on);
  }
  return seen;
}

describe('copyRange: a failure while the other side is pending', () => {
  const base = { from: 0, to: 8 * MiB, object: 'm/1/big.bin', readError: (e: unknown) => e as Error, writeError: (e: unknown) => e as Error };

  it('a progress callback that throws while the next read is slow is thrown once, never unhandled', async () => {
    const { src, dst } = handles(40, 0);
    let thrown: unknown;
    const stray = await unhandledDuring(() => copyRange({
      ...base, src, dst, hash: createHash('sha256'),
      onWritten: (pos) => { if (pos >= 2 * MiB) throw new Error('killed'); },
    }).catch((e) => { thrown = e; throw e; }));
    assert.equal((thrown as Error)?.message, 'killed');
    assert.deepEqual(stray, []);
  });

  it('a write that fails while the next read is slow is thrown as the write error, never unhandled', async () => {
    const { src, dst } = handles(40, 0, true);
    let thrown: unknown;
    const stray = await unhandledDuring(() => copyRange({
      ...base, src, dst, hash: createHash('sha256'), onWritten: () => undefined,
    }).catch((e) => { thrown = e; throw e; }));
    assert.equal((thrown as NodeJS.ErrnoException)?.code, 'ENOSPC');
    assert.deepEqual(stray, []);
  });

  it('copies the whole range when nothing fails, reporting each chunk in order', async () => {
    const { src, dst } = handles(1, 1);
    const seen: number[] = [];
    const end = await copyRange({ ...base, src, dst, hash: createHash('sha256'), onWritten: (pos) => { seen.push(pos); } });
    assert.equal(end, 8 * MiB);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8].map((n) => n * MiB));
  });
});
