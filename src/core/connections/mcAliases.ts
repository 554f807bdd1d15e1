// MinIO client (mc) aliases as connections: `MC_HOST_<alias>=https://ACCESS:SECRET[:TOKEN]@host:port`
// environment variables, and the aliases of ~/.mc/config.json (`mc alias set localai ...`). The parsing
// follows mc's own: the keys are taken as written (no URL decoding), the last '@' ends them, a second ':'
// starts a session token, and an environment variable wins over a config entry of the same name.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RepoError, registerSecret } from '../errors';
import type { DiscoveredConnection } from './discover';

const WITH_TOKEN = /^(https?:\/\/)(.*?):(.*?):(.*)@(.*?)$/;
const WITH_KEYS = /^(https?:\/\/)(.*?):(.*)@(.*?)$/;
// mc's own default config lists these placeholder aliases (s3, gcs): not usable connections.
const PLACEHOLDER_KEYS = new Set(['YOUR-ACCESS-KEY-HERE', 'YOUR-SECRET-KEY-HERE', 'YOUR-ACCESS-KEY-ID-HERE']);

type Env = Readonly<Record<string, string | undefined>>;

/** Path-style for mc's `path` setting: on/off, or auto = path-style except for the hosts known to need virtual-hosted style. */
export function mcPathStyle(path: string | undefined, endpoint: string): boolean {
  const p = (path ?? 'auto').toLowerCase();
  if (p === 'on' || p === 'path') return true;
  if (p === 'off' || p === 'dns') return false;
  let host = '';
  try { host = new URL(endpoint).hostname; } catch { /* checked by the caller */ }
  return !/(^|\.)(amazonaws\.com|amazonaws\.com\.cn|googleapis\.com|aliyuncs\.com)$/.test(host);
}

