// "Add Connection from Cluster..." as a user runs it: the palette command, the quick picks of the S3
// services and Secrets the loopback API server offers (test/browser/fakeCluster.mjs, reached through
// KUBECONFIG), the name, then the tree shows the bucket of the real S3 server through the port-forward.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWorkbench, closeWorkbench, openView, row, seeRow, expand, collapse, runCommand, answerPrompts, contextMenu, visibleLabels, shot, skipWithoutServer } from './workbench.mjs';

const noCluster = !process.env.S3_BUCKET || !process.env.KUBECONFIG ? 'no S3 server or loopback API server' : false;

describe('connect through the cluster in the browser', { skip: skipWithoutServer || noCluster }, () => {
  let wb;
  before(async () => { wb = await openWorkbench(); });
  after(async () => closeWorkbench(wb, 'cluster-final'));

  it('Add Connection from Cluster...: picks the MinIO Service and its Secret, then the tree shows the bucket through the port-forward', async () => {
    const tree = await openView(wb.page);
    await collapse(await seeRow(tree, 'Demo models', { level: 1 })).catch(() => undefined);
    await runCommand(wb.page, /Add Connection from Cluster/);
    const seen = await answerPrompts(wb.page, [
      { match: /: S3 service/, pick: 'model-storage/minio' },
      { match: /: Secret with the S3 keys/, pick: /^minio/ },
      { match: /: name/, value: 'Cluster MinIO' },
    ]);
    console.log('prompts answered:', JSON.stringify(seen));
    assert.equal(seen.length, 3, 'the service, the Secret and the name were asked');
    await expand(await seeRow(tree, 'Cluster MinIO', { level: 1 }));
    const bucket = row(tree, process.env.S3_BUCKET, { level: 2 });
    await bucket.waitFor({ timeout: 30_000 });
    await expand(bucket);
    await seeRow(tree, 'llama-3-8b', { level: 3 });
    await shot(wb.page, 'cluster-tree');
  });

  it('Remove Connection closes it: the tree is back to what the other tests expect', async () => {
    const tree = await openView(wb.page);
    const conn = await seeRow(tree, 'Cluster MinIO', { level: 1 });
    await collapse(conn).catch(() => undefined);
    await contextMenu(conn, /Remove Connection/);
    const button = wb.page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Remove' }).first();
    await button.waitFor({ timeout: 10_000 });
    await button.click();
    await row(tree, 'Cluster MinIO', { level: 1 }).waitFor({ state: 'detached', timeout: 30_000 });
    assert.ok(!(await visibleLabels(tree)).includes('Cluster MinIO'));
    await expand(await seeRow(tree, 'Demo models', { level: 1 }));
  });
});
