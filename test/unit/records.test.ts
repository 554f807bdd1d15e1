// What the repository reads back from storage, judged without storage: version records, the keys
// under a version against its record, tag history records and upload markers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { checkVersionRecord, classifyStoredPath, escapedText, nameClash } from '../../src/core/repo/record';
import { issueError, issuesFor, judgeContents } from '../../src/core/repo/contents';
import { checkHistoryRecord } from '../../src/core/repo/history';
import { parseMarker } from '../../src/core/repo/pending';
import { isBelow } from '../../src/core/repo/downloadPlan';
import type { VersionManifest } from '../../src/core/layout';
import type { ObjectInfo } from '../../src/core/storage/storage';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

function record(files: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ schema: 1, model: 'm', version: '1.0.0', created: '2024-03-20T10:00:00.000Z', createdBy: 'a@b', files, ...extra });
}

describe('version records are checked strictly', () => {
  it('accepts what the tool writes, subfolders included', () => {
    const r = checkVersionRecord(record([{ name: 'a.gguf', size: 3, sha256: H1 }, { name: 'tok/config.json', size: 0, sha256: H2 }]), 'm', '1.0.0');
    assert.ok('record' in r, JSON.stringify(r));
    assert.deepEqual(r.record.files.map((f) => f.name), ['a.gguf', 'tok/config.json']);
  });

  const corrupt: readonly [string, string, RegExp][] = [
    ['not JSON', '{"schema":1,', /not valid JSON/],
    ['JSON but not an object', '[1,2]', /not a JSON object/],
    ['another schema', record([], { schema: 2 }), /schema is '2', not 1/],
    ['another model', record([], { model: 'other' }), /names model 'other'/],
    ['another version', record([], { version: '2.0.0' }), /names version '2.0.0'/],
    ['files not a list', record({ 'a.gguf': 1 }), /'files' is not a list/],
    ['an entry without a name', record([{ size: 1, sha256: H1 }]), /entry 0 has no name/],
    ['a file name that walks up', record([{ name: '../../etc/passwd', size: 1, sha256: H1 }]), /'\.\.\/\.\.\/etc\/passwd', which is refused/],
    ['an absolute file name', record([{ name: '/etc/passwd', size: 1, sha256: H1 }]), /refused: the file name is empty/],
    ['a backslash', record([{ name: 'a\\b.bin', size: 1, sha256: H1 }]), /\\u\{5c\}/],
    ['a bidi override (shown escaped)', record([{ name: 'x\u202Egguf.exe', size: 1, sha256: H1 }]), /'x\\u\{202e\}gguf\.exe'/],
    ['an empty segment', record([{ name: 'a//b', size: 1, sha256: H1 }]), /empty/],
    ['a negative size', record([{ name: 'a', size: -1, sha256: H1 }]), /not a whole number/],
    ['a fractional size', record([{ name: 'a', size: 1.5, sha256: H1 }]), /not a whole number/],
    ['a size beyond 2^53', record([{ name: 'a', size: 2 ** 53, sha256: H1 }]), /not a whole number/],
    ['a size as text', record([{ name: 'a', size: '1', sha256: H1 }]), /not a whole number/],
    ['an uppercase sha256', record([{ name: 'a', size: 1, sha256: H1.toUpperCase() }]), /64 lowercase hex/],
    ['a short sha256', record([{ name: 'a', size: 1, sha256: 'abc' }]), /64 lowercase hex/],
    ['a duplicate name', record([{ name: 'a', size: 1, sha256: H1 }, { name: 'a', size: 1, sha256: H1 }]), /'a' is there twice/],
    ['names equal after folding', record([{ name: 'Model.gguf', size: 1, sha256: H1 }, { name: 'model.GGUF', size: 1, sha256: H2 }]), /same file/],
    ['a file that is also a folder', record([{ name: 'a', size: 1, sha256: H1 }, { name: 'a/b', size: 1, sha256: H2 }]), /is a file and also a folder/],
    ['a non-text author', record([], { createdBy: 7 }), /'createdBy' is not text/],
    ['a source that is not a map of text', record([], { source: { huggingface: 1 } }), /'source'/],
  ];
  for (const [label, text, reason] of corrupt) {
    it(`refuses a record with ${label}`, () => {
      const r = checkVersionRecord(text, 'm', '1.0.0');
      assert.ok('problem' in r, `accepted: ${text}`);
      assert.match(r.problem, reason);
    });
  }
});

