// Builds the S3 clients for one connection and the key mapping between the repository root
// (bucket + optional prefix) and full object keys. Two clients share one connection pool and one
// deadline-enforcing HTTP handler (s3Http.ts): the normal one retries, the conditional one never
// does, because a retried conditional write cannot tell its own earlier success from someone
// else's (a 412 after a retry is ambiguous). Every key goes through the key rule (s3Keys.ts).
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { registerSecret, RepoError } from '../errors';
import type { S3ConnectionConfig, S3EndpointConfig } from '../connections/types';
import { resolveTimeouts } from '../timeouts';
import type { Timeouts } from '../timeouts';
import { DeadlineHttpHandler } from './s3Http';
import { checkKey } from './s3Keys';
import { caBundlePath, createAgent } from './s3Tls';

/** Tuning knobs beyond the connection settings (tests, benchmarks, impatient callers). */
export interface S3ClientOptions {
  /** SDK attempts per request (default 3; a deadline that passed is tried at most twice, see
   *  s3Http.ts); conditional writes always use 1. */
  readonly maxAttempts?: number;
  /** Connection set-up deadline in ms; overrides cfg.timeouts.connectMs. */
  readonly connectionTimeoutMs?: number;
  /** Send `Expect: 100-continue` before large bodies (default true: a refused request does not
   *  upload a whole part first, and an auth error stays an auth error instead of a broken pipe). */
  readonly expectContinue?: boolean;
}

export interface S3Context {
  readonly client: S3Client;
  /** Same connection pool, maxAttempts 1: for conditional writes. */
  readonly casClient: S3Client;
  readonly bucket: string;
  /** '' or 'team-a/' */
  readonly rootPrefix: string;
  /** e.g. s3://models/team-a (no secrets). */
  readonly root: string;
  /** Endpoint for error messages, e.g. http://127.0.0.1:7480 or "AWS S3". */
  readonly endpointLabel: string;
  /** The custom endpoint, if any. */
  readonly endpointUrl?: URL;
  /** What the server turned out not to support, learnt once per connection. */
  readonly features: { taggingRefused?: boolean };
  /** The deadlines every request of this connection keeps (s3Deadlines.ts). */
  readonly timeouts: Timeouts;
  /** Full key of a relative one; throws Unsafe for keys that URL normalization would change (s3Keys.ts). */
  fullKey(relative: string): string;
  relativeKey(full: string): string;
}

function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p ? `${p}/` : '';
}

/** Registers every secret of resolved credentials, whatever chain they came from. */
function watched(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  return async (...args) => {
    const creds = await provider(...args);
    registerSecret(creds.secretAccessKey);
    registerSecret(creds.sessionToken);
    return creds;
  };
}

function credentialsFor(cfg: S3EndpointConfig): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  if (cfg.credentials) {
    registerSecret(cfg.credentials.secretAccessKey);
    registerSecret(cfg.credentials.sessionToken);
    return { ...cfg.credentials };
  }
  // The providers package is loaded only when no explicit keys are given.
  let inner: AwsCredentialIdentityProvider | undefined;
  return watched(async (...args) => {
    if (!inner) {
      const providers = await import('@aws-sdk/credential-providers');
      inner = cfg.profile ? providers.fromIni({ profile: cfg.profile }) : providers.fromNodeProviderChain();
    }
    return inner(...args);
  });
}

/** Large bodies (parts) are sent with UNSIGNED-PAYLOAD: otherwise the signer hashes every part
 *  with sha256 a second time, on the one thread that also hashes the file. The whole-file sha256
 *  recorded by the repository is what protects the content. */
function unsignedLargeBodies(client: S3Client): void {
  client.middlewareStack.add((next) => async (args) => {
    const req = args.request as { headers?: Record<string, string>; body?: unknown };
    if (req.headers && Buffer.isBuffer(req.body) && req.body.length >= 256 * 1024) {
      req.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    }
    return next(args);
  }, { step: 'build', name: 'modelrepoUnsignedPayload' });
}

/** The clients of one endpoint, before any bucket: what listing the buckets needs. */
export type S3Clients = Pick<S3Context, 'client' | 'casClient' | 'endpointLabel' | 'endpointUrl' | 'timeouts'>;

/** `object` names what is opened in errors (`s3://models`, or the endpoint when no bucket is chosen). */
export function createS3Clients(cfg: S3EndpointConfig, object: string, opts: S3ClientOptions = {}): S3Clients {
  let endpoint: URL | undefined;
  if (cfg.endpoint) {
    try {
      endpoint = new URL(cfg.endpoint);
    } catch {
      throw new RepoError('Config', 'open', object, `the endpoint "${cfg.endpoint}" is not a URL`);
    }
    if (endpoint.username || endpoint.password) {
      registerSecret(decodeURIComponent(endpoint.password));
      throw new RepoError('Config', 'open', object, 'the endpoint URL must not carry keys');
    }
  }
  if (endpoint && endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new RepoError('Config', 'open', object, `the endpoint "${cfg.endpoint}" must start with http:// or https://`);
  }
  const https = endpoint ? endpoint.protocol === 'https:' : true;
  const timeouts = resolveTimeouts({ ...cfg.timeouts, ...(opts.connectionTimeoutMs ? { connectMs: opts.connectionTimeoutMs } : {}) });
  const requestHandler = new DeadlineHttpHandler(createAgent(https, caBundlePath(cfg.caBundle), object), timeouts);
  const common = {
    region: cfg.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    endpoint: endpoint ? endpoint.toString().replace(/\/$/, '') : undefined,
    forcePathStyle: cfg.forcePathStyle ?? endpoint !== undefined,
    credentials: credentialsFor(cfg),
    requestHandler,
    ...(opts.expectContinue === false ? { expectContinueHeader: false } : {}),
    // Newer SDKs add CRC32 checksums to every upload by default: that costs a pass over each byte
    // and older S3-compatible servers (Ceph 16) do not know the headers. The sha256 of each file is
    // computed by the upload itself.
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
  const client = new S3Client({ ...common, maxAttempts: opts.maxAttempts ?? 3 });
  const casClient = new S3Client({ ...common, maxAttempts: 1 });
  unsignedLargeBodies(client);
  return { client, casClient, endpointLabel: endpoint ? endpoint.origin : 'AWS S3', endpointUrl: endpoint, timeouts };
}

export function createS3Context(cfg: S3ConnectionConfig, opts: S3ClientOptions = {}): S3Context {
  if (!cfg.bucket) throw new RepoError('Config', 'open', 's3://', 'no bucket given');
  const clients = createS3Clients(cfg, `s3://${cfg.bucket}`, opts);
  const rootPrefix = normalizePrefix(cfg.prefix);
  return {
    ...clients,
    bucket: cfg.bucket,
    rootPrefix,
    root: `s3://${cfg.bucket}${rootPrefix ? `/${rootPrefix.slice(0, -1)}` : ''}`,
    features: {},
    fullKey: (relative) => rootPrefix + checkKey(relative),
    relativeKey: (full) => (full.startsWith(rootPrefix) ? full.slice(rootPrefix.length) : full),
  };
}
