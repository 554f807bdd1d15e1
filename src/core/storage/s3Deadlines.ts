// The deadlines of one S3 exchange, shared by the SDK's request handler (s3Http.ts) and the raw-socket
// GETs (s3RawGet.ts): a connection must be set up (TCP and TLS) within connectMs, the answer must
// start within firstByteMs of the request being sent, and a body moving in either direction must not
// stall for stallMs while the other side is the one being waited for. A silence while this side is
// busy (a slow disk, a paused reader) is never counted: the watchdog runs only while data is awaited.
import { Readable } from 'node:stream';
import type { Timeouts } from '../timeouts';
import { showSeconds } from '../timeouts';

/** What was being waited for when the deadline passed. */
export type DeadlinePhase = 'connect' | 'firstByte' | 'send' | 'receive';

/** A deadline that passed. `name` is 'TimeoutError' when the SDK may try the request once more. */
export class DeadlineError extends Error {
  override name: string;
  constructor(readonly phase: DeadlinePhase, readonly limitMs: number, retriable = false) {
    super(describeDeadline(phase, limitMs));
    this.name = retriable ? 'TimeoutError' : 'DeadlineError';
  }
}

/** The reason a deadline error gives, to be completed with the endpoint by the caller. */
export function describeDeadline(phase: DeadlinePhase, ms: number, endpoint = 'the S3 endpoint'): string {
  const s = showSeconds(ms);
  switch (phase) {
    case 'connect': return `${endpoint} did not accept a connection within ${s}`;
    case 'firstByte': return `${endpoint} did not answer within ${s}`;
    case 'send': return `the transfer stalled: ${endpoint} took no data for ${s}`;
    case 'receive': return `the transfer stalled: no data from ${endpoint} for ${s}`;
  }
}

export function deadlineOf(e: unknown): DeadlineError | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    if (cur instanceof DeadlineError) return cur;
  }
  return undefined;
}

/** One timer, re-armed for each phase; fire() gets the phase that ran out. */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private phase: DeadlinePhase | undefined;
  private ms = 0;

  constructor(readonly limits: Timeouts, private readonly fire: (phase: DeadlinePhase, ms: number) => void) {}

  arm(phase: DeadlinePhase): void {
    const ms = phase === 'connect' ? this.limits.connectMs
      : phase === 'firstByte' ? this.limits.firstByteMs : this.limits.stallMs;
    if (this.timer && this.phase === phase && this.ms === ms) {
      this.timer.refresh();
      return;
    }
    this.stop();
    this.phase = phase;
    this.ms = ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire(phase, ms);
    }, ms);
  }

  /** Progress in the current phase: its clock starts again. */
  kick(): void {
    this.timer?.refresh();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.phase = undefined;
  }

  get armed(): DeadlinePhase | undefined {
    return this.timer ? this.phase : undefined;
  }
}

/** A response body that fails with a 'receive' DeadlineError when `src` sends nothing for stallMs while
 *  its reader is waiting. Backpressure pauses the clock: a slow reader is never taken for a stall. */
export function watchBody(src: Readable, stallMs: number): Readable {
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const out = new Readable({
    read(): void {
      if (timer) timer.refresh();
      else timer = setTimeout(() => src.destroy(new DeadlineError('receive', stallMs)), stallMs);
      src.resume();
    },
    destroy(err, cb): void {
      stop();
      src.off('data', onData);
      if (!src.destroyed) src.destroy();
      cb(err);
    },
  });
  const onData = (chunk: Buffer): void => {
    if (out.push(chunk)) {
      timer?.refresh();
    } else {
      src.pause();
      stop();
    }
  };
  src.pause();
  src.on('data', onData);
  src.once('end', () => {
    stop();
    out.push(null);
  });
  src.once('error', (e) => out.destroy(e));
  // A response cut short without an error (older Node versions) must not look complete.
  src.once('close', () => {
    if (!src.readableEnded && !out.destroyed) out.destroy(Object.assign(new Error('the connection closed early'), { code: 'ECONNRESET' }));
  });
  return out;
}
