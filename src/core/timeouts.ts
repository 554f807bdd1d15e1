// Deadlines for every network call: how long to wait for a connection, for the first byte of an
// answer, and between two bytes of a body. A server that accepts a connection and then says nothing,
// or stalls in the middle of a file, fails the call with a Network error naming the endpoint instead
// of hanging it. Defaults suit a LAN or a cluster's MinIO; the environment (MODELREPO_*_TIMEOUT,
// seconds), CLI flags and the extension's settings override them.
import { RepoError } from './errors';

export interface Timeouts {
  /** TCP (and TLS) connection set-up. */
  readonly connectMs: number;
  /** From sending a request to the first byte of the answer (its status line). */
  readonly firstByteMs: number;
  /** Longest silence between two bytes of a body being sent or received. */
  readonly stallMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, firstByteMs: 30_000, stallMs: 30_000 };

export const TIMEOUT_ENV = {
  connectMs: 'MODELREPO_CONNECT_TIMEOUT',
  firstByteMs: 'MODELREPO_FIRST_BYTE_TIMEOUT',
  stallMs: 'MODELREPO_STALL_TIMEOUT',
} as const;

/** Seconds (decimals allowed, at least 0.1, at most a day) as milliseconds, or undefined when not a valid value. */
export function parseSeconds(text: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(text.trim())) return undefined;
  const s = Number(text);
  return s >= 0.1 && s <= 86_400 ? Math.round(s * 1000) : undefined;
}

/** Timeouts from MODELREPO_*_TIMEOUT variables; a malformed value is a Config error naming it. */
export function timeoutsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Timeouts> {
  const out: { -readonly [K in keyof Timeouts]?: number } = {};
  for (const [field, name] of Object.entries(TIMEOUT_ENV) as [keyof Timeouts, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const ms = parseSeconds(raw);
    if (ms === undefined) throw new RepoError('Config', 'read', name, `'${raw}' is not a number of seconds between 0.1 and 86400`);
    out[field] = ms;
  }
  return out;
}

/** Defaults, then the environment, then explicit values (flags, settings). */
export function resolveTimeouts(explicit: Partial<Timeouts> = {}, env: NodeJS.ProcessEnv = process.env): Timeouts {
  const defined = Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined)) as Partial<Timeouts>;
  return { ...DEFAULT_TIMEOUTS, ...timeoutsFromEnv(env), ...defined };
}

/** "30 s" */
export function showSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
