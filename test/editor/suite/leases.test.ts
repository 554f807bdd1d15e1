// A transfer keeps its storage while the tree is refreshed and its connection edited: each operation
// holds a lease on the storage it uses, and a refresh or an edit only retires the cached one (disposed
// when the last lease ends). Without that, "Refresh" disposes the S3 clients under a running upload.
// Checked both ways: the transfer completes with the right sha256, and the storage it used was retired
// but not disposed while it ran (the SDK's retries can hide a disposed client from the first check).
// The file is large enough for the upload to still be running when the refresh and the edit land; the
// test says so when it was not (then it proved nothing), rather than passing.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pendingKey, type VersionManifest } from '../../../src/core/layout';
import { openStorage } from '../../../src/core/openStorage';
import { Repository } from '../../../src/core/repository';
import type { Storage } from '../../../src/core/storage/storage';
import { createFsStorage } from '../../../src/core/storage/fsStorage';
import type { ExtensionApi } from '../../../src/extension';
import type { TreeNode } from '../../../src/tree/nodes';
import { s3Config, s3TestEnv, uniqueBucket } from '../../helpers/s3env';
import { addFolder, extensionApi, kids, labelOf, removeConnection, run, scratch, sha256, until, walk } from './helpers';

const env = s3TestEnv();
const SIZE = 160 * 1024 * 1024;
const FS_SIZE = 1024 * 1024 * 1024;
const MODEL = 'big-model';

/** A file of `size` bytes, written in 8 MiB blocks of changing content (the sha256 is checked). */
function bigFile(dir: string, name: string, size: number): string {
  const f = path.join(dir, name);
  const fd = fs.openSync(f, 'w');
  const block = Buffer.alloc(8 * 1024 * 1024);
  for (let off = 0, n = 0; off < size; off += block.length, n++) {
    block.writeUInt32LE(n, 0);
    block.write(createHash('sha256').update(String(n)).digest('hex'), 64);
    fs.writeSync(fd, block, 0, Math.min(block.length, size - off));
  }
  fs.closeSync(fd);
  return f;
}

interface Running<T> { readonly done: Promise<T | undefined>; settled(): boolean }

function start<T>(p: Thenable<T | undefined>): Running<T> {
  let settled = false;
  const done = Promise.resolve(p).finally(() => { settled = true; });
  return { done, settled: () => settled };
}

/** Refresh the whole tree, then edit the connection (its name): both while `op` is still running. */
async function disturb(api: ExtensionApi, id: string, newName: string, op: Running<unknown>): Promise<void> {
  await run('refresh');
  await run('editConnection', { connectionId: id }, { name: newName });
  await until(`connection renamed to ${newName}`, () => (api.connection(id)?.name === newName ? true : undefined));
  await run('refresh');
  assert.equal(op.settled(), false, 'the transfer ended before the refresh and the edit landed: the test proved nothing (make the file larger)');
  assert.ok(api.retiredInUse() >= 1, 'the storage under the running transfer was disposed by the refresh');
}

/** Once the transfer has ended, nothing retired is kept: its storage was disposed at the last release. */
async function drained(api: ExtensionApi): Promise<void> {
  await until('the retired storages to be disposed', () => (api.retiredInUse() === 0 ? true : undefined));
}

async function uploadWhileDisturbed(api: ExtensionApi, id: string, root: TreeNode, check: Storage, file: string, version: string,
  renamed: string, size = SIZE): Promise<void> {
  const up = start(run<VersionManifest>('upload', root, { paths: [file], model: MODEL, version }));
  // the upload has claimed the version (its pending marker is there): it is running now
  await until('the upload to start', async () => (up.settled() ? true : (await check.stat(pendingKey(MODEL, version))) ? true : undefined), 600);
  await disturb(api, id, renamed, up);
  const manifest = await up.done;
  assert.ok(manifest, `the upload failed: ${api.lastNotice()?.message}`);
  await drained(api);
  const arts = await new Repository(check).listArtifacts(MODEL, version);
  assert.deepEqual(arts.map((a) => [a.name, a.size, a.sha256]), [[path.basename(file), size, sha256(file)]]);
  assert.equal(await check.stat(pendingKey(MODEL, version)), undefined, 'the version was not published');
}

