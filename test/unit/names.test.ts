import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRepoError } from '../../src/core/errors';
import { MAX_NAME_BYTES, checkStoredName, compareVersions, foldedName, isDateVersion, isSemver, nameProblem, showName, todayVersion, validateName } from '../../src/core/names';
import type { NameKind } from '../../src/core/names';

describe('names: what is refused, and why', () => {
  it('refuses empty names', () => {
    assert.match(nameProblem('model', '') ?? '', /empty/);
  });
  it('refuses . and ..', () => {
    assert.match(nameProblem('version', '..') ?? '', /not a version name/);
    assert.match(nameProblem('file', '.') ?? '', /not a file name/);
  });
  it('refuses slashes and backslashes', () => {
    assert.match(nameProblem('model', 'a/b') ?? '', /slash/);
    assert.match(nameProblem('tag', 'a\\b') ?? '', /slash/);
    assert.match(nameProblem('file', '../etc/passwd') ?? '', /slash/);
  });
  it('refuses control characters', () => {
    assert.match(nameProblem('file', 'a\u0000b') ?? '', /control character/);
    assert.match(nameProblem('tag', 'v1\n') ?? '', /control character|space/);
    assert.match(nameProblem('model', 'x\u007f') ?? '', /control character/);
  });
  it('refuses over-long names, counting UTF-8 bytes', () => {
    assert.equal(nameProblem('file', 'a'.repeat(MAX_NAME_BYTES)), undefined);
    assert.match(nameProblem('file', 'a'.repeat(MAX_NAME_BYTES + 1)) ?? '', /bytes long/);
    assert.match(nameProblem('model', 'é'.repeat(128)) ?? '', /256 bytes/);
  });
  it('reserves tags and .modelrepo as model and version names', () => {
    assert.match(nameProblem('version', 'tags') ?? '', /reserved/);
    assert.match(nameProblem('model', 'tags') ?? '', /reserved/);
    assert.ok(nameProblem('version', '.modelrepo'));
  });
  it('refuses hidden names, leading/trailing spaces, and : or @ where references use them', () => {
    assert.match(nameProblem('file', '.modelrepo-version.json') ?? '', /starts with a dot/);
    assert.match(nameProblem('model', ' llama') ?? '', /space/);
    assert.match(nameProblem('tag', 'a:b') ?? '', /':' or '@'/);
    assert.match(nameProblem('version', 'v@1') ?? '', /':' or '@'/);
  });
  it('accepts the chapter names', () => {
    for (const [kind, n] of [['model', 'llama-3-8b'], ['version', '2024-03-20'], ['version', '1.2.0'], ['tag', 'latest'],
      ['file', 'llama-3-8b.Q4_K_M.gguf'], ['file', 'model-00001-of-00004.safetensors']] as const) {
      assert.equal(nameProblem(kind, n), undefined, `${kind} ${n}`);
    }
  });
  it('validateName throws InvalidName naming the kind and the value (control characters escaped)', () => {
    assert.equal(validateName('tag', 'v2'), 'v2');
    try {
      validateName('version', 'a\u0001b');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(isRepoError(e, 'InvalidName'));
      assert.equal(e.object, "'a\\u{1}b'");
      assert.match(e.message, /^Cannot use version name 'a\\u\{1\}b': the version name contains a control character$/);
    }
  });
});

/** Characters no message may carry raw: controls, invisible and direction-changing ones, lone surrogates. */
const DISGUISING = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\ufffd]|(?!\u0020)\p{Zs}/u;
const KINDS: readonly NameKind[] = ['model', 'version', 'tag', 'file'];

// A name read from a bucket or a shared folder may be anything. Each of these is refused as every kind
// of name, typed or stored, for the reason given.
const HOSTILE: readonly [string, string, RegExp][] = [
  ['dot-dot', '..', /not a \w+ name/],
  ['dot', '.', /not a \w+ name/],
  ['absolute path', '/etc/passwd', /slash/],
  ['drive-absolute Windows path', 'C:\\x', /slash/],
  ['backslash', 'a\\b', /slash/],
  ['C0 control (SOH)', 'a\u0001b', /control character/],
  ['C0 control (ESC, terminal escapes)', 'a\u001b[31mb', /control character/],
  ['DEL', 'ab\u007f', /control character/],
  ['C1 control (NEL)', 'a\u0085b', /control character/],
  ['C1 control (CSI)', 'a\u009bb', /control character/],
  ['bidi override U+202E', 'evil\u202Efgg.exe', /invisible or direction-changing/],
  ['bidi isolate U+2066', 'a\u2066b', /invisible or direction-changing/],
  ['zero-width space U+200B', 'late\u200Bst', /invisible or direction-changing/],
  ['zero-width joiner U+200D', 'a\u200Db', /invisible or direction-changing/],
  ['byte order mark', '\uFEFFmodel', /space|invisible/],
  ['soft hyphen', 'mo\u00ADdel', /invisible or direction-changing/],
  ['no-break space', 'a\u00A0b', /invisible or direction-changing/],
  ['ideographic space', 'a\u3000b', /invisible or direction-changing/],
  ['line separator U+2028', 'a\u2028b', /invisible or direction-changing/],
  ['private use character', 'a\uE000b', /invisible or direction-changing/],
  ['lone surrogate', 'a\uD800b', /invisible or direction-changing/],
  ['U+FFFD (bytes that were not UTF-8)', 'a\uFFFDb', /invisible or direction-changing/],
  ['NFD spelling of é', 'cafe\u0301', /normal form NFC/],
  ['Ohm sign for Omega (NFC changes it)', '\u2126', /normal form NFC/],
  ['fullwidth letter', '\uFF4Dodel', /compatibility character.*'model'/],
  ['ligature', '\uFB01le', /compatibility character.*'file'/],
  ['superscript digit in a device name', 'lpt\u00B9', /compatibility character/],
  ['Windows device name', 'CON', /Windows device name/],
  ['Windows device name with an extension', 'nul.gguf', /Windows device name/],
  ['Windows device name COM1', 'com1', /Windows device name/],
  ['Windows character <', 'a<b', /not allowed on Windows/],
  ['Windows character |', 'a|b', /not allowed on Windows/],
  ['Windows character ?', 'a?b', /not allowed on Windows/],
  ['Windows character *', 'a*b', /not allowed on Windows/],
  ['Windows character "', 'a"b', /not allowed on Windows/],
  ['trailing dot', 'model.', /ends with a dot/],
  ['trailing space', 'model ', /space/],
  ['leading space', ' model', /space/],
  ['over-long (256 bytes)', 'x'.repeat(256), /256 bytes long/],
  ['over-long in UTF-8 only (128 x 2 bytes)', '\u00E9'.repeat(128), /256 bytes long/],
  ['empty', '', /empty/],
];