/** Splits an MC_HOST_ value into endpoint and keys; throws Config naming the variable (never the value). */
export function parseMcHostUrl(value: string, variable: string): { endpoint: string; accessKeyId?: string; secretAccessKey?: string; sessionToken?: string } {
  let scheme: string;
  let host: string;
  let access: string | undefined;
  let secret: string | undefined;
  let token: string | undefined;
  const t = WITH_TOKEN.exec(value);
  const k = t ? undefined : WITH_KEYS.exec(value);
  if (t) [, scheme, access, secret, token, host] = t;
  else if (k) [, scheme, access, secret, host] = k;
  else {
    const m = /^(https?:\/\/)(.*)$/.exec(value);
    if (!m) throw new RepoError('Config', 'read mc alias', variable, 'the value must look like https://ACCESS:SECRET@host:port');
    [, scheme, host] = m;
  }
  registerSecret(secret);
  registerSecret(token);
  let url: URL;
  try {
    url = new URL(`${scheme}${host}`);
  } catch {
    throw new RepoError('Config', 'read mc alias', variable, `'${scheme}${host}' is not a valid URL`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new RepoError('Config', 'read mc alias', variable, 'the URL must be scheme://[keys@]host[:port] with no path or query');
  }
  return { endpoint: url.origin, accessKeyId: access || undefined, secretAccessKey: secret || undefined, sessionToken: token || undefined };
}

function usableKeys(access?: string, secret?: string): boolean {
  return !!access && !!secret && !PLACEHOLDER_KEYS.has(access) && !PLACEHOLDER_KEYS.has(secret);
}

/** Aliases from MC_HOST_<alias> (and the deprecated MC_HOSTS_<alias>) variables. */
export function mcAliasesFromEnv(env: Env, onProblem: (e: RepoError) => void = () => undefined): DiscoveredConnection[] {
  const out = new Map<string, DiscoveredConnection>();
  const vars = Object.keys(env).filter((k) => k.startsWith('MC_HOST_') || k.startsWith('MC_HOSTS_')).sort();
  // MC_HOST_ wins over the deprecated MC_HOSTS_ of the same alias.
  vars.sort((a, b) => Number(a.startsWith('MC_HOST_')) - Number(b.startsWith('MC_HOST_')));
  for (const variable of vars) {
    const alias = variable.slice(variable.startsWith('MC_HOST_') ? 8 : 9);
    const value = env[variable];
    if (!alias || !value) continue;
    try {
      const p = parseMcHostUrl(value, variable);
      if (!usableKeys(p.accessKeyId, p.secretAccessKey)) {
        onProblem(new RepoError('Config', 'use mc alias', alias, `${variable} carries no access and secret key`));
        continue;
      }
      out.set(alias, {
        kind: 's3', name: alias, source: 'mc-env', origin: variable, endpoint: p.endpoint,
        pathStyle: mcPathStyle('auto', p.endpoint),
        credentials: { accessKeyId: p.accessKeyId!, secretAccessKey: p.secretAccessKey!, ...(p.sessionToken ? { sessionToken: p.sessionToken } : {}) },
      });
    } catch (e) {
      onProblem(e as RepoError);
    }
  }
  return [...out.values()];
}

/** mc's configuration folder: MC_CONFIG_DIR, else ~/.mc (~/mc on Windows). */
export function mcConfigPath(env: Env, home: string, platform: string = process.platform): string {
  const dir = env.MC_CONFIG_DIR || join(home, platform === 'win32' ? 'mc' : '.mc');
  return join(dir, 'config.json');
}

interface McAliasEntry { url?: unknown; accessKey?: unknown; secretKey?: unknown; sessionToken?: unknown; path?: unknown; lookup?: unknown }

/** Aliases of an mc config.json (version 10 `aliases`, or the older `hosts`); a missing file gives none. */
export async function mcAliasesFromConfig(path: string, onProblem: (e: RepoError) => void = () => undefined): Promise<DiscoveredConnection[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') onProblem(new RepoError('Config', 'read mc aliases from', path, `it cannot be read (${code})`));
    return [];
  }
  let doc: { aliases?: Record<string, McAliasEntry>; hosts?: Record<string, McAliasEntry> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    // The parser's message quotes the text, which holds secret keys: say only that it is broken.
    onProblem(new RepoError('Config', 'read mc aliases from', path, 'it is not valid JSON'));
    return [];
  }
  const entries = Object.entries(doc?.aliases ?? doc?.hosts ?? {});
  const out: DiscoveredConnection[] = [];
  for (const [alias, a] of entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
    const secret = str(a?.secretKey);
    const token = str(a?.sessionToken);
    registerSecret(secret);
    registerSecret(token);
    const url = str(a?.url);
    let endpoint: string;
    try {
      endpoint = new URL(url ?? '').origin;
      if (!/^https?:$/.test(new URL(url ?? '').protocol)) throw new Error('scheme');
    } catch {
      onProblem(new RepoError('Config', 'use mc alias', alias, `its url '${url ?? ''}' in ${path} is not an http(s) URL`));
      continue;
    }
    const access = str(a?.accessKey);
    if (!usableKeys(access, secret)) continue; // mc's default local/s3/gcs aliases carry no real keys
    out.push({
      kind: 's3', name: alias, source: 'mc-config', origin: path, endpoint,
      pathStyle: mcPathStyle(str(a?.path) ?? str(a?.lookup), endpoint),
      credentials: { accessKeyId: access!, secretAccessKey: secret!, ...(token ? { sessionToken: token } : {}) },
    });
  }
  return out;
}

/** The connection an mc alias stands for, as mc itself would pick it: the environment first, then config.json. */
export async function findMcAlias(alias: string, opts: { env: Env; home: string; onProblem?: (e: RepoError) => void }): Promise<DiscoveredConnection | undefined> {
  const fromEnv = mcAliasesFromEnv(opts.env, opts.onProblem).find((c) => c.name === alias);
  if (fromEnv) return fromEnv;
  return (await mcAliasesFromConfig(mcConfigPath(opts.env, opts.home), opts.onProblem)).find((c) => c.name === alias);
}
