// Catalogue rows: a download destination that already holds symlinks leading out of it (planted by
// someone who can write there but not where the links lead). download never writes through them: it
// exits 9 naming the file, and what the links point at stays as it was.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { GOOD, GOOD_BYTES, MODEL, OTHER_BYTES, V1, goodModel, publish } from './seed';
import type { Ctx, Row, Table } from './types';

const download = (c: Ctx): string[] => ['download', c.ref(MODEL, `@${V1}`), c.dest];

/** m@1.0 with good.gguf, and dest/<name> a symlink to `target` (relative to dest/). */
const linkInDest = (name: string, target: string) => async (c: Ctx): Promise<void> => {
  await goodModel(c);
  await fsp.symlink(target, join(c.dest, name));
};

const rows: Row[] = [
  { id: 'D01', title: 'download does not write through dest/good.gguf, a symlink to a file outside', setup: linkInDest(GOOD, '../outside.txt'),
    cmd: download, exit: 9, message: /good\.gguf/ },
  { id: 'D02', title: 'download does not write through a dangling dest/good.gguf symlink into a folder outside',
    setup: linkInDest(GOOD, '../sentinel/planted.gguf'), cmd: download, exit: 9, message: /good\.gguf/ },
  {
    id: 'D03', title: 'download does not write through dest/shards, a symlink to a folder outside',
    setup: async (c) => {
      await publish(c, MODEL, V1, { [GOOD]: GOOD_BYTES, 'shards/a.safetensors': OTHER_BYTES });
      await fsp.symlink('../sentinel', join(c.dest, 'shards'));
    },
    cmd: download, exit: 9, message: /shards/,
  },
  { id: 'D04', title: "download does not write through its own partial file's name planted as a symlink outside",
    setup: linkInDest(`.${GOOD}.modelrepo-download`, '../outside.txt'), cmd: download, exit: 9, message: /good\.gguf/ },
  { id: 'D05', title: "download does not write through its own sidecar's name planted as a symlink outside",
    setup: linkInDest(`.${GOOD}.modelrepo-download.json`, '../sentinel/keep.txt'), cmd: download, exit: 9, message: /good\.gguf/ },
];

export const DEST_ROWS: Table = { title: 'symlinks planted in the download destination', rows };
