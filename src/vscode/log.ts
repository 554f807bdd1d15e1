// The one log channel ("Model Repository", a LogOutputChannel). Every line carries a component prefix
// ("[tree]", "[upload]") and passes through redactSecrets(), so a key that reached an error message
// by accident never reaches the log either.
import type * as vscode from 'vscode';
import { redactSecrets } from '../core/errors';

export const LOG_CHANNEL_NAME = 'Model Repository';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
  debug(message: string): void;
  /** The same log with a component prefix. */
  child(component: string): Log;
  show(): void;
}

/** The error as the log shows it: message, code and the chain of causes (stack traces only at debug). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      parts.push(`${e.name}${typeof code === 'string' ? ` (${code})` : ''}: ${e.message}`);
      e = (e as { cause?: unknown }).cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return redactSecrets(parts.join('\n  caused by '));
}

export function createLog(channel: vscode.LogOutputChannel, component?: string): Log {
  const p = (m: string): string => redactSecrets(component ? `[${component}] ${m}` : m);
  return {
    info: (m) => channel.info(p(m)),
    warn: (m) => channel.warn(p(m)),
    debug: (m) => channel.debug(p(m)),
    error: (m, err) => {
      channel.error(p(err === undefined ? m : `${m}\n  ${describeError(err)}`));
      if (err instanceof Error && err.stack) channel.debug(p(redactSecrets(err.stack)));
    },
    child: (c) => createLog(channel, component ? `${component}/${c}` : c),
    show: () => channel.show(true),
  };
}
