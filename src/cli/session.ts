// Opens the repository a reference names: maps the parsed location plus the global flags to a connection
// (mc alias via the connections module, s3:// with --endpoint / AWS_ENDPOINT_URL, or a folder), opens
// its storage, and wraps it in a Repository. One session per command; close() releases the client.
// S3 connections carry the run's deadlines (--connect-timeout, --timeout, --stall-timeout).
import { homedir } from 'node:os';
import { backendOf, locationBackend } from '../core/backends/index';
import { awsEnvConnection, awsProfiles } from '../core/connections/awsConfig';
import { toS3Config } from '../core/connections/discover';
import type { DiscoveredConnection } from '../core/connections/discover';
import { findMcAlias, mcConfigPath } from '../core/connections/mcAliases';
import type { ClusterRoute, ConnectionConfig, S3ConnectionConfig } from '../core/connections/types';
import { RepoError, registerSecret } from '../core/errors';
import { formatRepo } from '../core/refs';
import type { RepoLocation } from '../core/refs';
import { Repository } from '../core/repository';
import type { Storage } from '../core/storage/storage';
import { resolveTimeouts } from '../core/timeouts';
import type { GlobalFlags } from './command';

export interface Session {
  readonly repo: Repository;
  readonly storage: Storage;
  readonly config: ConnectionConfig;
  /** The repository as the user wrote it (never with keys). */
  readonly where: string;
  close(): void;
}

function envEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

/** The flags win over what the alias, profile or environment says; the deadlines are the flags', else
 *  MODELREPO_*_TIMEOUT's, else the defaults. */
function withFlags(cfg: S3ConnectionConfig, global: GlobalFlags, env: NodeJS.ProcessEnv): S3ConnectionConfig {
  if (global.viaCluster) return throughCluster(cfg, global.viaCluster, global, env);
  return {
    ...cfg,
    ...(global.endpoint ? { endpoint: global.endpoint, forcePathStyle: true } : {}),
    ...(global.region ? { region: global.region } : {}),
    timeouts: resolveTimeouts(global.timeouts, env),
  };
}

/** The connection through a port-forward: its endpoint is the forwarded port, opened with the storage
 *  (core/kube/clusterStorage.ts). Keys: the named Secret's; else the environment's or the profile's;
 *  else the Secret named like the Service (MinIO's chart). */
function throughCluster(cfg: S3ConnectionConfig, route: ClusterRoute, global: GlobalFlags, env: NodeJS.ProcessEnv): S3ConnectionConfig {
  const { endpoint: _endpoint, credentials, ...rest } = cfg;
  const keep = !route.secret && (credentials || cfg.profile);
  return {
    ...rest, forcePathStyle: true,
    ...(keep && credentials ? { credentials } : {}),
    ...(route.port !== undefined ? { clusterEndpoint: `http://${route.service}.${route.namespace}:${route.port}` } : {}),
    viaCluster: { ...route, ...(!keep && !route.secret ? { secret: { name: route.service } } : {}) },
    ...(global.region ? { region: global.region } : {}),
    timeouts: resolveTimeouts(global.timeouts, env),
  };
}

async function aliasConnection(loc: { alias: string; bucket: string; prefix?: string }, env: NodeJS.ProcessEnv): Promise<S3ConnectionConfig> {
  const problems: RepoError[] = [];
  const found = await findMcAlias(loc.alias, { env, home: homedir(), onProblem: (e) => problems.push(e) });
  if (!found) {
    // A malformed MC_HOST_<alias> or config entry explains better than "no such alias".
    const related = problems.find((p) => p.object.includes(loc.alias) || p.message.includes(`MC_HOST_${loc.alias}`));
    throw related ?? new RepoError('Config', 'find mc alias', `'${loc.alias}'`,
      `there is no MC_HOST_${loc.alias} variable and no such alias in ${mcConfigPath(env, homedir())} `
      + `(add one with: mc alias set ${loc.alias} <url> <access key> <secret key>; folder paths start with / or ./)`);
  }
  return toS3Config(found, loc.bucket, loc.prefix);
}

async function s3UrlConnection(loc: { bucket: string; prefix?: string }, global: GlobalFlags, env: NodeJS.ProcessEnv): Promise<S3ConnectionConfig> {
  const problems: RepoError[] = [];
  const onProblem = (e: RepoError): void => { problems.push(e); };
  // An explicit --profile wins over keys in the environment; AWS_PROFILE only when no keys are set.
  const profileName = global.profile ?? (env.AWS_ACCESS_KEY_ID ? undefined : env.AWS_PROFILE || undefined);
  let base: DiscoveredConnection | undefined;
  if (profileName) {
    base = (await awsProfiles({ env, home: homedir(), onProblem })).find((p) => p.name === profileName);
    const related = problems.find((p) => p.message.includes(`profile ${profileName} `));
    if (related) throw related;
    if (!base && global.profile) {
      throw new RepoError('Config', 'use AWS profile', `'${global.profile}'`, 'there is no such profile in ~/.aws/config or ~/.aws/credentials');
    }
    // A profile whose keys come from elsewhere (SSO, a role) is still loaded by the SDK by name.
    if (!base) base = { kind: 's3', name: profileName, source: 'aws-profile', origin: 'environment', pathStyle: false, profile: profileName };
  } else {
    base = awsEnvConnection(env, onProblem);
    if (problems.length > 0) throw problems[0];
  }
  const cfg: S3ConnectionConfig = base ? toS3Config(base, loc.bucket, loc.prefix) : { kind: 's3', bucket: loc.bucket, ...(loc.prefix ? { prefix: loc.prefix } : {}) };
  const endpoint = cfg.endpoint ?? envEndpoint(env);
  return { ...cfg, ...(endpoint && !cfg.endpoint ? { endpoint, forcePathStyle: true } : {}), region: cfg.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1' };
}

export async function connectionFor(loc: RepoLocation, global: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Promise<ConnectionConfig> {
  const own = locationBackend(loc).locationConfig(loc, env, homedir());
  if (own) return own;
  const s3 = loc as Extract<RepoLocation, { kind: 'alias' | 's3' }>;
  const cfg = s3.kind === 'alias' ? await aliasConnection(s3, env) : await s3UrlConnection(s3, global, env);
  registerSecret(cfg.credentials?.secretAccessKey);
  registerSecret(cfg.credentials?.sessionToken);
  return withFlags(cfg, global, env);
}

export async function openSession(loc: RepoLocation, global: GlobalFlags): Promise<Session> {
  // The connection as opened: through a cluster, the forwarded port as endpoint and the Service's URL
  // as cluster endpoint.
  const requested = await connectionFor(loc, global);
  // The CLI does nothing else while it transfers (measured: about 1 s less system time per GiB).
  const { storage, config } = await backendOf(requested).open(requested, { dedicated: true });
  // Who is recorded in the tag history: MODELREPO_USER, else the core's default (user@host).
  const who = process.env.MODELREPO_USER;
  const repo = new Repository(storage, who ? { who } : {});
  return {
    repo, storage, config, where: formatRepo(loc),
    close: () => storage.dispose?.(),
  };
}

/** Runs fn with a session and always closes it. */
export async function withSession<T>(loc: RepoLocation, global: GlobalFlags, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await openSession(loc, global);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}
