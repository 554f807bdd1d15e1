// A shared folder repository that someone else wrote symlinks, FIFOs and sockets into: every entry that
// could lead outside the root (or block a read) is left out of listings and reported in `refused`,
// every operation on it throws Unsafe naming the key, and a sentinel folder next to the repository is
// never read (its secret never appears in any result) and never written (its tree is unchanged).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import type { ListPage, Storage } from '../../src/core/storage/storage';
import { rejects, sha256 } from '../contract/contractHelpers';

const SECRET = 'SENTINEL-7f3a-outside-the-repository';
const LINK = /a symbolic link; folder repositories follow links only in tags\//;
const FIFO = /a FIFO, not a regular file/;
const SOCKET = /a socket, not a regular file/;

interface Row {
  readonly what: string;
  /** Creates the entry; `root` is the repository, `outside` the sentinel folder next to it. */
  readonly make: (root: string, outside: string) => Promise<void>;
  /** The listing that must report it, and the key it reports. */
  readonly list: { readonly prefix: string; readonly delimited?: boolean };
  readonly refused: string;
  readonly reason: RegExp;
  /** Keys every read-side operation must refuse. */
  readonly reads: readonly string[];
  /** Keys every write must refuse (below a symlinked folder). */
  readonly writes: readonly string[];
}

const ln = (target: string, at: string): Promise<void> => fsp.mkdir(path.dirname(at), { recursive: true }).then(() => fsp.symlink(target, at));
const fifo = async (at: string): Promise<void> => {
  await fsp.mkdir(path.dirname(at), { recursive: true });
  execFileSync('mkfifo', [at]);
};
const servers: net.Server[] = [];
const socket = async (at: string): Promise<void> => {
  await fsp.mkdir(path.dirname(at), { recursive: true });
  const s = net.createServer();
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(at, resolve));
};
const j = (...parts: string[]): string => path.join(...parts);

const ROWS: readonly Row[] = [
  { what: 'a model folder that is a symlink out', make: (r, o) => ln(j(o, 'tree'), j(r, 'evil')),
    list: { prefix: '' }, refused: 'evil', reason: LINK,
    reads: ['evil/1.0.0/secret.bin', 'evil/1.0.0/.modelrepo-version.json'], writes: ['evil/1.0.0/new.bin', 'evil/tags/t'] },
  { what: 'a version folder that is a symlink out', make: (r, o) => ln(j(o, 'tree', '1.0.0'), j(r, 'm', 'evil')),
    list: { prefix: 'm/' }, refused: 'm/evil', reason: LINK,
    reads: ['m/evil/secret.bin', 'm/evil/.modelrepo-version.json'], writes: ['m/evil/new.bin', 'm/evil/.modelrepo-pending.json'] },
  { what: 'a version folder that is a symlink to a folder inside', make: (r) => ln('1.0.0', j(r, 'm', 'alias')),
    list: { prefix: 'm/' }, refused: 'm/alias', reason: LINK, reads: ['m/alias/w.bin'], writes: ['m/alias/new.bin'] },
  { what: 'a file that is a symlink out', make: (r, o) => ln(j(o, 'secret.txt'), j(r, 'm', '1.0.0', 'evil.bin')),
    list: { prefix: 'm/1.0.0/' }, refused: 'm/1.0.0/evil.bin', reason: LINK, reads: ['m/1.0.0/evil.bin'], writes: [] },
  { what: 'a file that is a relative symlink out', make: (r) => ln('../../../outside/secret.txt', j(r, 'm', '1.0.0', 'rel.bin')),
    list: { prefix: 'm/', delimited: false }, refused: 'm/1.0.0/rel.bin', reason: LINK, reads: ['m/1.0.0/rel.bin'], writes: [] },
  { what: 'a file that is a symlink inside', make: (r) => ln('w.bin', j(r, 'm', '1.0.0', 'alias.bin')),
    list: { prefix: 'm/1.0.0/' }, refused: 'm/1.0.0/alias.bin', reason: LINK, reads: ['m/1.0.0/alias.bin'], writes: [] },
  { what: 'a dangling symlink', make: (r) => ln('no-such-file', j(r, 'm', '1.0.0', 'gone.bin')),
    list: { prefix: 'm/1.0.0/' }, refused: 'm/1.0.0/gone.bin', reason: LINK, reads: ['m/1.0.0/gone.bin'], writes: [] },
  { what: 'an upload marker that is a symlink out', make: (r, o) => ln(j(o, 'secret.txt'), j(r, 'm', '2.0.0', '.modelrepo-pending.json')),
    list: { prefix: 'm/2.0.0/' }, refused: 'm/2.0.0/.modelrepo-pending.json', reason: LINK, reads: ['m/2.0.0/.modelrepo-pending.json'], writes: [] },
  { what: 'a version record that is a symlink out',
    make: (r, o) => ln(j(o, 'tree', '1.0.0', '.modelrepo-version.json'), j(r, 'm', '3.0.0', '.modelrepo-version.json')),
    list: { prefix: 'm/3.0.0/' }, refused: 'm/3.0.0/.modelrepo-version.json', reason: LINK, reads: ['m/3.0.0/.modelrepo-version.json'], writes: [] },
  { what: 'a history folder that is a symlink out', make: (r, o) => ln(j(o, 'tree'), j(r, 'm', '.modelrepo', 'history')),
    list: { prefix: 'm/.modelrepo/' }, refused: 'm/.modelrepo/history', reason: LINK,
    reads: ['m/.modelrepo/history/1.0.0/secret.bin'], writes: ['m/.modelrepo/history/latest/20240320T101530.000000Z-abc.json'] },
  { what: 'a tags folder that is a symlink out', make: (r, o) => ln(j(o, 'tree'), j(r, 'm2', 'tags')),
    list: { prefix: 'm2/' }, refused: 'm2/tags', reason: LINK, reads: ['m2/tags/1.0.0/secret.bin'], writes: ['m2/tags/latest'] },
  { what: 'a FIFO as a file', make: (r) => fifo(j(r, 'm', '1.0.0', 'pipe.bin')),
    list: { prefix: 'm/1.0.0/' }, refused: 'm/1.0.0/pipe.bin', reason: FIFO, reads: ['m/1.0.0/pipe.bin'], writes: [] },
  { what: 'a FIFO as a version record', make: (r) => fifo(j(r, 'm', '4.0.0', '.modelrepo-version.json')),
    list: { prefix: 'm/4.0.0/' }, refused: 'm/4.0.0/.modelrepo-version.json', reason: FIFO, reads: ['m/4.0.0/.modelrepo-version.json'], writes: [] },
  { what: 'a FIFO as a tag', make: (r) => fifo(j(r, 'm', 'tags', 'pipe')),
    list: { prefix: 'm/tags/' }, refused: 'm/tags/pipe', reason: FIFO, reads: ['m/tags/pipe'], writes: [] },
  { what: 'a socket as a file', make: (r) => socket(j(r, 'm', '1.0.0', 'sock.bin')),
    list: { prefix: 'm/1.0.0/' }, refused: 'm/1.0.0/sock.bin', reason: SOCKET, reads: ['m/1.0.0/sock.bin'], writes: [] },
];

