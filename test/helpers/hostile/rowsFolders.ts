// Catalogue rows for folder repositories only: symlinks and FIFOs planted on disk. A model or version
// folder, a file, a record or a marker that is a symlink (anywhere but tags/) is never followed: ls
// reports it, operations exit 9, and elsewhere/ (what the links point at) stays unchanged. Tag symlinks
// that leave the model exit 9. A FIFO never hangs a command.
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { GOOD, GOOD_BYTES, MARKER, MODEL, OTHER_BYTES, RECORD, V1, diskPath, goodModel, legacy, localFile, publish, recordOf, tag } from './seed';
import type { Ctx, Row, Table } from './types';

const FS = ['fs'] as const;

async function symlinkAt(c: Ctx, key: string, target: string): Promise<void> {
  const p = diskPath(c, key);
  await fsp.mkdir(join(p, '..'), { recursive: true });
  await fsp.rm(p, { recursive: true, force: true });
  await fsp.symlink(target, p);
}

async function fifoAt(c: Ctx, key: string): Promise<void> {
  const p = diskPath(c, key);
  await fsp.mkdir(join(p, '..'), { recursive: true });
  await fsp.rm(p, { force: true });
  execFileSync('mkfifo', [p]);
}

/** Model `good` is fine; model `evilm` is a symlink to elsewhere/model (which holds 1.0/x.gguf). */
const modelLink = async (c: Ctx): Promise<void> => {
  await goodModel(c, 'good');
  await symlinkAt(c, 'evilm', join(c.elsewhere, 'model'));
  await localFile(c, 'new.gguf');
};

/** m@1.0 is fine; m@2.0 is a symlink to elsewhere/model/1.0. */
const versionLink = async (c: Ctx): Promise<void> => {
  await goodModel(c);
  await symlinkAt(c, `${MODEL}/2.0`, join(c.elsewhere, 'model', V1));
};

/** m@1.0 holds good.gguf and secret.gguf, both recorded; secret.gguf is then swapped for a symlink outside. */
const fileLink = async (c: Ctx): Promise<void> => {
  const outside = await fsp.readFile(join(c.elsewhere, 'secret.gguf'));
  await publish(c, MODEL, V1, { [GOOD]: GOOD_BYTES, 'secret.gguf': outside });
  await tag(c, MODEL, 'latest', `../${V1}`);
  await symlinkAt(c, `${MODEL}/${V1}/secret.gguf`, join(c.elsewhere, 'secret.gguf'));
};

/** m@1.0 (a version written by another tool) holds good.gguf and a FIFO. */
const fifoFile = async (c: Ctx): Promise<void> => {
  await legacy(c, MODEL, V1, { [GOOD]: GOOD_BYTES });
  await fifoAt(c, `${MODEL}/${V1}/pipe.gguf`);
  await tag(c, MODEL, 'latest', `../${V1}`);
};

const tagTo = (target: (c: Ctx) => string) => async (c: Ctx): Promise<void> => {
  await goodModel(c);
  await symlinkAt(c, `${MODEL}/tags/evil`, target(c));
};

