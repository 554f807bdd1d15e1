// Catalogue rows: signals, closed pipes and concurrent writers. SIGTERM during an upload is exit 143 and
// leaves no multipart upload and no version; SIGINT is 130; a download cancelled either way leaves the
// destination as it was; `resolve ... | head -1` is quiet and exits 0; two uploads of one version at once
// end 0 and 8; a tag moved with a stale --expect is exit 4.
import { join } from 'node:path';
import { GOOD, GOOD_BYTES, MODEL, V1, V2, goodModel, localFile, publish, publishParallel, tag } from './seed';
import type { Ctx, Row, Table } from './types';

const BIG = 64 * 1024 * 1024;
const PROGRESS = (): Record<string, string> => ({ MODELREPO_PROGRESS_MS: '0' });

/** One big file (a multipart upload on S3) and many small ones (a marker rewrite after each): long
 *  enough on any machine for the signal to arrive while the transfer runs. */
const SMALL = Array.from({ length: 120 }, (_, i) => `small-${String(i).padStart(3, '0')}.bin`);

const bigLocal = async (c: Ctx): Promise<void> => {
  await localFile(c, 'big/big.gguf', Buffer.alloc(BIG, 7));
  for (const n of SMALL) await localFile(c, `big/${n}`, Buffer.alloc(64 * 1024, 5));
};

/** m@1.0 holds the same (written raw, with a record), to be downloaded. */
const bigStored = async (c: Ctx): Promise<void> => {
  const small = Buffer.alloc(64 * 1024, 5);
  const files: Record<string, Buffer> = { 'big.gguf': Buffer.alloc(BIG, 9) };
  for (const n of SMALL) files[n] = small;
  await publishParallel(c, MODEL, V1, files);
};

/** m@1.0 holds 300 files with names of about 900 bytes (four folders deep): some 300 KB of output,
 *  far more than a pipe holds, so the writer is still writing when the reader goes away. */
const manyFiles = async (c: Ctx): Promise<void> => {
  const deep = ['a', 'b', 'c'].map((x) => x.repeat(220)).join('/');
  const names = Array.from({ length: 300 }, (_, i) => `${deep}/shard-${String(i).padStart(4, '0')}-of-0300-${'x'.repeat(180)}.safetensors`);
  await publishParallel(c, MODEL, V1, Object.fromEntries(names.map((n) => [n, n])), false);
};

/** Nothing of the interrupted upload is left: no multipart upload, no partial file, no version. */
const noUploadLeft = async (c: Ctx): Promise<void> => {
  const partial = await c.b.partialUploads();
  if (partial.length > 0) throw new Error(`unfinished uploads were left: ${partial.join(', ')}`);
  const left = [...(await c.b.snapshot()).keys()].filter((k) => k.startsWith(`${MODEL}/${V1}/`));
  if (left.length > 0) throw new Error(`objects of the cancelled version were left: ${left.join(', ')}`);
};

const upload = (c: Ctx): string[] => ['upload', c.ref(MODEL, `@${V1}`), join(c.files, 'big')];
const download = (c: Ctx): string[] => ['download', c.ref(MODEL, `@${V1}`), c.dest];
/** A closed stdout is how a pipeline says "enough": no error, no EPIPE, no complaint on stderr (notes a
 *  command always prints there, like ls's file count, may stay). */
const quiet = (_c: Ctx, r: { stderr: string }): void => {
  if (/EPIPE|error|^modelrepo:/im.test(r.stderr)) throw new Error(`stderr complains: ${JSON.stringify(r.stderr.slice(0, 300))}`);
};

/** m: 1.0, 2.0, 3.0 published; tag t was created -> 1.0 and then moved by someone else -> 2.0. */
const movedMeanwhile = async (c: Ctx): Promise<void> => {
  await goodModel(c);
  await publish(c, MODEL, V2, { [GOOD]: GOOD_BYTES });
  await publish(c, MODEL, '3.0', { [GOOD]: GOOD_BYTES });
  await tag(c, MODEL, 't', `../${V2}`);
};

