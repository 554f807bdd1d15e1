// Turns what @huggingface/hub and fetch throw into RepoErrors that say what to do. The library throws
// HubApiError (statusCode, message from the Hub's JSON), a TypeError for a token without the hf_
// prefix, and fetch's own TypeErrors ('fetch failed' with a cause code, 'terminated' when a body
// stream is cut), and hubFetch.ts's deadlines. Token values never appear: the token is registered as a
// secret by the caller.
import { RepoError, isAbort } from '../errors';
import { deadlineReason } from './hubFetch';

export interface HubErrorContext {
  /** 'org/name' */
  readonly repo: string;
  readonly endpoint: string;
  readonly tokenGiven: boolean;
  /** The file being downloaded, when there is one. */
  readonly file?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE',
]);

function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    // Node's happy-eyeballs connect reports an AggregateError whose members carry the codes.
    const member = (c as { errors?: unknown[] }).errors?.[0] as { code?: unknown } | undefined;
    const code = (c as { code?: unknown }).code ?? member?.code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

export function hubError(e: unknown, ctx: HubErrorContext, signal?: AbortSignal): RepoError {
  const where = ctx.file ? `${ctx.repo}/${ctx.file}` : ctx.repo;
  if (e instanceof RepoError) return e;
  // A deadline aborts the request like a cancel does; only the caller's signal means the user cancelled.
  const deadline = signal?.aborted ? undefined : deadlineReason(e);
  if (deadline) {
    return new RepoError('Network', 'import', where, `the Hub at ${ctx.endpoint} sent ${deadline}${ctx.file ? ` while ${ctx.file} was downloading` : ''}`, { cause: e });
  }
  if (isAbort(e) || signal?.aborted) return new RepoError('Aborted', 'import', where, 'cancelled', { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  const status = statusOf(e);
  if (status === 401 || status === 403) {
    const reason = ctx.tokenGiven
      ? `the Hub refused the token (HTTP ${status}): check that the token in HF_TOKEN can read ${ctx.repo} (for a gated model, accept its terms on the Hub first)`
      : `the Hub refused access without a token (HTTP ${status}): ${ctx.repo} is gated or private, or does not exist. Set HF_TOKEN to a Hugging Face token that can read it`;
    return new RepoError('Auth', 'import', where, reason, { cause: e, details: { status } });
  }
  if (status === 404) return new RepoError('NotFound', 'import', where, `the Hub has no such ${ctx.file ? 'file' : 'repository or revision'} (${firstSentence(msg)})`, { cause: e });
  if (status === 429) return new RepoError('Network', 'import', where, 'the Hub is rate-limiting requests (HTTP 429); wait a minute and run the import again', { cause: e });
  if (status !== undefined && status >= 500) return new RepoError('Network', 'import', where, `the Hub at ${ctx.endpoint} failed (HTTP ${status}); try again later`, { cause: e });
  if (status !== undefined) return new RepoError('Storage', 'import', where, `the Hub answered HTTP ${status}: ${firstSentence(msg)}`, { cause: e });
  if (/access token must start with/i.test(msg)) {
    return new RepoError('Config', 'import', where, "the Hugging Face token (HF_TOKEN) must start with 'hf_'", { cause: e });
  }
  const code = causeCode(e);
  if (msg === 'terminated' || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || /other side closed|premature close/i.test(msg)) {
    return new RepoError('Network', 'import', where, `the connection to ${ctx.endpoint} dropped${ctx.file ? ` while downloading ${ctx.file}` : ''}`, { cause: e });
  }
  if (code || msg === 'fetch failed') {
    return new RepoError('Network', 'import', where, `cannot reach the Hub at ${ctx.endpoint}${code ? ` (${code})` : ''}; check HF_ENDPOINT and the network`, { cause: e });
  }
  return new RepoError('Storage', 'import', where, msg, { cause: e });
}

/** The Hub's messages end with ". URL: ... Request ID: ..."; keep the part a person needs. */
function firstSentence(msg: string): string {
  const i = msg.indexOf('. URL:');
  return i > 0 ? msg.slice(0, i) : msg;
}
