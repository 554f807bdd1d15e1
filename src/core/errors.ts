// Typed errors for the core. Every error names the action that failed and the object it failed on,
// so the edges (CLI, extension) can show `Cannot tag llama-3-8b: ...` without knowing the cause.
// Secret values never go into a message: redactSecrets() is applied to every message built here.

export type ErrorCode =
  | 'InvalidName' // a model, version, tag or file name breaks a rule
  | 'InvalidRef' // a CLI reference or link text cannot be parsed
  | 'NotFound' // model, version, tag, file or bucket is missing
  | 'Exists' // the thing to create is already there (complete version, tag that must be absent)
  | 'Conflict' // a compare-and-swap lost: someone else moved the tag
  | 'BrokenLink' // a tag chain has a cycle, dangles, leaves the model or is malformed
  | 'Incomplete' // the version is not published (upload still running or interrupted)
  | 'InUse' // a version still has tags pointing at it
  | 'Auth' // wrong keys, access denied
  | 'Network' // endpoint unreachable, DNS, connection refused, timeouts
  | 'Integrity' // sha256 or size mismatch
  | 'Aborted' // cancelled by the user: never shown as an error
  | 'Config' // connection settings missing or wrong
  | 'Unsafe' // a name, key or path read from storage is unsafe to use (traversal, look-alike, symlink leaving the root)
  | 'Corrupt' // a record the tool wrote (version record, marker) is unreadable or contradicts what is stored
  | 'Permission' // a local file or folder cannot be read or written (EACCES, EPERM)
  | 'Storage'; // anything else the storage reported

const secrets = new Set<string>();

/** Registers a secret value (a secret key, a token) so that no error message ever contains it. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** Secrets that are recognisable by their shape, whoever registered them: the signature and
 *  credential of a presigned URL, bearer tokens, and kubeconfig fields that carry keys. */
const SHAPED: readonly [RegExp, string][] = [
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"'<>]+/gi, '$1***'],
  [/(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, '$1***'],
  [/(\b(?:token|password|secret|client-key-data|client-certificate-data|id-token|refresh-token|access-token)["']?\s*[:=]\s*["']?)[^\s"',}]{4,}/gi, '$1***'],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  for (const [re, to] of SHAPED) out = out.replace(re, to);
  return out;
}

export class RepoError extends Error {
  readonly code: ErrorCode;
  /** What was being done, e.g. "tag", "upload", "list versions of". */
  readonly action: string;
  /** What it was done to, e.g. "llama-3-8b", "llama-3-8b@2024-03-20", "s3://models". */
  readonly object: string;
  /** The reason alone, without the action and object. */
  readonly reason: string;
  /** Extra machine-readable facts (the current target in a Conflict, the chain of a BrokenLink, ...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, action: string, object: string, reason: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    const r = redactSecrets(reason);
    super(`Cannot ${action} ${object}: ${r}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RepoError';
    this.code = code;
    this.action = action;
    this.object = object;
    this.reason = r;
    this.details = options.details ?? {};
  }
}

export function isRepoError(e: unknown, code?: ErrorCode): e is RepoError {
  return e instanceof RepoError && (code === undefined || e.code === code);
}

export function isAbort(e: unknown): boolean {
  if (isRepoError(e, 'Aborted')) return true;
  const name = (e as { name?: string } | undefined)?.name;
  return name === 'AbortError';
}

/** Re-throws a RepoError unchanged; wraps anything else as a Storage error for this action and object. */
export function wrapError(e: unknown, action: string, object: string): RepoError {
  if (e instanceof RepoError) return e;
  if (isAbort(e)) return new RepoError('Aborted', action, object, 'cancelled', { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new RepoError('Storage', action, object, msg, { cause: e });
}
