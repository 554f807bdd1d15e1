// The local side of an upload (repo/localFiles.ts expandPaths) on real folders: symlinks inside the
// uploaded folder are uploaded with their target's bytes, ones leaving it are refused unless
// followSymlinks (all listed in one error), dangling links, FIFOs and sockets are errors naming them,
// unreadable files and folders are Permission. A path the user named is followed even if it is a link.
// The progress total (localTotal) comes from the same walk: it is the bytes the upload sends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandPaths, localTotal } from '../../src/core/repo/localFiles';
import type { LocalFile } from '../../src/core/repo/localFiles';
import { createFsStorage } from '../../src/core/storage/fsStorage';
import { Repository } from '../../src/core/repository';
import { rejects } from '../contract/contractHelpers';
import type { ErrorCode } from '../../src/core/errors';

type Outcome = { readonly files: Record<string, string> } | { readonly code: ErrorCode; readonly message: RegExp };

interface Row {
  readonly what: string;
  /** Builds `folder` (the folder to upload) next to `outside`. */
  readonly make: (folder: string, outside: string) => Promise<void>;
  /** Without followSymlinks, and with it. */
  readonly off: Outcome;
  readonly on: Outcome;
}

const j = (...p: string[]): string => path.join(...p);
const servers: net.Server[] = [];

const ROWS: readonly Row[] = [
  { what: 'a file symlink inside the folder', make: (f) => fsp.symlink('w.bin', j(f, 'alias.bin')),
    off: { files: { 'alias.bin': 'w.bin', 'w.bin': 'w.bin' } }, on: { files: { 'alias.bin': 'w.bin', 'w.bin': 'w.bin' } } },
  { what: 'a folder symlink inside the folder', make: async (f) => {
    await fsp.mkdir(j(f, 'sub'));
    await fsp.writeFile(j(f, 'sub', 's.bin'), 's');
    await fsp.symlink('sub', j(f, 'again'));
  }, off: { files: { 'again/s.bin': 'sub/s.bin', 'sub/s.bin': 'sub/s.bin', 'w.bin': 'w.bin' } },
  on: { files: { 'again/s.bin': 'sub/s.bin', 'sub/s.bin': 'sub/s.bin', 'w.bin': 'w.bin' } } },
  { what: 'symlinks pointing outside the folder', make: async (f, o) => {
    await fsp.symlink(j(o, 'secret.bin'), j(f, 'out.bin'));
    await fsp.symlink(o, j(f, 'outdir'));
  }, off: { code: 'Unsafe', message: /2 symbolic links point outside the folder.*'.*out\.bin' -> .*'.*outdir' -> .*use --follow-symlinks to upload what they point at/ },
  on: { files: { 'out.bin': '@secret.bin', 'outdir/secret.bin': '@secret.bin', 'w.bin': 'w.bin' } } },
  { what: 'a dangling symlink', make: (f) => fsp.symlink('nothing-here', j(f, 'gone.bin')),
    off: { code: 'NotFound', message: /gone\.bin.*is a symbolic link to a missing file/ },
    on: { code: 'NotFound', message: /gone\.bin.*is a symbolic link to a missing file/ } },
  { what: 'a symlink loop back to the folder', make: (f) => fsp.symlink('.', j(f, 'loop')),
    off: { code: 'InvalidName', message: /loop.*a loop/ }, on: { code: 'InvalidName', message: /loop.*a loop/ } },
  { what: 'a FIFO', make: async (f) => { execFileSync('mkfifo', [j(f, 'pipe')]); },
    off: { code: 'InvalidName', message: /pipe.*a FIFO/ }, on: { code: 'InvalidName', message: /pipe.*a FIFO/ } },
  { what: 'a symlink to a FIFO', make: async (f) => {
    await fsp.mkdir(j(f, 'sub'));
    execFileSync('mkfifo', [j(f, 'sub', 'p')]);
    await fsp.symlink('sub/p', j(f, 'lp'));
  }, off: { code: 'InvalidName', message: /a FIFO/ }, on: { code: 'InvalidName', message: /a FIFO/ } },
  { what: 'a socket', make: async (f) => {
    const s = net.createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(j(f, 'sock'), r));
  }, off: { code: 'InvalidName', message: /sock.*a socket/ }, on: { code: 'InvalidName', message: /sock.*a socket/ } },
  { what: 'a hidden symlink pointing outside (hidden entries are skipped)', make: (f, o) => fsp.symlink(o, j(f, '.cache')),
    off: { files: { 'w.bin': 'w.bin' } }, on: { files: { 'w.bin': 'w.bin' } } },
];

