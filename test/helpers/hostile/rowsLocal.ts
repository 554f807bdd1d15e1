// Catalogue rows: hostile local files given to `upload`. A folder holding a symlink that leads out of
// it is refused (the message names the link and mentions --follow-symlinks) unless --follow-symlinks is
// given; a dangling symlink is named; an unreadable file is exit 5; local names that are unsafe on some
// platform are typed names (exit 2, shown escaped). Nothing reaches the repository when refused.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { escaped } from './names';
import { GOOD, MODEL, OTHER_BYTES, localFile } from './seed';
import type { Ctx, Row, Table } from './types';

const folder = (c: Ctx): string => join(c.files, 'model');
const upload = (c: Ctx, ...more: string[]): string[] => ['upload', c.ref(MODEL, '@1.0'), folder(c), ...more];

/** files/model/ holds good.gguf and link.gguf -> elsewhere/secret.gguf (out of the folder). */
const linkOut = async (c: Ctx): Promise<void> => {
  await localFile(c, `model/${GOOD}`);
  await fsp.symlink(join(c.elsewhere, 'secret.gguf'), join(folder(c), 'link.gguf'));
};

const withName = (name: string) => async (c: Ctx): Promise<void> => {
  await localFile(c, `model/${GOOD}`);
  await localFile(c, `model/${name}`, OTHER_BYTES);
};

const rows: Row[] = [
  { id: 'U01', title: 'upload refuses a folder holding a symlink out of it, naming the link and --follow-symlinks', setup: linkOut,
    cmd: (c) => upload(c), exit: 9, message: [/link\.gguf/, /--follow-symlinks/] },
  { id: 'U02', title: 'upload --follow-symlinks uploads the folder with the linked file', setup: linkOut,
    cmd: (c) => upload(c, '--follow-symlinks'), exit: 0, stdout: /link\.gguf/ },
  {
    id: 'U03', title: 'upload names a dangling symlink in the folder', cmd: (c) => upload(c), exit: 3, message: /gone\.gguf/,
    setup: async (c) => {
      await localFile(c, `model/${GOOD}`);
      await fsp.symlink(join(c.files, 'nowhere', 'gone.gguf'), join(folder(c), 'gone.gguf'));
    },
  },
  {
    id: 'U04', title: 'upload refuses a folder holding a symlink to its own parent (a loop) without hanging', cmd: (c) => upload(c), exit: 9,
    deadlineMs: 30_000, message: /loop/,
    setup: async (c) => {
      await localFile(c, `model/${GOOD}`);
      await fsp.symlink('..', join(folder(c), 'loop'));
    },
  },
  {
    id: 'U05', title: 'upload of an unreadable file (mode 000) exits 5 naming it', cmd: (c) => upload(c), exit: 5, message: /secret\.bin/, unprivileged: true,
    setup: async (c) => {
      await localFile(c, `model/${GOOD}`);
      const p = await localFile(c, 'model/secret.bin', OTHER_BYTES);
      await fsp.chmod(p, 0o000);
    },
  },
  {
    id: 'U06', title: 'upload of a folder with an unreadable subfolder exits 5 naming it', cmd: (c) => upload(c), exit: 5, message: /locked/, unprivileged: true,
    setup: async (c) => {
      await localFile(c, `model/${GOOD}`);
      await localFile(c, 'model/locked/shard.bin', OTHER_BYTES);
      await fsp.chmod(join(folder(c), 'locked'), 0o000);
    },
  },
  { id: 'U07', title: 'upload refuses a local file named with a right-to-left override (exit 2, escaped)', setup: withName('model\u202efgg.exe'),
    cmd: (c) => upload(c), exit: 2, message: escaped(0x202e) },
  { id: 'U08', title: 'upload refuses a local file whose name holds a newline (exit 2, escaped)', setup: withName('a\nmodelrepo: Uploaded.gguf'),
    cmd: (c) => upload(c), exit: 2, message: escaped(0x0a) },
  { id: 'U09', title: "upload refuses a local file named 'NUL.gguf' (a Windows device)", setup: withName('NUL.gguf'),
    cmd: (c) => upload(c), exit: 2, message: /NUL\.gguf/ },
  { id: 'U10', title: 'upload refuses local files whose names differ only in case (one file on macOS and Windows)', setup: withName('GOOD.gguf'),
    cmd: (c) => upload(c), exit: 2, message: /GOOD\.gguf|good\.gguf/ },
  {
    id: 'U11', title: 'upload of a folder with a symlink that stays inside it works', cmd: (c) => upload(c), exit: 0, stdout: /alias\.gguf/,
    setup: async (c) => {
      await localFile(c, `model/${GOOD}`);
      await fsp.symlink(GOOD, join(folder(c), 'alias.gguf'));
    },
  },
  { id: 'U12', title: 'upload of a path that does not exist exits 3 naming it', setup: async () => undefined,
    cmd: (c) => ['upload', c.ref(MODEL, '@1.0'), join(c.files, 'no-such.gguf')], exit: 3, message: /no-such\.gguf/ },
];

export const LOCAL_ROWS: Table = { title: 'hostile local files given to upload', rows };
