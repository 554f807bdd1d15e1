// Catalogue rows: hostile tag links (the text of a symlink in tags/ or of a tag object on S3) and
// hostile tag names. A link that leaves the model, is absolute, dangles, loops, is binary or huge, or
// names something unsafe makes resolve/download/tag/manifest exit 9 naming the tag; nothing is written.
import { escaped } from './names';
import { GOOD, GOOD_BYTES, MODEL, V1, goodModel, pending, publish, tag } from './seed';
import type { Ctx, Table } from './types';

/** m@1.0 with good.gguf and `latest`, plus a tag `evil` holding exactly `text`. */
const evil = (text: string) => async (c: Ctx): Promise<void> => {
  await goodModel(c);
  await tag(c, MODEL, 'evil', text);
};

const resolveEvil = (c: Ctx): string[] => ['resolve', c.ref(MODEL, ':evil')];
const downloadEvil = (c: Ctx): string[] => ['download', c.ref(MODEL, ':evil'), c.dest];
/** A name or link holding a newline must not start a line of its own in the output. */
const noForgedLine = (re: RegExp) => (_c: Ctx, r: { stdout: string; stderr: string }): void => {
  if (re.test(r.stdout) || re.test(r.stderr)) throw new Error(`the output holds a forged line: ${re}`);
};

const leaves = evil('../../outside.txt');

/** `evil` -> a published version whose name holds a right-to-left override. */
const rloVersion = async (c: Ctx): Promise<void> => {
  await evil('../v\u202e1.0')(c);
  await publish(c, MODEL, 'v\u202e1.0', { [GOOD]: GOOD_BYTES });
};

