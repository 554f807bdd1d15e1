// Misbehaving servers on loopback, started inside a test, for the failures a client meets in the
// field: a server that accepts and never answers, a proxy that stalls a transfer part way, TLS
// servers with certificates a client must refuse, a plain-HTTP port, and web servers that are not
// S3. Each returns { url, close() }; close() ends every connection, so a stalled client fails at
// once instead of keeping the test process alive. Certificates are made at start with openssl into
// a temporary folder that close() removes.
//
//   silentServer()                         TCP: accepts, reads, never writes; `connections` counts them
//   webServer('html' | 'json')             plain HTTP, not S3: an HTML site (200 on '/', 404 elsewhere) or a JSON API
//   tlsServer({ cert, target? })           TLS with a 'self-signed', 'expired' or 'wrong-host' certificate;
//                                          relays to `target` (host:port of a plain TCP service) when given,
//                                          else answers HTTP 200; `caFile` is the PEM that makes the cert trusted
//   s3Proxy(target, { ... })               HTTP proxy in front of a real S3 endpoint: everything is relayed,
//                                          except bodies cut off after N bytes (the connection is then held open
//                                          silently) and requests it answers 501 NotImplemented, as an S3 server
//                                          without that feature would; `stats` counts requests and body bytes
//                                          and logs each request line
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';

export interface FaultServer {
  /** e.g. http://127.0.0.1:41234 (a TLS server's is https://). */
  readonly url: string;
  close(): Promise<void>;
}

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/** Closes the server and destroys every connection it still holds. */
function closer(server: net.Server, sockets: Set<net.Socket>, after?: () => Promise<void>): () => Promise<void> {
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await after?.();
  };
}

function tracked(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
  });
  return sockets;
}

/** Accepts TCP connections, reads what is sent, and never answers. */
export async function silentServer(): Promise<FaultServer & { readonly connections: number }> {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.resume();
  });
  const sockets = tracked(server);
  const port = await listening(server);
  return { url: `http://127.0.0.1:${port}`, get connections() { return connections; }, close: closer(server, sockets) };
}

/** A plain HTTP server that is not S3: an HTML site, or a JSON API. */
export async function webServer(kind: 'html' | 'json'): Promise<FaultServer> {
  const server = http.createServer((req, res) => {
    req.resume();
    const root = (req.url ?? '/').split('?')[0] === '/';
    if (kind === 'json') {
      res.writeHead(root ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(root ? { status: 'ok', items: [] } : { error: 'not found' }));
    } else {
      res.writeHead(root ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : `<!doctype html><html><body><h1>${root ? 'Welcome' : 'Not Found'}</h1></body></html>`);
    }
  });
  const sockets = tracked(server);
  const port = await listening(server);
  return { url: `http://127.0.0.1:${port}`, close: closer(server, sockets) };
}

export type CertKind = 'self-signed' | 'expired' | 'wrong-host';