describe('keys under a version', () => {
  const table: readonly [string, 'ok' | 'hidden' | 'unsafe'][] = [
    ['a.gguf', 'ok'], ['tok/config.json', 'ok'], ['.gitattributes', 'hidden'], ['.cache/x.bin', 'hidden'], ['sub/.DS_Store', 'hidden'],
    ['..', 'unsafe'], ['../x', 'unsafe'], ['a/../../x', 'unsafe'], ['./a', 'unsafe'], ['a//b', 'unsafe'], ['.hidden/../x', 'unsafe'],
    ['a\\..\\b', 'unsafe'], ['x\u202Egguf', 'unsafe'], ['CON', 'unsafe'], ['cafe\u0301.bin', 'unsafe'], ['a/b\u0000', 'unsafe'],
  ];
  for (const [rel, kind] of table) {
    it(`${JSON.stringify(rel)} is ${kind}`, () => assert.equal(classifyStoredPath(rel).kind, kind));
  }
  it('finds clashes of one download', () => {
    assert.equal(nameClash(['a.gguf', 'b.gguf', 'sub/a.gguf']), undefined);
    assert.match(nameClash(['A.gguf', 'a.gguf']) ?? '', /same file/);
    assert.match(nameClash(['\uFB01le', 'FILE']) ?? '', /same file/);
    assert.match(nameClash(['Sub', 'sub/x']) ?? '', /also a folder/);
  });
  it('escapes text for display and leaves plain text alone', () => {
    assert.equal(escapedText('../2024-03-20/a.gguf'), '../2024-03-20/a.gguf');
    assert.equal(escapedText('v\u202E2'), 'v\\u{202e}2');
  });
});

describe('what a version holds, judged against its record', () => {
  const when = new Date('2024-03-20T10:00:00Z');
  const obj = (rel: string, size: number): ObjectInfo => ({ key: `m/1.0.0/${rel}`, size, modified: when, etag: `e-${rel}` });
  const rec = (files: { name: string; size: number }[]): VersionManifest => ({
    schema: 1, model: 'm', version: '1.0.0', created: when.toISOString(), createdBy: 'x', files: files.map((f) => ({ ...f, sha256: H1 })),
  });
  const judge = (objects: ObjectInfo[], record?: VersionManifest, refused: { key: string; reason: string }[] = []) =>
    judgeContents({ model: 'm', version: '1.0.0', prefix: 'm/1.0.0/', objects, refused, record });

  it('a recorded version that matches its record has no issues, and carries the recorded sha256', () => {
    const c = judge([obj('a.gguf', 3), obj('.modelrepo-version.json', 100), obj('.gitattributes', 5), obj('sub/', 0)], rec([{ name: 'a.gguf', size: 3 }]));
    assert.deepEqual(c.issues, []);
    assert.deepEqual(c.artifacts.map((a) => [a.name, a.sha256, a.sha256From, a.problem]), [['a.gguf', H1, 'record', undefined]]);
  });
  it('a legacy version lists its files without checksums', () => {
    const c = judge([obj('b.bin', 1), obj('a.bin', 2)]);
    assert.deepEqual(c.artifacts.map((a) => [a.name, a.sha256]), [['a.bin', undefined], ['b.bin', undefined]]);
    assert.deepEqual(c.issues, []);
  });
  it('an unsafe key is listed escaped with a problem, and forbids the whole version but not its other files', () => {
    const c = judge([obj('a.bin', 1), obj('../../x', 1), obj('x\u202Egguf', 1)]);
    const bad = c.artifacts.filter((a) => a.problem);
    assert.deepEqual(bad.map((a) => a.name).sort(), ["'../../x'", "'x\\u{202e}gguf'"]);
    assert.ok(bad.every((a) => /unsafe name/.test(a.problem ?? '')));
    assert.ok(c.artifacts.every((a) => !/[\u202E]/.test(a.key)), 'keys are shown escaped');
    assert.equal(issuesFor(c, undefined).length, 2);
    assert.equal(issuesFor(c, 'a.bin').length, 0);
    const e = issueError('download', issuesFor(c, undefined));
    assert.equal(e.code, 'Unsafe');
    assert.match(e.message, /^Cannot download m@1\.0\.0: the repository holds '/);
    assert.match(e.message, /and 1 more problem\)$/);
  });
  it('an object the record does not list is Corrupt for every reference into the version', () => {
    const c = judge([obj('a.gguf', 3), obj('extra.bin', 1)], rec([{ name: 'a.gguf', size: 3 }]));
    assert.equal(c.artifacts.find((a) => a.name === 'extra.bin')?.problem, 'not in the version record (added after the version was published)');
    const issues = issuesFor(c, 'a.gguf');
    assert.deepEqual(issues.map((i) => [i.code, i.object]), [['Corrupt', 'm@1.0.0/extra.bin']]);
  });
  it('a recorded file that is missing is listed with a problem and is Corrupt', () => {
    const c = judge([obj('a.gguf', 3)], rec([{ name: 'a.gguf', size: 3 }, { name: 'b.gguf', size: 9 }]));
    const b = c.artifacts.find((a) => a.name === 'b.gguf');
    assert.equal(b?.problem, 'listed in the version record but missing from storage');
    assert.equal(b?.size, 9);
    assert.deepEqual(issuesFor(c, undefined).map((i) => i.code), ['Corrupt']);
  });
  it('a size that differs from the record is Integrity for that file only', () => {
    const c = judge([obj('a.gguf', 4), obj('b.gguf', 1)], rec([{ name: 'a.gguf', size: 3 }, { name: 'b.gguf', size: 1 }]));
    assert.deepEqual(issuesFor(c, undefined).map((i) => [i.code, i.object]), [['Integrity', 'm@1.0.0/a.gguf']]);
    assert.deepEqual(issuesFor(c, 'b.gguf'), []);
    assert.match(issueError('download', issuesFor(c, 'a.gguf')).reason, /4 bytes, the version record says 3/);
  });
  it('entries the backend refused are listed with its reason; a refused version folder forbids everything', () => {
    const c = judge([obj('a.bin', 1)], undefined, [{ key: 'm/1.0.0/link.bin', reason: 'a symbolic link leaving the repository' }]);
    assert.equal(c.artifacts.find((a) => a.problem)?.name, "'link.bin'");
    assert.equal(issuesFor(c, 'a.bin').length, 0);
    const folder = judge([], undefined, [{ key: 'm/1.0.0/', reason: 'a symbolic link' }]);
    assert.deepEqual(issuesFor(folder, 'a.bin').map((i) => i.code), ['Unsafe']);
  });
  it('orders issues Unsafe, Corrupt, Integrity', () => {
    const c = judge([obj('a.gguf', 4), obj('extra', 1), obj('..', 1)], rec([{ name: 'a.gguf', size: 3 }]));
    assert.deepEqual(c.issues.map((i) => i.code), ['Unsafe', 'Corrupt', 'Integrity']);
  });
});

