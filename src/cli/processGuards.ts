// What the CLI does about its process, apart from the commands: SIGINT and SIGTERM cancel through one
// AbortSignal (the transfer stops and the partial upload is removed, exit 130 or 143; a second signal
// quits at once), a closed stdout or stderr ends quietly instead of with an EPIPE stack trace, and Node's
// process warnings (MaxListenersExceededWarning, the SDKs' notices) reach stderr only with MODELREPO_DEBUG=1.
import { setMaxListeners } from 'node:events';
import { EXIT } from './exitCodes';

/** The abort reason the signal handler uses: an AbortError that remembers the signal. */
export interface CancelReason extends Error {
  readonly signalName: NodeJS.Signals;
}

export function cancelReason(sig: NodeJS.Signals): CancelReason {
  return Object.assign(new Error('cancelled'), { name: 'AbortError', signalName: sig });
}

/** 143 for SIGTERM, 130 for SIGINT and any other cancel. */
export function cancelExitCode(reason: unknown): number {
  return (reason as Partial<CancelReason> | undefined)?.signalName === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled;
}

export const signalExitCode = (sig: NodeJS.Signals): number => (sig === 'SIGTERM' ? EXIT.terminated : EXIT.cancelled);

/** The one AbortController of a run, aborted by SIGINT or SIGTERM. Every request of the run listens on
 *  its signal (often more than ten at once: marker checks, parts), so its listener limit is lifted. */
export function cancelOnSignals(write: (text: string) => void = (t) => process.stderr.write(t)): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  let received = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    received++;
    // The second signal does not wait for the clean-up.
    if (received > 1) process.exit(signalExitCode(sig));
    const name = sig === 'SIGINT' ? 'Ctrl-C' : sig;
    write(`\nmodelrepo: ${name}: cancelling (${sig === 'SIGINT' ? 'press Ctrl-C' : `send ${sig}`} again to quit at once)\n`);
    controller.abort(cancelReason(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}

const CLOSED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

/** A reader that stopped reading (`modelrepo resolve ... | head -1`) is not an error: a closed stdout
 *  ends the run at once with exit 0, a closed stderr silences it and the command goes on. */
export function guardOutputStreams(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (CLOSED.has(e.code ?? '')) process.exit(EXIT.ok);
    stderrLine(`modelrepo: cannot write the result to stdout (${e.code ?? e.message})`);
    process.exit(EXIT.unexpected);
  });
  process.stderr.on('error', () => { stderrClosed = true; });
}

let stderrClosed = false;

function stderrLine(text: string): void {
  if (!stderrClosed) process.stderr.write(`${text}\n`);
}

/** Process warnings go to the debug output only: Node's own printer is removed. */
export function routeWarnings(debug: boolean): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => {
    if (debug) stderrLine(`modelrepo: debug: ${w.name}: ${w.message}`);
  });
}