suite('leases: uploads and downloads survive a refresh and a connection edit', function () {
  this.timeout(300_000);
  let api: ExtensionApi;
  let file: string;
  const ids: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  suiteSetup(async () => {
    api = await extensionApi();
    file = bigFile(scratch('lease-src'), 'big-model.Q8_0.gguf', SIZE);
  });

  suiteTeardown(async () => {
    for (const id of ids) await removeConnection(api, id).catch(() => undefined);
    for (const c of cleanups) await c().catch(() => undefined);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  test('S3: an upload completes and is published with the right sha256; a download of it too', async function () {
    if (!env) return this.skip();
    const bucket = uniqueBucket('ext-lease');
    const { S3Client, CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const c = new S3Client({ endpoint: env.endpoint, region: env.region, forcePathStyle: true,
      credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey } });
    await c.send(new CreateBucketCommand({ Bucket: bucket }));
    // the bucket holds 160 MiB: removed afterwards, unlike the small ones of the other suites
    cleanups.push(async () => {
      for (;;) {
        const page = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
        if (!page.Contents?.length) break;
        await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: page.Contents.map((o) => ({ Key: o.Key })) } }));
      }
      await c.send(new DeleteBucketCommand({ Bucket: bucket }));
      c.destroy();
    });
    const id = await run<string>('addS3Connection', undefined, {
      name: 'lease-s3', endpoint: env.endpoint, region: env.region, bucketFilter: bucket,
      accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey, nonInteractive: true,
    });
    assert.ok(id);
    ids.push(id);
    await until('connection lease-s3', async () => (await kids(api)).find((n) => labelOf(api, n) === 'lease-s3'));
    const check = await openStorage(s3Config(env, bucket));
    try {
      await uploadWhileDisturbed(api, id, await walk(api, 'lease-s3', bucket), check, file, '2024-07-01', 'lease-s3-renamed');

      const dest = scratch('lease-down');
      cleanups.push(async () => fs.rmSync(dest, { recursive: true, force: true }));
      const version = await walk(api, 'lease-s3-renamed', bucket, MODEL, '2024-07-01');
      const down = start(run<{ files: string[]; verified: number }>('download', version, { dest }));
      const partial = path.join(dest, path.basename(file));
      // bytes are arriving (the file or its partial download is there): the download is running now
      await until('the download to start', () => (down.settled() || fs.readdirSync(dest).length > 0 ? true : undefined), 600);
      await disturb(api, id, 'lease-s3-again', down);
      const got = await down.done;
      assert.ok(got, `the download failed: ${api.lastNotice()?.message}`);
      await drained(api);
      assert.equal(got.verified, 1);
      assert.equal(sha256(partial), sha256(file));
    } finally {
      check.dispose?.();
    }
  });

  test('folder repository: an upload completes and is published with the right sha256', async () => {
    const folder = scratch('lease-fs');
    cleanups.push(async () => fs.rmSync(folder, { recursive: true, force: true }));
    const id = await addFolder(api, folder, 'lease-fs');
    ids.push(id);
    const check = createFsStorage({ kind: 'fs', path: folder });
    // A local copy is much faster than S3: a larger file keeps it running while the tree is disturbed.
    const big = bigFile(scratch('lease-fs-src'), 'bigger-model.Q8_0.gguf', FS_SIZE);
    cleanups.push(async () => fs.rmSync(path.dirname(big), { recursive: true, force: true }));
    await uploadWhileDisturbed(api, id, await walk(api, 'lease-fs'), check, big, '2024-07-02', 'lease-fs-renamed', FS_SIZE);
    await vscode.commands.executeCommand('modelRepository.refresh');
    assert.ok((await kids(api, await walk(api, 'lease-fs-renamed'))).some((n) => labelOf(api, n) === MODEL));
  });
});
