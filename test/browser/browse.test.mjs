// The sidebar as a user sees it: the "Model Repository" view, a connection expanded down to an
// artifact, versions showing their tags and tags showing their resolved chain (demo repository
// seeded by scripts/seedDemo.mjs: llama-3-8b, versions 2024-01-15 and 2024-03-20, tags v1, v2, latest).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWorkbench, closeWorkbench, openView, row, seeRow, expand, collapse, description, shot, skipWithoutServer } from './workbench.mjs';

describe('tree view in the browser', { skip: skipWithoutServer }, () => {
  let wb;
  let tree;
  before(async () => { wb = await openWorkbench(); });
  after(async () => closeWorkbench(wb, 'browse-final'));

  it('shows the configured folder connection in the Model Repository view', async () => {
    tree = await openView(wb.page);
    await seeRow(tree, 'Demo models', { level: 1 });
  });

  it('expands connection > model > version to an artifact with its size', async () => {
    await expand(await seeRow(tree, 'Demo models', { level: 1 }));
    const model = await seeRow(tree, 'llama-3-8b');
    await expand(model);
    const v2 = await seeRow(tree, '2024-03-20');
    assert.match(await description(v2), /latest/);
    assert.match(await description(v2), /v2/);
    assert.match(await description(await seeRow(tree, '2024-01-15')), /v1/);
    await expand(v2);
    const artifact = await seeRow(tree, 'llama-3-8b.Q5_K_M.gguf');
    assert.match(await description(artifact), /\d+(\.\d+)?\s*(B|bytes|KiB)/);
  });

  it('shows each tag with its resolved chain', async () => {
    await expand(await seeRow(tree, 'Tags'));
    const latest = await seeRow(tree, 'latest');
    assert.equal(await description(latest), '-> v2 -> 2024-03-20/llama-3-8b.Q5_K_M.gguf');
    assert.match(await description(await seeRow(tree, 'v1')), /2024-01-15\/llama-3-8b\.Q4_K_M\.gguf/);
    await wb.page.mouse.move(0, 0);
    await shot(wb.page, 'tree');
  });

  it('shows the same model in a bucket of the real S3 server', { skip: process.env.S3_BUCKET ? false : 'no S3 server' }, async () => {
    await collapse(await seeRow(tree, 'Demo models', { level: 1 })); // so the labels below are the S3 ones
    await expand(await seeRow(tree, 'Local S3', { level: 1 }));
    const bucket = row(tree, process.env.S3_BUCKET, { level: 2 });
    let modelLevel = 2;
    if (await bucket.waitFor({ timeout: 5000 }).then(() => true, () => false)) { await expand(bucket); modelLevel = 3; }
    await expand(await seeRow(tree, 'llama-3-8b', { level: modelLevel }));
    assert.match(await description(await seeRow(tree, '2024-03-20', { level: modelLevel + 1 })), /latest, v2|v2, latest/);
    await shot(wb.page, 'tree-s3');
  });
});
