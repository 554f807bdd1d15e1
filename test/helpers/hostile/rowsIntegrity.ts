// Catalogue rows: integrity. Bytes changed after the upload are exit 7 and leave no file (an earlier
// good copy at the destination is kept); the sha256 travels with each object, so deleting the version
// record first does not help. A record that is unreadable, of the wrong shape or that contradicts what
// is stored is exit 9 (Corrupt). A version written by another tool (no record) still downloads, with a
// "not verified" note.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { GOOD, GOOD_BYTES, MODEL, OTHER_BYTES, RECORD, V1, legacy, localFile, pending, publish, sha256, tag } from './seed';
import type { VersionRecord } from './seed';
import type { Ctx, Row, Table } from './types';

const flipped = (b: Buffer): Buffer => Buffer.from(b.map((x, i) => (i === b.length - 5 ? x ^ 0xff : x)));

/** m@1.0 uploaded by the product itself (so it attaches its checksums), tagged latest. */
async function uploaded(c: Ctx): Promise<void> {
  const file = await localFile(c, `up/${GOOD}`);
  const r = await c.cli(['upload', c.ref(MODEL, `@${V1}`), file, '--tag', 'latest']);
  if (r.code !== 0) throw new Error(`setup upload failed: exit ${r.code}\n${r.stderr}`);
}

const key = `${MODEL}/${V1}/${GOOD}`;
const tamperedSameSize = async (c: Ctx): Promise<void> => {
  await uploaded(c);
  await c.b.tamper(key, flipped(GOOD_BYTES));
};
const tamperedLonger = async (c: Ctx): Promise<void> => {
  await uploaded(c);
  await c.b.tamper(key, Buffer.concat([GOOD_BYTES, Buffer.from('appended by someone else')]));
};
const goodCopyThenTampered = async (c: Ctx): Promise<void> => {
  await tamperedSameSize(c);
  await fsp.writeFile(join(c.dest, GOOD), GOOD_BYTES);
};
const recordGoneThenTampered = async (c: Ctx): Promise<void> => {
  await uploaded(c);
  await c.b.remove(`${MODEL}/${V1}/${RECORD}`);
  await c.b.tamper(key, flipped(GOOD_BYTES));
};
const recordGone = async (c: Ctx): Promise<void> => {
  await uploaded(c);
  await c.b.remove(`${MODEL}/${V1}/${RECORD}`);
};

/** m@1.0 published with good.gguf, its record replaced by `spoil(record)`; `latest` -> the version. */
const spoiled = (spoil: (r: VersionRecord) => unknown) => async (c: Ctx): Promise<void> => {
  await publish(c, MODEL, V1, { [GOOD]: GOOD_BYTES }, spoil);
  await tag(c, MODEL, 'latest', `../${V1}`);
};

const download = (c: Ctx): string[] => ['download', c.ref(MODEL, `@${V1}`), c.dest];
const gotGood = async (c: Ctx): Promise<void> => {
  const got = await fsp.readFile(join(c.dest, GOOD)).catch(() => undefined);
  if (!got || sha256(got) !== sha256(GOOD_BYTES)) throw new Error('the downloaded good.gguf is missing or not byte-identical');
};

