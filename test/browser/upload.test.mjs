// Upload through the UI: the model's context menu "Upload...", "Files..." in a quick pick, the file chosen
// in VS Code's simple file dialog (a quick input: the path is typed, as a keyboard user does in code-server), the version name
// typed in an input box; then the new version appears in the tree and its file is in the repository.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openWorkbench, closeWorkbench, openView, seeRow, expand, shot, answerPrompts, isFileDialog, contextMenu,
  REPO_DIR, RUN_DIR, skipWithoutServer } from './workbench.mjs';

const VERSION = '2024-05-01';
const FILE = 'llama-3-8b.Q8_0.gguf';

describe('upload from the UI', { skip: skipWithoutServer }, () => {
  let wb;
  let src;
  before(async () => {
    src = path.join(RUN_DIR, 'upload-src', FILE);
    fs.mkdirSync(path.dirname(src), { recursive: true });
    fs.writeFileSync(src, Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.alloc(24), Buffer.from('uploaded from the browser test')]));
    wb = await openWorkbench();
  });
  after(async () => closeWorkbench(wb, 'upload-final'));

  it('uploads a file picked in the file dialog as a new version of the model', async () => {
    const tree = await openView(wb.page);
    await expand(await seeRow(tree, 'Demo models', { level: 1 }));
    const model = await seeRow(tree, 'llama-3-8b');
    await contextMenu(model, /Upload/);
    const seen = await answerPrompts(wb.page, [
      { match: isFileDialog, value: src },
      { match: /Upload files, or a whole folder/, pick: /Files\.\.\./ },
      { match: /New version of llama-3-8b/, value: VERSION },
    ]);
    console.log('prompts answered:', JSON.stringify(seen));
    await expand(model);
    await seeRow(tree, VERSION, { timeout: 60_000 });
    await shot(wb.page, 'upload');
    const stored = path.join(REPO_DIR, 'llama-3-8b', VERSION, FILE);
    assert.deepEqual(fs.readFileSync(stored), fs.readFileSync(src));
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'llama-3-8b', VERSION, '.modelrepo-version.json'), 'utf8'));
    assert.deepEqual(manifest.files.map((f) => f.name), [FILE]);
  });
});
