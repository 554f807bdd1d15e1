// The options every command takes, read into GlobalFlags once per run. The three deadlines
// (--connect-timeout, --timeout, --stall-timeout, in seconds) override MODELREPO_*_TIMEOUT, which
// override the defaults (src/core/timeouts.ts); a malformed flag or variable is a usage error (exit 2)
// before anything is sent, whatever the command.
import { resolveTimeouts, parseSeconds } from '../core/timeouts';
import type { Timeouts } from '../core/timeouts';
import type { FlagValues, GlobalFlags } from './command';
import { UsageError } from './exitCodes';

/** Flag name -> Timeouts field. */
export const TIMEOUT_FLAGS: Readonly<Record<string, keyof Timeouts>> = {
  'connect-timeout': 'connectMs',
  timeout: 'firstByteMs',
  'stall-timeout': 'stallMs',
};

/** The deadlines the flags set (only those given). */
export function timeoutFlags(flags: FlagValues, usage: string): Partial<Timeouts> {
  const out: { -readonly [K in keyof Timeouts]?: number } = {};
  for (const [flag, field] of Object.entries(TIMEOUT_FLAGS)) {
    const v = flags[flag];
    if (typeof v !== 'string') continue;
    const ms = parseSeconds(v);
    if (ms === undefined) throw new UsageError(`--${flag} '${v}' is not a number of seconds between 0.1 and 86400`, usage);
    out[field] = ms;
  }
  return out;
}

export function globalFlagsFrom(v: FlagValues, usage: string, env: NodeJS.ProcessEnv = process.env): GlobalFlags {
  const timeouts = timeoutFlags(v, usage);
  // Read MODELREPO_*_TIMEOUT now: a malformed value is a Config error (exit 2) naming the variable.
  resolveTimeouts(timeouts, env);
  return {
    json: v.json === true, quiet: v.quiet === true, timeouts,
    ...(typeof v.endpoint === 'string' ? { endpoint: v.endpoint } : {}),
    ...(typeof v.region === 'string' ? { region: v.region } : {}),
    ...(typeof v.profile === 'string' ? { profile: v.profile } : {}),
  };
}
