// AWS-style connections: the AWS_* environment variables, and the profiles of ~/.aws/config and
// ~/.aws/credentials. Only names, endpoints, regions and addressing style are read here; a profile's keys
// are loaded later by the SDK (fromIni) in the S3 backend. The files are parsed with the SDK's own loader
// (@smithy/core/config, loaded lazily) so the profile list matches what the SDK will use.
import { isAbsolute, join } from 'node:path';
import { RepoError, registerSecret } from '../errors';
import type { DiscoveredConnection } from './discover';

type Env = Readonly<Record<string, string | undefined>>;
type Section = Readonly<Record<string, string | undefined>>;

function ignoreEndpoints(env: Env): boolean {
  return (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '').toLowerCase() === 'true';
}

function checkEndpoint(endpoint: string | undefined, where: string, onProblem: (e: RepoError) => void): string | undefined {
  if (!endpoint) return undefined;
  try {
    const u = new URL(endpoint);
    if (!/^https?:$/.test(u.protocol)) throw new Error('scheme');
    return endpoint.replace(/\/+$/, '');
  } catch {
    onProblem(new RepoError('Config', 'use endpoint from', where, `'${endpoint}' is not an http(s) URL`));
    return undefined;
  }
}

/** The connection the AWS_* variables describe, when they name an endpoint or carry keys. */
export function awsEnvConnection(env: Env, onProblem: (e: RepoError) => void = () => undefined): DiscoveredConnection | undefined {
  const access = env.AWS_ACCESS_KEY_ID || undefined;
  const secret = env.AWS_SECRET_ACCESS_KEY || undefined;
  const token = env.AWS_SESSION_TOKEN || undefined;
  registerSecret(secret);
  registerSecret(token);
  const variable = env.AWS_ENDPOINT_URL_S3 ? 'AWS_ENDPOINT_URL_S3' : 'AWS_ENDPOINT_URL';
  const endpoint = ignoreEndpoints(env) ? undefined : checkEndpoint(env[variable], variable, onProblem);
  if (!!access !== !!secret) {
    onProblem(new RepoError('Config', 'use keys from', 'the environment',
      `${access ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is set without ${access ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'}`));
  }
  const keys = access && secret ? { accessKeyId: access, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) } : undefined;
  if (!keys && !endpoint) return undefined;
  return {
    kind: 's3', name: 'aws-env', source: 'aws-env', origin: 'environment',
    endpoint, region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    pathStyle: endpoint !== undefined,
    ...(keys ? { credentials: keys } : { profile: env.AWS_PROFILE || undefined }),
  };
}

function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return isAbsolute(path) ? path : join(process.cwd(), path);
}

/** Where the SDK looks for the two files, given this environment and home folder. */
export function awsFilePaths(env: Env, home: string): { config: string; credentials: string } {
  return {
    config: expandHome(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'), home),
    credentials: expandHome(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'), home),
  };
}

// The loader keys config sections as the profile name, `services.<name>` and `sso-session.<name>`;
// nested settings (`s3 =` then `  endpoint_url = ...`) as `s3.endpoint_url`.
const NON_PROFILE = /^(services|sso-session)\./;

function s3Endpoint(env: Env, name: string, config: Readonly<Record<string, Section>>, cfg: Section, creds: Section,
  where: string, onProblem: (e: RepoError) => void): string | undefined {
  if (ignoreEndpoints(env)) return undefined;
  const services = cfg.services ? config[`services.${cfg.services}`] : undefined;
  return checkEndpoint(services?.['s3.endpoint_url'] ?? cfg['s3.endpoint_url'] ?? cfg.endpoint_url ?? creds.endpoint_url,
    `profile ${name} in ${where}`, onProblem);
}

/** One connection per profile of the two files (default first, then by name). */
export async function awsProfiles(opts: { env: Env; home: string; onProblem?: (e: RepoError) => void }): Promise<DiscoveredConnection[]> {
  const onProblem = opts.onProblem ?? (() => undefined);
  const paths = awsFilePaths(opts.env, opts.home);
  const { loadSharedConfigFiles } = await import('@smithy/core/config');
  // Unreadable or malformed files come back empty from the loader (as they do for the SDK itself).
  const files = await loadSharedConfigFiles({ filepath: paths.credentials, configFilepath: paths.config, ignoreCache: true });
  const config = files.configFile as Readonly<Record<string, Section>>;
  const creds = files.credentialsFile as Readonly<Record<string, Section>>;
  const names = new Set([...Object.keys(config).filter((n) => !NON_PROFILE.test(n)), ...Object.keys(creds)]);
  const sorted = [...names].sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const out: DiscoveredConnection[] = [];
  for (const name of sorted) {
    const cfg = config[name] ?? {};
    const cred = creds[name] ?? {};
    for (const s of [cfg, cred]) {
      registerSecret(s.aws_secret_access_key);
      registerSecret(s.aws_session_token);
    }
    const endpoint = s3Endpoint(opts.env, name, config, cfg, cred, paths.config, onProblem);
    const style = cfg['s3.addressing_style'];
    out.push({
      kind: 's3', name, source: 'aws-profile', origin: name in cred ? paths.credentials : paths.config,
      endpoint, region: cfg.region ?? cred.region,
      pathStyle: style === 'path' ? true : style === 'virtual' ? false : endpoint !== undefined,
      profile: name,
      hasKeys: !!((cred.aws_access_key_id && cred.aws_secret_access_key) || (cfg.aws_access_key_id && cfg.aws_secret_access_key)),
    });
  }
  return out;
}
