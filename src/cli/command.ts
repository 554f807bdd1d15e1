// The shape of one CLI command (each lives in commands/<name>.ts) and the global options all share.
import type { ClusterRoute } from '../core/connections/types';
import type { Timeouts } from '../core/timeouts';
import type { Output } from './output';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in --help, e.g. '<old target>'; one starting with '[' stands right after the name: '--node-cache[=<dir>]'. */
  readonly value?: string;
  readonly description: string;
}

/** A set of options by flag name. Declared `as const` (or inside defineCommand) so the flags' types follow. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What parseArgs gives for one option: a string or a boolean, a list of them with `multiple`. */
type Scalar<T extends OptionSpec['type']> = T extends 'boolean' ? boolean : string;
type FlagValue<O extends OptionSpec> = O extends { readonly multiple: true } ? readonly Scalar<O['type']>[] : Scalar<O['type']>;

/** The flags of a set of options, each absent unless given: `{ tag: { type: 'string', ... } }` gives
 *  `{ tag?: string }`, so a flag the command does not declare is a compile error, not a silent undefined. */
export type FlagsOf<S extends OptionSpecs> = { readonly [K in keyof S]?: FlagValue<S[K]> };

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

export interface CommandContext<S extends OptionSpecs = OptionSpecs> {
  readonly args: readonly string[];
  /** The command's own flags and the global ones. */
  readonly flags: FlagsOf<S> & GlobalFlagValues;
  readonly global: GlobalFlags;
  readonly out: Output;
  /** Aborted by Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
}

export interface CommandSpec<S extends OptionSpecs = OptionSpecs> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Longer help text with examples (printed by --help). */
  readonly help: string;
  /** The command's options: its --help rows, what the parser accepts, and the types of ctx.flags. */
  readonly options?: S;
  readonly args: { readonly min: number; readonly max?: number };
  run(ctx: CommandContext<S>): Promise<void>;
}

/** Declares a command (commands/<name>.ts). Its options are read as literal types, so run() sees
 *  `ctx.flags.tag` as `string | undefined` and `ctx.flags.tga` does not compile. */
export function defineCommand<const S extends OptionSpecs = Record<never, never>>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec;
}

export const GLOBAL_OPTIONS = {
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
} as const satisfies OptionSpecs;

export type GlobalFlagValues = FlagsOf<typeof GLOBAL_OPTIONS>;
