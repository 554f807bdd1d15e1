// Reading the body of Storage.uploadStream, shared by both backends: the bytes are taken in order,
// each one through sha256 as it is taken, and the reader knows when the body ended short of the
// announced size or goes on past it (both Integrity). An abort destroys the body, so a read that
// waits on a stalled source ends at once.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RepoError, isAbort } from '../errors';

const EMPTY = Buffer.alloc(0);
const ignore = (): void => undefined;

function asBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v);
  const u = v as Uint8Array;
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export class BodyReader {
  /** Bytes taken so far. */
  received = 0;
  private readonly hash = createHash('sha256');
  private readonly it: AsyncIterator<unknown>;
  private rest: Buffer = EMPTY;
  private readonly onAbort = (): void => {
    this.body.destroy(new RepoError('Aborted', 'upload', this.key, 'cancelled'));
  };

  constructor(private readonly body: Readable, private readonly key: string, readonly size: number,
    private readonly signal?: AbortSignal) {
    this.it = body[Symbol.asyncIterator]();
    // The iterator listens for errors only once it is first read: until then, an abort (or a source
    // that fails early) would be an uncaught 'error' event. The error still reaches the next read.
    body.on('error', ignore);
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The next bytes of the body, at most `max`; Integrity when the body ends before `size`. */
  async take(max: number): Promise<Buffer> {
    const chunk = await this.next();
    if (!chunk) throw new RepoError('Integrity', 'upload', this.key, `the source ended after ${this.received} of ${this.size} bytes`);
    const out = chunk.subarray(0, Math.min(max, this.size - this.received));
    this.rest = chunk.subarray(out.length);
    this.hash.update(out);
    this.received += out.length;
    return out;
  }

  /** Fills buf[0, len) from the body. */
  async fill(buf: Buffer, len: number): Promise<void> {
    for (let off = 0; off < len;) {
      const chunk = await this.take(len - off);
      chunk.copy(buf, off);
      off += chunk.length;
    }
  }

  /** After `size` bytes: checks that the body ends there and the hash is the expected one; the sha256. */
  async finish(expectedSha256?: string): Promise<string> {
    if (this.received < this.size) throw new RepoError('Integrity', 'upload', this.key, `only ${this.received} of ${this.size} bytes were read`);
    if (await this.next()) throw new RepoError('Integrity', 'upload', this.key, `the source has more than the ${this.size} bytes announced`);
    const sha256 = this.hash.digest('hex');
    const expected = expectedSha256?.toLowerCase();
    if (expected !== undefined && sha256 !== expected) {
      throw new RepoError('Integrity', 'upload', this.key, `sha256 of the received bytes is ${sha256}, expected ${expected}`,
        { details: { sha256, expected } });
    }
    return sha256;
  }

  /** Stops listening to the signal; a body not read to its end is destroyed. */
  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (!this.body.readableEnded) this.body.destroy();
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.rest.length > 0) {
      const chunk = this.rest;
      this.rest = EMPTY;
      return chunk;
    }
    for (;;) {
      let r: IteratorResult<unknown>;
      try {
        r = await this.it.next();
      } catch (e) {
        if (isAbort(e) || this.signal?.aborted) throw new RepoError('Aborted', 'upload', this.key, 'cancelled', { cause: e });
        throw new RepoError('Storage', 'upload', this.key, `reading the source failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (r.done) return undefined;
      const chunk = asBuffer(r.value);
      if (chunk.length > 0) return chunk;
    }
  }
}
