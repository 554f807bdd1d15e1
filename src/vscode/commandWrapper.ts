// The one place where command failures become messages. A RepoError already names the action and the
// object ("Cannot tag llama-3-8b: ..."); anything else is wrapped with the command's own action. The
// full error goes to the log, the message offers "Show Log", and a cancellation is logged, not shown.
import * as vscode from 'vscode';
import { isAbort, isRepoError, redactSecrets } from '../core/errors';
import type { Log } from './log';
import type { Notifier } from './notify';

export const SHOW_LOG = 'Show Log';

/** Text for an error: the RepoError's own message, or "Cannot <action>: <message>". */
export function errorText(err: unknown, action: string): string {
  if (isRepoError(err)) return err.message;
  const msg = err instanceof Error ? err.message : String(err);
  return redactSecrets(`Cannot ${action}: ${msg}`);
}

/** Reports an error the way every command does (used by the wrapper and by background work). */
export function reportError(err: unknown, action: string, log: Log, notify: Notifier): void {
  if (isAbort(err)) {
    log.info(`${action}: cancelled`);
    return;
  }
  const text = errorText(err, action);
  log.error(text, err);
  notify.show('error', text, [SHOW_LOG], (c) => { if (c === SHOW_LOG) log.show(); }, isRepoError(err) ? err.code : undefined);
}

/**
 * Wraps a command handler: errors are reported (never re-thrown, so VS Code shows no second popup) and
 * the command resolves to undefined; otherwise it resolves to the handler's result (tests use it).
 */
export function wrapCommand<A extends unknown[], R>(action: string, log: Log, notify: Notifier,
  handler: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (err) {
      reportError(err, action, log, notify);
      return undefined;
    }
  };
}

export function registerWrapped<A extends unknown[], R>(id: string, action: string, log: Log, notify: Notifier,
  handler: (...args: A) => Promise<R>): vscode.Disposable {
  return vscode.commands.registerCommand(id, wrapCommand(action, log.child(id.replace(/^modelRepository\./, '')), notify, handler));
}
