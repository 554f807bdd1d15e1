// The one log channel ("Model Repository", a LogOutputChannel). Every line carries a component prefix
// ("[tree]", "[upload]") and passes through redactSecrets(), so a key that reached an error message
// by accident never reaches the log either.
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

/** What the log writes to: the LogOutputChannel, or (tests) one that also keeps the lines. */
export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  show(preserveFocus?: boolean): void;
}

/** The channel, also keeping every line written to it in `lines` (the extension's own tests read them). */
export function recordingSink(channel: LogSink, lines: string[]): LogSink {
  const keep = (level: string, m: string): void => {
    lines.push(`[${level}] ${m}`);
    if (lines.length > 2000) lines.shift();
  };
  return {
    info: (m: string) => { keep('info', m); channel.info(m); },
    warn: (m: string) => { keep('warn', m); channel.warn(m); },
    error: (m: string) => { keep('error', m); channel.error(m); },
    debug: (m: string) => { keep('debug', m); channel.debug(m); },
    show: (preserveFocus?: boolean) => channel.show(preserveFocus),
  };
}

export function createLog(channel: LogSink, component?: string): Log {
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
