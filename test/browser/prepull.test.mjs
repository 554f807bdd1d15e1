// The node cache in the browser, against the loopback API server (test/browser/fakeCluster.mjs, reached
// through KUBECONFIG): a connection added from the cluster (its keys in SecretStorage, which the pre-pull
// Secret needs), then "Pre-pull to Nodes..." from the tag's context menu with the node selector and the
// toleration typed in, the confirmation, the progress and the summary notification per node (node-a
// cached, node-b downloading then cached, node-c failed); the deploy pickers' node-cache choice in
// "Generate Kubernetes YAML"; "Remove Pre-pull from Nodes..." on the model.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openWorkbench, closeWorkbench, openView, row, seeRow, expand, collapse, runCommand, answerPrompts, contextMenu, editorText,
  seeNotification, visibleLabels, shot, skipWithoutServer } from './workbench.mjs';

const noCluster = !process.env.S3_BUCKET || !process.env.KUBECONFIG ? 'no S3 server or loopback API server' : false;
const CONN = 'Prepull MinIO';
const MODEL = 'llama-3-8b';

/** Clicks the button of the modal dialog shown now. */
async function dialogButton(page, label) {
  const button = page.locator('.monaco-dialog-box .monaco-button', { hasText: label }).first();
  await button.waitFor({ timeout: 20_000 });
  await button.click();
}

