// The pure parts of the CLI's trust-boundary behaviour: deadline flags and variables, the exit codes of
// cancels, permission problems and partial listings, tag warnings, kubeconfig errors that quote nothing,
// and the Hub fetch's deadlines (driven with a stand-in fetch, no network).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRepoError, RepoError } from '../../src/core/errors';
import { hubError } from '../../src/core/hf/hubErrors';
import { deadlineFetch, deadlineReason, HubDeadline } from '../../src/core/hf/hubFetch';
import { kubeconfigError } from '../../src/core/kube/kubeconfigFile';
import { warningOf } from '../../src/cli/describe';
import { describeError, exitCodeOf, PartialResult, UsageError } from '../../src/cli/exitCodes';
import { globalFlagsFrom, timeoutFlags } from '../../src/cli/globalFlags';
import { cancelExitCode, cancelReason } from '../../src/cli/processGuards';

describe('deadline flags and variables', () => {
  it('reads --connect-timeout, --timeout and --stall-timeout as seconds', () => {
    assert.deepEqual(timeoutFlags({ 'connect-timeout': '2.5', timeout: '60', 'stall-timeout': '0.1' }, 'u'), { connectMs: 2500, firstByteMs: 60_000, stallMs: 100 });
    assert.deepEqual(timeoutFlags({}, 'u'), {});
  });
  for (const bad of ['', '0', 'ten', '-1', '1e3', '90000', '1s']) {
    it(`refuses --timeout '${bad}' as a usage error`, () => {
      assert.throws(() => timeoutFlags({ timeout: bad }, 'u'), (e) => e instanceof UsageError && e.message.includes(`--timeout '${bad}'`));
    });
  }
  it('a malformed MODELREPO_*_TIMEOUT is exit 2 naming the variable, whatever the flags say', () => {
    assert.throws(() => globalFlagsFrom({ timeout: '5' }, 'u', { MODELREPO_STALL_TIMEOUT: 'soon' }), (e) =>
      exitCodeOf(e) === 2 && (e as Error).message.includes('MODELREPO_STALL_TIMEOUT') && (e as Error).message.includes("'soon'"));
    assert.deepEqual(globalFlagsFrom({ timeout: '5' }, 'u', { MODELREPO_CONNECT_TIMEOUT: '3' }).timeouts, { firstByteMs: 5000 });
  });
});

