// An S3 repository on the real server (Ceph RGW from scripts/s3-server.sh): keys in SecretStorage and
// not in settings, the tree, commands checked with the core reading the bucket, the generated YAML,
// and failures (wrong secret key, server down) shown as message nodes. Skips when no server is given.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VersionManifest } from '../../../src/core/layout';
import { openStorage } from '../../../src/core/openStorage';
import { Repository } from '../../../src/core/repository';
import type { TagInfo } from '../../../src/core/types';
import type { ExtensionApi } from '../../../src/extension';
import { keysDigestOf } from '../../../src/vscode/testApi';
import type { TreeNode } from '../../../src/tree/nodes';
import { s3Config, s3TestEnv, uniqueBucket } from '../../helpers/s3env';
import {
  F2, MODEL, V1, V2, extensionApi, item, kids, labelOf, makeFile, removeConnection, run, scratch, seedChapter,
  sha256, until, walk,
} from './helpers';

const CONN = 's3-suite';
const env = s3TestEnv();

async function createBucket(bucket: string): Promise<void> {
  if (!env) return;
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const c = new S3Client({ endpoint: env.endpoint, region: env.region, forcePathStyle: true,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey } });
  await c.send(new CreateBucketCommand({ Bucket: bucket }));
  c.destroy();
}

