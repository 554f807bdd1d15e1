// What "Import mc Aliases and AWS Profiles" finds, from real files in a scratch home folder: mc's
// config.json, MC_HOST_<alias> variables, AWS profiles and keys in the environment.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverConnections } from '../../../src/vscode/discovery';
import { scratch } from './helpers';

suite('import: connections found on the machine', () => {
  let home: string;

  suiteSetup(() => {
    home = scratch('home');
    fs.mkdirSync(path.join(home, '.mc'));
    fs.writeFileSync(path.join(home, '.mc', 'config.json'), JSON.stringify({
      version: '10',
      aliases: {
        localai: { url: 'http://minio.model-storage:9000', accessKey: 'minioadmin', secretKey: 'minio-secret-1', api: 's3v4', path: 'auto' },
        gcs: { url: 'https://storage.googleapis.com', accessKey: 'YOUR-ACCESS-KEY-HERE', secretKey: 'YOUR-SECRET-KEY-HERE', api: 'S3v2', path: 'dns' },
      },
    }));
    fs.mkdirSync(path.join(home, '.aws'));
    fs.writeFileSync(path.join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = aws-secret-2\n\n[ceph]\naws_access_key_id = k\naws_secret_access_key = s3cr3t\n');
    fs.writeFileSync(path.join(home, '.aws', 'config'), '[default]\nregion = eu-west-1\n\n[profile ceph]\nregion = us-east-1\nendpoint_url = http://ceph.lan:7480\n');
  });

  test('mc aliases bring endpoint, path style and keys; AWS profiles are referenced by name', async () => {
    const found = await discoverConnections({ MC_HOST_play: 'https://Q3AM3UQ867:zuf%2BtfteSlswRu7B@play.min.io' }, home);
    const byName = new Map(found.map((f) => [f.name, f]));
    assert.deepEqual([...byName.keys()].sort(), ['aws-ceph', 'aws-default', 'gcs', 'localai', 'play']);
    assert.deepEqual(byName.get('play')?.credentials, { accessKeyId: 'Q3AM3UQ867', secretAccessKey: 'zuf+tfteSlswRu7B' });
    assert.equal(byName.get('play')?.endpoint, 'https://play.min.io');
    const localai = byName.get('localai');
    assert.equal(localai?.endpoint, 'http://minio.model-storage:9000');
    assert.equal(localai?.pathStyle, true);
    assert.equal(localai?.credentials?.secretAccessKey, 'minio-secret-1');
    assert.equal(byName.get('gcs')?.pathStyle, false);
    const ceph = byName.get('aws-ceph');
    assert.deepEqual([ceph?.profile, ceph?.endpoint, ceph?.region, ceph?.credentials], ['ceph', 'http://ceph.lan:7480', 'us-east-1', undefined]);
    assert.equal(byName.get('aws-default')?.region, 'eu-west-1');
  });

  test('keys in the environment become one connection to the endpoint named there', async () => {
    const found = await discoverConnections({
      AWS_ACCESS_KEY_ID: 'envkey', AWS_SECRET_ACCESS_KEY: 'env-secret-3', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_REGION: 'us-east-2',
    }, scratch('empty-home'));
    assert.equal(found.length, 1);
    assert.deepEqual(found[0], {
      source: 'AWS environment variables', name: '127.0.0.1:9000', endpoint: 'http://127.0.0.1:9000', region: 'us-east-2', pathStyle: true,
      credentials: { accessKeyId: 'envkey', secretAccessKey: 'env-secret-3' },
    });
  });

  test('nothing configured: nothing found', async () => {
    assert.deepEqual(await discoverConnections({}, scratch('bare-home')), []);
  });
});
