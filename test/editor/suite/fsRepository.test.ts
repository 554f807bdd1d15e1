// A folder repository through the real extension: the tree at each level (read through the test API
// activate() returns under test) and each command's effect on the files, checked with the core.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../../../src/core/format';
import { pendingKey, tagKey, type VersionManifest } from '../../../src/core/layout';
import { Repository } from '../../../src/core/repository';
import { createFsStorage } from '../../../src/core/storage/fsStorage';
import type { TagInfo } from '../../../src/core/types';
import type { ExtensionApi } from '../../../src/extension';
import type { TreeNode } from '../../../src/tree/nodes';
import {
  F1, F2, MODEL, V1, V2, addFolder, child, extensionApi, item, kids, labelOf, makeFile, removeConnection, run, scratch,
  seedChapter, sha256, until, walk,
} from './helpers';

const CONN = 'fs-suite';

suite('folder repository: tree and commands', () => {
  let api: ExtensionApi;
  let folder: string;
  let repo: Repository;
  let id: string;
  const alice = (): Repository => new Repository(createFsStorage({ kind: 'fs', path: folder }), { who: 'alice@test' });
  const tagTarget = async (tag: string): Promise<string | undefined> => (await repo.listTags(MODEL)).find((t) => t.name === tag)?.target;
  const tagNode = async (tag: string): Promise<TreeNode> => child(api, await walk(api, CONN, MODEL, 'Tags'), tag);

  suiteSetup(async () => {
    api = await extensionApi();
    folder = scratch('fs-repo');
    repo = await seedChapter(createFsStorage({ kind: 'fs', path: folder }));
    const other = scratch('fs-other');
    await repo.upload('mistral-7b', V1, [makeFile(other, 'mistral.gguf')]);
    await repo.upload('phi-3', V1, [makeFile(other, 'phi.gguf')]);
    id = await addFolder(api, folder, CONN);
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('modelRepository').update('pageSize', undefined, vscode.ConfigurationTarget.Global);
    if (id) await removeConnection(api, id);
  });

  test('connection node: name, folder as description, contextValue connection', async () => {
    const conn = await walk(api, CONN);
    const it = item(api, conn);
    assert.equal(it.contextValue, 'connection');
    assert.ok(String(it.description).includes(folder), `description ${it.description}`);
    assert.equal(it.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
  });

  test('models page with "Load more" and narrow with the filter', async () => {
    await vscode.workspace.getConfiguration('modelRepository').update('pageSize', 2, vscode.ConfigurationTarget.Global);
    await until('pageSize 2', () => vscode.workspace.getConfiguration('modelRepository').get('pageSize') === 2 || undefined);
    await run('refresh');
    const conn = await walk(api, CONN);
    const first = await kids(api, conn);
    assert.deepEqual(first.map((n) => labelOf(api, n)), [MODEL, 'mistral-7b', 'Load more']);
    const more = first[2];
    assert.equal(item(api, more).contextValue, 'loadMore');
    assert.equal(item(api, more).command?.command, 'modelRepository.loadMore');
    await run('loadMore', more);
    assert.deepEqual((await kids(api, conn)).map((n) => labelOf(api, n)), [MODEL, 'mistral-7b', 'phi-3']);

    await run('filterModels', conn, { filter: 'phi' });
    const filtered = await walk(api, CONN);
    assert.match(String(item(api, filtered).description), /filter: phi/);
    assert.deepEqual((await kids(api, filtered)).map((n) => labelOf(api, n)), ['phi-3']);
    await run('filterModels', conn, { filter: '' });
    await vscode.workspace.getConfiguration('modelRepository').update('pageSize', undefined, vscode.ConfigurationTarget.Global);
    await run('refresh');
    assert.deepEqual((await kids(api, await walk(api, CONN))).map((n) => labelOf(api, n)), [MODEL, 'mistral-7b', 'phi-3']);
  });

  test('model: a "Tags" group, then versions newest first, each described by its tags', async () => {
    const model = await walk(api, CONN, MODEL);
    assert.equal(item(api, model).contextValue, 'model@fs');
    const children = await kids(api, model);
    assert.deepEqual(children.map((n) => labelOf(api, n)), ['Tags', V2, V1]);
    assert.equal(item(api, children[0]).contextValue, 'tagsGroup@fs');
    const v2 = item(api, children[1]);
    assert.equal(v2.contextValue, 'version:tagged@fs');
    assert.deepEqual(String(v2.description).split(', ').sort(), ['latest', 'v2']);
    assert.equal(item(api, children[2]).description, 'v1');
  });

  test('tags: each described by its resolved chain', async () => {
    const tags = await kids(api, await walk(api, CONN, MODEL, 'Tags'));
    const byName = new Map(tags.map((t) => [labelOf(api, t), item(api, t)]));
    assert.deepEqual([...byName.keys()], ['latest', 'v1', 'v2']);
    assert.equal(byName.get('latest')?.description, `-> v2 -> ${V2}/${F2}`);
    assert.equal(byName.get('v1')?.description, `-> ${V1}/${F1}`);
    assert.equal(byName.get('latest')?.contextValue, 'tag@fs');
  });

  test('artifact: size as description, sha256 and time in the tooltip', async () => {
    const art = await walk(api, CONN, MODEL, V2, F2);
    const it = item(api, art);
    assert.equal(it.contextValue, 'artifact@fs');
    assert.equal(it.description, '5.9 KiB');
    // the tooltip is resolved on hover (resolveTreeItem), so drawing the row reads no file
    const resolved = await api.resolveTreeItem(it, art, new vscode.CancellationTokenSource().token);
    const tip = (resolved.tooltip as vscode.MarkdownString).value;
    assert.ok(tip.includes(sha256(path.join(folder, MODEL, V2, F2))), tip);
    assert.match(tip, /Modified: \d{4}-\d{2}-\d{2}T/);
  });

  test('an unfinished upload and a dangling tag are shown as such (version:pending, tag:broken)', async () => {
    const storage = createFsStorage({ kind: 'fs', path: folder });
    const wip = new Repository(storage, { who: 'seed@test' });
    await wip.upload('wip', V1, [makeFile(scratch('wip'), 'a.gguf')]);
    const now = new Date().toISOString();
    await storage.putText(pendingKey('wip', V2), JSON.stringify({
      schema: 1, model: 'wip', version: V2, who: 'bob@test', host: 'elsewhere', pid: 1, started: now, updated: now,
      files: [{ name: 'b.gguf', size: 10 }], done: [],
    }));
    await storage.writeLink(tagKey('wip', 'gone'), '../1999-01-01', { absent: true });
    await run('refresh');
    const versions = (await kids(api, await walk(api, CONN, 'wip'))).filter((n) => n.kind === 'version');
    const pending = versions.find((n) => labelOf(api, n) === V2);
    assert.ok(pending, 'the pending version is not shown');
    assert.equal(item(api, pending).contextValue, 'version:pending@fs');
    assert.equal(item(api, pending).description, 'upload incomplete');
    const gone = item(api, await walk(api, CONN, 'wip', 'Tags', 'gone'));
    assert.equal(gone.contextValue, 'tag:broken@fs');
    assert.match(String(gone.description), /^broken: /);
  });

  test('upload (command with paths and version) stores a new version with checksums', async () => {
    const src = scratch('upload-src');
    const file = makeFile(src, 'llama-3-8b.Q8_0.gguf', 100_000);
    const model = await walk(api, CONN, MODEL);
    const manifest = await run<VersionManifest>('upload', model, { paths: [file], version: '2024-05-01' });
    assert.ok(manifest, 'upload returned nothing (see the notices)');
    assert.deepEqual(manifest.files.map((f) => [f.name, f.sha256]), [['llama-3-8b.Q8_0.gguf', sha256(file)]]);
    const stored = (await repo.listVersions(MODEL)).find((v) => v.name === '2024-05-01');
    assert.equal(stored?.state, 'complete');
    assert.equal(sha256(path.join(folder, MODEL, '2024-05-01', 'llama-3-8b.Q8_0.gguf')), sha256(file));
    assert.deepEqual((await kids(api, model)).map((n) => labelOf(api, n)).slice(0, 2), ['Tags', '2024-05-01']);
  });

  test('upload of a folder onto the repository creates a new model, subfolders kept, .git left out of files and total', async () => {
    const src = scratch('upload-dir');
    makeFile(src, 'model.safetensors');
    makeFile(path.join(src, 'tokenizer'), 'tokenizer.json', 200);
    makeFile(path.join(src, '.git', 'objects'), 'pack', 60_000);
    const conn = await walk(api, CONN);
    const manifest = await run<VersionManifest>('upload', conn, { paths: [src], version: '1.0.0', model: 'tiny-bert' });
    assert.ok(manifest);
    assert.deepEqual(manifest.files.map((f) => f.name).sort(), ['model.safetensors', 'tokenizer/tokenizer.json']);
    // the progress total is logged as the upload starts: the bytes sent, not those of .git
    const sent = formatBytes(manifest.files.reduce((n, f) => n + f.size, 0));
    assert.ok(api.logLines().some((l) => l.includes(`uploading 1 path(s), ${sent}, to tiny-bert@1.0.0`)), `no log line with the total ${sent}`);
    await run('refresh', conn);
    assert.ok((await kids(api, await walk(api, CONN))).some((n) => labelOf(api, n) === 'tiny-bert'));
  });

  test('create tag on a version node', async () => {
    const v = await walk(api, CONN, MODEL, '2024-05-01');
    const info = await run<TagInfo>('createTag', v, { tag: 'staging' });
    assert.ok(info, 'createTag returned nothing');
    assert.ok(await tagTarget('staging'), 'no staging tag stored');
    const r = await repo.resolve({ model: MODEL, tag: 'staging' });
    assert.equal(r.version, '2024-05-01');
  });

  test('move tag: a concurrent move is reported with who moved it, then refresh-and-retry lands', async () => {
    const latest = await tagNode('latest');
    await alice().setTag(MODEL, 'latest', 'v1');
    const lost = await run<TagInfo | undefined>('moveTag', latest, { target: '2024-05-01' });
    assert.equal(lost, undefined);
    const notice = api.lastNotice();
    assert.equal(notice?.code, 'Conflict');
    assert.match(notice?.message ?? '', /alice@test/);
    assert.equal((await repo.resolve({ model: MODEL, tag: 'latest' })).version, V1, 'the losing move must not land');
    const won = await run<TagInfo>('moveTag', latest, { target: '2024-05-01', onConflict: 'retry' });
    assert.ok(won);
    assert.equal((await repo.resolve({ model: MODEL, tag: 'latest' })).version, '2024-05-01');
  });

  test('tag history lists the moves; rollback puts the tag back where it was', async () => {
    const records = await run<{ op: string; to?: string; who: string }[]>('tagHistory', await tagNode('latest'), { show: false });
    assert.ok(records);
    assert.deepEqual(records.map((r) => r.op), ['create', 'move', 'move']);
    assert.equal(records[1].who, 'alice@test');
    await run('rollbackTag', await tagNode('latest'), { nonInteractive: true });
    assert.equal((await repo.resolve({ model: MODEL, tag: 'latest' })).version, V1);
    assert.equal((await repo.history(MODEL, 'latest')).length, 4);
  });

  test('delete tag', async () => {
    assert.ok(await run('deleteTag', await tagNode('staging'), { nonInteractive: true }));
    assert.equal(await tagTarget('staging'), undefined);
  });

  test('delete version is refused while a tag points at it, then works once untagged', async () => {
    const v1 = await walk(api, CONN, MODEL, V1);
    assert.equal(await run('deleteVersion', v1, { nonInteractive: true }), undefined);
    assert.equal(api.lastNotice()?.code, 'InUse');
    assert.match(api.lastNotice()?.message ?? '', /Cannot delete version/);
    assert.ok(fs.existsSync(path.join(folder, MODEL, V1, F1)), 'a tagged version was deleted');
    const fresh = await walk(api, CONN, MODEL, '2024-05-01');
    assert.equal(await run('deleteVersion', fresh, { nonInteractive: true }), true);
    assert.ok(!(await repo.listVersions(MODEL)).some((v) => v.name === '2024-05-01'));
  });

  test('download checks sha256: a good file arrives, a corrupted one is refused', async () => {
    const dest = scratch('download');
    const res = await run<{ files: string[]; verified: number }>('download', await tagNode('v2'), { dest });
    assert.ok(res);
    assert.equal(res.verified, 1);
    assert.equal(sha256(res.files[0]), sha256(path.join(folder, MODEL, V2, F2)));
    const stored = path.join(folder, MODEL, V1, F1);
    const bytes = fs.readFileSync(stored);
    bytes[10] ^= 0xff;
    fs.writeFileSync(stored, bytes);
    const dest2 = scratch('download-bad');
    assert.equal(await run('download', await walk(api, CONN, MODEL, V1, F1), { dest: dest2 }), undefined);
    assert.equal(api.lastNotice()?.code, 'Integrity');
    assert.deepEqual(fs.readdirSync(dest2).filter((f) => !f.startsWith('.')), []);
  });

  test('generate manifest: an untitled YAML document with a Pod mounting the folder over NFS', async () => {
    const g = await run<{ yaml: string; document: vscode.TextDocument }>('generateManifest', await tagNode('v2'),
      { nfsServer: 'nfs.test.lan', nfsPath: '/export/models', namespace: 'inference', nonInteractive: true });
    assert.ok(g);
    assert.equal(g.document.languageId, 'yaml');
    assert.equal(g.document.isUntitled, true);
    assert.equal(vscode.window.activeTextEditor?.document, g.document);
    const text = g.document.getText();
    assert.match(text, /^kind: Pod$/m);
    assert.match(text, /namespace: inference/);
    assert.match(text, /server: nfs\.test\.lan/);
    assert.ok(text.includes(`v2 -> ${V2}/${F2}`), 'the chain is not in the header');
    assert.ok(text.includes(F2));
  });

  test("generate manifest takes context and namespace from the user's kubeconfig", async () => {
    const dir = scratch('kube');
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, [
      'apiVersion: v1', 'kind: Config', 'current-context: kind-models',
      'clusters:', '- name: kind', '  cluster: { server: "https://127.0.0.1:6443" }',
      'users:', '- name: me', '  user: { token: abc }',
      'contexts:', '- name: kind-models', '  context: { cluster: kind, user: me, namespace: ml-serving }',
      '- name: other', '  context: { cluster: kind, user: me, namespace: elsewhere }', ''].join('\n'));
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = file; // the extension runs in this same extension host process
    try {
      const g = await run<{ yaml: string; context?: string; namespace?: string }>('generateManifest', await tagNode('v2'),
        { nfsServer: 'nfs.test.lan', open: false, nonInteractive: true });
      assert.ok(g);
      assert.equal(g.context, 'kind-models');
      assert.equal(g.namespace, 'ml-serving');
      assert.match(g.yaml, /^# kubectl context: kind-models, namespace: ml-serving$/m);
      assert.match(g.yaml, /^ {2}namespace: ml-serving$/m);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  test('copy S3 URI and copy presigned URL refuse a file of a folder repository, naming why', async () => {
    const art = await walk(api, CONN, MODEL, V2, F2);
    for (const [command, args] of [['copyS3Uri', {}], ['copyPresignedUrl', { expiresIn: 3600 }]] as const) {
      assert.equal(await run(command, art, args), undefined, `${command} copied something`);
      const n = api.lastNotice();
      assert.equal(n?.code, 'InvalidRef', `${command}: ${n?.message}`);
      assert.match(n?.message ?? '', /folder repository, not in S3/);
    }
  });

  test('edit connection renames it in the tree', async () => {
    await run('editConnection', await walk(api, CONN), { name: 'fs-renamed' });
    await until('renamed connection', async () => (await kids(api)).some((n) => labelOf(api, n) === 'fs-renamed') || undefined);
    await run('editConnection', { connectionId: id }, { name: CONN });
    await until('name back', async () => (await kids(api)).some((n) => labelOf(api, n) === CONN) || undefined);
  });
});
