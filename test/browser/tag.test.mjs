// Tag through the UI: the palette command "Model Repository: Create Tag", the model, tag name and
// target chosen in quick inputs; then the link exists in the repository and the tree shows the tag with
// its chain when the user expands the model again (it was collapsed while the command ran).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openWorkbench, closeWorkbench, openView, row, seeRow, expand, collapse, description, shot, answerPrompts, runCommand,
  clickRefresh, visibleLabels, REPO_DIR, skipWithoutServer } from './workbench.mjs';

describe('create a tag from the command palette', { skip: skipWithoutServer }, () => {
  let wb;
  before(async () => { wb = await openWorkbench(); });
  after(async () => closeWorkbench(wb, 'tag-final'));

  it('creates tag "staging" on version 2024-01-15; the tree shows it when the model is expanded again', async () => {
    const tree = await openView(wb.page);
    await expand(await seeRow(tree, 'Demo models', { level: 1 }));
    // as a user who looked at the model, collapsed it, then used the palette
    const model = await seeRow(tree, 'llama-3-8b', { level: 2 });
    await expand(model);
    await expand(await seeRow(tree, 'Tags', { level: 3 }));
    await collapse(model);
    await runCommand(wb.page, /Model Repository: Create Tag/);
    const seen = await answerPrompts(wb.page, [
      { match: /The whole version, or one file of 2024-01-15/, pick: /The whole version/ },
      { match: /Point the tag at a version/, pick: /2024-01-15/ },
      { match: /Tag of llama-3-8b that points at 2024-01-15/, value: 'staging' },
      { match: /^\s*Connection\s*$/, pick: 'Demo models' },
      { match: /^\s*Model\s*$/, pick: 'llama-3-8b' },
    ]);
    console.log('prompts answered:', JSON.stringify(seen));
    const link = path.join(REPO_DIR, 'llama-3-8b', 'tags', 'staging');
    await waitFor(() => fs.existsSync(link) || fs.lstatSync(link, { throwIfNoEntry: false }), 30_000);
    assert.match(fs.readlinkSync(link), /2024-01-15/);
    await expand(model);
    await expand(await seeRow(tree, 'Tags', { level: 3 }));
    const tag = row(tree, 'staging', { level: 4 });
    const shown = await tag.waitFor({ timeout: 15_000 }).then(() => true, () => false);
    if (!shown) {
      const before = await visibleLabels(tree);
      await clickRefresh(wb.page);
      const afterRefresh = await tag.waitFor({ timeout: 15_000 }).then(() => true, () => false);
      await shot(wb.page, 'tag');
      assert.fail(`tag staging is in the repository but the tree did not show it after re-expanding the model (rows: ${before.join(', ')}); ` +
        `after the Refresh button it ${afterRefresh ? 'shows' : 'still does not show'}`);
    }
    assert.match(await description(tag), /^-> 2024-01-15/);
    await shot(wb.page, 'tag');
  });
});

async function waitFor(cond, ms) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the repository to change');
    await new Promise((r) => setTimeout(r, 200));
  }
}
