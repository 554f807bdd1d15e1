import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RepoError, registerSecret } from '../../src/core/errors';
import type { ErrorCode } from '../../src/core/errors';
import { describeError, exitCodeOf, UsageError } from '../../src/cli/exitCodes';
import { formatBytes, formatDuration, parseDuration, table } from '../../src/cli/format';
import { ProgressLine } from '../../src/cli/progress';

describe('CLI formatting', () => {
  it('formats sizes in binary units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(300 * 1024), '300 KiB');
    assert.equal(formatBytes(5733781120), '5.3 GiB');
    assert.equal(formatBytes(1024 ** 4 * 2), '2.0 TiB');
    assert.equal(formatBytes(6000), '5.9 KiB', 'as the tree shows a file');
    assert.equal(formatBytes(-1), '?');
  });
  it('formats durations', () => {
    assert.equal(formatDuration(4.25), '4.3s');
    assert.equal(formatDuration(42), '42s');
    assert.equal(formatDuration(185), '3m05s');
    assert.equal(formatDuration(7620), '2h07m');
  });
  it('parses --expires durations and refuses the rest', () => {
    assert.equal(parseDuration('3600'), 3600);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('7d'), 604800);
    for (const bad of ['', '1x', 'h', '1h 30m', '-5', '1.5h']) assert.equal(parseDuration(bad), undefined, bad);
  });
  it('aligns table columns without trailing spaces', () => {
    assert.equal(table([['a', 'bb', 'c'], ['ccc', 'd', '']]), 'a    bb  c\nccc  d');
  });
});

describe('CLI exit codes', () => {
  const expected: Record<ErrorCode, number> = {
    InvalidName: 2, InvalidRef: 2, Config: 2, NotFound: 3, Conflict: 4, Auth: 5, Network: 6, Integrity: 7,
    Exists: 8, InUse: 8, BrokenLink: 9, Incomplete: 9, Unsafe: 9, Corrupt: 9, Permission: 5, Aborted: 130, Storage: 1,
  };
  it('maps every core error code', () => {
    for (const [code, exit] of Object.entries(expected)) {
      assert.equal(exitCodeOf(new RepoError(code as ErrorCode, 'tag', 'm', 'why')), exit, code);
    }
    assert.equal(exitCodeOf(new UsageError('bad')), 2);
    assert.equal(exitCodeOf(Object.assign(new Error('x'), { name: 'AbortError' })), 130);
    assert.equal(exitCodeOf(new TypeError('boom')), 1);
  });
  it('says where a conflicting tag points now and redacts secrets from unexpected errors', () => {
    const c = describeError(new RepoError('Conflict', 'move tag', 'm:latest', 'someone else moved it',
      { details: { current: 'v3', who: 'bob@laptop', when: '2024-03-20T00:00:00Z' } }));
    assert.deepEqual(c.lines, ['Cannot move tag m:latest: someone else moved it', 'it now points at v3 (moved by bob@laptop at 2024-03-20T00:00:00Z)']);
    assert.equal(c.report.exitCode, 4);
    registerSecret('very-secret-key-42');
    const u = describeError(new Error('signature for very-secret-key-42 failed'));
    assert.ok(!u.lines.join(' ').includes('very-secret-key-42'), u.lines.join(' '));
    assert.equal(u.report.exitCode, 1);
  });
});

describe('CLI progress line', () => {
  function fakeStream(tty: boolean): { stream: NodeJS.WriteStream; out: string[] } {
    const out: string[] = [];
    const stream = { isTTY: tty, columns: 120, write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WriteStream;
    return { stream, out };
  }
  it('redraws at most every 250 ms on a terminal, with rate and ETA', () => {
    let now = 0;
    const { stream, out } = fakeStream(true);
    const p = new ProgressLine({ verb: 'uploading', total: 100 * 1048576, stream, now: () => now });
    for (let i = 1; i <= 40; i++) {
      now = i * 50; // 20 updates a second
      p.update(i * 1048576, i * 1048576, 'm@v f');
    }
    assert.equal(out.length, 8, 'two seconds at 4 redraws a second');
    assert.match(out[out.length - 1], /^\r\x1b\[2Kuploading m@v f {2}40\.0 MiB \/ 100 MiB \(40%\) {2}20\.0 MiB\/s {2}ETA 3s$/);
    p.finish();
    assert.equal(out[out.length - 1], '\r\x1b[2K');
  });
  it('prints whole lines every 5 s when stderr is a log, and counts only bytes moved by this run', () => {
    let now = 0;
    const { stream, out } = fakeStream(false);
    const p = new ProgressLine({ verb: 'uploading', total: 100, stream, now: () => now });
    for (let i = 1; i <= 20; i++) {
      now = i * 1000;
      p.update(50 + i, i, 'x');
    }
    assert.equal(out.length, 4);
    assert.ok(out.every((l) => l.endsWith('\n') && !l.includes('\r')));
    assert.equal(p.bytesMoved, 20);
  });
});