const uploading = /uploading .*[1-9][0-9.]* MiB \//;
const downloading = /downloading .*[1-9][0-9.]* MiB \//;

const rows: Row[] = [
  { id: 'P01', title: 'SIGTERM during an upload exits 143 and leaves no multipart upload and no version', setup: bigLocal, cmd: upload,
    env: PROGRESS, drive: { kind: 'signal', signal: 'SIGTERM', when: uploading }, exit: 143, message: /cancel|terminat/i, check: noUploadLeft },
  { id: 'P02', title: 'SIGINT during an upload exits 130 and leaves nothing of it', setup: bigLocal, cmd: upload,
    env: PROGRESS, drive: { kind: 'signal', signal: 'SIGINT', when: uploading }, exit: 130, message: /cancel/i, check: noUploadLeft },
  { id: 'P03', title: 'SIGINT during a download exits 130 and leaves the destination as it was', setup: bigStored, cmd: download,
    env: PROGRESS, drive: { kind: 'signal', signal: 'SIGINT', when: downloading }, exit: 130, message: /cancel/i },
  { id: 'P04', title: 'SIGTERM during a download exits 143 and leaves the destination as it was', setup: bigStored, cmd: download,
    env: PROGRESS, drive: { kind: 'signal', signal: 'SIGTERM', when: downloading }, exit: 143, message: /cancel|terminat/i },
  { id: 'P05', title: 'resolve | head -1 (stdout closed early) is quiet and exits 0', setup: manyFiles,
    cmd: (c) => ['resolve', c.ref(MODEL, `@${V1}`)], drive: { kind: 'head' }, exit: 0, stdout: /^1\.0/, check: quiet },
  { id: 'P06', title: 'ls | head -1 (stdout closed early) is quiet and exits 0', setup: manyFiles,
    cmd: (c) => ['ls', c.ref(MODEL, `@${V1}`)], drive: { kind: 'head' }, exit: 0, stdout: /\S/, check: quiet },
  {
    id: 'P07', title: 'two uploads of the same version at once: one exits 0, the other 8', drive: { kind: 'race' }, exit: [0, 8],
    setup: async (c) => { await localFile(c, 'race.gguf', Buffer.alloc(8 * 1024 * 1024, 3)); },
    cmd: (c) => ['upload', c.ref(MODEL, `@${V1}`), join(c.files, 'race.gguf')], message: /m@1\.0/,
    check: async (c) => {
      const keys = [...(await c.b.snapshot()).keys()].filter((k) => k.startsWith(`${MODEL}/${V1}/`));
      if (!keys.includes(`${MODEL}/${V1}/.modelrepo-version.json`) || keys.includes(`${MODEL}/${V1}/.modelrepo-pending.json`)) {
        throw new Error(`the version is not cleanly published: ${keys.join(', ')}`);
      }
    },
  },
  { id: 'P08', title: 'tag with --expect 1.0 after someone else moved the tag to 2.0 exits 4 naming where it is now', setup: movedMeanwhile,
    cmd: (c) => ['tag', c.ref(MODEL, ':t'), '3.0', '--expect', V1], exit: 4, message: [/\bt\b/, /2\.0/] },
  { id: 'P09', title: 'untag with a stale --expect exits 4 and keeps the tag', setup: movedMeanwhile,
    cmd: (c) => ['untag', c.ref(MODEL, ':t'), '--expect', V1], exit: 4, message: [/\bt\b/, /2\.0/] },
  {
    id: 'P10', title: 'two tag moves with the same --expect at once: one exits 0, the other 4', drive: { kind: 'race' }, exit: [0, 4],
    setup: async (c) => {
      await movedMeanwhile(c);
      await tag(c, MODEL, 't', `../${V1}`);
    },
    cmd: (c) => ['tag', c.ref(MODEL, ':t'), '3.0', '--expect', V1], message: /\bt\b/,
  },
];

export const PROCESS_ROWS: Table = { title: 'signals, closed pipes and concurrent writers', rows };
