// What the user is told. Messages are shown without awaiting the notification (a command must not hang
// until someone closes a toast) and the last few are kept so in-host tests can read what was said.
import * as vscode from 'vscode';
import type { Log } from './log';

export type Severity = 'info' | 'warning' | 'error';

export interface Notice {
  readonly severity: Severity;
  readonly message: string;
  /** RepoError code when the notice came from one (Conflict, InUse, Auth, ...). */
  readonly code?: string;
}

const KEEP = 20;

export class Notifier {
  private readonly recent: Notice[] = [];

  constructor(private readonly log: Log) {}

  /** Shows the message; `then` runs with the button the user clicked, if any. */
  show(severity: Severity, message: string, buttons: string[] = [], then?: (choice: string | undefined) => unknown, code?: string): void {
    this.recent.push({ severity, message, code });
    if (this.recent.length > KEEP) this.recent.shift();
    const fn = severity === 'error' ? vscode.window.showErrorMessage
      : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    fn(message, ...buttons).then(
      (choice) => (then ? Promise.resolve(then(choice)).catch((e: unknown) => this.log.error('a follow-up action failed', e)) : undefined),
      () => undefined);
  }

  info(message: string, buttons?: string[], then?: (choice: string | undefined) => unknown): void {
    this.show('info', message, buttons, then);
  }

  /** The most recent notices, newest last. */
  notices(): readonly Notice[] {
    return [...this.recent];
  }

  last(): Notice | undefined {
    return this.recent[this.recent.length - 1];
  }
}
