// Tag through the UI: the palette command "Model Repository: Create Tag", the model, tag name and
// target chosen in quick inputs; then the tag shows in the tree with its chain and the link exists.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openWorkbench, closeWorkbench, openView, seeRow, expand, description, shot, answerPrompts, runCommand,
  REPO_DIR, skipWithoutServer } from './workbench.mjs';

describe('create a tag from the command palette', { skip: skipWithoutServer }, () => {
  let wb;
  before(async () => { wb = await openWorkbench(); });
  after(async () => closeWorkbench(wb, 'tag-final'));

  it('creates tag "staging" on version 2024-01-15', async () => {
    const tree = await openView(wb.page);
    await expand(await seeRow(tree, 'Demo models', { level: 1 }));
    await runCommand(wb.page, /Model Repository: Create Tag/);
    const seen = await answerPrompts(wb.page, [
      { match: /The whole version, or one file of 2024-01-15/, pick: /The whole version/ },
      { match: /Point the tag at a version/, pick: /2024-01-15/ },
      { match: /Tag of llama-3-8b that points at 2024-01-15/, value: 'staging' },
      { match: /^\s*Connection\s*$/, pick: 'Demo models' },
      { match: /^\s*Model\s*$/, pick: 'llama-3-8b' },
    ]);
    console.log('prompts answered:', JSON.stringify(seen));
    await expand(await seeRow(tree, 'llama-3-8b'));
    await expand(await seeRow(tree, 'Tags'));
    const tag = await seeRow(tree, 'staging', { timeout: 30_000 });
    assert.match(await description(tag), /^staging -> 2024-01-15/);
    await shot(wb.page, 'tag');
    const link = path.join(REPO_DIR, 'llama-3-8b', 'tags', 'staging');
    assert.match(fs.readlinkSync(link), /2024-01-15/);
  });
});
