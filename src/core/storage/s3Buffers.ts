// One memory budget per S3 storage for the big transfer buffers (upload parts, download chunks), shared
// by every transfer running at once: the repository uploads several files in parallel, and peak
// memory must not grow with their number. Buffers are reused while transfers run (a fresh buffer
// costs a page fault and zeroing per 4 KiB: measured as a third of a download's system time) and
// dropped when the last transfer ends, so an idle extension host holds none.

export class BufferPool {
  private used = 0;
  private freeBytes = 0;
  private readonly free = new Map<number, Buffer[]>();
  private waiters: (() => void)[] = [];
  private transfers = 0;

  constructor(readonly budget: number) {}

  /** A buffer of exactly `size` bytes; waits while the budget is taken (never when nothing is in use). */
  async acquire(size: number): Promise<Buffer> {
    for (;;) {
      const reuse = this.free.get(size)?.pop();
      if (reuse) {
        this.freeBytes -= size;
        this.used += size;
        return reuse;
      }
      if (this.used + this.freeBytes + size > this.budget) this.dropFree();
      if (this.used + size <= this.budget || this.used === 0) {
        this.used += size;
        return Buffer.allocUnsafeSlow(size);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Runs one transfer; its buffers stay pooled for others until the last transfer ends. */
  async run<T>(transfer: () => Promise<T>): Promise<T> {
    this.transfers++;
    try {
      return await transfer();
    } finally {
      if (--this.transfers === 0) this.dropFree();
    }
  }

  release(buf: Buffer): void {
    this.used -= buf.length;
    if (this.transfers === 0 && this.used === 0) {
      this.dropFree();
    } else if (this.used + this.freeBytes + buf.length <= this.budget) {
      const list = this.free.get(buf.length) ?? [];
      list.push(buf);
      this.free.set(buf.length, list);
      this.freeBytes += buf.length;
    }
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }

  private dropFree(): void {
    this.free.clear();
    this.freeBytes = 0;
  }
}
