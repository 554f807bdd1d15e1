// Names that are unsafe on some platform or can pass for another name, as they could be found in a
// bucket or a folder written by another tool. `shown` is how the name must appear in a message: the
// invisible and control characters escaped (`\u{202e}`; `\x..`/`\u....` spellings are accepted too), the
// rest recognisable. `fs` says whether a folder on Linux can hold the name (`..`, an empty segment and
// names over 255 bytes exist only as S3 keys).
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HostileName {
  readonly id: string;
  readonly label: string;
  readonly name: string;
  readonly fs: boolean;
  readonly shown: RegExp;
}

/** Matches an escaped code point in any of the usual spellings: \u{202e}, \u202E, \x1b. */
export function escaped(cp: number): RegExp {
  const h = cp.toString(16);
  const alts = [`\\\\u\\{0*${h}\\}`, `\\\\u${h.padStart(4, '0')}`];
  if (cp < 0x100) alts.push(`\\\\x${h.padStart(2, '0')}`);
  return new RegExp(alts.join('|'), 'i');
}

/** Where `../`-style names would land when followed from a destination folder: /tmp (or TMPDIR). */
export const PWNED_ABS = join(tmpdir(), 'modelrepo-pwned-abs.txt');
export const PWNED_DEEP = join(tmpdir(), 'modelrepo-pwned-deep.txt');

/** Names of one file inside a version (the key's last part; some hold slashes, as keys can). */
export const FILE_NAMES: readonly HostileName[] = [
  { id: 'dotdot', label: "'../outside.txt' (overwrites a file next to the destination)", name: '../outside.txt', fs: false, shown: /\.\./ },
  { id: 'dotdot-sub', label: "'../sentinel/new.txt' (a new file in a folder next to the destination)", name: '../sentinel/new.txt', fs: false, shown: /\.\./ },
  { id: 'dotdot-deep', label: "'../../..' down to /tmp", name: `${'../'.repeat(24)}${PWNED_DEEP.slice(1)}`, fs: false, shown: /\.\./ },
  { id: 'dot', label: "a '.' segment ('./x.gguf')", name: './x.gguf', fs: false, shown: /'\.'|\.\/x\.gguf/ },
  { id: 'absolute', label: 'an absolute name (an empty key segment: m/1.0//tmp/...)', name: PWNED_ABS, fs: false, shown: /modelrepo-pwned-abs|absolute|empty|''/i },
  { id: 'backslash', label: 'backslashes (..\\..\\outside.txt: a traversal on Windows)', name: '..\\..\\outside.txt', fs: true, shown: /\\u\{5c\}|\\\\|backslash/i },
  { id: 'esc', label: 'an ESC sequence (terminal colours)', name: 'red\u001b[31m.gguf', fs: true, shown: escaped(0x1b) },
  { id: 'newline', label: 'a newline that forges an output line', name: 'fake\nmodelrepo: verified.gguf', fs: true, shown: escaped(0x0a) },
  { id: 'c1', label: 'a C1 control (CSI, U+009B)', name: 'csi\u009b31m.gguf', fs: true, shown: escaped(0x9b) },
  { id: 'rlo', label: "a right-to-left override ('model<RLO>fgg.exe' shows as model.exe.ggf)", name: 'model\u202efgg.exe', fs: true, shown: escaped(0x202e) },
  { id: 'zwsp', label: 'a zero-width space', name: 'mo\u200bdel.gguf', fs: true, shown: escaped(0x200b) },
  { id: 'bom', label: 'a byte order mark in front', name: '\ufeffmodel.gguf', fs: true, shown: escaped(0xfeff) },
  { id: 'nfd', label: 'a decomposed (non-NFC) spelling', name: 'cafe\u0301.gguf', fs: true, shown: /cafe(\u0301|\\u\{301\}|\\u0301)/i },
  { id: 'compat', label: 'a compatibility look-alike (fullwidth m)', name: '\uff4dodel.gguf', fs: true, shown: /\uff4dodel|\\u\{ff4d\}|\\uff4d/i },
  { id: 'device', label: "a Windows device name ('NUL.gguf')", name: 'NUL.gguf', fs: true, shown: /NUL\.gguf/ },
  { id: 'device-bare', label: "a bare Windows device name ('com1')", name: 'com1', fs: true, shown: /com1/ },
  { id: 'winchar', label: "a character Windows refuses ('what?.gguf')", name: 'what?.gguf', fs: true, shown: /what\?\.gguf/ },
  { id: 'dot-end', label: 'a trailing dot', name: 'model.gguf.', fs: true, shown: /model\.gguf\./ },
  { id: 'space-end', label: 'a trailing space', name: 'model.gguf ', fs: true, shown: /model\.gguf( |\\u\{20\}|\\u0020)/ },
  { id: 'long', label: 'a 300-byte name', name: `${'a'.repeat(295)}.gguf`, fs: false, shown: /a{16}|bytes/ },
];

/** Names of one path segment, for a version or a model. */
export const SEGMENT_NAMES: readonly HostileName[] = [
  { id: 'dotdot', label: "'..'", name: '..', fs: false, shown: /'\.\.'|\.\./ },
  { id: 'dot', label: "'.'", name: '.', fs: false, shown: /'\.'/ },
  { id: 'empty', label: 'an empty name (a double slash in the key)', name: '', fs: false, shown: /empty|''/i },
  { id: 'backslash', label: 'a backslash', name: 'v1\\..', fs: true, shown: /\\u\{5c\}|\\\\|backslash/i },
  { id: 'esc', label: 'an ESC sequence (clear screen)', name: 'v\u001b[2J', fs: true, shown: escaped(0x1b) },
  { id: 'newline', label: 'a newline', name: 'v1\nv2', fs: true, shown: escaped(0x0a) },
  { id: 'rlo', label: 'a right-to-left override', name: 'v\u202e1.0', fs: true, shown: escaped(0x202e) },
  { id: 'zwsp', label: 'a zero-width space', name: '1.\u200b0', fs: true, shown: escaped(0x200b) },
  { id: 'bom', label: 'a byte order mark', name: '\ufeff1.0', fs: true, shown: escaped(0xfeff) },
  { id: 'nfd', label: 'a decomposed (non-NFC) spelling', name: 'cafe\u0301', fs: true, shown: /cafe(\u0301|\\u\{301\}|\\u0301)/i },
  { id: 'compat', label: 'a compatibility look-alike (fullwidth digit)', name: '\uff11.0', fs: true, shown: /\uff11\.0|\\u\{ff11\}|\\uff11/i },
  { id: 'device', label: "a Windows device name ('CON')", name: 'CON', fs: true, shown: /CON/ },
  { id: 'space-end', label: 'a trailing space', name: '1.0 ', fs: true, shown: /1\.0( |\\u\{20\}|\\u0020)/ },
];

export function fileName(id: string): HostileName {
  const n = FILE_NAMES.find((x) => x.id === id);
  if (!n) throw new Error(`no file name ${id}`);
  return n;
}

export function segmentName(id: string): HostileName {
  const n = SEGMENT_NAMES.find((x) => x.id === id);
  if (!n) throw new Error(`no segment name ${id}`);
  return n;
}