describe('exit codes of cancels, permissions and partial results', () => {
  it('SIGTERM is 143, SIGINT and any other cancel 130', () => {
    assert.equal(cancelExitCode(cancelReason('SIGTERM')), 143);
    assert.equal(cancelExitCode(cancelReason('SIGINT')), 130);
    assert.equal(cancelExitCode(new Error('x')), 130);
    assert.equal(cancelReason('SIGTERM').name, 'AbortError');
  });

  const errno = (code: string, syscall: string, path: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: permission denied, ${syscall} '${path}'`), { code, syscall, path });
  const cases: [string, unknown, number, RegExp][] = [
    ['an unreadable file', errno('EACCES', 'open', '/data/m.gguf'), 5, /^Cannot open \/data\/m\.gguf: permission denied$/],
    ['a folder it may not create', errno('EACCES', 'mkdir', '/srv/x'), 5, /^Cannot write \/srv\/x: permission denied$/],
    ['a folder it may not list', errno('EPERM', 'scandir', '/srv/y'), 5, /^Cannot read \/srv\/y: permission denied$/],
    ['a read-only file system', errno('EROFS', 'rename', '/ro/f'), 5, /read-only/],
    ['a Storage error caused by EACCES', new RepoError('Storage', 'download', 'm@1', 'EACCES', { cause: errno('EACCES', 'open', '/d/f') }), 5, /^Cannot download m@1/],
    ['a Permission error of the core', new RepoError('Permission', 'upload', 'm@1', 'cannot read /x: permission denied'), 5, /cannot read \/x/],
    ['entries left out of a listing', new PartialResult(9, ['r: left out a: unsafe', 'r: left out b: corrupt']), 9, /^r: left out a: unsafe$/],
    ['anything else', new Error('boom'), 1, /^unexpected error: boom$/],
  ];
  for (const [what, e, code, first] of cases) {
    it(`${what}: exit ${code}`, () => {
      assert.equal(exitCodeOf(e), code);
      const d = describeError(e);
      assert.equal(d.report.exitCode, code);
      assert.match(d.lines[0], first);
    });
  }
  it('a partial result names each entry on its own line', () => {
    assert.deepEqual(describeError(new PartialResult(9, ['a', 'b'])).lines, ['a', 'b']);
  });
});

describe('tag warnings', () => {
  const cases: [unknown, string | undefined][] = [
    [undefined, undefined], [null, undefined], [{}, undefined], [{ warning: '' }, undefined], [{ warning: 42 }, undefined],
    [{ warning: 'the history record was not written' }, 'the history record was not written'],
  ];
  for (const [result, expected] of cases) {
    it(`warningOf(${JSON.stringify(result)})`, () => assert.equal(warningOf(result), expected));
  }
});

describe('kubeconfig errors quote nothing of the file', () => {
  const TOKEN = 'tok-0123456789abcdef';
  const yamlError = (reason: string, line: number, column: number): Error => Object.assign(new Error(`${reason} (${line + 1}:${column + 1})\n\n 9 |     token: ${TOKEN}\n`), {
    name: 'YAMLException', reason, mark: { line, column, buffer: `token: ${TOKEN}`, snippet: `token: ${TOKEN}` },
  });
  const cases: [string, unknown, string, RegExp][] = [
    ['a YAML syntax error', yamlError('bad indentation of a mapping entry', 9, 3), 'Config', /is not valid YAML at line 10, column 4: bad indentation of a mapping entry$/],
    ['a YAML error whose reason quotes the file', yamlError(`unknown tag !<${TOKEN}>`, 2, 0), 'Config', /is not valid YAML at line 3, column 1$/],
    ['a missing file', Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), 'Config', /does not exist/],
    ['an unreadable file', Object.assign(new Error('EACCES'), { code: 'EACCES' }), 'Permission', /permission denied/],
    ['a missing field', new Error('users[0].name is missing'), 'Config', /is not a valid kubeconfig: users\[0\]\.name is missing$/],
    ['anything else', new Error(`cannot use token ${TOKEN}`), 'Config', /cannot be read as a kubeconfig$/],
  ];
  for (const [what, e, code, message] of cases) {
    it(what, () => {
      const r = kubeconfigError(e, '/home/me/.kube/config', 'apply');
      assert.ok(isRepoError(r, code as 'Config'), `${r.code}`);
      assert.match(r.message, message);
      assert.ok(r.message.includes('/home/me/.kube/config'));
      assert.ok(!r.message.includes(TOKEN) && r.cause === undefined);
    });
  }
});

describe('the Hub fetch deadlines', () => {
  const T = { connectMs: 20, firstByteMs: 30, stallMs: 40 };
  /** A fetch that never answers, and rejects with the abort reason like global fetch. */
  const silent: typeof fetch = (_input, init) => new Promise((_, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

  it('no answer within connect + first byte: HubDeadline, a Network error naming the endpoint', async () => {
    const e = await deadlineFetch(T, undefined, silent)('http://hub/x').then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof HubDeadline && e.phase === 'answer' && e.ms === 50);
    const r = hubError(e, { repo: 'org/m', endpoint: 'http://hub', tokenGiven: true });
    assert.ok(isRepoError(r, 'Network'));
    assert.match(r.message, /^Cannot import org\/m: the Hub at http:\/\/hub sent no answer within 0\.1 s$/);
  });

  it('the caller\'s cancel is Aborted, not a deadline', async () => {
    const ac = new AbortController();
    const p = deadlineFetch({ ...T, firstByteMs: 60_000 }, ac.signal, silent)('http://hub/x');
    ac.abort(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
    const e = await p.then(() => undefined, (err: unknown) => err);
    assert.ok(isRepoError(hubError(e, { repo: 'org/m', endpoint: 'http://hub', tokenGiven: false }, ac.signal), 'Aborted'));
  });

  it('a body that stops sending fails with a stall; url and status survive the wrapping', async () => {
    const stalls: typeof fetch = async () => {
      const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new Uint8Array([1, 2, 3])); } });
      const res = new Response(body, { status: 200, headers: { etag: '"e"' } });
      Object.defineProperty(res, 'url', { value: 'http://cdn/file' });
      return res;
    };
    const res = await deadlineFetch(T, undefined, stalls)('http://hub/resolve/file');
    assert.equal(res.url, 'http://cdn/file');
    assert.equal(res.headers.get('etag'), '"e"');
    const e = await res.arrayBuffer().then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof HubDeadline && e.phase === 'stall', String(e));
    assert.match(deadlineReason(String((e as Error).message)) ?? '', /^no data for /);
  });

  it('a body that keeps coming, however slowly it is read, is not a stall', async () => {
    const steady: typeof fetch = async () => new Response(new ReadableStream<Uint8Array>({
      pull(c) { c.enqueue(new Uint8Array(1)); if (++sent === 5) c.close(); },
    }));
    let sent = 0;
    const reader = (await deadlineFetch(T, undefined, steady)('http://hub/x')).body!.getReader();
    let got = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 60)); // a slow reader: longer than stallMs between reads
      const r = await reader.read();
      if (r.done) break;
      got += r.value.length;
    }
    assert.equal(got, 5);
  });
});
