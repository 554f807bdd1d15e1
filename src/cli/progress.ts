// Transfer progress on stderr, throttled: on a terminal one line redrawn about 4 times a second; in a
// log (stderr not a TTY) one line every 5 seconds, so CI logs stay readable (MODELREPO_PROGRESS_MS overrides
// the interval: tests use it to see the first bytes move). Rate and ETA come from the
// bytes moved in the last few seconds by this run (bytes resumed from an earlier run do not count).
import type { FileProgress } from '../core/types';
import { formatBytes, formatDuration } from './format';

const WINDOW_MS = 5000;

export interface ProgressOptions {
  readonly verb: string; // 'uploading', 'downloading'
  readonly total?: number;
  readonly stream?: NodeJS.WriteStream;
  readonly enabled?: boolean;
  readonly now?: () => number;
}

export class ProgressLine {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly interval: number;
  private readonly now: () => number;
  private readonly samples: { t: number; bytes: number }[] = [];
  private lastDraw = 0;
  private drawn = false;
  private moved = 0;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    const forced = Number(process.env.MODELREPO_PROGRESS_MS);
    this.interval = Number.isFinite(forced) && forced >= 0 && process.env.MODELREPO_PROGRESS_MS ? forced : this.tty ? 250 : 5000;
    this.now = opts.now ?? Date.now;
    this.lastDraw = this.now();
  }

  /** done: bytes of the whole job now stored; moved: bytes sent or received by this run so far. */
  update(done: number, moved: number, label: string, total = this.opts.total): void {
    this.moved = moved;
    const t = this.now();
    this.samples.push({ t, bytes: moved });
    while (this.samples.length > 2 && t - this.samples[0].t > WINDOW_MS) this.samples.shift();
    if (this.opts.enabled === false || t - this.lastDraw < this.interval) return;
    this.lastDraw = t;
    this.draw(this.line(done, label, total));
  }

  /** Bytes per second over the recent window. */
  rate(): number {
    if (this.samples.length < 2) return 0;
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    return b.t > a.t ? ((b.bytes - a.bytes) * 1000) / (b.t - a.t) : 0;
  }

  private line(done: number, label: string, total?: number): string {
    const rate = this.rate();
    const parts = [`${this.opts.verb} ${label}`];
    if (total && total > 0) {
      parts.push(`${formatBytes(done)} / ${formatBytes(total)} (${Math.floor((done / total) * 100)}%)`);
    } else {
      parts.push(formatBytes(done));
    }
    if (rate > 0) {
      parts.push(`${(rate / 1048576).toFixed(1)} MiB/s`);
      if (total && total > done) parts.push(`ETA ${formatDuration(Math.ceil((total - done) / rate))}`);
    }
    return parts.join('  ');
  }

  private draw(text: string): void {
    if (this.tty) {
      const width = Math.max(20, (this.stream.columns || 100) - 1); // 0 on some ptys
      this.stream.write(`\r\x1b[2K${text.slice(0, width)}`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Clears the line on a terminal (the command then prints its summary). */
  finish(): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  get bytesMoved(): number {
    return this.moved;
  }
}

/** The per-file reports of a transfer of several files (upload, import), summed for one ProgressLine. */
export class FileTotals {
  private readonly files = new Map<string, FileProgress>();

  /** Takes one file's report; returns the sums over every file reported so far. */
  add(p: FileProgress): { done: number; moved: number; total: number } {
    this.files.set(p.file, p);
    let done = 0;
    let moved = 0;
    let total = 0;
    for (const f of this.files.values()) {
      done += f.stored;
      total += f.total;
      moved += Math.max(0, f.stored - f.resumed);
    }
    return { done, moved, total };
  }

  /** Files reported so far. */
  get count(): number {
    return this.files.size;
  }

  /** Bytes an earlier, interrupted run had stored already. */
  get resumed(): number {
    return [...this.files.values()].reduce((n, f) => n + f.resumed, 0);
  }
}