describe('history records and upload markers read back', () => {
  const rec = (r: Record<string, unknown>): string => JSON.stringify({ tag: 'latest', op: 'move', from: 'v1', to: 'v2', who: 'a@b', when: '2024-03-20T10:00:00Z', id: 'x1', ...r });
  it('keeps what the tool writes', () => {
    assert.deepEqual(checkHistoryRecord(rec({}), 'latest'), { tag: 'latest', op: 'move', from: 'v1', to: 'v2', who: 'a@b', when: '2024-03-20T10:00:00Z', id: 'x1' });
  });
  it('drops records in another tag\'s folder, with an unknown op, or without a time', () => {
    assert.equal(checkHistoryRecord(rec({}), 'stable'), undefined);
    assert.equal(checkHistoryRecord(rec({ op: 'rm -rf' }), 'latest'), undefined);
    assert.equal(checkHistoryRecord(rec({ when: 'yesterday' }), 'latest'), undefined);
    assert.equal(checkHistoryRecord(rec({ to: 7 }), 'latest'), undefined);
    assert.equal(checkHistoryRecord('not json', 'latest'), undefined);
  });
  it('escapes the free text it shows', () => {
    const r = checkHistoryRecord(rec({ who: 'eve\u202E@host', to: '../1.0.0/\u200Bx' }), 'latest');
    assert.equal(r?.who, 'eve\\u{202e}@host');
    assert.equal(r?.to, '../1.0.0/\\u{200b}x');
  });
  it('keeps only well-formed done entries of a marker', () => {
    const m = parseMarker(JSON.stringify({
      schema: 1, who: 'a', host: 'h', pid: 1, started: 's', updated: 'u', files: [{ name: 'a', size: 1 }, { name: '../x', size: 1 }],
      done: [{ name: 'a', size: 1, sha256: H1 }, { name: 'b', size: 1, sha256: 'nope' }, { name: '../etc', size: 1, sha256: H1 }, { name: 'c', size: -1, sha256: H1 }],
    }));
    assert.deepEqual(m?.files, [{ name: 'a', size: 1 }]);
    assert.deepEqual(m?.done, [{ name: 'a', size: 1, sha256: H1 }]);
    assert.equal(parseMarker('[]'), undefined);
    assert.equal(parseMarker('{'), undefined);
  });
});

describe('destination paths', () => {
  const root = path.resolve('/dest/root');
  it('is below only for the root itself and paths inside it', () => {
    assert.ok(isBelow(root, root));
    assert.ok(isBelow(root, path.join(root, 'a', 'b')));
    assert.ok(isBelow(root, path.join(root, '..a')));
    assert.ok(!isBelow(root, path.resolve('/dest')));
    assert.ok(!isBelow(root, path.resolve('/dest/root2')));
    assert.ok(!isBelow(root, path.resolve('/etc/passwd')));
  });
});
