// "Import mc Aliases and AWS Profiles" end to end: the core's discovery reads real files in a scratch
// home folder; the command turns what it finds into connections, keys into SecretStorage only.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { keysDigestOf } from '../../../src/vscode/testApi';
import { extensionApi, removeConnection, run, scratch } from './helpers';

suite('import connections found on the machine', () => {
  let home: string;
  const ids: string[] = [];

  suiteSetup(() => {
    home = scratch('home');
    fs.mkdirSync(path.join(home, '.mc'));
    fs.writeFileSync(path.join(home, '.mc', 'config.json'), JSON.stringify({
      version: '10',
      aliases: { localai: { url: 'http://minio.model-storage:9000', accessKey: 'minioadmin', secretKey: 'mc-secret-value-1', api: 's3v4', path: 'auto' } },
    }));
    fs.mkdirSync(path.join(home, '.aws'));
    fs.writeFileSync(path.join(home, '.aws', 'credentials'), '[ceph]\naws_access_key_id = k\naws_secret_access_key = aws-file-secret-2\n');
    fs.writeFileSync(path.join(home, '.aws', 'config'), '[profile ceph]\nregion = us-east-1\nendpoint_url = http://ceph.lan:7480\n');
  });

  suiteTeardown(async () => {
    const api = await extensionApi();
    for (const id of ids) await removeConnection(api, id);
  });

  test('an mc alias becomes a connection whose keys are in SecretStorage, not settings', async () => {
    const api = await extensionApi();
    const got = await run<string[]>('importConnections', undefined, { env: {}, home, pick: ['localai'] });
    assert.equal(got?.length, 1);
    ids.push(...(got ?? []));
    const c = api.connection(got?.[0] ?? '');
    assert.deepEqual([c?.name, c?.endpoint, c?.pathStyle], ['localai', 'http://minio.model-storage:9000', true]);
    assert.equal(await api.keysDigest(c?.id ?? ''), keysDigestOf({ accessKeyId: 'minioadmin', secretAccessKey: 'mc-secret-value-1' }));
    assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('modelRepository').inspect('connections')).includes('mc-secret-value-1'));
  });

  test('an AWS profile is referenced by name: its keys stay in ~/.aws', async () => {
    const api = await extensionApi();
    const got = await run<string[]>('importConnections', undefined, { env: {}, home, pick: ['ceph'] });
    assert.equal(got?.length, 1);
    ids.push(...(got ?? []));
    const c = api.connection(got?.[0] ?? '');
    assert.deepEqual([c?.profile, c?.endpoint, c?.region], ['ceph', 'http://ceph.lan:7480', 'us-east-1']);
    assert.equal(await api.keysDigest(c?.id ?? ''), undefined);
  });

  test('what was imported is not offered again; nothing new is reported, not shown as a crash', async () => {
    const api = await extensionApi();
    assert.equal(await run('importConnections', undefined, { env: {}, home, pick: 'all' }), undefined);
    assert.equal(api.lastNotice()?.code, 'NotFound');
  });
});
