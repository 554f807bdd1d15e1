// Connections found in mc aliases (env + config.json) and AWS env + profiles, with temp home folders.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverConnections, toS3Config } from '../../src/core/connections/discover';
import { awsEnvConnection, awsFilePaths } from '../../src/core/connections/awsConfig';
import { findMcAlias, mcPathStyle, parseMcHostUrl } from '../../src/core/connections/mcAliases';
import { RepoError, redactSecrets } from '../../src/core/errors';

let root: string;
let n = 0;
async function home(files: Record<string, string> = {}): Promise<string> {
  const dir = join(root, `home-${++n}`);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

const MC_CONFIG = JSON.stringify({
  version: '10',
  aliases: {
    localai: { url: 'http://minio.local:9000', accessKey: 'minioadmin', secretKey: 'mc-config-secret-1', api: 's3v4', path: 'auto' },
    vhost: { url: 'https://s3.example.com', accessKey: 'ak2', secretKey: 'mc-config-secret-2', api: 's3v4', path: 'off' },
    shadow: { url: 'http://old.example:9000', accessKey: 'old', secretKey: 'mc-config-secret-3', api: 's3v4', path: 'on' },
    s3: { url: 'https://s3.amazonaws.com', accessKey: 'YOUR-ACCESS-KEY-HERE', secretKey: 'YOUR-SECRET-KEY-HERE', api: 'S3v4', path: 'dns' },
    local: { url: 'http://localhost:9000', accessKey: '', secretKey: '', api: 'S3v4', path: 'auto' },
  },
});

const AWS_CONFIG = `[default]
region = eu-west-1

[profile minio]
region = us-east-1
endpoint_url = http://minio.local:9000
s3 =
  addressing_style = path

[profile ceph]
services = ceph-s3
region = default

[services ceph-s3]
s3 =
  endpoint_url = https://rgw.example.org

[sso-session corp]
sso_region = eu-west-1

[profile sso-user]
sso_session = corp
`;

const AWS_CREDENTIALS = `[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = aws-credentials-secret-1

[minio]
aws_access_key_id = minio-ak
aws_secret_access_key = aws-credentials-secret-2
aws_session_token = aws-credentials-token-1
`;

before(async () => { root = await mkdtemp(join(tmpdir(), 'connections-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

describe('mc aliases', () => {
  it('parses MC_HOST_ values as mc does: keys as written, an optional session token, the last @ ends them', () => {
    assert.deepEqual(parseMcHostUrl('http://ak:s3cr%2Ft@127.0.0.1:9000', 'MC_HOST_a'),
      { endpoint: 'http://127.0.0.1:9000', accessKeyId: 'ak', secretAccessKey: 's3cr%2Ft', sessionToken: undefined });
    assert.deepEqual(parseMcHostUrl('https://ak:sk:tok@minio.example.com', 'MC_HOST_a'),
      { endpoint: 'https://minio.example.com', accessKeyId: 'ak', secretAccessKey: 'sk', sessionToken: 'tok' });
    assert.equal(parseMcHostUrl('https://ak:p@ss@minio.example.com:9000/', 'MC_HOST_a').secretAccessKey, 'p@ss');
  });

  it('rejects a malformed MC_HOST_ value with a Config error that names the variable, not the secret', () => {
    for (const bad of ['minio:9000', 'ftp://ak:sk@host', 'http://ak:hidden-secret-9@host:9000/bucket']) {
      assert.throws(() => parseMcHostUrl(bad, 'MC_HOST_x'), (e: unknown) => {
        assert.ok(e instanceof RepoError && e.code === 'Config' && e.message.includes('MC_HOST_x'));
        assert.ok(!e.message.includes('hidden-secret-9'));
        return true;
      });
    }
  });

  it('chooses path-style like mc: on/off, auto = path-style except AWS, Google and Aliyun hosts', () => {
    assert.equal(mcPathStyle('auto', 'http://minio.local:9000'), true);
    assert.equal(mcPathStyle('auto', 'https://s3.amazonaws.com'), false);
    assert.equal(mcPathStyle('auto', 'https://storage.googleapis.com'), false);
    assert.equal(mcPathStyle('off', 'http://minio.local:9000'), false);
    assert.equal(mcPathStyle('on', 'https://s3.amazonaws.com'), true);
    assert.equal(mcPathStyle(undefined, 'http://10.0.0.1:9000'), true);
  });

  it('reads ~/.mc/config.json and MC_HOST_ variables; a variable hides the config entry of the same alias', async () => {
    const h = await home({ '.mc/config.json': MC_CONFIG });
    const env = { MC_HOST_shadow: 'https://envak:mc-env-secret-1@new.example:9000', MC_HOST_ceph: 'http://cak:mc-env-secret-2:mc-env-token@127.0.0.1:7480' };
    const found = (await discoverConnections({ env, home: h })).filter((c) => c.source.startsWith('mc'));
    assert.deepEqual(found.map((c) => [c.name, c.source, c.endpoint, c.pathStyle]), [
      ['ceph', 'mc-env', 'http://127.0.0.1:7480', true],
      ['shadow', 'mc-env', 'https://new.example:9000', true],
      ['localai', 'mc-config', 'http://minio.local:9000', true],
      ['vhost', 'mc-config', 'https://s3.example.com', false],
    ]);
    assert.deepEqual(found[0].credentials, { accessKeyId: 'cak', secretAccessKey: 'mc-env-secret-2', sessionToken: 'mc-env-token' });
    assert.deepEqual(found[2].credentials, { accessKeyId: 'minioadmin', secretAccessKey: 'mc-config-secret-1' });
    assert.equal(found[2].origin, join(h, '.mc', 'config.json'));
    for (const s of ['mc-env-secret-1', 'mc-env-secret-2', 'mc-env-token', 'mc-config-secret-1', 'mc-config-secret-2', 'mc-config-secret-3']) {
      assert.equal(redactSecrets(`x ${s} y`), 'x *** y', `${s} is registered as a secret`);
    }
  });

  it('honours MC_CONFIG_DIR, finds one alias as mc would, and reports a broken config.json without quoting it', async () => {
    const h = await home({ 'elsewhere/config.json': MC_CONFIG, '.mc/config.json': '{"aliases": {"x": {"secretKey": "leaky-secret-77"' });
    const viaDir = await findMcAlias('localai', { env: { MC_CONFIG_DIR: join(h, 'elsewhere') }, home: h });
    assert.equal(viaDir?.endpoint, 'http://minio.local:9000');
    assert.equal(await findMcAlias('nope', { env: { MC_CONFIG_DIR: join(h, 'elsewhere') }, home: h }), undefined);
    const problems: RepoError[] = [];
    const found = await discoverConnections({ env: {}, home: h, onProblem: (e) => problems.push(e) });
    assert.deepEqual(found, []);
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /Cannot read mc aliases from .*config\.json: it is not valid JSON/);
    assert.ok(!problems[0].message.includes('leaky-secret-77'));
  });

  it('skips mc default aliases without real keys and reports MC_HOST_ values without keys', async () => {
    const problems: string[] = [];
    const found = await discoverConnections({ env: { MC_HOST_anon: 'http://minio:9000' }, home: await home({ '.mc/config.json': MC_CONFIG }), onProblem: (e) => problems.push(e.message) });
    assert.ok(!found.some((c) => ['s3', 'local', 'anon'].includes(c.name)));
    assert.deepEqual(problems, ['Cannot use mc alias anon: MC_HOST_anon carries no access and secret key']);
  });
});

describe('AWS environment and profiles', () => {
  it('reads endpoint (AWS_ENDPOINT_URL_S3 first), keys, session token and region from the environment', () => {
    const c = awsEnvConnection({
      AWS_ENDPOINT_URL: 'http://generic:1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:7480/', AWS_ACCESS_KEY_ID: 'ak',
      AWS_SECRET_ACCESS_KEY: 'aws-env-secret-1', AWS_SESSION_TOKEN: 'aws-env-token-1', AWS_DEFAULT_REGION: 'eu-2',
    });
    assert.deepEqual(c, {
      kind: 's3', name: 'aws-env', source: 'aws-env', origin: 'environment', endpoint: 'http://127.0.0.1:7480', region: 'eu-2',
      pathStyle: true, credentials: { accessKeyId: 'ak', secretAccessKey: 'aws-env-secret-1', sessionToken: 'aws-env-token-1' },
    });
    assert.equal(redactSecrets('aws-env-secret-1 aws-env-token-1'), '*** ***');
    assert.equal(awsEnvConnection({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'x', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'bbbb' })?.region, 'us-east-1');
  });

  it('uses AWS_PROFILE for an endpoint without keys, ignores endpoints when told to, and reports half a key pair', () => {
    assert.equal(awsEnvConnection({ AWS_ENDPOINT_URL: 'http://m:9000', AWS_PROFILE: 'minio' })?.profile, 'minio');
    assert.equal(awsEnvConnection({ AWS_REGION: 'us-east-1' }), undefined);
    assert.equal(awsEnvConnection({ AWS_ENDPOINT_URL: 'http://m:9000', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }), undefined);
    const problems: string[] = [];
    assert.equal(awsEnvConnection({ AWS_ACCESS_KEY_ID: 'ak' }, (e) => problems.push(e.message)), undefined);
    awsEnvConnection({ AWS_ENDPOINT_URL: 'not a url' }, (e) => problems.push(e.message));
    assert.deepEqual(problems, [
      'Cannot use keys from the environment: AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY',
      "Cannot use endpoint from AWS_ENDPOINT_URL: 'not a url' is not an http(s) URL",
    ]);
  });

  it('lists the profiles of ~/.aws/config and ~/.aws/credentials with endpoint, region and addressing style', async () => {
    const h = await home({ '.aws/config': AWS_CONFIG, '.aws/credentials': AWS_CREDENTIALS });
    const profiles = (await discoverConnections({ env: {}, home: h })).filter((c) => c.source === 'aws-profile');
    assert.deepEqual(profiles.map((p) => [p.name, p.endpoint, p.region, p.pathStyle, p.hasKeys]), [
      ['default', undefined, 'eu-west-1', false, true],
      ['ceph', 'https://rgw.example.org', 'default', true, false],
      ['minio', 'http://minio.local:9000', 'us-east-1', true, true],
      ['sso-user', undefined, undefined, false, false],
    ]);
    assert.ok(profiles.every((p) => p.credentials === undefined && p.profile === p.name), 'keys are left to the SDK');
    assert.equal(redactSecrets('aws-credentials-secret-2 aws-credentials-token-1'), '*** ***');
  });

  it('follows AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE and gives no profiles when the files are absent', async () => {
    const h = await home({ 'custom/cfg': '[profile only]\nendpoint_url = http://x:1\n' });
    assert.deepEqual(awsFilePaths({ AWS_CONFIG_FILE: '~/custom/cfg' }, h), { config: join(h, 'custom', 'cfg'), credentials: join(h, '.aws', 'credentials') });
    const found = await discoverConnections({ env: { AWS_CONFIG_FILE: join(h, 'custom', 'cfg') }, home: h });
    assert.deepEqual(found.map((c) => [c.name, c.endpoint]), [['only', 'http://x:1']]);
    assert.deepEqual(await discoverConnections({ env: {}, home: await home() }), []);
  });
});

describe('toS3Config', () => {
  it('turns a discovered connection plus a bucket into connection settings', async () => {
    const [c] = await discoverConnections({ env: { MC_HOST_localai: 'http://ak:sk-toS3-1@127.0.0.1:7480' }, home: await home() });
    assert.deepEqual(toS3Config(c, 'models', '/team-a/'), {
      kind: 's3', endpoint: 'http://127.0.0.1:7480', region: undefined, forcePathStyle: true, bucket: 'models', prefix: 'team-a',
      credentials: { accessKeyId: 'ak', secretAccessKey: 'sk-toS3-1' },
    });
  });
});
