// Generate Kubernetes YAML from the tree: the tag's context menu entry, the quick picks (workload kind,
// runtime, pin the resolved version) and input boxes (NFS server and export of the folder repository) open an untitled
// YAML document, read back from the editor as the user sees it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openWorkbench, closeWorkbench, openView, seeRow, expand, shot, answerPrompts, contextMenu, editorText,
  skipWithoutServer } from './workbench.mjs';

describe('generate YAML from the UI', { skip: skipWithoutServer }, () => {
  let wb;
  before(async () => { wb = await openWorkbench(); });
  after(async () => closeWorkbench(wb, 'manifest-final'));

  it('opens the manifests for tag latest in an editor', async () => {
    const tree = await openView(wb.page);
    await expand(await seeRow(tree, 'Demo models', { level: 1 }));
    await expand(await seeRow(tree, 'llama-3-8b'));
    await expand(await seeRow(tree, 'Tags'));
    await contextMenu(await seeRow(tree, 'latest'), /Generate.*(YAML|Manifest)/i);
    const seen = await answerPrompts(wb.page, [
      { match: /workload kind/, pick: /Pod/ },
      { match: /inference server/, pick: /llama\.cpp CPU/ },
      { match: /pin the version the tag resolves to/, pick: /Pin 2024-03-20/ },
      { match: /NFS server's address/, value: 'nfs.example.lan' },
      { match: /exported path/, value: '/srv/models' },
      { match: /kubectl context to generate for/, pick: /./ },
          ]);
    console.log('prompts answered:', JSON.stringify(seen));
    const text = await editorText(wb.page);
    await shot(wb.page, 'manifest');
    assert.match(text, /latest -> v2 -> 2024-03-20\/llama-3-8b\.Q5_K_M\.gguf \(pinned to 2024-03-20\/llama-3-8b\.Q5_K_M\.gguf\)/);
    assert.match(text, /^apiVersion: v1$/m);
    assert.match(text, /^kind: Pod$/m);
    // the NFS server and export typed in the input boxes reach the manifest
    assert.match(text, /nfs:\/\/nfs\.example\.lan\/srv\/models\/llama-3-8b\/2024-03-20\/llama-3-8b\.Q5_K_M\.gguf/);
  });
});
