// The fetch every Hub request goes through (handed to @huggingface/hub as its `fetch` option): the
// caller's AbortSignal, plus deadlines from timeouts.ts so that a Hub that does not answer, or stops
// sending in the middle of a file, fails the import instead of hanging it.
//   - the answer's first byte (status line and headers): within connect + first-byte time of the call.
//     Global fetch offers no hook between connecting and sending, so the two limits make one deadline;
//     a connection that cannot be made at all fails sooner (refused, or fetch's own connect limit).
//   - the body: at most `stall` between two chunks while the reader waits for one (a reader that is
//     slow to take them, such as an upload, does not count against the Hub).
// Either deadline aborts the request with a HubDeadline, which hubErrors.ts turns into a Network error
// naming the endpoint.
import { setMaxListeners } from 'node:events';
import { showSeconds } from '../timeouts';
import type { Timeouts } from '../timeouts';

/** Why a Hub request was cut off. The message is the reason for people ("sent nothing for 30 s"). */
export class HubDeadline extends Error {
  constructor(readonly phase: 'answer' | 'stall', readonly ms: number) {
    super(phase === 'answer' ? `${DEADLINE_MARK} no answer within ${showSeconds(ms)}` : `${DEADLINE_MARK} no data for ${showSeconds(ms)}`);
    this.name = 'HubDeadline';
  }
}

/** Starts every deadline message: the library passes some errors on as bare message text. */
export const DEADLINE_MARK = 'deadline passed:';

/** The deadline an error (or its causes, or its text) says passed, as the reason text. */
export function deadlineReason(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const text = c instanceof Error ? c.message : typeof c === 'string' ? c : '';
    const i = text.indexOf(DEADLINE_MARK);
    if (i >= 0) return text.slice(i + DEADLINE_MARK.length).trim();
  }
  return undefined;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A ReadableStream that errors with a HubDeadline when the source sends nothing for `ms` while read. */
function watchStalls(body: ReadableStream<Uint8Array>, ms: number, cut: (e: HubDeadline) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HubDeadline('stall', ms)), ms);
      });
      try {
        const r = await Promise.race([reader.read(), stalled]);
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      } catch (e) {
        if (e instanceof HubDeadline) {
          cut(e);
          reader.cancel(e).catch(() => undefined);
        }
        controller.error(e);
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** A fetch with the caller's signal and the deadlines; the base fetch defaults to the global one. */
export function deadlineFetch(timeouts: Timeouts, signal?: AbortSignal, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const deadline = new AbortController();
    const sources = [deadline.signal, ...(signal ? [signal] : []), ...(init?.signal ? [init.signal] : [])];
    const combined = AbortSignal.any(sources);
    setMaxListeners(0, deadline.signal, combined);
    const answerMs = timeouts.connectMs + timeouts.firstByteMs;
    const timer = setTimeout(() => deadline.abort(new HubDeadline('answer', answerMs)), answerMs);
    let res: Response;
    try {
      res = await base(input, { ...init, signal: combined });
    } finally {
      clearTimeout(timer);
    }
    if (!res.body || NULL_BODY.has(res.status)) return res;
    const watched = new Response(watchStalls(res.body, timeouts.stallMs, (e) => deadline.abort(e)), {
      status: res.status, statusText: res.statusText, headers: res.headers,
    });
    // The library reads these (error messages, where a redirect ended); a new Response has neither.
    Object.defineProperty(watched, 'url', { value: res.url });
    Object.defineProperty(watched, 'redirected', { value: res.redirected });
    return watched;
  };
}