describe('node cache in the browser: pre-pull to nodes, the deploy picker, the removal', { skip: skipWithoutServer || noCluster }, () => {
  let wb;
  let tree;
  const tagRow = async (t) => {
    await expand(await seeRow(tree, MODEL, { level: 3 }));
    await expand(await seeRow(tree, 'Tags', { level: 4 }));
    return seeRow(tree, t, { level: 5 });
  };

  before(async () => {
    wb = await openWorkbench();
    tree = await openView(wb.page);
    for (const other of ['Demo models', 'Local S3']) await collapse(row(tree, other, { level: 1 })).catch(() => undefined);
    await runCommand(wb.page, /Add Connection from Cluster/);
    await answerPrompts(wb.page, [
      { match: /: S3 service/, pick: 'model-storage/minio' },
      { match: /: Secret with the S3 keys/, pick: /^minio/ },
      { match: /: name/, value: CONN },
    ]);
    await expand(await seeRow(tree, CONN, { level: 1 }));
    await expand(await seeRow(tree, process.env.S3_BUCKET, { level: 2 }));
  });

  after(async () => {
    try {
      if (!tree) return;
      const conn = row(tree, CONN, { level: 1 });
      if (await conn.isVisible().catch(() => false)) {
        await collapse(conn).catch(() => undefined);
        await contextMenu(conn, /Remove Connection/);
        await dialogButton(wb.page, 'Remove');
        await conn.waitFor({ state: 'detached', timeout: 30_000 });
      }
    } finally {
      await closeWorkbench(wb, 'prepull-final');
    }
  });

  it('Pre-pull to Nodes... on tag latest: node selector and toleration typed, confirmed; the progress and the summary show each node', async () => {
    await contextMenu(await tagRow('latest'), /Pre-pull to Nodes/);
    const seen = await answerPrompts(wb.page, [
      { match: /only nodes with these labels/, value: 'pool=gpu' },
      { match: /tolerate these taints/, value: 'nvidia.com/gpu:NoSchedule' },
      { match: /kubectl context/, pick: /./ },
    ]);
    console.log('prompts answered:', JSON.stringify(seen));
    assert.equal(seen.length, 2, 'the node selector and the tolerations were asked');
    const dialog = ((await wb.page.locator('.monaco-dialog-box').first().innerText({ timeout: 20_000 })) || '').replace(/\s+/g, ' ');
    assert.match(dialog, /Pre-pull llama-3-8b:latest into the node cache of the nodes labelled pool=gpu, tolerating nvidia\.com\/gpu:NoSchedule\?/);
    await dialogButton(wb.page, 'Pre-pull');
    const progress = await seeNotification(wb.page, 'node-b: downloading', 30_000);
    assert.match(progress, /node-b: downloading 1\.0 KiB of 4\.0 KiB/);
    const summary = (await seeNotification(wb.page, '2 of 3 nodes cached', 90_000)).replace(/\s+/g, ' ');
    await shot(wb.page, 'prepull-summary');
    assert.match(summary, /Pre-pull llama-3-8b:latest: 2 of 3 nodes cached; node-a: cached; node-b: cached; node-c: failed: modelrepo: FAILED to copy s3:\/\/models\/llama-3-8b/);
    // what the API server received
    const ds = JSON.parse(fs.readFileSync(path.join(path.dirname(process.env.KUBECONFIG), 'applied', `DaemonSet-${MODEL}-prefetch.json`), 'utf8'));
    assert.deepEqual(ds.spec.template.spec.nodeSelector, { pool: 'gpu' });
    assert.deepEqual(ds.spec.template.spec.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.match(ds.metadata.annotations['modelrepo.io/sha256'], /^[0-9a-f]{64}$/);
  });

  it('Generate Kubernetes YAML offers the node cache; choosing it puts the hostPath cache volume into the Deployment', async () => {
    await runCommand(wb.page, 'Notifications: Clear All Notifications').catch(() => undefined);
    await contextMenu(await tagRow('latest'), /Generate.*(YAML|Manifest)/i);
    const seen = await answerPrompts(wb.page, [
      { match: /workload kind/, pick: /Deployment/ },
      { match: /inference server/, pick: /llama\.cpp CPU/ },
      { match: /pin the version the tag resolves to/, pick: /Pin 2024-03-20/ },
      { match: /replicas of the Deployment/, value: '4' },
      { match: /where the model is kept/, pick: /Node cache in \/var\/lib\/modelrepo\/cache/ },
      { match: /kubectl context/, pick: /./ },
    ]);
    console.log('prompts answered:', JSON.stringify(seen));
    assert.ok(seen.some((x) => /where the model is kept/.test(x.prompt)), 'the node cache was offered');
    const text = await editorText(wb.page);
    assert.match(text, /# Deployment, runtime llama-cpp-cpu, node cache in \/var\/lib\/modelrepo\/cache \(hostPath\)/);
    // the volume is further down than the editor shows: the find widget counts it in the whole document
    await wb.page.locator('.editor-instance .view-lines').first().click();
    await wb.page.keyboard.press('Control+f');
    const find = wb.page.locator('.find-widget .input').first();
    await find.waitFor({ timeout: 10_000 });
    await find.fill('type: DirectoryOrCreate');
    const count = wb.page.locator('.find-widget .matchesCount').first();
    await wb.page.waitForFunction((el) => /\d+ of \d+/.test(el.textContent || ''), await count.elementHandle(), { timeout: 10_000 });
    assert.match(await count.innerText(), /^1 of 1$/, 'one hostPath volume');
    await find.fill('path: /var/lib/modelrepo/cache');
    await wb.page.waitForFunction((el) => /\d+ of \d+/.test(el.textContent || ''), await count.elementHandle(), { timeout: 10_000 });
    await shot(wb.page, 'prepull-manifest');
    await wb.page.keyboard.press('Escape');
  });

  it('Remove Pre-pull from Nodes... on the model deletes its pre-pull DaemonSet', async () => {
    await runCommand(wb.page, 'Notifications: Clear All Notifications').catch(() => undefined);
    await collapse(await seeRow(tree, 'Tags', { level: 4 })).catch(() => undefined);
    await contextMenu(await seeRow(tree, MODEL, { level: 3 }), /Remove Pre-pull from Nodes/);
    await dialogButton(wb.page, 'Remove');
    const done = await seeNotification(wb.page, 'Removed the pre-pull', 30_000);
    assert.match(done, /Removed the pre-pull of llama-3-8b: DaemonSet model-storage\/llama-3-8b-prefetch/);
    assert.ok((await visibleLabels(tree)).includes(MODEL));
  });
});