// Names people really use: they pass as every kind.
const FRIENDLY: readonly string[] = [
  'llama-3-8b', 'Qwen2.5-7B-Instruct', '2024-03-20', '1.2.0-rc.1', 'v2', 'latest', 'ggml-model-q4_0',
  'model-00001-of-00004.safetensors', 'llama-3-8b.Q5_K_M.gguf', 'caf\u00E9', 'na\u00EFve', '\u6A21\u578B', '\u043C\u043E\u0434\u0435\u043B\u044C',
  'my model', 'Ω-\u03A9', '\u{1F999}-llama', 'x'.repeat(255),
];

describe('names: hostile names read from storage', () => {
  for (const [label, name, reason] of HOSTILE) {
    it(`refuses ${label} as every kind of name, with a message that shows it escaped`, () => {
      for (const kind of KINDS) {
        const p = nameProblem(kind, name);
        assert.ok(p, `${kind} ${JSON.stringify(name)} should be refused`);
        assert.match(p, reason, kind);
        assert.doesNotMatch(p, DISGUISING, `the reason for ${kind} carries a raw disguising character`);
        try {
          checkStoredName(kind, name, 'download', 'm@1.0.0');
          assert.fail('checkStoredName should throw');
        } catch (e) {
          assert.ok(isRepoError(e, 'Unsafe'), String(e));
          assert.match(e.message, /^Cannot download m@1\.0\.0: the repository holds a \w+ named '/);
          assert.doesNotMatch(e.message, DISGUISING);
          assert.equal(e.details.name, showName(name));
        }
      }
    });
  }
  for (const name of FRIENDLY) {
    it(`accepts ${JSON.stringify(name)} as every kind of name`, () => {
      for (const kind of KINDS) assert.equal(nameProblem(kind, name), undefined, kind);
      assert.equal(checkStoredName('file', name, 'download', 'm@1'), name);
    });
  }
  it('showName escapes what can disguise a name, and nothing else', () => {
    assert.equal(showName('evil\u202Efgg.exe'), "'evil\\u{202e}fgg.exe'");
    assert.equal(showName('a\\b'), "'a\\u{5c}b'");
    assert.equal(showName('a\uD800b'), "'a\\u{d800}b'");
    assert.equal(showName('caf\u00E9 \u6A21\u578B'), "'caf\u00E9 \u6A21\u578B'");
  });
  it('foldedName makes names that differ only in case or compatibility form equal', () => {
    assert.equal(foldedName('Model.GGUF'), foldedName('model.gguf'));
    assert.equal(foldedName('\uFB01le'), foldedName('FILE'));
    assert.notEqual(foldedName('a.gguf'), foldedName('b.gguf'));
  });
});

describe('names: version ordering', () => {
  const sorted = (xs: string[]): string[] => [...xs].sort(compareVersions);
  it('orders dates by date', () => {
    assert.deepEqual(sorted(['2024-03-20', '2023-12-31', '2024-01-15']), ['2023-12-31', '2024-01-15', '2024-03-20']);
  });
  it('orders semvers numerically, pre-releases before the release', () => {
    assert.deepEqual(sorted(['1.10.0', '1.2.0', '1.2.0-rc.1', 'v1.9.9', '0.9.0']), ['0.9.0', '1.2.0-rc.1', '1.2.0', 'v1.9.9', '1.10.0']);
  });
  it('orders other names as text', () => {
    assert.deepEqual(sorted(['b', 'a', 'c']), ['a', 'b', 'c']);
    assert.equal(compareVersions('1.0.0', '1.0.0'), 0);
  });
  it('recognises dates and semvers', () => {
    assert.ok(isDateVersion('2024-02-29'));
    assert.ok(!isDateVersion('2023-02-29'));
    assert.ok(isDateVersion('2024-03-20.2'));
    assert.ok(!isDateVersion('2024-13-01'));
    assert.ok(isSemver('1.2.3-beta.1+build.5'));
    assert.ok(!isSemver('1.2'));
    assert.equal(todayVersion(new Date(Date.UTC(2024, 2, 20, 23, 59))), '2024-03-20');
  });
});
