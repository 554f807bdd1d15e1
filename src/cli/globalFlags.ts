// The options every command takes, read into GlobalFlags once per run. The three deadlines
// (--connect-timeout, --timeout, --stall-timeout, in seconds) override MODELREPO_*_TIMEOUT, which
// override the defaults (src/core/timeouts.ts); a malformed flag or variable is a usage error (exit 2)
// before anything is sent, whatever the command.
import { resolveTimeouts, parseSeconds } from '../core/timeouts';
import type { Timeouts } from '../core/timeouts';
import type { ClusterRoute } from '../core/connections/types';
import type { GlobalFlags, GlobalFlagValues } from './command';
import { UsageError } from './exitCodes';

/** Flag name -> Timeouts field. */
export const TIMEOUT_FLAGS = {
  'connect-timeout': 'connectMs',
  timeout: 'firstByteMs',
  'stall-timeout': 'stallMs',
} as const satisfies Readonly<Partial<Record<keyof GlobalFlagValues, keyof Timeouts>>>;

type TimeoutFlag = keyof typeof TIMEOUT_FLAGS;

/** The deadlines the flags set (only those given). */
export function timeoutFlags(flags: Pick<GlobalFlagValues, TimeoutFlag>, usage: string): Partial<Timeouts> {
  const out: { -readonly [K in keyof Timeouts]?: number } = {};
  for (const flag of Object.keys(TIMEOUT_FLAGS) as TimeoutFlag[]) {
    const field = TIMEOUT_FLAGS[flag];
    const v = flags[flag];
    if (v === undefined) continue;
    const ms = parseSeconds(v);
    if (ms === undefined) throw new UsageError(`--${flag} '${v}' is not a number of seconds between 0.1 and 86400`, usage);
    out[field] = ms;
  }
  return out;
}

const ROUTE = /^([a-z0-9-]{1,63})\/([a-z0-9-]{1,63})(?::(\d{1,5}))?$/;
const SECRET = /^([a-z0-9][-a-z0-9.]{0,252})(?::([\w.-]{1,253}),([\w.-]{1,253}))?$/;

/** --via-cluster ns/service[:port] with --cluster-secret name[:userKey,passwordKey] and --cluster-context. */
export function clusterRouteFlags(v: Pick<GlobalFlagValues, 'via-cluster' | 'cluster-secret' | 'cluster-context'>, usage: string): ClusterRoute | undefined {
  const via = v['via-cluster'];
  const secret = v['cluster-secret'];
  const context = v['cluster-context'];
  if (via === undefined) {
    if (secret !== undefined) throw new UsageError('--cluster-secret goes with --via-cluster <namespace>/<service>', usage);
    return undefined;
  }
  const m = ROUTE.exec(via);
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || (port !== undefined && (port < 1 || port > 65535))) throw new UsageError(`--via-cluster '${via}' is not <namespace>/<service>[:<port>]`, usage);
  const s = secret !== undefined ? SECRET.exec(secret) : undefined;
  if (s === null) throw new UsageError(`--cluster-secret '${secret}' is not <name>[:<user key>,<password key>]`, usage);
  return {
    namespace: m[1], service: m[2], ...(port !== undefined ? { port } : {}),
    ...(context !== undefined ? { context } : {}),
    ...(s ? { secret: { name: s[1], ...(s[2] ? { userKey: s[2], passwordKey: s[3] } : {}) } } : {}),
  };
}

export function globalFlagsFrom(v: GlobalFlagValues, usage: string, env: NodeJS.ProcessEnv = process.env): GlobalFlags {
  const timeouts = timeoutFlags(v, usage);
  // Read MODELREPO_*_TIMEOUT now: a malformed value is a Config error (exit 2) naming the variable.
  resolveTimeouts(timeouts, env);
  const viaCluster = clusterRouteFlags(v, usage);
  return {
    ...(viaCluster ? { viaCluster } : {}),
    json: v.json === true, quiet: v.quiet === true, timeouts,
    ...(v.endpoint !== undefined ? { endpoint: v.endpoint } : {}),
    ...(v.region !== undefined ? { region: v.region } : {}),
    ...(v.profile !== undefined ? { profile: v.profile } : {}),
  };
}