const rows: Row[] = [
  { id: 'F01', title: "ls of the repository lists 'good' and reports model 'evilm', a symlink out of the root", setup: modelLink,
    cmd: (c) => ['ls', c.b.repo], exit: 9, message: /evilm/, stdout: /good/ },
  { id: 'F02', title: 'resolve refuses a model folder that is a symlink out of the root', setup: modelLink,
    cmd: (c) => ['resolve', c.ref('evilm', `@${V1}`)], exit: 9, message: /evilm/ },
  { id: 'F03', title: 'download refuses a model folder that is a symlink out of the root', setup: modelLink,
    cmd: (c) => ['download', c.ref('evilm', `@${V1}`), c.dest], exit: 9, message: /evilm/ },
  { id: 'F04', title: 'upload of a new version into a model folder that is a symlink out of the root is refused', setup: modelLink,
    cmd: (c) => ['upload', c.ref('evilm', '@2.0'), join(c.files, 'new.gguf')], exit: 9, message: /evilm/ },
  { id: 'F05', title: 'ls of a model lists 1.0 and reports version 2.0, a symlink out of the root', setup: versionLink,
    cmd: (c) => ['ls', c.ref(MODEL)], exit: 9, message: /2\.0/, stdout: /1\.0/ },
  { id: 'F06', title: 'download refuses a version folder that is a symlink out of the root', setup: versionLink,
    cmd: (c) => ['download', c.ref(MODEL, '@2.0'), c.dest], exit: 9, message: /m@2\.0|2\.0/ },
  { id: 'F07', title: 'resolve refuses a version folder that is a symlink out of the root', setup: versionLink,
    cmd: (c) => ['resolve', c.ref(MODEL, '@2.0')], exit: 9, message: /2\.0/ },
  { id: 'F08', title: 'share refuses a file of a version folder that is a symlink out of the root', setup: versionLink,
    cmd: (c) => ['share', c.ref(MODEL, '@2.0/x.gguf')], exit: 9, message: /2\.0/, stdout: /^$/ },
  {
    id: 'F09', title: "download refuses a version folder that is a symlink to another model's version", cmd: (c) => ['download', c.ref(MODEL, '@2.0'), c.dest],
    setup: async (c) => {
      await goodModel(c);
      await publish(c, 'other', V1, { [GOOD]: OTHER_BYTES });
      await symlinkAt(c, `${MODEL}/2.0`, `../other/${V1}`);
    },
    exit: 9, message: /2\.0/,
  },
  { id: 'F10', title: 'download refuses a version whose file is a symlink out of the root (even with its sha256 recorded)', setup: fileLink,
    cmd: (c) => ['download', c.ref(MODEL, `@${V1}`), c.dest], exit: 9, message: /secret\.gguf/ },
  { id: 'F11', title: 'share refuses a file that is a symlink out of the root', setup: fileLink,
    cmd: (c) => ['share', c.ref(MODEL, `@${V1}/secret.gguf`)], exit: 9, message: /secret\.gguf/, stdout: /^$/ },
  { id: 'F12', title: 'ls lists good.gguf and reports secret.gguf, a symlink out of the root', setup: fileLink,
    cmd: (c) => ['ls', c.ref(MODEL)], exit: 9, message: /secret\.gguf/, stdout: /good\.gguf/ },
  { id: 'F13', title: 'resolve of a tag refuses a version holding a file symlink out of the root', setup: fileLink,
    cmd: (c) => ['resolve', c.ref(MODEL, ':latest')], exit: 9, message: /secret\.gguf/ },
  {
    id: 'F14', title: 'download refuses a file that is a symlink to /etc/hostname', cmd: (c) => ['download', c.ref(MODEL, `@${V1}`), c.dest],
    setup: async (c) => {
      await legacy(c, MODEL, V1, { [GOOD]: GOOD_BYTES });
      await symlinkAt(c, `${MODEL}/${V1}/hostname.gguf`, '/etc/hostname');
    },
    exit: 9, message: /hostname\.gguf/,
  },
  {
    id: 'F15', title: 'resolve refuses a version record that is a symlink out of the root', cmd: (c) => ['resolve', c.ref(MODEL, `@${V1}`)],
    setup: async (c) => {
      await goodModel(c);
      await fsp.writeFile(join(c.elsewhere, 'record.json'), JSON.stringify(recordOf(MODEL, V1, { [GOOD]: GOOD_BYTES })));
      await symlinkAt(c, `${MODEL}/${V1}/${RECORD}`, join(c.elsewhere, 'record.json'));
    },
    exit: 9, message: /1\.0|version record|\.modelrepo-version\.json/,
  },
  {
    id: 'F16', title: 'ls lists 1.0 and reports 2.0, whose upload marker is a symlink out of the root', cmd: (c) => ['ls', c.ref(MODEL)],
    setup: async (c) => {
      await goodModel(c);
      await legacy(c, MODEL, '2.0', { [GOOD]: GOOD_BYTES });
      await fsp.writeFile(join(c.elsewhere, 'marker.json'), '{"schema":1}');
      await symlinkAt(c, `${MODEL}/2.0/${MARKER}`, join(c.elsewhere, 'marker.json'));
    },
    exit: 9, message: /2\.0/, stdout: /1\.0/,
  },
  {
    id: 'F17', title: 'resolve refuses a tags folder that is a symlink out of the root', cmd: (c) => ['resolve', c.ref(MODEL, ':latest')],
    setup: async (c) => {
      await publish(c, MODEL, V1, { [GOOD]: GOOD_BYTES });
      await fsp.mkdir(join(c.elsewhere, 'tags'));
      await fsp.symlink(`../${V1}/${GOOD}`, join(c.elsewhere, 'tags', 'latest'));
      await symlinkAt(c, `${MODEL}/tags`, join(c.elsewhere, 'tags'));
    },
    exit: 9, message: /tags|latest/,
  },
  { id: 'F18', title: 'download of a version holding a FIFO does not hang and exits 9', setup: fifoFile, deadlineMs: 15_000,
    cmd: (c) => ['download', c.ref(MODEL, `@${V1}`), c.dest], exit: 9, message: /pipe\.gguf/ },
  { id: 'F19', title: 'ls of a model whose version holds a FIFO does not hang, reports it, exits 9', setup: fifoFile, deadlineMs: 15_000,
    cmd: (c) => ['ls', c.ref(MODEL)], exit: 9, message: /pipe\.gguf/, stdout: /good\.gguf/ },
  { id: 'F20', title: 'resolve of a tag whose version holds a FIFO does not hang and exits 9', setup: fifoFile, deadlineMs: 15_000,
    cmd: (c) => ['resolve', c.ref(MODEL, ':latest')], exit: 9, message: /pipe\.gguf/ },
  {
    id: 'F21', title: 'resolve of a version whose record is a FIFO does not hang and exits 9', deadlineMs: 15_000,
    setup: async (c) => {
      await legacy(c, MODEL, V1, { [GOOD]: GOOD_BYTES });
      await fifoAt(c, `${MODEL}/${V1}/${RECORD}`);
    },
    cmd: (c) => ['resolve', c.ref(MODEL, `@${V1}`)], exit: 9, message: /1\.0/,
  },
  {
    id: 'F22', title: 'resolve of a tag that is a FIFO does not hang and exits 9', deadlineMs: 15_000,
    setup: async (c) => {
      await goodModel(c);
      await fifoAt(c, `${MODEL}/tags/evil`);
    },
    cmd: (c) => ['resolve', c.ref(MODEL, ':evil')], exit: 9, message: /evil/,
  },
  {
    id: 'F23', title: 'ls of a model whose upload marker is a FIFO does not hang and exits 9', deadlineMs: 15_000,
    setup: async (c) => {
      await goodModel(c);
      await legacy(c, MODEL, '2.0', { [GOOD]: GOOD_BYTES });
      await fifoAt(c, `${MODEL}/2.0/${MARKER}`);
    },
    cmd: (c) => ['ls', c.ref(MODEL)], exit: 9, message: /2\.0/, stdout: /1\.0/,
  },
  { id: 'F24', title: 'download refuses a tag that is an absolute symlink to a file out of the root',
    setup: tagTo((c) => join(c.elsewhere, 'secret.gguf')), cmd: (c) => ['download', c.ref(MODEL, ':evil'), c.dest], exit: 9, message: /evil/ },
  { id: 'F25', title: 'resolve refuses a tag that is a symlink to a folder out of the root',
    setup: tagTo((c) => join(c.elsewhere, 'dir')), cmd: (c) => ['resolve', c.ref(MODEL, ':evil')], exit: 9, message: /evil/ },
  { id: 'F26', title: 'resolve refuses a dangling tag symlink, naming it', setup: tagTo(() => '../7.7/gone.gguf'),
    cmd: (c) => ['resolve', c.ref(MODEL, ':evil')], exit: 9, message: [/evil/, /7\.7|gone/] },
  {
    id: 'F27', title: 'upload --tag into a model whose tags folder is a symlink out of the root writes nothing there',
    setup: async (c) => {
      await goodModel(c);
      await fsp.rm(diskPath(c, `${MODEL}/tags`), { recursive: true });
      await fsp.mkdir(join(c.elsewhere, 'tags'));
      await symlinkAt(c, `${MODEL}/tags`, join(c.elsewhere, 'tags'));
      await localFile(c, 'new.gguf');
    },
    cmd: (c) => ['upload', c.ref(MODEL, '@2.0'), join(c.files, 'new.gguf'), '--tag', 'latest'], exit: 9, message: /tags|latest/, writes: true,
  },
  {
    id: 'F28', title: 'download refuses a version holding a subfolder that is a symlink out of the root', cmd: (c) => ['download', c.ref(MODEL, `@${V1}`), c.dest],
    setup: async (c) => {
      await legacy(c, MODEL, V1, { [GOOD]: GOOD_BYTES });
      await fsp.writeFile(join(c.elsewhere, 'dir', 'shard.safetensors'), 'outside shard');
      await symlinkAt(c, `${MODEL}/${V1}/shards`, join(c.elsewhere, 'dir'));
    },
    exit: 9, message: /shards/,
  },
  {
    id: 'F29', title: "tag refuses a model whose history folder (.modelrepo) is a symlink out of the root", cmd: (c) => ['tag', c.ref(MODEL, ':new'), V1],
    setup: async (c) => {
      await goodModel(c);
      await symlinkAt(c, `${MODEL}/.modelrepo`, join(c.elsewhere, 'dir'));
    },
    exit: 9, message: /\.modelrepo|history|new/, writes: true,
  },
];

export const FOLDER_ROWS: Table = { title: 'symlinks and FIFOs in folder repositories', rows: rows.map((r) => ({ ...r, on: FS })) };
