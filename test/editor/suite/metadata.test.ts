// Model metadata, model cards, search and the Hugging Face import through the real extension, against
// a folder repository seeded with valid GGUF and safetensors files (test/helpers/gguf.ts). The Hub is a
// local server with its URL layout (test/helpers/fakeHub.ts) started here: the live Hub is not used.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { modelCardKey } from '../../../src/core/metadata/modelCard';
import { Repository } from '../../../src/core/repository';
import { createFsStorage } from '../../../src/core/storage/fsStorage';
import type { ExtensionApi } from '../../../src/extension';
import { digest } from '../../../src/vscode/testApi';
import { modelNodeId } from '../../../src/tree/ids';
import type { TreeNode } from '../../../src/tree/nodes';
import { startFakeHub, type FakeHub } from '../../helpers/fakeHub';
import { ggufHeader, safetensorsBytes, tinyLlamaSpec, writeGguf } from '../../helpers/gguf';
import { addFolder, extensionApi, item, kids, removeConnection, run, scratch, until, walk } from './helpers';

const CONN = 'meta-suite';
const Q4 = 'tiny-llama.Q4_K_M.gguf';
const Q8 = 'tiny-llama.Q8_0.gguf';
const V = '2024-03-20';
const TOKEN = 'hf_inHostSecretToken0123456789';
const WRONG = 'hf_wrongInHostToken9876543210';
const PARAMS = { type: 'u64', value: 8_030_261_248n } as const;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const hubGguf = ((): Buffer => {
  const { header, dataBytes } = ggufHeader(tinyLlamaSpec({ 'general.file_type': 15 }, [{ name: 'w', shape: [64, 256] }]));
  return Buffer.concat([header, Buffer.alloc(dataBytes, 3)]);
})();

