// Ranged GETs of a presigned URL over plain keep-alive sockets, reading the body straight into the
// caller's buffer (net.Socket `onread`). Node's http client hands over every 64 KiB socket read as a
// fresh Buffer: at several hundred MiB/s that garbage makes the collector the biggest cost of a
// download (measured here: about 1 s of CPU per GiB, on 2 cores shared with the server). Only plain
// http:// endpoints and Content-Length responses take this path; anything else uses the SDK.
// The same deadlines as the SDK's requests apply (s3Deadlines.ts): connect, first byte, and a body
// that stalls (no backpressure here: the body lands in a buffer that always has room). The request
// line carries the presigned URL's path exactly as it was signed: a URL parser would normalize it.
// Error texts never carry the URL (its query holds the credential and the signature).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Timeouts } from '../timeouts';
import { DeadlineError, Watchdog } from './s3Deadlines';

const HEAD_MAX = 64 * 1024;
/** At most this much per socket read, so the bytes are hashed and written while still in the CPU cache
 *  (uncapped reads of several MiB cost about 40% more system time per GiB here). */
const READ_MAX = 1024 * 1024;

/** Thrown when the response is of a kind this client does not handle (the caller uses the SDK). */
export class RawGetUnsupported extends Error {}

/** An S3-style error: the fields s3Errors.ts reads from SDK errors. */
function s3Error(status: number, body: string): Error {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? (status === 404 ? 'NotFound' : `HTTP${status}`);
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? `HTTP ${status}`;
  return Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } });
}

interface Request {
  /** Where the body goes, and how much of it is expected. */
  readonly dest: Buffer;
  readonly length: number;
  got: number;
  /** The head so far, when it spans several reads. */
  partial: Buffer | undefined;
  headDone: boolean;
  status: number;
  errorBody: Buffer[] | undefined;
  errorLeft: number;
  keepAlive: boolean;
  readonly dog: Watchdog;
  onData(from: number, to: number): void;
  done(err?: Error): void;
}

