// Ranged reads through Storage.read for the header readers, counting every byte that arrives so the
// caller can report (and tests can check) that only the header was fetched.
import type { Storage } from '../storage/storage';

/** What the header readers need of a storage: ranged reads (a local file serves too: localIndex.ts). */
export type RangeSource = Pick<Storage, 'read'>;

export class ByteCounter {
  bytes = 0;
}

/** Reads bytes [start, end] (inclusive, clamped to the file size) into one Buffer. */
export async function readRange(storage: RangeSource, key: string, start: number, end: number, size: number,
  counter: ByteCounter, signal?: AbortSignal): Promise<Buffer> {
  const last = Math.min(end, size - 1);
  if (start > last) return Buffer.alloc(0);
  const stream = await storage.read(key, { start, end: last }, signal);
  const chunks: Buffer[] = [];
  let got = 0;
  const want = last - start + 1;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    counter.bytes += b.length;
    chunks.push(b);
    got += b.length;
    // A backend that ignored the range must not make us pull the whole file.
    if (got >= want) { stream.destroy(); break; }
  }
  return Buffer.concat(chunks).subarray(0, want);
}