suite('model metadata, model cards, search and Hugging Face import', () => {
  let api: ExtensionApi;
  let folder: string;
  let id: string;
  let hub: FakeHub;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('modelRepository');
  const tooltip = async (node: TreeNode): Promise<string> => {
    const resolved = await api.resolveTreeItem(item(api, node), node, new vscode.CancellationTokenSource().token);
    return (resolved.tooltip as vscode.MarkdownString).value;
  };

  suiteSetup(async () => {
    api = await extensionApi();
    folder = scratch('meta-repo');
    const repo = new Repository(createFsStorage({ kind: 'fs', path: folder }), { who: 'seed@test' });
    const src = scratch('meta-src');
    await writeGguf(path.join(src, Q4), tinyLlamaSpec({ 'general.file_type': 15, 'general.parameter_count': PARAMS }));
    await writeGguf(path.join(src, Q8), tinyLlamaSpec({ 'general.file_type': 7, 'general.parameter_count': PARAMS }));
    await repo.upload('tiny-llama', V, [path.join(src, Q4), path.join(src, Q8)]);
    await writeGguf(path.join(src, 'qwen.Q4_K_M.gguf'), tinyLlamaSpec({ 'general.architecture': 'qwen2', 'general.file_type': 15 }));
    await repo.upload('chat-small', '2024-01-01', [path.join(src, 'qwen.Q4_K_M.gguf')]);
    fs.writeFileSync(path.join(src, 'model.safetensors'), safetensorsBytes([
      { name: 'a', dtype: 'BF16', shape: [64, 128] }, { name: 'b', dtype: 'F32', shape: [128] }]));
    await repo.upload('bert-st', '1.0.0', [path.join(src, 'model.safetensors')]);
    id = await addFolder(api, folder, CONN);
    hub = await startFakeHub([
      { id: 'acme/tiny-gguf', sha: 'c'.repeat(40), files: [{ path: 'tiny.Q4_K_M.gguf', content: hubGguf }, { path: 'tiny.Q8_0.gguf', content: hubGguf.subarray(0, 4096) }] },
      { id: 'acme/gated', sha: 'd'.repeat(40), token: TOKEN, files: [{ path: 'gated.Q4_K_M.gguf', content: hubGguf }] },
    ]);
    await config().update('huggingFaceEndpoint', hub.url, vscode.ConfigurationTarget.Global);
    await until('the Hub endpoint setting', () => config().get('huggingFaceEndpoint') === hub.url || undefined);
  });

  suiteTeardown(async () => {
    await config().update('huggingFaceEndpoint', undefined, vscode.ConfigurationTarget.Global);
    await run('setHuggingFaceToken', undefined, { token: '' });
    await hub?.close();
    if (id) await removeConnection(api, id);
  });

  test('the GGUF tooltip shows architecture, parameters, quantization, context length and tensors, read only on hover', async () => {
    const version = await walk(api, CONN, 'tiny-llama', V);
    const before = api.metadata.reads();
    const files = await kids(api, version);
    for (const f of files) assert.equal(item(api, f).tooltip, undefined, 'drawing a row must not build the tooltip');
    assert.equal(api.metadata.reads(), before, 'drawing the tree read a header');
    const q4 = await walk(api, CONN, 'tiny-llama', V, Q4);
    const tip = await tooltip(q4);
    assert.equal(api.metadata.reads(), before + 1);
    for (const line of ['Format: **GGUF v3**', 'Architecture: **llama**', 'Parameters: **8.0B (8,030,261,248)**',
      'Quantization: **Q4_K_M**', 'Context length: **8,192**', 'Tensors: **2**']) assert.ok(tip.includes(line), `${line} not in\n${tip}`);
    assert.match(tip, /sha256: `[0-9a-f]{64}`/);
    assert.match(await tooltip(q4), /Quantization: \*\*Q4_K_M\*\*/);
    assert.equal(api.metadata.reads(), before + 1, 'the second hover read the header again instead of the ETag cache');
    await api.metadata.save();
    assert.ok(api.metadata.file, 'global storage is not a local folder');
    const saved = fs.readFileSync(api.metadata.file, 'utf8');
    assert.ok(saved.includes(`tiny-llama/${V}/${Q4}`), 'the cache file does not hold the header just read');
  });

  test('the safetensors tooltip shows dtypes and parameters; an unreadable header is a line, not a popup', async () => {
    const tip = await tooltip(await walk(api, CONN, 'bert-st', '1.0.0', 'model.safetensors'));
    assert.ok(tip.includes('Dtypes: **BF16, F32**'), tip);
    assert.ok(tip.includes('Parameters: **8.3K (8,320)**'), tip); // 64 x 128 + 128
    // A version written by another tool (no record): a file added to a published one would be refused.
    fs.mkdirSync(path.join(folder, 'bert-st', '0.9.0'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'bert-st', '0.9.0', 'broken.gguf'), 'not a gguf at all');
    await run('refresh');
    const notices = api.notices().length;
    const broken = await tooltip(await walk(api, CONN, 'bert-st', '0.9.0', 'broken.gguf'));
    assert.match(broken, /Metadata: .*not a valid GGUF file/);
    assert.equal(api.notices().length, notices);
  });

  test('version details: a markdown preview of every file with its metadata', async () => {
    const shown = await run<{ uri: vscode.Uri; text: string; preview: boolean }>('showVersionDetails', await walk(api, CONN, 'tiny-llama', V));
    assert.ok(shown, 'showVersionDetails returned nothing (see the notices)');
    assert.equal(shown.preview, true, 'the markdown preview did not open');
    assert.equal((await vscode.workspace.openTextDocument(shown.uri)).getText(), shown.text);
    const t = shown.text;
    assert.match(t, /^# tiny-llama @ 2024-03-20$/m);
    assert.match(t, /^\| State \| complete, with recorded sha256 checksums \|$/m);
    assert.ok(t.indexOf(`## ${Q4}`) >= 0 && t.indexOf(`## ${Q8}`) > t.indexOf(`## ${Q4}`), t);
    assert.match(t, /^\| Quantization \| Q8_0 \|$/m);
    assert.match(t, /^\| Architecture \| llama \|$/m);
    assert.match(t, /^\| Context length \| 8,192 \|$/m);
    assert.ok(t.includes(sha256(fs.readFileSync(path.join(folder, 'tiny-llama', V, Q4)))));
  });

  test('model card: none at first, created from the metadata, shown, and not replaced without consent', async () => {
    const model = await walk(api, CONN, 'tiny-llama');
    assert.equal(await run('openModelCard', model), undefined);
    assert.match(api.lastNotice()?.message ?? '', /tiny-llama has no model card/);
    const created = await run<{ text: string; key: string; replaced: boolean }>('createModelCard', model);
    assert.ok(created, 'createModelCard returned nothing');
    assert.equal(created.replaced, false);
    const file = path.join(folder, modelCardKey('tiny-llama'));
    assert.equal(fs.readFileSync(file, 'utf8'), created.text);
    assert.match(created.text, /^# tiny-llama$/m);
    assert.match(created.text, /Architecture \*\*llama\*\*, \*\*8\.0B\*\* parameters, context length \*\*8192\*\*/);
    assert.match(created.text, /quantizations `Q4_K_M`, `Q8_0`/);
    fs.writeFileSync(file, '# tiny-llama\n\nWritten by hand.\n');
    const opened = await run<{ text: string; preview: boolean }>('openModelCard', model);
    assert.equal(opened?.text, '# tiny-llama\n\nWritten by hand.\n');
    assert.equal(opened?.preview, true);
    assert.equal(await run('createModelCard', model, { overwrite: false }), undefined);
    assert.equal(api.lastNotice()?.code, 'Exists');
    assert.equal(fs.readFileSync(file, 'utf8'), '# tiny-llama\n\nWritten by hand.\n');
    const replaced = await run<{ replaced: boolean }>('createModelCard', model, { overwrite: true, open: false });
    assert.equal(replaced?.replaced, true);
    assert.match(fs.readFileSync(file, 'utf8'), /quantizations `Q4_K_M`, `Q8_0`/);
  });

  test('search by architecture and quantization, then reveal the hit in the tree', async () => {
    const conn = await walk(api, CONN);
    const res = await run<{ hits: { model: string; artifacts: { artifact: { name: string } }[] }[] }>('searchModels', conn,
      { query: 'arch:llama quant:Q4_K_M', reveal: false });
    assert.ok(res);
    assert.deepEqual(res.hits.map((h) => h.model), ['tiny-llama']);
    assert.deepEqual(res.hits[0].artifacts.map((a) => a.artifact.name), [Q4]);
    const byName = await run<{ hits: { model: string }[] }>('searchModels', conn, { query: 'quant:q4_k_m', reveal: false });
    assert.deepEqual(byName?.hits.map((h) => h.model), ['chat-small', 'tiny-llama']);
    const none = await run<{ hits: unknown[]; headersRead: number }>('searchModels', conn, { query: 'arch:mamba', reveal: false });
    assert.deepEqual(none?.hits, []);
    assert.equal(none?.headersRead, 0, 'the headers read by the first search come from the metadata index');
    const names = await run<{ hits: { model: string; artifacts: unknown[] }[] }>('searchModels', conn, { query: 'tiny', reveal: false });
    assert.deepEqual(names?.hits.map((h) => [h.model, h.artifacts.length]), [['tiny-llama', 0]]);
    const shown = await run<{ revealed?: string }>('searchModels', conn, { query: 'arch:qwen2', reveal: 'chat-small' });
    assert.equal(shown?.revealed, 'chat-small');
    await until('chat-small selected in the view', () =>
      (api.selection() as TreeNode[]).some((n) => n.id === modelNodeId({ connectionId: id }, 'chat-small')) || undefined);
  });

  test('Hugging Face import: one quantization from the local Hub into the folder repository', async () => {
    const conn = await walk(api, CONN);
    const r = await run<{ model: string; version: string; files: string[]; commit: string }>('importFromHuggingFace', conn,
      { repo: 'acme/tiny-gguf', files: '*Q4_K_M.gguf', model: 'hub-tiny' });
    assert.ok(r, `import failed: ${api.lastNotice()?.message}`);
    assert.match(r.version, new RegExp(`^\\d{4}-\\d{2}-\\d{2}-hf-${'c'.repeat(12)}$`));
    assert.deepEqual(r.files, ['tiny.Q4_K_M.gguf']);
    assert.deepEqual(fs.readFileSync(path.join(folder, 'hub-tiny', r.version, 'tiny.Q4_K_M.gguf')), hubGguf);
    assert.ok(hub.requests.some((q) => q.url.startsWith('/cdn/')), 'the file did not come through the Hub layout');
    const details = await run<{ text: string }>('showVersionDetails', await walk(api, CONN, 'hub-tiny', r.version), { open: false });
    assert.match(details?.text ?? '', /Hugging Face \[acme\/tiny-gguf\]\(http:\/\/127\.0\.0\.1:\d+\/acme\/tiny-gguf\) at commit `c{40}`/);
  });

  test('Hugging Face token: kept in SecretStorage (never settings), used for a gated model; a refused one is named HF_TOKEN, never shown', async () => {
    const conn = await walk(api, CONN);
    assert.equal(await run('importFromHuggingFace', conn, { repo: 'acme/gated', model: 'gated' }), undefined);
    const anonymous = api.lastNotice();
    assert.equal(anonymous?.code, 'Auth');
    assert.match(anonymous?.message ?? '', /acme\/gated.*HF_TOKEN/);

    assert.equal(await run('setHuggingFaceToken', undefined, { token: WRONG }), true);
    assert.equal(await api.tokenDigest(), digest(WRONG));
    assert.equal(await run('importFromHuggingFace', conn, { repo: 'acme/gated', model: 'gated' }), undefined);
    const refused = api.lastNotice();
    assert.equal(refused?.code, 'Auth');
    assert.match(refused?.message ?? '', /HF_TOKEN/);
    assert.ok(!refused?.message.includes(WRONG), 'the refused token is in the message');

    assert.equal(await run('setHuggingFaceToken', undefined, { token: TOKEN }), true);
    const r = await run<{ version: string; files: string[] }>('importFromHuggingFace', conn, { repo: 'acme/gated', model: 'gated', version: 'v1' });
    assert.ok(r, `gated import failed: ${api.lastNotice()?.message}`);
    assert.deepEqual(r.files, ['gated.Q4_K_M.gguf']);
    assert.ok(hub.requests.some((q) => q.authorization === `Bearer ${TOKEN}`), 'the stored token was not sent');
    assert.ok(!api.logLines().some((l) => l.includes(TOKEN) || l.includes(WRONG)), 'a token is in the log');
    assert.equal(await api.tokenDigest(), digest(TOKEN));
    for (const key of Object.keys(config()).filter((k) => typeof (config() as unknown as Record<string, unknown>)[k] !== 'function')) {
      const i = config().inspect(key);
      assert.ok(!JSON.stringify([i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue]).includes('hf_'), `a token is in the setting ${key}`);
    }
    const wsSettings = path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? folder, '.vscode', 'settings.json');
    if (fs.existsSync(wsSettings)) assert.ok(!fs.readFileSync(wsSettings, 'utf8').includes(TOKEN));
  });
});
