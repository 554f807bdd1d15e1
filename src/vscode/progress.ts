// Progress with cancel for long transfers. The CancellationToken becomes an AbortSignal that the core
// passes down to the storage call (the SDK request or the file stream), so Cancel stops the transfer
// itself. Byte progress is throttled: the core reports every chunk, the notification needs ~4 a second.
import * as vscode from 'vscode';
import { formatBytes } from '../core/format';
import type { FileProgress } from '../core/types';

export const REPORT_INTERVAL_MS = 250;

/** Runs `task` under a cancellable notification; its AbortSignal aborts when the user presses Cancel. */
export function withCancellableProgress<T>(title: string,
  task: (progress: vscode.Progress<{ message?: string; increment?: number }>, signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        return await task(progress, ac.signal);
      } finally {
        sub.dispose();
      }
    });
}

/**
 * Turns per-file progress from the core into throttled notification updates: one message naming the
 * current file and the bytes done of the whole transfer, and percentage increments that add up to 100.
 */
export class TransferReporter {
  private readonly done = new Map<string, number>();
  private last = 0;
  private reportedPercent = 0;

  constructor(private readonly progress: vscode.Progress<{ message?: string; increment?: number }>,
    private readonly totalBytes: number, private readonly now: () => number = Date.now) {}

  readonly onProgress = (p: FileProgress): void => {
    this.done.set(p.file, p.stored);
    const t = this.now();
    if (t - this.last < REPORT_INTERVAL_MS && p.stored < p.total) return;
    this.last = t;
    const bytes = [...this.done.values()].reduce((a, b) => a + b, 0);
    const percent = this.totalBytes > 0 ? Math.min(100, (bytes / this.totalBytes) * 100) : 0;
    const increment = Math.max(0, percent - this.reportedPercent);
    this.reportedPercent = Math.max(this.reportedPercent, percent);
    const name = p.file.split(/[\\/]/).pop() ?? p.file;
    this.progress.report({ message: `${name}: ${formatBytes(bytes)} of ${formatBytes(this.totalBytes)}`, increment });
  };
}