suite('S3 repository on the real server: keys, tree, commands, errors', function () {
  let api: ExtensionApi;
  let repo: Repository;
  const bucket = uniqueBucket('ext');
  const ids: string[] = [];
  const connected = async (name: string): Promise<TreeNode> =>
    until(`connection ${name}`, async () => (await kids(api)).find((n) => labelOf(api, n) === name));

  suiteSetup(async function () {
    if (!env) return this.skip();
    api = await extensionApi();
    await createBucket(bucket);
    repo = await seedChapter(await openStorage(s3Config(env, bucket)));
    const id = await run<string>('addS3Connection', undefined, {
      name: CONN, endpoint: env.endpoint, region: env.region, bucketFilter: bucket,
      // the test server is on loopback, which pods cannot reach: manifests need the cluster's address
      clusterEndpoint: 'http://minio.model-storage:9000',
      accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey, nonInteractive: true,
    });
    assert.ok(id, 'addS3Connection returned no id');
    ids.push(id);
    await connected(CONN);
  });

  suiteTeardown(async () => {
    for (const id of ids) await removeConnection(api, id).catch(() => undefined);
  });

  test('keys are in SecretStorage under the connection id; settings hold none', async () => {
    assert.equal(await api.keysDigest(ids[0]), keysDigestOf({ accessKeyId: env!.accessKeyId, secretAccessKey: env!.secretAccessKey }));
    const inspected = JSON.stringify(vscode.workspace.getConfiguration('modelRepository').inspect('connections'));
    assert.ok(inspected.includes(ids[0]), 'the connection is not in settings');
    assert.ok(!inspected.includes(env?.secretAccessKey ?? '?'), 'the secret key is in settings');
    assert.ok(!inspected.includes(env?.accessKeyId ?? '?'), 'the access key is in settings');
  });

  test('tree: connection > bucket > model > Tags + versions > artifacts', async () => {
    const b = await walk(api, CONN, bucket);
    assert.equal(item(api, b).contextValue, 'bucket');
    assert.deepEqual((await kids(api, b)).map((n) => labelOf(api, n)), [MODEL]);
    assert.deepEqual((await kids(api, await walk(api, CONN, bucket, MODEL))).map((n) => labelOf(api, n)), ['Tags', V2, V1]);
    const latest = await walk(api, CONN, bucket, MODEL, 'Tags', 'latest');
    assert.equal(item(api, latest).description, `-> v2 -> ${V2}/${F2}`);
    const artNode = await walk(api, CONN, bucket, MODEL, V2, F2);
    const art = item(api, artNode);
    assert.equal(art.description, '5.9 KiB');
    const sha = (await repo.listArtifacts(MODEL, V2))[0].sha256;
    // the tooltip is resolved on hover (resolveTreeItem)
    const tip = (await api.resolveTreeItem(art, artNode, new vscode.CancellationTokenSource().token)).tooltip;
    assert.ok(sha && (tip as vscode.MarkdownString).value.includes(sha));
  });

  test('upload onto the bucket creates a model; the server holds the file with its sha256', async () => {
    const file = makeFile(scratch('s3-up'), 'phi-3-mini.Q4_K_M.gguf', 300_000);
    const manifest = await run<VersionManifest>('upload', await walk(api, CONN, bucket), { paths: [file], model: 'phi-3-mini', version: '2024-06-01' });
    assert.ok(manifest, 'upload returned nothing');
    const fresh = new Repository(await openStorage(s3Config(env!, bucket)));
    const arts = await fresh.listArtifacts('phi-3-mini', '2024-06-01');
    assert.deepEqual(arts.map((a) => [a.name, a.size, a.sha256]), [['phi-3-mini.Q4_K_M.gguf', 300_000, sha256(file)]]);
    await run('refresh');
    assert.ok((await kids(api, await walk(api, CONN, bucket))).some((n) => labelOf(api, n) === 'phi-3-mini'));
  });

  test('create and move a tag on S3', async () => {
    const v = await walk(api, CONN, bucket, 'phi-3-mini', '2024-06-01');
    assert.ok(await run<TagInfo>('createTag', v, { tag: 'latest' }));
    assert.equal((await repo.resolve({ model: 'phi-3-mini', tag: 'latest' })).version, '2024-06-01');
    const tag = await walk(api, CONN, bucket, MODEL, 'Tags', 'latest');
    assert.ok(await run<TagInfo>('moveTag', tag, { target: V1 }));
    assert.equal((await repo.resolve({ model: MODEL, tag: 'latest' })).version, V1);
  });

  test('presigned URL downloads the file without keys', async () => {
    const url = await run<string>('copyPresignedUrl', await walk(api, CONN, bucket, MODEL, V2, F2), { expiresIn: 900 });
    assert.match(url ?? '', /X-Amz-Signature=/);
    const res = await fetch(url as string);
    assert.equal(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.length, 6000);
    // a bearer credential until it expires: on the clipboard, never in the log
    const signature = new URL(url as string).searchParams.get('X-Amz-Signature') ?? '?';
    assert.ok(!api.logLines().some((l) => l.includes(signature) || l.includes(url as string)), 'the presigned URL is in the log');
    assert.ok(api.logLines().some((l) => l.includes(`presigned URL for ${MODEL}@${V2}/${F2}`)), 'the copy was not logged at all');
  });

  test('copy S3 URI names bucket, model, version and file', async () => {
    const art = await walk(api, CONN, bucket, MODEL, V2, F2);
    assert.equal(item(api, art).contextValue, 'artifact@s3', 'the menus offer the S3 actions on this marker');
    assert.equal(await run('copyS3Uri', art), `s3://${bucket}/${MODEL}/${V2}/${F2}`);
  });

  test('download from S3 checks sha256', async () => {
    const dest = scratch('s3-down');
    const res = await run<{ files: string[]; verified: number }>('download', await walk(api, CONN, bucket, MODEL, 'Tags', 'v2'), { dest });
    assert.ok(res);
    assert.equal(res.verified, 1);
    assert.equal(path.basename(res.files[0]), F2);
    assert.equal(sha256(res.files[0]), (await repo.listArtifacts(MODEL, V2))[0].sha256);
  });

  test('generated YAML: a Secret with placeholder keys and a Pod that copies the pinned file', async () => {
    const g = await run<{ yaml: string; document: vscode.TextDocument }>('generateManifest',
      await walk(api, CONN, bucket, MODEL, 'Tags', 'v2'), { namespace: 'models', nonInteractive: true });
    assert.ok(g);
    const text = g.document.getText();
    assert.equal(g.document.languageId, 'yaml');
    assert.match(text, /^kind: Secret$/m);
    assert.match(text, /^kind: Pod$/m);
    assert.match(text, /namespace: models/);
    assert.ok(text.includes(`s3://${bucket}/${MODEL}/${V2}/${F2}`), 'the pinned source is not in the YAML');
    assert.ok(!text.includes(env?.secretAccessKey ?? '?'), 'the secret key leaked into the YAML');
  });

  test('delete version is refused while tagged (S3)', async () => {
    assert.equal(await run('deleteVersion', await walk(api, CONN, bucket, MODEL, V2), { nonInteractive: true }), undefined);
    assert.equal(api.lastNotice()?.code, 'InUse');
    assert.ok((await repo.listVersions(MODEL)).some((v) => v.name === V2));
  });

  test('a wrong secret key shows as an error node; fixing the keys brings the buckets back', async () => {
    const id = await run<string>('addS3Connection', undefined, {
      name: 's3-wrong-key', endpoint: env?.endpoint, bucketFilter: bucket, accessKeyId: env?.accessKeyId, secretAccessKey: 'not-the-secret-key', nonInteractive: true,
    });
    assert.ok(id);
    ids.push(id);
    const conn = await connected('s3-wrong-key');
    const nodes = await kids(api, conn);
    assert.equal(nodes.length, 1);
    const it = item(api, nodes[0]);
    assert.equal(it.contextValue, 'message');
    assert.match(labelOf(api, nodes[0]), /^Cannot list buckets of s3-wrong-key: /);
    assert.equal(it.command?.command, 'modelRepository.editConnection');
    await run('editConnection', conn, { secretAccessKey: env?.secretAccessKey });
    const fixed = await until('buckets after the fix', async () => {
      const k = await kids(api, await connected('s3-wrong-key'));
      return k.some((n) => labelOf(api, n) === bucket) ? k : undefined;
    });
    assert.equal(fixed.length, 1);
    assert.ok(api.logLines().some((l) => /Cannot list buckets of s3-wrong-key/.test(l)), 'the failure was not logged');
    assert.ok(!api.logLines().some((l) => l.includes('not-the-secret-key') || l.includes(env?.secretAccessKey ?? '?')), 'a secret key is in the log');
  });

  test('a server that is down shows as an error node', async () => {
    const id = await run<string>('addS3Connection', undefined, {
      name: 's3-down', endpoint: 'http://127.0.0.1:9', accessKeyId: 'x', secretAccessKey: 'y-secret', nonInteractive: true,
    });
    assert.ok(id);
    ids.push(id);
    const nodes = await kids(api, await connected('s3-down'));
    assert.equal(item(api, nodes[0]).contextValue, 'message');
    assert.match(labelOf(api, nodes[0]), /^Cannot list buckets of s3-down: /);
  });

  test('test connection reports the buckets it sees', async () => {
    const res = await run<{ ok: boolean; detail: string }>('testConnection', { connectionId: ids[0] }, { quiet: true });
    assert.equal(res?.ok, true);
    assert.match(res?.detail ?? '', /1 bucket visible/);
  });

  test('import: keys in the AWS_* variables become a working connection, keys in SecretStorage', async () => {
    const imported = await run<string[]>('importConnections', undefined, {
      home: scratch('empty-home'), pick: ['aws-env'],
      env: { AWS_ACCESS_KEY_ID: env?.accessKeyId, AWS_SECRET_ACCESS_KEY: env?.secretAccessKey, AWS_ENDPOINT_URL_S3: env?.endpoint, AWS_REGION: env?.region },
    });
    assert.ok(imported && imported.length === 1, `nothing imported: ${api.lastNotice()?.message}`);
    ids.push(imported[0]);
    const c = api.connection(imported[0]);
    assert.equal(c?.endpoint, env?.endpoint);
    assert.ok(!JSON.stringify(c).includes(env?.secretAccessKey ?? '?'));
    assert.equal(await api.keysDigest(imported[0]), keysDigestOf({ accessKeyId: env!.accessKeyId, secretAccessKey: env!.secretAccessKey }));
    const res = await run<{ ok: boolean; detail: string }>('testConnection', { connectionId: imported[0] }, { quiet: true });
    assert.equal(res?.ok, true);
  });
});