/** Makes a key and certificate for 127.0.0.1 with openssl; `ca` is what a client must trust. */
async function makeCert(dir: string, kind: CertKind): Promise<{ key: string; cert: string; ca: string }> {
  const run = promisify(execFile);
  const f = (n: string): string => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  if (kind === 'self-signed') {
    await run('openssl', ['req', '-x509', ...ec, '-keyout', f('leaf.key'), '-out', f('leaf.pem'), '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    return { key: f('leaf.key'), cert: f('leaf.pem'), ca: f('leaf.pem') };
  }
  await run('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=modelrepo test CA']);
  await run('openssl', ['req', ...ec, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=leaf']);
  await fsp.writeFile(f('ext'), `subjectAltName=${kind === 'wrong-host' ? 'DNS:wrong.example' : 'IP:127.0.0.1'}\n`);
  await run('openssl', ['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('leaf.pem'), '-days', kind === 'expired' ? '-1' : '2', '-extfile', f('ext')]);
  return { key: f('leaf.key'), cert: f('leaf.pem'), ca: f('ca.pem') };
}

/** A TLS server with a certificate of the given kind. With `target` ("127.0.0.1:7480") it relays the
 *  decrypted bytes there (a TLS front for a plain-HTTP S3 server); else it answers every request 200. */
export async function tlsServer(opts: { cert: CertKind; target?: string }): Promise<FaultServer & { readonly caFile: string }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-tls-'));
  const made = await makeCert(dir, opts.cert);
  const [host, port] = (opts.target ?? '').split(':');
  const server = tls.createServer({ key: await fsp.readFile(made.key), cert: await fsp.readFile(made.cert) }, (s) => {
    if (!opts.target) {
      s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok'));
      return;
    }
    const up = net.connect(Number(port), host);
    up.on('error', () => s.destroy());
    s.on('close', () => up.destroy());
    s.pipe(up).pipe(s);
  });
  server.on('tlsClientError', () => undefined);
  const sockets = tracked(server);
  const p = await listening(server);
  return { url: `https://127.0.0.1:${p}`, caFile: made.ca, close: closer(server, sockets, () => fsp.rm(dir, { recursive: true, force: true })) };
}

export interface ProxyOptions {
  /** Cut every matching response body after this many bytes (per response). */
  readonly responseAfter?: number;
  /** Cut matching response bodies once this many body bytes were relayed in all (across responses). */
  readonly responseTotalAfter?: number;
  /** Stop reading a matching request body after this many bytes (the client's send stalls). */
  readonly requestAfter?: number;
  /** Which requests the cuts apply to (default: all). */
  readonly match?: (method: string, url: string) => boolean;
  /** Requests answered 501 NotImplemented (an S3 XML error) instead of being relayed. */
  readonly refuse?: (req: http.IncomingMessage) => boolean;
}

export interface ProxyStats {
  requests: number;
  /** Response body bytes relayed to the client. */
  responseBytes: number;
  /** Bodies cut off. */
  stalled: number;
  /** `METHOD /path` of every request, in order (query strings dropped). */
  log: string[];
}

/** An HTTP proxy in front of `target` (an http:// URL of a real S3 server) that cuts bodies off and
 *  refuses requests as told. The client's Host header is passed on unchanged, so its signatures stay
 *  valid (path-style). */
export async function s3Proxy(target: string, opts: ProxyOptions = {}): Promise<FaultServer & { readonly stats: ProxyStats }> {
  const up = new URL(target);
  const stats: ProxyStats = { requests: 0, responseBytes: 0, stalled: 0, log: [] };
  const upstreams = new Set<http.ClientRequest>();
  const server = http.createServer((req, res) => {
    stats.requests++;
    stats.log.push(`${req.method} ${decodeURIComponent((req.url ?? '').split('?')[0])}`);
    if (opts.refuse?.(req)) {
      req.resume();
      const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>not here</Message></Error>';
      res.writeHead(501, { 'content-type': 'application/xml', 'x-amz-request-id': 'proxy', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const cut = opts.match ? opts.match(req.method ?? '', req.url ?? '') : true;
    const upstream = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      let sent = 0;
      ur.on('data', (chunk: Buffer) => {
        if (held) return;
        const limit = !cut ? Infinity : Math.min(opts.responseAfter ?? Infinity,
          sent + Math.max(0, (opts.responseTotalAfter ?? Infinity) - stats.responseBytes));
        const part = chunk.subarray(0, Math.max(0, limit - sent));
        if (part.length > 0) res.write(part);
        sent += part.length;
        stats.responseBytes += part.length;
        if (part.length < chunk.length) {
          stats.stalled++;
          held = true; // the client's connection stays open and silent
          ur.destroy();
        }
      });
      ur.on('end', () => {
        if (!held) res.end();
      });
    });
    let held = false;
    upstreams.add(upstream);
    upstream.once('close', () => upstreams.delete(upstream));
    upstream.on('error', () => {
      if (!held) res.destroy();
    });
    let taken = 0;
    req.on('data', (chunk: Buffer) => {
      const limit = cut ? opts.requestAfter ?? Infinity : Infinity;
      const part = chunk.subarray(0, Math.max(0, limit - taken));
      taken += part.length;
      if (part.length > 0) upstream.write(part);
      if (part.length < chunk.length) {
        stats.stalled++;
        req.pause(); // stop reading: the client's socket fills up and its send stalls
      }
    });
    req.on('end', () => upstream.end());
  });
  const sockets = tracked(server);
  const port = await listening(server);
  const dropUpstreams = async (): Promise<void> => {
    for (const u of upstreams) u.destroy();
  };
  return { url: `http://127.0.0.1:${port}`, stats, close: closer(server, sockets, dropUpstreams) };
}
