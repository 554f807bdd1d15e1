// Finds S3 connections already configured on this machine, for "Import mc Aliases and AWS Profiles":
// mc aliases (MC_HOST_<alias> variables, ~/.mc/config.json), AWS profiles (~/.aws/credentials and
// ~/.aws/config) and keys in the environment. Keys found are registered as secrets at once.
// NOTE: src/core/connections is to own this discovery (TEAM.md); switch to it when it lands.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerSecret } from '../core/errors';
import type { S3Credentials } from '../core/connections/types';

export interface FoundConnection {
  /** Where it was found, shown in the picker. */
  readonly source: string;
  readonly name: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly pathStyle?: boolean;
  /** Keys to copy into SecretStorage (mc aliases, environment). */
  readonly credentials?: S3Credentials;
  /** AWS profiles keep their keys in ~/.aws: the connection names the profile instead. */
  readonly profile?: string;
}

function creds(accessKeyId: string | undefined, secretAccessKey: string | undefined, sessionToken?: string): S3Credentials | undefined {
  if (!accessKeyId || !secretAccessKey) return undefined;
  registerSecret(secretAccessKey);
  registerSecret(sessionToken);
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** `[section]` -> key = value, as in ~/.aws/credentials and ~/.aws/config. */
export function parseIni(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let cur: Record<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(t);
    if (sec) {
      cur = {};
      out.set(sec[1].trim(), cur);
    } else if (cur) {
      const eq = t.indexOf('=');
      if (eq > 0) cur[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
    }
  }
  return out;
}

async function readText(file: string): Promise<string | undefined> {
  return fsp.readFile(file, 'utf8').catch(() => undefined);
}

function fromMcUrl(alias: string, value: string, source: string): FoundConnection | undefined {
  try {
    const u = new URL(value);
    const credentials = creds(decodeURIComponent(u.username), decodeURIComponent(u.password));
    return { source, name: alias, endpoint: `${u.protocol}//${u.host}`, pathStyle: true, credentials };
  } catch {
    return undefined;
  }
}

export async function discoverConnections(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): Promise<FoundConnection[]> {
  const found: FoundConnection[] = [];
  for (const [k, v] of Object.entries(env)) {
    const m = /^MC_HOST_(.+)$/.exec(k);
    const c = m && v ? fromMcUrl(m[1], v, `mc alias (${k})`) : undefined;
    if (c) found.push(c);
  }
  const mcText = await readText(path.join(env.MC_CONFIG_DIR ?? path.join(home, '.mc'), 'config.json'));
  if (mcText) {
    try {
      const aliases = (JSON.parse(mcText) as { aliases?: Record<string, { url?: string; accessKey?: string; secretKey?: string; path?: string }> }).aliases ?? {};
      for (const [name, a] of Object.entries(aliases)) {
        if (!a.url || found.some((f) => f.name === name)) continue;
        found.push({ source: 'mc alias (~/.mc/config.json)', name, endpoint: a.url.replace(/\/+$/, ''), pathStyle: a.path !== 'dns', credentials: creds(a.accessKey, a.secretKey) });
      }
    } catch { /* not JSON: nothing to import from it */ }
  }
  const credFile = parseIni(await readText(env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials')) ?? '');
  const confFile = parseIni(await readText(env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config')) ?? '');
  const profiles = new Set([...credFile.keys(), ...[...confFile.keys()].map((s) => s.replace(/^profile\s+/, ''))]);
  for (const p of profiles) {
    const conf = confFile.get(p === 'default' ? 'default' : `profile ${p}`) ?? confFile.get(p) ?? {};
    const keys = credFile.get(p) ?? {};
    if (!keys.aws_access_key_id && !conf.aws_access_key_id && !conf.sso_session && !conf.role_arn && !conf.source_profile) continue;
    const endpoint = conf.endpoint_url || undefined;
    found.push({ source: 'AWS profile', name: `aws-${p}`, profile: p, region: conf.region, endpoint, pathStyle: endpoint ? true : undefined });
  }
  const envKeys = creds(env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN);
  if (envKeys) {
    const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || env.S3_ENDPOINT || undefined;
    found.push({ source: 'AWS environment variables', name: endpoint ? new URL(endpoint).host : 'aws-env', endpoint, region: env.AWS_REGION || env.AWS_DEFAULT_REGION, pathStyle: endpoint ? true : undefined, credentials: envKeys });
  }
  return found;
}
