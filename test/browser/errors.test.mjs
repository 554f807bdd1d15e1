// A connection to the real S3 server with a wrong secret key, added through the UI ("Add S3
// Connection": input boxes, the key going to SecretStorage), shows an error node in the tree
// that says why, instead of only a popup.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWorkbench, closeWorkbench, openView, seeRow, expand, shot, answerPrompts, runCommand,
  skipWithoutServer } from './workbench.mjs';

const endpoint = process.env.S3_ENDPOINT;
const skip = skipWithoutServer || (endpoint ? false : 'no S3 server: S3_ENDPOINT is not set');

describe('wrong secret key shows an error node', { skip }, () => {
  let wb;
  before(async () => { wb = await openWorkbench(); });
  after(async () => closeWorkbench(wb, 'error-final'));

  it('adds an S3 connection with a wrong secret key and sees "Cannot list ..." in the tree', async () => {
    const tree = await openView(wb.page);
    await runCommand(wb.page, /Model Repository: Add S3/);
    // steps by their titles: a validation message can replace the prompt text while a box is empty
    const seen = await answerPrompts(wb.page, [
      { match: /Add S3 connection \(1\/5\)/, value: endpoint },
      { match: /Add S3 connection \(2\/5\)/, value: 'Wrong key S3' },
      { match: /Add S3 connection \(3\/5\)/, value: process.env.AWS_ACCESS_KEY_ID || 'testaccesskey' },
      { match: /Add S3 connection \(4\/5\)/, value: 'definitely-not-the-secret' },
      { match: /Add S3 connection \(5\/5\)/, value: '' },
    ]);
    console.log('prompts answered:', JSON.stringify(seen));
    const conn = await seeRow(tree, 'Wrong key S3', { level: 1 });
    await expand(conn);
    const err = tree.getByRole('treeitem').filter({ hasText: /Cannot list/ }).first();
    await err.waitFor({ timeout: 30_000 });
    const text = await err.innerText();
    await shot(wb.page, 'error-node');
    assert.match(text, /Cannot list/);
    assert.match(text, /key|signature|denied|auth/i);
    assert.doesNotMatch(text, /definitely-not-the-secret/);
  });
});