describe('local files of an upload', () => {
  let parent: string;
  let outside: string;
  let n = 0;
  before(async () => {
    parent = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-local-'));
    outside = j(parent, 'outside');
    await fsp.mkdir(outside);
    await fsp.writeFile(j(outside, 'secret.bin'), 'secret');
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await fsp.rm(parent, { recursive: true, force: true });
  });

  const fresh = async (): Promise<string> => {
    const folder = j(parent, `f${n++}`);
    await fsp.mkdir(folder);
    await fsp.writeFile(j(folder, 'w.bin'), 'w');
    return folder;
  };
  /** name -> where its bytes come from: relative to the folder, or '@x' for outside/x. */
  const shape = async (files: LocalFile[], folder: string): Promise<Record<string, string>> => {
    const real = await fsp.realpath(folder);
    return Object.fromEntries(files.map((f) => [f.name, f.localPath.startsWith(outside)
      ? `@${path.relative(outside, f.localPath)}` : path.relative(real, f.localPath).split(path.sep).join('/')]));
  };

  for (const row of ROWS) {
    for (const follow of [false, true]) {
      it(`${row.what} (followSymlinks ${follow ? 'on' : 'off'})`, async () => {
        const folder = await fresh();
        await row.make(folder, outside);
        const want = follow ? row.on : row.off;
        const run = expandPaths([folder], 'm@1', { followSymlinks: follow });
        if ('files' in want) assert.deepEqual(await shape(await run, folder), want.files);
        else await rejects(run, want.code, want.message);
      });
    }
  }

  it('follows a symlink the user named, to a file or a folder, wherever it points', async () => {
    const named = j(parent, 'named.bin');
    await fsp.symlink(j(outside, 'secret.bin'), named);
    const folderLink = j(parent, 'named-folder');
    await fsp.symlink(outside, folderLink);
    const files = await expandPaths([named, folderLink], 'm@1');
    assert.deepEqual(files.map((f) => [f.name, f.localPath]), [['named.bin', j(outside, 'secret.bin')], ['secret.bin', j(outside, 'secret.bin')]]);
    const dangling = j(parent, 'dangling.bin');
    await fsp.symlink('nowhere', dangling);
    await rejects(expandPaths([dangling], 'm@1'), 'NotFound', /dangling\.bin.*symbolic link to a missing file/);
  });

  it('uploads through the repository only with followSymlinks, storing the target bytes', async () => {
    const folder = await fresh();
    await fsp.symlink(j(outside, 'secret.bin'), j(folder, 'out.bin'));
    const repo = new Repository(createFsStorage({ kind: 'fs', path: j(parent, 'repo') }), { who: 't@test' });
    await rejects(repo.upload('m', '1.0.0', [folder]), 'Unsafe', /--follow-symlinks/);
    await assert.rejects(fsp.access(j(parent, 'repo', 'm')), 'refused before anything was claimed');
    const m = await repo.upload('m', '1.0.0', [folder], { followSymlinks: true });
    assert.deepEqual(m.files.map((f) => f.name), ['out.bin', 'w.bin']);
    assert.equal(await fsp.readFile(j(parent, 'repo', 'm', '1.0.0', 'out.bin'), 'utf8'), 'secret');
    assert.equal((await fsp.lstat(j(parent, 'repo', 'm', '1.0.0', 'out.bin'))).isFile(), true, 'stored as a file, not a link');
  });

  it('the progress total of a folder holding .git and .gitattributes is the bytes the upload sends', async () => {
    const folder = await fresh();
    await fsp.mkdir(j(folder, '.git', 'objects'), { recursive: true });
    await fsp.writeFile(j(folder, '.git', 'objects', 'pack'), Buffer.alloc(50_000, 7));
    await fsp.writeFile(j(folder, '.gitattributes'), '*.safetensors filter=lfs diff=lfs merge=lfs -text\n');
    await fsp.mkdir(j(folder, 'shards'));
    await fsp.writeFile(j(folder, 'shards', 'a.safetensors'), Buffer.alloc(3000, 1));
    const total = await localTotal([folder], 'm@2.0.0');
    const stored = new Map<string, number>();
    const repo = new Repository(createFsStorage({ kind: 'fs', path: j(parent, 'repo-total') }), { who: 't@test' });
    const m = await repo.upload('m', '2.0.0', [folder], { onProgress: (p) => stored.set(p.file, Math.max(p.stored, stored.get(p.file) ?? 0)) });
    assert.deepEqual(m.files.map((f) => f.name).sort(), ['shards/a.safetensors', 'w.bin']);
    assert.deepEqual(total, { bytes: 3001, files: 2 });
    assert.equal([...stored.values()].reduce((a, b) => a + b, 0), total.bytes, 'the progress did not end at its total');
    assert.equal(m.files.reduce((a, f) => a + f.size, 0), total.bytes);
  });

  // Root reads everything: the unreadable cases run in a child as an unprivileged user then.
  it('unreadable files and folders are Permission naming the path, locally and in the repository', async () => {
    const folder = await fresh();
    await fsp.writeFile(j(folder, 'locked.bin'), 'x');
    await fsp.chmod(j(folder, 'locked.bin'), 0o000);
    const folder2 = await fresh();
    await fsp.mkdir(j(folder2, 'closed'));
    await fsp.writeFile(j(folder2, 'closed', 'in.bin'), 'x');
    await fsp.chmod(j(folder2, 'closed'), 0o000);
    const repoDir = j(parent, 'closed-repo');
    await fsp.mkdir(j(repoDir, 'm'), { recursive: true, mode: 0o755 });
    await fsp.chmod(j(repoDir, 'm'), 0o700);
    await fsp.chmod(parent, 0o755);
    const src = path.join(__dirname, '..', '..', 'src', 'core');
    const script = `
      const { expandPaths } = require(${JSON.stringify(path.join(src, 'repo', 'localFiles.js'))});
      const { createFsStorage } = require(${JSON.stringify(path.join(src, 'storage', 'fsStorage.js'))});
      const out = [];
      const probe = (p) => p.then(() => out.push('ok'), (e) => out.push(e.code + ' ' + e.message));
      (async () => {
        await probe(expandPaths([${JSON.stringify(folder)}], 'm@1'));
        await probe(expandPaths([${JSON.stringify(folder2)}], 'm@1'));
        await probe(createFsStorage({ kind: 'fs', path: ${JSON.stringify(repoDir)} }).list('m/'));
        process.stdout.write(JSON.stringify(out));
      })();`;
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, ['-e', script], { ...asUser, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [locked, closed, repoList] = JSON.parse(r.stdout) as string[];
    assert.match(locked, /^Permission .*locked\.bin.*permission denied/);
    assert.match(closed, /^Permission .*closed.*permission denied/);
    assert.match(repoList, /^Permission .*permission denied: check the owner and mode of the repository folder/);
  });
});
