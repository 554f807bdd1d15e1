// The HTTP handler of every SDK call on an S3 connection, in place of @smithy/node-http-handler's
// NodeHttpHandler, whose timeouts (4.14) do not give the deadlines of s3Deadlines.ts: its
// connectionTimeout stops at the TCP connect (a TLS handshake that hangs is not covered), its
// requestTimeout runs from the start to the response headers (so it also limits the time to send a
// large part) and only warns unless throwOnRequestTimeout, and its socketTimeout is plain socket
// inactivity, which also fires while the reader of a body applies backpressure and cannot tell a
// slow first answer from a stall. Here each phase has its own clock: connect (TCP + TLS) on a new
// socket; sending the body, counted only while the socket is waiting for the server to take data;
// the first byte, from the request being sent to the response headers; and the response body,
// counted only while its reader waits. The same place judges whether the answer comes from an S3
// server at all (s3Answer.ts) and tells an http:// URL pointed at a TLS port (s3Tls.ts).
// Retries: a deadline is retried by the SDK at most once, and only where a second try can help: a
// stalled send, or a first answer that never came on a reused keep-alive socket (a connection the
// network dropped silently). Worst cases of one small request with the default deadlines: a server
// that accepts and never answers, 30 s (60 s when the first try went out on such a dropped pooled
// connection); an address that swallows the connection attempt or a TLS handshake that never ends,
// 10 s. Refused connections and 5xx answers keep the SDK's 3 quick attempts. Downloads resume a
// stalled range on their own (s3Chunks.ts).
import { request as httpRequest } from 'node:http';
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { buildQueryString, HttpResponse } from '@smithy/core/protocols';
import type { HttpHandler } from '@smithy/core/protocols';
import type { HttpRequest } from '@smithy/core/transport';
import type { Timeouts } from '../timeouts';
import { judgeAnswer } from './s3Answer';
import { DeadlineError, Watchdog, watchBody } from './s3Deadlines';
import { PlainToTlsError, speaksTls } from './s3Tls';

/** Body bytes per socket write: each accepted slice is progress for the send-stall clock. */
const SLICE = 1024 * 1024;
/** How long to wait for "100 Continue" before sending the body anyway (curl waits 1 s). */
const CONTINUE_WAIT_MS = 3000;

interface HandlerOptions {
  readonly abortSignal?: { readonly aborted: boolean; readonly reason?: unknown } | AbortSignal;
  /** The SDK's per-call `requestTimeout`: here, a first-byte deadline for this request only, used to give
   *  clean-up requests (aborting an upload after a failure) more time than the connection's deadline. */
  readonly requestTimeout?: number;
}

function abortError(signal: HandlerOptions['abortSignal']): Error {
  return Object.assign(new Error('Request aborted'), { name: 'AbortError', cause: signal?.reason });
}

/** The SDK numbers its tries in the amz-sdk-request header ("attempt=2; max=3"). */
function attemptOf(headers: Record<string, string>): number {
  const h = Object.entries(headers).find(([k]) => k.toLowerCase() === 'amz-sdk-request')?.[1];
  return Number(/attempt=(\d+)/.exec(h ?? '')?.[1] ?? 1);
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/** A connection broken before any answer: on an http:// endpoint, possibly a TLS port. */
const brokeEarly = (e: unknown): boolean => {
  const { code, message } = e as { code?: string; message?: string };
  return code === 'ECONNRESET' || code === 'EPIPE' || (code ?? '').startsWith('HPE_') || /socket hang up/.test(message ?? '');
};

export class DeadlineHttpHandler implements HttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly config: Record<string, unknown> = {};
  private tlsProbe: Promise<boolean> | undefined;

  constructor(private readonly agent: Agent, private readonly limits: Timeouts) {}

  handle(request: HttpRequest, options: HandlerOptions = {}): Promise<{ response: HttpResponse }> {
    return new Promise((resolve, reject) => new Exchange(this, request, options, resolve, reject).start());
  }

  /** Whether host:port speaks TLS, asked once per connection pool. */
  probeTls(host: string, port: number): Promise<boolean> {
    this.tlsProbe ??= speaksTls(host, port, this.limits.connectMs);
    return this.tlsProbe;
  }

  get pool(): Agent {
    return this.agent;
  }

  get timeouts(): Timeouts {
    return this.limits;
  }

  updateHttpClientConfig(key: never, value: never): void {
    this.config[key] = value;
  }

  httpHandlerConfigs(): Record<string, never> {
    return this.config as Record<string, never>;
  }

  destroy(): void {
    this.agent.destroy();
  }
}

/** One request and its clocks. */
class Exchange {
  private readonly dog: Watchdog;
  private req!: ClientRequest;
  private settled = false;
  private responded = false;
  private connected = false;
  private reused = false;
  private bodyDone = false;
  private waitingContinue = false;
  private waitingSource = false;
  /** The response body handed to the SDK: an abort after the headers ends it with the abort. */
  private body: Readable | undefined;
  private readonly https: boolean;
  private readonly host: string;
  private readonly signal: HandlerOptions['abortSignal'];

  constructor(private readonly handler: DeadlineHttpHandler, private readonly request: HttpRequest, options: HandlerOptions,
    private readonly resolve: (r: { response: HttpResponse }) => void, private readonly reject: (e: unknown) => void) {
    this.https = request.protocol === 'https:';
    this.host = (request.hostname ?? '').replace(/^\[(.*)\]$/, '$1');
    this.signal = options.abortSignal;
    const attempt = attemptOf(request.headers);
    const limits = options.requestTimeout ? { ...handler.timeouts, firstByteMs: options.requestTimeout } : handler.timeouts;
    this.dog = new Watchdog(limits, (phase, ms) => {
      const retriable = attempt === 1 && (phase === 'send' || (phase === 'firstByte' && this.reused));
      this.fail(new DeadlineError(phase, ms, retriable));
    });
  }

