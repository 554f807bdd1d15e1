// Maps AWS SDK / network errors to RepoError codes with the action and the object. The SDK's own
// messages are kept only where they help (and pass through redactSecrets in RepoError); a
// signature error never echoes keys, but we never build a message from request headers either.
// Deadlines, TLS failures and endpoints that are not S3 servers get a message that names the
// endpoint and, where there is one, the fix.
import { RepoError, isAbort } from '../errors';
import { NotS3Error } from './s3Answer';
import { deadlineOf, describeDeadline } from './s3Deadlines';
import { PlainToTlsError, tlsProblem } from './s3Tls';

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: { statusCode?: number };
  cause?: unknown;
  errors?: unknown[];
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH',
  'EPIPE', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT',
]);
const AUTH_NAMES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken',
  'TokenRefreshRequired', 'AuthorizationHeaderMalformed', 'InvalidClientTokenId']);

function shape(e: unknown): SdkErrorShape {
  return (e && typeof e === 'object' ? e : {}) as SdkErrorShape;
}

export function httpStatus(e: unknown): number | undefined {
  const s = shape(e);
  return s.$metadata?.httpStatusCode ?? s.$response?.statusCode;
}

function errorName(e: unknown): string {
  const s = shape(e);
  return s.name ?? s.Code ?? '';
}

/** The network error code of e or its cause, if any. */
export function networkCode(e: unknown): string | undefined {
  if (deadlineOf(e)) return 'ETIMEDOUT';
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = shape(cur).cause, depth++) {
    const s = shape(cur);
    if (s.code && NETWORK_CODES.has(s.code)) return s.code;
    if (s.name === 'TimeoutError') return 'ETIMEDOUT';
    // Node's happy-eyeballs connect throws an AggregateError of per-address failures.
    const inner = s.errors?.map(networkCode).find((c) => c !== undefined);
    if (inner) return inner;
  }
  return undefined;
}

export function isNotFound(e: unknown): boolean {
  const n = errorName(e);
  return n === 'NoSuchKey' || n === 'NotFound' || (httpStatus(e) === 404 && n !== 'NoSuchBucket');
}

export function isNoSuchUpload(e: unknown): boolean {
  return errorName(e) === 'NoSuchUpload';
}

export function isPreconditionFailed(e: unknown): boolean {
  return httpStatus(e) === 412 || errorName(e) === 'PreconditionFailed';
}

export function isInvalidRange(e: unknown): boolean {
  return httpStatus(e) === 416 || errorName(e) === 'InvalidRange';
}

/** The write may or may not have landed: a server error or a connection that broke after sending. */
export function isAmbiguous(e: unknown): boolean {
  const status = httpStatus(e);
  if (status !== undefined && status >= 500) return true;
  if (deadlineOf(e)?.phase === 'connect') return false;
  const code = networkCode(e);
  // Refused / unresolved connections never reached the server.
  return code !== undefined && code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== 'EAI_AGAIN';
}

/** Converts any error from an S3 call into a RepoError for `action` on `object`. */
export function toRepoError(e: unknown, action: string, object: string, endpoint: string): RepoError {
  if (e instanceof RepoError) return e;
  if (isAbort(e)) return new RepoError('Aborted', action, object, 'cancelled', { cause: e });
  const special = endpointProblem(e, endpoint);
  if (special) return new RepoError(special.code, action, object, special.reason, { cause: e });
  const name = errorName(e);
  const status = httpStatus(e);
  const net = networkCode(e);
  if (net) {
    const why = net === 'ECONNREFUSED' ? 'connection refused'
      : net === 'ENOTFOUND' || net === 'EAI_AGAIN' ? 'host name not found'
        : net === 'ETIMEDOUT' || net.includes('TIMEOUT') ? 'timed out' : `connection failed (${net})`;
    return new RepoError('Network', action, object, `the S3 endpoint ${endpoint} cannot be reached: ${why}`, { cause: e });
  }
  if (AUTH_NAMES.has(name)) {
    return new RepoError('Auth', action, object, 'the S3 server rejected the access key / secret key', { cause: e });
  }
  if (name === 'AccessDenied' || status === 403) {
    return new RepoError('Auth', action, object, 'the S3 server denied access (check the keys and their permissions)', { cause: e });
  }
  if (name === 'NoSuchBucket') {
    return new RepoError('NotFound', action, object, 'the bucket does not exist', { cause: e });
  }
  if (isNotFound(e)) return new RepoError('NotFound', action, object, 'not found', { cause: e });
  if (isPreconditionFailed(e)) {
    return new RepoError('Conflict', action, object, 'it was changed by someone else', { cause: e });
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(shape(e).message ?? '')) {
    return new RepoError('Config', action, object, 'no S3 credentials found (set keys, a profile or AWS_* variables)', { cause: e });
  }
  const msg = shape(e).message || name || 'unknown error';
  return new RepoError('Storage', action, object,
    `the S3 server answered ${status ?? 'with an error'}${name ? ` ${name}` : ''}: ${msg}`, { cause: e });
}

/** Deadlines, TLS and wrong endpoints: what is wrong with the endpoint itself, and the fix. */
function endpointProblem(e: unknown, endpoint: string): { code: 'Network' | 'Config'; reason: string } | undefined {
  const deadline = deadlineOf(e);
  if (deadline) return { code: 'Network', reason: describeDeadline(deadline.phase, deadline.limitMs, `the S3 endpoint ${endpoint}`) };
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = shape(cur).cause, depth++) {
    if (cur instanceof NotS3Error) {
      const where = cur.redirectTo ? `; it redirects to ${cur.redirectTo}` : '';
      return { code: 'Config', reason: `the endpoint ${endpoint} does not answer like an S3 server (HTTP ${cur.status}, ${cur.contentType})${where}: check the URL and port` };
    }
    if (cur instanceof PlainToTlsError) {
      return { code: 'Network', reason: `the endpoint ${endpoint} speaks TLS: use ${endpoint.replace(/^http:/, 'https:')}` };
    }
  }
  switch (tlsProblem(e)) {
    case 'notTls':
      return { code: 'Network', reason: `the endpoint ${endpoint} does not speak TLS: if it is a plain http server, use ${endpoint.replace(/^https:/, 'http:')}` };
    case 'untrusted':
      return { code: 'Network', reason: `the TLS certificate of ${endpoint} is not trusted (self-signed, or from a private CA): `
        + 'set AWS_CA_BUNDLE (or the connection\'s CA bundle) to a PEM file with the CA certificate' };
    case 'expired':
      return { code: 'Network', reason: `the TLS certificate of ${endpoint} has expired or is not valid yet: renew it on the server, or check this machine's clock` };
    case 'hostname':
      return { code: 'Network', reason: `the TLS certificate of ${endpoint} is for another host name: use a name the certificate lists, or reissue it` };
    default:
      return undefined;
  }
}
