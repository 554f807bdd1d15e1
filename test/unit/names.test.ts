import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRepoError } from '../../src/core/errors';
import { MAX_NAME_BYTES, compareVersions, isDateVersion, isSemver, nameProblem, todayVersion, validateName } from '../../src/core/names';

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