  start(): void {
    if (this.signal?.aborted) return this.reject(abortError(this.signal));
    const r = this.request;
    const query = buildQueryString(r.query ?? {});
    this.req = (this.https ? httpsRequest : httpRequest)({
      host: this.host, port: r.port, method: r.method, headers: r.headers, agent: this.handler.pool,
      path: `${r.path}${query ? `?${query}` : ''}${r.fragment ? `#${r.fragment}` : ''}`,
    });
    const req = this.req;
    const onAbort = (): void => {
      const e = abortError(this.signal);
      if (this.fail(e)) return;
      this.body?.destroy(e);
      req.destroy();
    };
    (this.signal as AbortSignal | undefined)?.addEventListener?.('abort', onAbort, { once: true });
    req.once('close', () => (this.signal as AbortSignal | undefined)?.removeEventListener?.('abort', onAbort));
    req.once('socket', (socket: Socket) => this.onSocket(socket));
    req.once('finish', () => {
      this.bodyDone = true;
      this.rearm();
    });
    req.on('error', (e) => this.onError(e));
    req.once('response', (res) => this.onResponse(res));
    void this.sendBody().catch((e: unknown) => this.fail(e));
  }

  /** Arms the clock for what is being waited for now. */
  private rearm(): void {
    if (this.settled || this.responded) this.dog.stop();
    else if (!this.connected) return; // the connect clock runs
    else if (this.bodyDone || this.waitingContinue) this.dog.arm('firstByte');
    else if (this.waitingSource) this.dog.stop();
    else this.dog.arm('send');
  }

  private onSocket(socket: Socket): void {
    if (!socket.connecting) {
      this.reused = true;
      this.connected = true;
      this.rearm();
      return;
    }
    this.dog.arm('connect');
    socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      this.rearm();
    });
  }

  /** Settles with an error; false when already settled. */
  private fail(e: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.dog.stop();
    this.req?.destroy();
    this.reject(e);
    return true;
  }

  private onError(e: Error): void {
    if (this.settled) return;
    if (!this.https && !this.reused && !this.responded && brokeEarly(e)) {
      this.settled = true;
      this.dog.stop();
      void this.handler.probeTls(this.host, Number(this.request.port ?? 80))
        .then((tls) => this.reject(tls ? new PlainToTlsError('the port speaks TLS', { cause: e }) : e));
      return;
    }
    this.fail(e);
  }

  private onResponse(res: IncomingMessage): void {
    this.responded = true;
    this.dog.stop();
    if (this.settled) {
      res.destroy();
      return;
    }
    const r = this.request;
    const notS3 = judgeAnswer({ method: r.method, path: r.path, query: r.query ?? {} }, res.statusCode ?? 0, res.headers);
    if (notS3) {
      res.destroy();
      this.fail(notS3);
      return;
    }
    // Answered before the whole body went out (an early refusal): the connection cannot be reused.
    if (!this.bodyDone) res.once('end', () => this.req.destroy());
    this.settled = true;
    this.body = watchBody(res, this.handler.timeouts.stallMs);
    this.resolve({
      response: new HttpResponse({ statusCode: res.statusCode ?? -1, reason: res.statusMessage, headers: flatHeaders(res), body: this.body }),
    });
  }

  /** Resolves when the request can take more, or it ended. */
  private drained(): Promise<void> {
    this.rearm();
    return new Promise((resolve) => {
      const done = (): void => {
        this.req.off('drain', done).off('close', done);
        resolve();
      };
      this.req.on('drain', done).on('close', done);
    });
  }

  private get stopped(): boolean {
    return this.settled || this.responded || this.req.destroyed;
  }

  private async sendBody(): Promise<void> {
    const req = this.req;
    const body: unknown = this.request.body;
    const expect = Object.entries(this.request.headers).some(([k, v]) => k.toLowerCase() === 'expect' && /100-continue/i.test(v));
    if (body === undefined || body === null || (typeof body === 'string' && body === '') || (body instanceof Uint8Array && body.length === 0)) {
      req.end();
      return;
    }
    if (expect && !(await this.awaitContinue())) return;
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const buf = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      for (let off = 0; off < buf.length && !this.stopped; off += SLICE) {
        if (!req.write(buf.subarray(off, off + SLICE))) await this.drained();
      }
    } else if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      this.waitingSource = true;
      this.rearm();
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        this.waitingSource = false;
        if (this.stopped) return;
        if (!req.write(chunk)) await this.drained();
        this.waitingSource = true;
        this.rearm();
      }
      this.waitingSource = false;
    } else {
      throw new TypeError('unsupported request body');
    }
    if (!this.stopped) req.end();
  }

  /** With Expect: 100-continue: true when the body should go (continue, or no answer for a while). */
  private async awaitContinue(): Promise<boolean> {
    const req = this.req;
    req.flushHeaders();
    this.waitingContinue = true;
    this.rearm();
    const go = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => end(true), Math.min(CONTINUE_WAIT_MS, this.handler.timeouts.firstByteMs));
      const end = (yes: boolean): void => {
        clearTimeout(timer);
        req.off('continue', onContinue).off('response', onOther).off('close', onOther);
        resolve(yes);
      };
      const onContinue = (): void => end(true);
      const onOther = (): void => end(false);
      req.once('continue', onContinue).once('response', onOther).once('close', onOther);
    });
    this.waitingContinue = false;
    this.rearm();
    return go && !this.stopped;
  }
}