const rows: Row[] = [
  { id: 'I01', title: 'download of a file whose bytes were changed after upload (same size) exits 7 and leaves no file', setup: tamperedSameSize,
    cmd: download, exit: 7, message: [/m@1\.0|good\.gguf/, /sha256/i] },
  { id: 'I02', title: 'download of a single tampered file (@1.0/good.gguf) exits 7', setup: tamperedSameSize,
    cmd: (c) => ['download', c.ref(MODEL, `@${V1}/${GOOD}`), c.dest], exit: 7, message: /good\.gguf/ },
  { id: 'I03', title: 'download through a tag of a tampered file exits 7', setup: tamperedSameSize,
    cmd: (c) => ['download', c.ref(MODEL, ':latest'), c.dest], exit: 7, message: /good\.gguf|m@1\.0/ },
  { id: 'I04', title: 'download of a file that grew after upload exits 7', setup: tamperedLonger, cmd: download, exit: 7, message: /good\.gguf|m@1\.0/ },
  { id: 'I05', title: 'a tampered download keeps the earlier good copy at the destination byte-identical', setup: goodCopyThenTampered,
    cmd: download, exit: 7, message: /good\.gguf|m@1\.0/, check: gotGood },
  { id: 'I06', title: 'record deleted, then bytes changed: the sha256 stored with the object still catches it (7)', setup: recordGoneThenTampered,
    cmd: download, exit: 7, message: /good\.gguf|m@1\.0/ },
  { id: 'I07', title: 'record deleted, bytes intact: downloads (the sha256 stored with the object matches)', setup: recordGone,
    cmd: download, exit: 0, check: gotGood },
  { id: 'I08', title: 'a version record that is not JSON is exit 9 for download', setup: spoiled(() => '{"schema": 1, "files": [{"name": "good.gguf", '),
    cmd: download, exit: 9, message: /m@1\.0|record|\.modelrepo-version\.json/ },
  { id: 'I09', title: 'a version record that is not JSON is exit 9 for resolve', setup: spoiled(() => '{"schema": 1, "files": [{"name": "good.gguf", '),
    cmd: (c) => ['resolve', c.ref(MODEL, ':latest')], exit: 9, message: /m@1\.0|record|\.modelrepo-version\.json/ },
  { id: 'I10', title: 'a version record of an unknown schema (99) is exit 9', setup: spoiled((r) => ({ ...r, schema: 99 })),
    cmd: download, exit: 9, message: /m@1\.0|record|schema/ },
  { id: 'I11', title: "a version record whose 'files' is not a list is exit 9", setup: spoiled((r) => ({ ...r, files: { [GOOD]: 40 } })),
    cmd: download, exit: 9, message: /m@1\.0|record/ },
  { id: 'I12', title: 'a version record whose sizes are not numbers is exit 9',
    setup: spoiled((r) => ({ ...r, files: r.files.map((f) => ({ ...f, size: String(f.size) })) })), cmd: download, exit: 9, message: /m@1\.0|record|size/ },
  { id: 'I13', title: 'a version record listing good.gguf twice is exit 9',
    setup: spoiled((r) => ({ ...r, files: [...r.files, { name: GOOD, size: OTHER_BYTES.length, sha256: sha256(OTHER_BYTES) }] })),
    cmd: download, exit: 9, message: /good\.gguf|m@1\.0/ },
  { id: 'I14', title: "a version record whose sha256 is not a hash is exit 9",
    setup: spoiled((r) => ({ ...r, files: r.files.map((f) => ({ ...f, sha256: 'not-a-sha256; rm -rf /' })) })), cmd: download, exit: 9, message: /m@1\.0|record|sha256/ },
  { id: 'I15', title: 'a version record of another model and version is exit 9', setup: spoiled((r) => ({ ...r, model: 'other', version: '9.9' })),
    cmd: download, exit: 9, message: /m@1\.0|record/ },
  { id: 'I16', title: "a version record that is JSON 'null' is exit 9", setup: spoiled(() => 'null'), cmd: download, exit: 9, message: /m@1\.0|record/ },
  {
    id: 'I17', title: 'a 20 MiB version record (above the 16 MiB a record may have) is exit 9 for resolve', deadlineMs: 60_000,
    setup: spoiled((r) => `${JSON.stringify({ ...r, padding: 'x'.repeat(20 * 1024 * 1024) })}\n`),
    cmd: (c) => ['resolve', c.ref(MODEL, `@${V1}`)], exit: 9, message: /m@1\.0|record/,
  },
  { id: 'I18', title: 'a version record listing a file that is not stored is exit 9',
    setup: spoiled((r) => ({ ...r, files: [...r.files, { name: 'missing.gguf', size: 3, sha256: sha256('abc') }] })),
    cmd: download, exit: 9, message: /missing\.gguf/ },
  { id: 'I19', title: 'a version record whose size differs from the stored object is exit 7',
    setup: spoiled((r) => ({ ...r, files: r.files.map((f) => ({ ...f, size: 10 })) })), cmd: download, exit: 7, message: /good\.gguf|m@1\.0/ },
  {
    id: 'I20', title: 'download refuses a published version with an object added afterwards (extra.gguf)',
    setup: async (c) => {
      await spoiled((r) => r)(c);
      await c.b.put(`${MODEL}/${V1}/extra.gguf`, OTHER_BYTES);
    },
    cmd: download, exit: 9, message: /extra\.gguf/,
  },
  {
    id: 'I21', title: 'resolve refuses a published version with an object added afterwards (extra.gguf)',
    setup: async (c) => {
      await spoiled((r) => r)(c);
      await c.b.put(`${MODEL}/${V1}/extra.gguf`, OTHER_BYTES);
    },
    cmd: (c) => ['resolve', c.ref(MODEL, ':latest')], exit: 9, message: /extra\.gguf/,
  },
  { id: 'I22', title: 'a version written by another tool (no record) downloads with a "not verified" note',
    setup: async (c) => legacy(c, MODEL, V1, { [GOOD]: GOOD_BYTES }), cmd: download, exit: 0, message: /not verified/, check: gotGood },
  { id: 'I23', title: 'download of an unfinished version (upload marker, no record) exits 9 naming it',
    setup: async (c) => pending(c, MODEL, V1, { [GOOD]: GOOD_BYTES }), cmd: download, exit: 9, message: /m@1\.0/ },
];

export const INTEGRITY_ROWS: Table = { title: 'integrity of stored bytes and version records', rows };
