// The shape of one CLI command (each lives in commands/<name>.ts) and the global options all share.
import type { ClusterRoute } from '../core/connections/types';
import type { Timeouts } from '../core/timeouts';
import type { Output } from './output';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in --help, e.g. '<old target>'. */
  readonly value?: string;
  readonly description: string;
}

export interface GlobalFlags {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
  /** --via-cluster, --cluster-secret, --cluster-context: S3 reached through a port-forward to a Service. */
  readonly viaCluster?: ClusterRoute;
  /** Deadlines given by --connect-timeout / --timeout / --stall-timeout (the rest: environment, defaults). */
  readonly timeouts: Partial<Timeouts>;
}

export type FlagValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface CommandContext {
  readonly args: readonly string[];
  readonly flags: FlagValues;
  readonly global: GlobalFlags;
  readonly out: Output;
  /** Aborted by Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Longer help text with examples (printed by --help). */
  readonly help: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  readonly args: { readonly min: number; readonly max?: number };
  run(ctx: CommandContext): Promise<void>;
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', description: 'machine-readable output (one JSON document on stdout)' },
  endpoint: { type: 'string', value: '<url>', description: 'S3 endpoint for s3:// references (default: AWS_ENDPOINT_URL)' },
  region: { type: 'string', value: '<region>', description: 'S3 region (default: AWS_REGION, else us-east-1)' },
  profile: { type: 'string', value: '<name>', description: 'AWS profile (keys, region, endpoint_url) for s3:// references (default: AWS_PROFILE)' },
  'via-cluster': { type: 'string', value: '<ns>/<service>[:<port>]', description: 'reach S3 through a port-forward to this Service of the kube context (no kubectl needed)' },
  'cluster-secret': { type: 'string', value: '<name>[:<user key>,<password key>]', description: 'the Secret with the S3 keys for --via-cluster (default: the Service\'s name)' },
  'cluster-context': { type: 'string', value: '<C>', description: "kube context for --via-cluster (default: the kubeconfig's current context; kubeconfig: $KUBECONFIG)" },
  'connect-timeout': { type: 'string', value: '<s>', description: 'seconds to wait for a connection (default 10; MODELREPO_CONNECT_TIMEOUT)' },
  timeout: { type: 'string', value: '<s>', description: "seconds to wait for the first byte of an answer (default 30; MODELREPO_FIRST_BYTE_TIMEOUT)" },
  'stall-timeout': { type: 'string', value: '<s>', description: 'seconds a transfer may go without a byte (default 30; MODELREPO_STALL_TIMEOUT)' },
  quiet: { type: 'boolean', short: 'q', description: 'no progress or notes on stderr' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

/** Reads one string flag ('' counts as given). */
export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}