export const LINK_ROWS: Table = {
  title: 'hostile tag links and tag names',
  rows: [
    { id: 'L01', title: "resolve refuses a tag that leaves the model ('../../outside.txt')", setup: leaves, cmd: resolveEvil, exit: 9, message: /evil/ },
    { id: 'L02', title: "download refuses a tag that leaves the model and writes nothing", setup: leaves, cmd: downloadEvil, exit: 9, message: /evil/ },
    { id: 'L03', title: "tag refuses to point a new tag at a tag that leaves the model", setup: leaves,
      cmd: (c) => ['tag', c.ref(MODEL, ':new'), 'evil'], exit: 9, message: /evil/ },
    { id: 'L04', title: 'resolve refuses an absolute link (/etc/passwd)', setup: evil('/etc/passwd'), cmd: resolveEvil, exit: 9, message: /evil/ },
    { id: 'L05', title: "resolve refuses a link that climbs out through a version ('../1.0/../../../outside.txt')",
      setup: evil('../1.0/../../../outside.txt'), cmd: resolveEvil, exit: 9, message: /evil/ },
    { id: 'L06', title: 'resolve refuses a Windows drive path as a link', setup: evil('C:\\Windows\\win.ini'), cmd: resolveEvil, exit: 9, message: /evil/ },
    { id: 'L07', title: 'resolve refuses a URL as a link', setup: evil('https://evil.example/m.gguf'), cmd: resolveEvil, exit: 9, message: /evil/ },
    { id: 'L08', title: 'resolve refuses a link to a file named with a right-to-left override, escaped',
      setup: evil('../1.0/good\u202egguf.exe'), cmd: resolveEvil, exit: 9, message: [/evil/, escaped(0x202e)] },
    { id: 'L09', title: 'resolve refuses a link with a second line, and the forged line is not printed',
      setup: evil(`../${V1}/${GOOD}\nmodelrepo: all files verified`), cmd: resolveEvil, exit: 9, message: /evil/,
      check: noForgedLine(/^modelrepo: all files verified/m) },
    { id: 'L10', title: 'resolve refuses an empty tag object', on: ['s3'], setup: evil(''), cmd: resolveEvil, exit: 9, message: /evil/ },
    { id: 'L11', title: 'resolve refuses a tag object holding binary data', on: ['s3'], setup: evil('\u0000\u0001\u0002GGUF\u00ff'),
      cmd: resolveEvil, exit: 9, message: /evil/ },
    { id: 'L12', title: 'resolve refuses a 2 MiB tag object without reading it whole', on: ['s3'], setup: evil('a/'.repeat(1024 * 1024)),
      cmd: resolveEvil, exit: 9, message: /evil/ },
    { id: 'L13', title: 'resolve refuses a 4000-byte symlink as a tag', on: ['fs'], setup: evil('x'.repeat(4000)), cmd: resolveEvil, exit: 9, message: /evil/ },
    {
      id: 'L14', title: 'resolve refuses a link to a version named with a zero-width space, escaped',
      setup: async (c) => {
        await evil(`../1.\u200b0/${GOOD}`)(c);
        await publish(c, MODEL, '1.\u200b0', { [GOOD]: GOOD_BYTES });
      },
      cmd: resolveEvil, exit: 9, message: [/evil/, escaped(0x200b)],
    },
    { id: 'L15', title: 'manifest refuses a tag pointing at a version named with a right-to-left override', setup: rloVersion,
      cmd: (c) => ['manifest', c.ref(MODEL, ':evil'), '--nfs-server', 'nfs.example', '--nfs-path', '/export'],
      exit: 9, message: [/evil/, escaped(0x202e)], stdout: /^$/ },
    { id: 'L25', title: 'tag refuses to point a new tag at a tag whose version is named with a right-to-left override', setup: rloVersion,
      cmd: (c) => ['tag', c.ref(MODEL, ':new'), 'evil'], exit: 9, message: [/evil/, escaped(0x202e)] },
    {
      id: 'L16', title: 'resolve names the cycle a -> b -> a',
      setup: async (c) => {
        await goodModel(c);
        await tag(c, MODEL, 'a', 'b');
        await tag(c, MODEL, 'b', 'a');
      },
      cmd: (c) => ['resolve', c.ref(MODEL, ':a')], exit: 9, message: [/cycle|loop/i, /\bb\b/],
    },
    { id: 'L17', title: 'resolve refuses a tag that points at itself', setup: evil('evil'), cmd: resolveEvil, exit: 9, message: [/evil/, /cycle|loop|itself/i] },
    { id: 'L18', title: 'resolve names a dangling tag (version 9.9 does not exist)', setup: evil(`../9.9/${GOOD}`), cmd: resolveEvil, exit: 9, message: [/evil/, /9\.9/] },
    {
      id: 'L19', title: "download refuses a tag into another model ('../../other/1.0/good.gguf')",
      setup: async (c) => {
        await evil(`../../other/${V1}/${GOOD}`)(c);
        await publish(c, 'other', V1, { [GOOD]: GOOD_BYTES });
      },
      cmd: downloadEvil, exit: 9, message: /evil/,
    },
    { id: 'L20', title: "download refuses a tag that points at the version record", setup: evil(`../${V1}/.modelrepo-version.json`),
      cmd: downloadEvil, exit: 9, message: /evil/ },
    {
      id: 'L21', title: 'resolve refuses a chain of 40 tags (longer than a chain may be)',
      setup: async (c) => {
        await goodModel(c);
        for (let i = 0; i < 40; i++) await tag(c, MODEL, `t${i}`, i === 39 ? `../${V1}/${GOOD}` : `t${i + 1}`);
      },
      cmd: (c) => ['resolve', c.ref(MODEL, ':t0')], exit: 9, message: /t0|long|deep|32/,
    },
    {
      id: 'L22', title: 'download refuses a tag pointing at an unfinished upload (2.0 has a pending marker)',
      setup: async (c) => {
        await evil('../2.0')(c);
        await pending(c, MODEL, '2.0', { [GOOD]: GOOD_BYTES });
      },
      cmd: downloadEvil, exit: 9, message: /2\.0/,
    },
    {
      id: 'L23', title: 'ls lists latest and refuses a tag named with a right-to-left override, escaped',
      setup: async (c) => {
        await goodModel(c);
        await tag(c, MODEL, 'latest\u202egnp.exe', `../${V1}/${GOOD}`);
      },
      cmd: (c) => ['ls', c.ref(MODEL)], exit: 9, message: escaped(0x202e), stdout: /latest/,
    },
    {
      id: 'L24', title: 'ls lists latest and refuses a tag name that forges a line, escaped',
      setup: async (c) => {
        await goodModel(c);
        await tag(c, MODEL, 'a\nmodelrepo: all tags verified', `../${V1}/${GOOD}`);
      },
      cmd: (c) => ['ls', c.ref(MODEL)], exit: 9, message: escaped(0x0a), stdout: /latest/, check: noForgedLine(/^modelrepo: all tags verified/m),
    },
  ],
};
