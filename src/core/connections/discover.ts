// Finds the S3 connections a MinIO or AWS user already has, for the CLI (`localai/models/...` refs) and the
// extension's "import mc aliases and AWS profiles". Sources, in this order: MC_HOST_<alias> variables,
// mc's config.json, the AWS_* variables, the AWS profiles. The environment and the home folder are
// parameters, so tests (and the extension, which has its own process env) say exactly what is read.
// Every secret read is registered with registerSecret(); problems go to onProblem, never thrown.
import { homedir } from 'node:os';
import type { RepoError } from '../errors';
import type { S3ConnectionConfig, S3Credentials } from './types';
import { awsEnvConnection, awsProfiles } from './awsConfig';
import { mcAliasesFromConfig, mcAliasesFromEnv, mcConfigPath } from './mcAliases';

export type ConnectionSource = 'mc-env' | 'mc-config' | 'aws-env' | 'aws-profile';

/** A connection found on this machine: an S3 endpoint and how to authenticate, without a bucket yet. */
export interface DiscoveredConnection {
  readonly kind: 's3';
  /** The mc alias, the AWS profile name, or `aws-env`. */
  readonly name: string;
  readonly source: ConnectionSource;
  /** Where it was found: the variable name, the file path, or `environment`. */
  readonly origin: string;
  /** Undefined = AWS itself. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly pathStyle: boolean;
  /** Keys read from the environment or mc's config (mc-env, mc-config, aws-env with keys). */
  readonly credentials?: S3Credentials;
  /** AWS profile whose keys the SDK loads (aws-profile; aws-env without keys when AWS_PROFILE is set). */
  readonly profile?: string;
  /** aws-profile only: the files hold static keys for it (otherwise SSO, a role, a process...). */
  readonly hasKeys?: boolean;
}

export interface DiscoverOptions {
  /** Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default the user's home folder. */
  readonly home?: string;
  /** Called for each thing that could not be used (a malformed MC_HOST_ value, a broken config.json...). */
  readonly onProblem?: (e: RepoError) => void;
}

export async function discoverConnections(opts: DiscoverOptions = {}): Promise<DiscoveredConnection[]> {
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const onProblem = opts.onProblem ?? (() => undefined);
  const fromEnv = mcAliasesFromEnv(env, onProblem);
  // As in mc: a variable hides the config entry of the same alias.
  const shadowed = new Set(fromEnv.map((c) => c.name));
  const fromConfig = (await mcAliasesFromConfig(mcConfigPath(env, home), onProblem)).filter((c) => !shadowed.has(c.name));
  const aws = awsEnvConnection(env, onProblem);
  const profiles = await awsProfiles({ env, home, onProblem });
  return [...fromEnv, ...fromConfig, ...(aws ? [aws] : []), ...profiles];
}

/** The connection settings for one bucket (and optional prefix) of a discovered connection. */
export function toS3Config(c: DiscoveredConnection, bucket: string, prefix?: string): S3ConnectionConfig {
  return {
    kind: 's3', endpoint: c.endpoint, region: c.region, forcePathStyle: c.pathStyle, bucket,
    ...(prefix ? { prefix: prefix.replace(/^\/+|\/+$/g, '') } : {}),
    ...(c.credentials ? { credentials: c.credentials } : {}),
    ...(c.profile ? { profile: c.profile } : {}),
  };
}
