// The exit codes of `modelrepo` (documented in docs/cli.md) and the one place that turns an error into
// a message on stderr and a code. Stack traces only with MODELREPO_DEBUG=1; secrets are redacted.
import { isAbort, isRepoError, redactSecrets } from '../core/errors';
import type { ErrorCode } from '../core/errors';

export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  network: 6,
  integrity: 7,
  refused: 8, // exists, in use
  unusable: 9, // broken tag chain, unfinished version, unsafe name or corrupt record in storage
  cancelled: 130, // Ctrl-C (SIGINT)
  terminated: 143, // SIGTERM
} as const;

/** A local file or folder this process may not read or write. */
const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);

const BY_CODE: Record<ErrorCode, number> = {
  InvalidName: EXIT.usage,
  InvalidRef: EXIT.usage,
  Config: EXIT.usage,
  NotFound: EXIT.notFound,
  Conflict: EXIT.conflict,
  Auth: EXIT.auth,
  Network: EXIT.network,
  Integrity: EXIT.integrity,
  Exists: EXIT.refused,
  InUse: EXIT.refused,
  BrokenLink: EXIT.unusable,
  Incomplete: EXIT.unusable,
  Unsafe: EXIT.unusable,
  Corrupt: EXIT.unusable,
  Permission: EXIT.auth,
  Aborted: EXIT.cancelled,
  Storage: EXIT.unexpected,
};

/** A command-line mistake (unknown option, missing argument): exit 2 with the usage line. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The result was printed (stdout, or the --json document) and each problem named on stderr; the run
 *  still fails with this code so that scripts notice (`ls` with refused entries: 9). */
export class PartialResult extends Error {
  constructor(readonly exitCode: number, readonly lines: readonly string[]) {
    super(lines.join('; '));
    this.name = 'PartialResult';
  }
}

/** The errno error (EACCES, EPERM, EROFS) in an error's cause chain, when a local file is the problem. */
function permissionProblem(e: unknown): NodeJS.ErrnoException | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && PERMISSION_CODES.has(code)) return c as NodeJS.ErrnoException;
  }
  return undefined;
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof PartialResult) return e.exitCode;
  if (isAbort(e)) return EXIT.cancelled;
  if (isRepoError(e)) {
    const code = BY_CODE[e.code] ?? EXIT.unexpected;
    return code === EXIT.unexpected && permissionProblem(e) ? EXIT.auth : code;
  }
  return permissionProblem(e) ? EXIT.auth : EXIT.unexpected;
}

export interface ErrorReport {
  readonly code: string;
  readonly exitCode: number;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** What to print for an error: human lines for stderr and a JSON-able object for --json. */
export function describeError(e: unknown): { lines: string[]; report: ErrorReport } {
  const exitCode = exitCodeOf(e);
  if (exitCode === EXIT.cancelled) {
    return { lines: ['cancelled'], report: { code: 'Aborted', exitCode, message: 'cancelled' } };
  }
  if (e instanceof PartialResult) return { lines: [...e.lines], report: { code: 'Unusable', exitCode, message: e.message } };
  if (e instanceof UsageError) {
    const lines = [e.message];
    if (e.usage) lines.push(`usage: ${e.usage}`);
    return { lines, report: { code: 'Usage', exitCode, message: e.message } };
  }
  if (isRepoError(e)) {
    const lines = [redactSecrets(e.message)];
    const d = e.details as { current?: unknown; who?: unknown; when?: unknown };
    if (e.code === 'Conflict' && d.current !== undefined && !e.message.includes(String(d.current))) {
      const by = d.who ? ` (moved by ${String(d.who)}${d.when ? ` at ${String(d.when)}` : ''})` : '';
      lines.push(`it now points at ${String(d.current)}${by}`);
    }
    const details = safeDetails(e.details);
    return { lines, report: { code: e.code, exitCode, message: lines.join('; '), ...(details ? { details } : {}) } };
  }
  const denied = permissionProblem(e);
  if (denied) {
    const verb = denied.syscall === 'open' ? 'open' : WRITING.has(denied.syscall ?? '') ? 'write' : 'read';
    const what = denied.path ? `${verb} ${denied.path}` : 'use a local file';
    const message = `Cannot ${what}: ${denied.code === 'EROFS' ? 'the file system is read-only' : 'permission denied'}`;
    return { lines: [message], report: { code: 'Permission', exitCode, message } };
  }
  const msg = redactSecrets(e instanceof Error ? e.message : String(e));
  const lines = [`unexpected error: ${msg}`];
  if (process.env.MODELREPO_DEBUG !== '1') lines.push('(set MODELREPO_DEBUG=1 to see the details)');
  return { lines, report: { code: 'Unexpected', exitCode, message: msg } };
}

const WRITING = new Set(['mkdir', 'write', 'rename', 'unlink', 'rmdir', 'copyfile', 'symlink', 'link', 'utime', 'chmod', 'mkdtemp']);

function safeDetails(d: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  if (Object.keys(d).length === 0) return undefined;
  try {
    return JSON.parse(redactSecrets(JSON.stringify(d))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The stack (and causes) for MODELREPO_DEBUG=1, secrets redacted. */
export function debugText(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; cur && i < 5; i++) {
    parts.push(cur instanceof Error ? (cur.stack ?? cur.message) : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return redactSecrets(parts.join('\ncaused by: '));
}
