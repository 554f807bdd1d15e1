// Catalogue rows: unsafe names read from storage, as a file, a version or a model name and as an entry
// of a version record. download/resolve/share that would use such a name exit 9 naming the object and
// write nothing; ls still lists the safe entries, prints each refused one escaped on stderr, and exits 9.
import { FILE_NAMES, SEGMENT_NAMES } from './names';
import type { HostileName } from './names';
import { GOOD, GOOD_BYTES, MODEL, OTHER_BYTES, V1, goodModel, legacy, publish, sha256, tag } from './seed';
import type { Ctx, Row, Table } from './types';

const where = (n: HostileName): Row['on'] => (n.fs ? ['fs', 's3'] : ['s3']);

/** One setup per name, so the rows of one name share the prepared repository. */
function memo(make: (n: HostileName) => (c: Ctx) => Promise<void>): (n: HostileName) => (c: Ctx) => Promise<void> {
  const cache = new Map<HostileName, (c: Ctx) => Promise<void>>();
  return (n) => {
    let f = cache.get(n);
    if (!f) cache.set(n, f = make(n));
    return f;
  };
}

/** m@1.0 holds good.gguf and a file with the hostile name, both in the record; `latest` -> the version. */
const fileSetup = memo((n) => async (c) => {
  await publish(c, MODEL, V1, { [GOOD]: GOOD_BYTES, [n.name]: OTHER_BYTES });
  await tag(c, MODEL, 'latest', `../${V1}`);
});

/** m@1.0 is fine; m@<hostile> holds a published copy of it. */
const versionSetup = memo((n) => async (c) => {
  await goodModel(c);
  await publish(c, MODEL, n.name, { [GOOD]: GOOD_BYTES });
});

/** Model `good` is fine; a model with the hostile name sits next to it. */
const modelSetup = memo((n) => async (c) => {
  await goodModel(c, 'good');
  await publish(c, n.name, V1, { [GOOD]: GOOD_BYTES });
});

/** m@1.0 was written by another tool (no record): good.gguf and a file with the hostile name. */
const foreignSetup = memo((n) => async (c) => {
  await legacy(c, MODEL, V1, { [GOOD]: GOOD_BYTES, [n.name]: OTHER_BYTES });
  await tag(c, MODEL, 'latest', `../${V1}`);
});

/** m@1.0's record lists a file with the hostile name next to good.gguf (no such object). */
const recordSetup = memo((n) => async (c) => {
  await publish(c, MODEL, V1, { [GOOD]: GOOD_BYTES }, (r) => ({
    ...r, files: [...r.files, { name: n.name, size: OTHER_BYTES.length, sha256: sha256(OTHER_BYTES) }],
  }));
  await tag(c, MODEL, 'latest', `../${V1}`);
});

const pick = (list: readonly HostileName[], ids: readonly string[]): HostileName[] => list.filter((n) => ids.includes(n.id));

const fileRows: Row[] = [
  ...FILE_NAMES.map((n, i): Row => ({
    id: `N${String(i + 1).padStart(2, '0')}`, title: `download refuses a version holding a file named with ${n.label}`, on: where(n),
    setup: fileSetup(n), cmd: (c) => ['download', c.ref(MODEL, `@${V1}`), c.dest],
    exit: 9, message: [/m@1\.0/, n.shown],
  })),
  ...pick(FILE_NAMES, ['dotdot', 'backslash', 'newline', 'rlo', 'zwsp', 'nfd', 'device']).map((n, i): Row => ({
    id: `N${21 + i}`, title: `ls of a version written by another tool lists good.gguf, refuses the file named with ${n.label} on stderr, exits 9`,
    on: where(n), setup: foreignSetup(n), cmd: (c) => ['ls', c.ref(MODEL)], exit: 9, message: n.shown, stdout: /good\.gguf/,
  })),
  ...pick(FILE_NAMES, ['dotdot', 'esc', 'rlo', 'bom', 'compat']).map((n, i): Row => ({
    id: `N${28 + i}`, title: `resolve of a tag whose version holds a file named with ${n.label} exits 9`, on: where(n),
    setup: fileSetup(n), cmd: (c) => ['resolve', c.ref(MODEL, ':latest')], exit: 9, message: [/m@1\.0|latest/, n.shown],
  })),
  ...pick(FILE_NAMES, ['dotdot-deep', 'rlo', 'winchar']).map((n, i): Row => ({
    id: `N${33 + i}`, title: `share of a version holding a file named with ${n.label} exits 9 and prints no URL`, on: where(n),
    setup: fileSetup(n), cmd: (c) => ['share', c.ref(MODEL, ':latest')], exit: 9, message: [/m@1\.0|latest/, n.shown],
    stdout: /^$/,
  })),
  {
    id: 'N36', title: 'download refuses a version holding good.gguf and GOOD.gguf (one file on macOS and Windows)',
    setup: async (c) => publish(c, MODEL, V1, { [GOOD]: GOOD_BYTES, 'GOOD.gguf': OTHER_BYTES }),
    cmd: (c) => ['download', c.ref(MODEL, `@${V1}`), c.dest], exit: 9, message: [/m@1\.0/, /GOOD\.gguf|good\.gguf/],
  },
];

const segmentRows: Row[] = [
  ...pick(SEGMENT_NAMES, ['dotdot', 'empty', 'backslash', 'esc', 'rlo', 'zwsp', 'compat', 'space-end']).map((n, i): Row => ({
    id: `N${40 + i}`, title: `ls of a model lists 1.0, refuses a version named with ${n.label}, exits 9`, on: where(n),
    setup: versionSetup(n), cmd: (c) => ['ls', c.ref(MODEL)], exit: 9, message: n.shown, stdout: /1\.0/,
  })),
  ...pick(SEGMENT_NAMES, ['dotdot', 'dot', 'backslash', 'newline', 'rlo', 'bom', 'nfd', 'device']).map((n, i): Row => ({
    id: `N${50 + i}`, title: `ls of the repository lists 'good', refuses a model named with ${n.label}, exits 9`, on: where(n),
    setup: modelSetup(n), cmd: (c) => ['ls', c.b.repo], exit: 9, message: n.shown, stdout: /good/,
  })),
];

const recordRows: Row[] = [
  ...pick(FILE_NAMES, ['dotdot', 'absolute', 'backslash', 'rlo', 'newline']).map((n, i): Row => ({
    id: `N${60 + i}`, title: `download refuses a version record listing a file named with ${n.label}`,
    setup: recordSetup(n), cmd: (c) => ['download', c.ref(MODEL, ':latest'), c.dest], exit: 9, message: [/m@1\.0|latest/, n.shown],
  })),
  {
    id: 'N65', title: 'resolve refuses a version record listing ../outside.txt', setup: recordSetup(FILE_NAMES[0]),
    cmd: (c) => ['resolve', c.ref(MODEL, `@${V1}`)], exit: 9, message: [/m@1\.0/, /\.\./],
  },
  {
    id: 'N66', title: 'ls leaves out a version whose record lists a name with a right-to-left override, naming it escaped',
    setup: recordSetup(FILE_NAMES.find((n) => n.id === 'rlo')!), cmd: (c) => ['ls', c.ref(MODEL)], exit: 9,
    message: [/left out 1\.0/, FILE_NAMES.find((n) => n.id === 'rlo')!.shown],
  },
];

export const NAME_ROWS: Table = { title: 'unsafe names read from storage', rows: [...fileRows, ...segmentRows, ...recordRows] };