/** Every file below `dir` with its content: what the sentinel folder holds. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ent of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(ent.parentPath, ent.name);
    out[path.relative(dir, p)] = ent.isFile() ? await fsp.readFile(p, 'utf8') : ent.isDirectory() ? '<dir>' : '<other>';
  }
  return out;
}

function noSecret(value: unknown, what: string): void {
  const text = JSON.stringify(value, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
  assert.ok(!text?.includes(SECRET), `${what} leaked the content of a file outside the repository`);
}

const body = (s: string): Readable => Readable.from([Buffer.from(s)]);

describe('a folder repository never leaves its root', { timeout: 60_000 }, () => {
  let parent: string;
  let root: string;
  let outside: string;
  let storage: Storage;
  let before_: Record<string, string>;
  let local: string;

  before(async () => {
    parent = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-safety-'));
    root = j(parent, 'repo');
    outside = j(parent, 'outside');
    await fsp.mkdir(j(outside, 'tree', '1.0.0'), { recursive: true });
    await fsp.writeFile(j(outside, 'secret.txt'), SECRET);
    await fsp.writeFile(j(outside, 'tree', '1.0.0', 'secret.bin'), SECRET);
    await fsp.writeFile(j(outside, 'tree', '1.0.0', '.modelrepo-version.json'), JSON.stringify({ schema: 1, files: [], note: SECRET }));
    await fsp.mkdir(j(root, 'm', '1.0.0'), { recursive: true });
    await fsp.writeFile(j(root, 'm', '1.0.0', 'w.bin'), 'weights');
    for (const row of ROWS) await row.make(root, outside);
    local = j(parent, 'local.bin');
    await fsp.writeFile(local, 'local bytes');
    before_ = await snapshot(outside);
    // The user names the repository through a symlink: that one is followed.
    await fsp.symlink(root, j(parent, 'repo-link'));
    storage = createFsStorage({ kind: 'fs', path: j(parent, 'repo-link') });
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await fsp.rm(parent, { recursive: true, force: true });
  });

  for (const row of ROWS) {
    it(`${row.what}: listed as refused, every operation Unsafe, nothing outside touched`, async () => {
      const page: ListPage = await storage.list(row.list.prefix, { delimited: row.list.delimited });
      const refused = page.refused?.find((r) => r.key === row.refused);
      assert.ok(refused, `${row.refused} is in refused: ${JSON.stringify(page.refused)}`);
      assert.match(refused.reason, row.reason);
      assert.ok(!page.objects.some((o) => o.key === row.refused) && !page.prefixes.includes(`${row.refused}/`), 'not listed as usable');
      noSecret(page, 'the listing');
      const dest = j(parent, 'downloads', 'x.bin');
      for (const key of row.reads) {
        const names = new RegExp(key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
        const ops: [string, () => Promise<unknown>][] = [
          ['stat', () => storage.stat(key)],
          ['read', () => storage.read(key)],
          ['readText', () => storage.readText(key)],
          ['downloadFile', () => storage.downloadFile(key, dest)],
          ['shareUrl', () => storage.shareUrl(key, 60)],
          ['readChecksum', () => storage.readChecksum(key)],
        ];
        for (const [op, run] of ops) {
          const e = await rejects(run(), 'Unsafe', names);
          assert.ok(e.message.includes(row.refused), `${op} ${key} names the refused entry: ${e.message}`);
        }
      }
      for (const key of row.writes) {
        await rejects(storage.putText(key, `{"x":"${key}"}`), 'Unsafe');
        await rejects(storage.putText(key, '{}', { ifAbsent: true }), 'Unsafe');
        await rejects(storage.uploadFile(key, local), 'Unsafe');
        await rejects(storage.uploadStream(key, body('streamed'), 8), 'Unsafe');
        await rejects(storage.delete([key.replace(/[^/]+$/, 'secret.bin')]), 'Unsafe');
        await rejects(storage.writeLink(key, '1.0.0', { absent: true }), 'Unsafe');
      }
      await assert.rejects(fsp.access(dest), 'nothing was downloaded');
      assert.deepEqual(await snapshot(outside), before_, 'the folder outside the repository is unchanged');
    });
  }

  it('a tag symlink is read as text, never followed, even when it points outside', async () => {
    await fsp.mkdir(j(root, 'm', 'tags'), { recursive: true });
    await fsp.symlink(j(outside, 'secret.txt'), j(root, 'm', 'tags', 'abs'));
    await fsp.symlink('../1.0.0/w.bin', j(root, 'm', 'tags', 'ok'));
    const page = await storage.list('m/tags/');
    assert.deepEqual(page.objects.map((o) => o.key), ['m/tags/abs', 'm/tags/ok']);
    assert.equal((await storage.readLink('m/tags/abs'))?.target, j(outside, 'secret.txt'));
    assert.equal((await storage.stat('m/tags/abs'))?.size, j(outside, 'secret.txt').length, 'the link itself, not its target');
    for (const key of ['m/tags/abs', 'm/tags/ok']) {
      await rejects(storage.read(key), 'Unsafe', LINK);
      await rejects(storage.readText(key), 'Unsafe', LINK);
      await rejects(storage.downloadFile(key, j(parent, 'dl-tag')), 'Unsafe', LINK);
    }
    noSecret(await storage.list('m/', { delimited: false }), 'the recursive listing');
  });

  it('deleting a refused entry removes the entry itself, never what it points at', async () => {
    await fsp.mkdir(j(root, 'd', '1.0.0'), { recursive: true });
    await fsp.symlink(j(outside, 'secret.txt'), j(root, 'd', '1.0.0', 'link.bin'));
    await fsp.symlink(j(outside, 'tree'), j(root, 'd', 'linked'));
    await storage.delete(['d/1.0.0/link.bin', 'd/linked']);
    assert.deepEqual(await fsp.readdir(j(root, 'd')).catch(() => []), [], 'both links gone, empty folders pruned');
    assert.deepEqual(await snapshot(outside), before_);
  });

  it('the repository itself works through a root that is a symlink', async () => {
    assert.equal(await storage.readText('m/1.0.0/w.bin'), 'weights');
    const r = await storage.uploadStream('ok/1.0.0/a.bin', body('abc'), 3);
    assert.equal(r.sha256, sha256('abc'));
    assert.equal(await fsp.readFile(j(root, 'ok', '1.0.0', 'a.bin'), 'utf8'), 'abc');
  });
});
