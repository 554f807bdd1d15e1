// TLS for S3 endpoints: the connection pool's agents with an extra CA (AWS_CA_BUNDLE, or the
// connection's caBundle: a PEM file, for servers with a private or self-signed certificate), the
// names of certificate failures so they can be explained, and a probe that tells whether a port
// that broke a plain-http request speaks TLS (an http:// endpoint pointed at an https port).
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import * as tls from 'node:tls';
import { RepoError } from '../errors';

/** The extra CA file: the connection's own setting first, then AWS_CA_BUNDLE (as the AWS CLI reads it). */
export function caBundlePath(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return configured || env.AWS_CA_BUNDLE || undefined;
}

/** The CAs to trust: Node's defaults (with NODE_EXTRA_CA_CERTS) plus the PEM file's certificates. */
function trustedWith(path: string, object: string): string[] {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RepoError('Config', 'open', object, `cannot read the CA bundle ${path}: ${(e as Error).message}`, { cause: e });
  }
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!certs) throw new RepoError('Config', 'open', object, `the CA bundle ${path} holds no PEM certificate`);
  const defaults = (tls as { getCACertificates?: (kind: string) => string[] }).getCACertificates?.('default');
  if (defaults) return [...defaults, ...certs];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  let extraCerts: string[] = [];
  try {
    extraCerts = extra ? readFileSync(extra, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [] : [];
  } catch {
    // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS.
  }
  return [...tls.rootCertificates, ...extraCerts, ...certs];
}

/** One keep-alive pool for the connection, big enough for parallel parts of several files at once. */
export function createAgent(https: boolean, caBundle: string | undefined, object: string): HttpAgent | HttpsAgent {
  const opts = { keepAlive: true, maxSockets: 64 };
  if (!https) return new HttpAgent(opts);
  return new HttpsAgent(caBundle ? { ...opts, ca: trustedWith(caBundle, object) } : opts);
}

export type TlsProblem = 'notTls' | 'untrusted' | 'expired' | 'hostname';

const UNTRUSTED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED', 'INVALID_CA']);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_UNKNOWN_PROTOCOL', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/** The kind of TLS failure behind e (or its cause), if it is one. */
export function tlsProblem(e: unknown): TlsProblem | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const { code, message } = cur as { code?: string; message?: string };
    if (code && UNTRUSTED.has(code)) return 'untrusted';
    if (code && EXPIRED.has(code)) return 'expired';
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'hostname';
    if ((code && NOT_TLS.has(code)) || (code === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(message ?? ''))) {
      return 'notTls';
    }
  }
  return undefined;
}

/** Whether host:port completes a TLS handshake (certificate not checked) within ms. */
export function speaksTls(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: false });
    const end = (yes: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(yes);
    };
    const timer = setTimeout(() => end(false), ms);
    socket.once('secureConnect', () => end(true));
    socket.once('error', () => end(false));
  });
}

/** An http:// endpoint whose port speaks TLS. */
export class PlainToTlsError extends Error {
  override name = 'PlainHttpToTlsPort';
}