/** The authority and the request target (path and query) of an http:// URL, byte for byte. */
export function requestTarget(url: string): { authority: string; target: string } {
  const m = /^http:\/\/([^/?#]+)([^#]*)/.exec(url);
  if (!m) throw new RawGetUnsupported('not a plain http URL');
  const target = m[2] || '/';
  return { authority: m[1], target: target.startsWith('/') ? target : `/${target}` };
}

export class RawGetPool {
  private readonly idle: Socket[] = [];
  private readonly current = new WeakMap<Socket, Request>();
  private readonly scratch = Buffer.allocUnsafe(HEAD_MAX);
  private closed = false;

  constructor(private readonly host: string, private readonly port: number, private readonly timeouts: Timeouts) {}

  /** GETs bytes [start, end] of the presigned `url` into dest[0..], calling onData as they land. */
  get(url: string, start: number, end: number, ifMatch: string | undefined, dest: Buffer,
    onData: (from: number, to: number) => void, signal?: AbortSignal): Promise<void> {
    const { authority, target } = requestTarget(url);
    return new Promise<void>((resolve, reject) => {
      const reused = this.idle.pop();
      const socket = reused ?? this.open();
      socket.ref();
      let settled = false;
      const dog = new Watchdog(this.timeouts, (phase, ms) => socket.destroy(new DeadlineError(phase, ms)));
      const onAbort = (): void => {
        socket.destroy(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      };
      const req: Request = {
        dest, length: end - start + 1, got: 0, partial: undefined, headDone: false, status: 0, errorBody: undefined,
        errorLeft: 0, keepAlive: true, dog, onData,
        done: (err) => {
          if (settled) return;
          settled = true;
          dog.stop();
          signal?.removeEventListener('abort', onAbort);
          this.current.delete(socket);
          if (err || !req.keepAlive || this.closed) {
            socket.destroy();
          } else {
            socket.unref(); // an idle connection must not keep the process alive
            this.idle.push(socket);
          }
          if (err) reject(err);
          else resolve();
        },
      };
      this.current.set(socket, req);
      if (signal?.aborted) return req.done(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (reused) {
        dog.arm('firstByte');
      } else {
        dog.arm('connect');
        socket.once('connect', () => {
          if (!settled) dog.arm('firstByte');
        });
      }
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${authority}\r\nRange: bytes=${start}-${end}\r\n`
        + `${ifMatch ? `If-Match: ${ifMatch}\r\n` : ''}User-Agent: modelrepo\r\n\r\n`);
    });
  }

  /** Closes the idle connections; the busy ones close when their request ends. */
  destroy(): void {
    this.closed = true;
    for (const s of this.idle.splice(0)) s.destroy();
  }

  private open(): Socket {
    // Node asks for the next read buffer after every read (and once before `socket` is assigned).
    const self: { socket?: Socket } = {};
    const socket: Socket = connect({
      host: this.host, port: this.port, noDelay: true,
      onread: {
        buffer: () => (self.socket ? this.readInto(self.socket) : this.scratch),
        callback: (n: number, buf: Uint8Array) => {
          this.received(socket, n, buf);
          return true;
        },
      },
    });
    self.socket = socket;
    socket.on('error', (err) => this.current.get(socket)?.done(err));
    socket.on('close', () => {
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
      this.current.get(socket)?.done(Object.assign(new Error('the connection closed early'), { code: 'ECONNRESET' }));
    });
    return socket;
  }

  /** The buffer the next socket read fills: the body's remaining room once the head is parsed. */
  private readInto(socket: Socket): Uint8Array {
    const req = this.current.get(socket);
    if (req && req.headDone && !req.errorBody && req.got < req.length) return req.dest.subarray(req.got, Math.min(req.length, req.got + READ_MAX));
    return this.scratch;
  }

  private received(socket: Socket, n: number, buf: Uint8Array): void {
    const req = this.current.get(socket);
    if (!req) {
      socket.destroy(); // bytes nobody asked for: this connection cannot be trusted any more
      return;
    }
    req.dog.arm('receive');
    try {
      if (!req.headDone) {
        this.parseHead(req, Buffer.from(buf.buffer, buf.byteOffset, n));
      } else if (req.errorBody) {
        req.errorBody.push(Buffer.from(buf.subarray(0, n)));
        req.errorLeft -= n;
      } else {
        const from = req.got;
        req.got += n;
        req.onData(from, req.got);
      }
      if (req.headDone && req.errorBody && req.errorLeft <= 0) {
        req.done(s3Error(req.status, Buffer.concat(req.errorBody).toString('utf8')));
      } else if (req.headDone && !req.errorBody && req.got >= req.length) {
        req.done();
      }
    } catch (e) {
      req.done(e as Error);
    }
  }

  private parseHead(req: Request, data: Buffer): void {
    const acc = req.partial ? Buffer.concat([req.partial, data]) : data;
    const end = acc.indexOf('\r\n\r\n');
    if (end < 0) {
      if (acc.length >= HEAD_MAX) throw new RawGetUnsupported('response head too large');
      req.partial = Buffer.from(acc); // a copy: the scratch buffer is reused by the next read
      return;
    }
    req.partial = undefined;
    const text = acc.subarray(0, end).toString('latin1');
    const rest = acc.subarray(end + 4);
    const [statusLine, ...lines] = text.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    const headers = new Map(lines.map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
    }));
    if (!status || headers.get('transfer-encoding')) throw new RawGetUnsupported(`unexpected response: ${statusLine}`);
    const length = Number(headers.get('content-length'));
    if (!Number.isFinite(length)) throw new RawGetUnsupported('no content-length');
    req.status = status;
    req.keepAlive = (headers.get('connection') ?? '').toLowerCase() !== 'close';
    req.headDone = true;
    if (status < 200 || status >= 300) {
      req.errorBody = [Buffer.from(rest)];
      req.errorLeft = length - rest.length;
      return;
    }
    if (length !== req.length) throw new RawGetUnsupported(`asked for ${req.length} bytes, the server sends ${length}`);
    if (rest.length > req.length) throw new RawGetUnsupported('more bytes than announced');
    rest.copy(req.dest, 0);
    req.got = rest.length;
    if (rest.length > 0) req.onData(0, rest.length);
  }
}
