// Pure rules of the S3 backend's trust boundary: which object keys can be sent as they are, which
// answers cannot come from an S3 server, how TLS failures are recognised, and how a passed deadline
// reads. The same rules at work against real servers: test/integration/s3Safety.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeAnswer } from '../../src/core/storage/s3Answer';
import type { AskedFor } from '../../src/core/storage/s3Answer';
import { DeadlineError, describeDeadline } from '../../src/core/storage/s3Deadlines';
import { keyProblem } from '../../src/core/storage/s3Keys';
import { tlsProblem } from '../../src/core/storage/s3Tls';

describe('S3 key rule', () => {
  it('refuses keys that URL normalization would turn into other keys', () => {
    for (const key of ['..', '.', '../a', 'a/..', 'a/../b', 'a/./b', './a', '/a', 'a//b', '//']) {
      assert.ok(keyProblem(key), key);
    }
  });
  it('accepts keys whose parts only look like dots, and prefixes ending in /', () => {
    for (const key of ['', 'a', 'a/', 'a/b/', 'a..b', '...', 'a/.../b', '.hidden', 'a/.modelrepo-version.json', '%2e%2e', 'a /b', 'ü/😀']) {
      assert.equal(keyProblem(key), undefined, key);
    }
  });
});

describe('S3 answers', () => {
  const list: AskedFor = { method: 'GET', path: '/bucket', query: { 'list-type': '2', delimiter: '/' } };
  const head: AskedFor = { method: 'HEAD', path: '/bucket/key', query: {} };
  const get: AskedFor = { method: 'GET', path: '/bucket/key', query: {} };
  const put: AskedFor = { method: 'PUT', path: '/bucket/key', query: {} };
  const amz = { 'x-amz-request-id': 'tx1' };
  const cases: [string, AskedFor, number, Record<string, string>, boolean][] = [
    ['an S3 listing', list, 200, { 'content-type': 'application/xml', ...amz }, true],
    ['an S3 error', get, 404, { 'content-type': 'application/xml' }, true],
    ['an S3 HEAD 404 without a body', head, 404, {}, true],
    ['an S3 redirect', get, 301, { 'content-type': 'application/xml', ...amz }, true],
    ['an HTML object stored in S3', get, 200, { 'content-type': 'text/html', ...amz }, true],
    ['a JSON object stored in S3', get, 200, { 'content-type': 'application/json', ...amz }, true],
    ['a gateway error in front of S3', list, 502, { 'content-type': 'text/html' }, true],
    ['a web server 404 page', get, 404, { 'content-type': 'text/html; charset=utf-8' }, false],
    ['a web server HEAD 404', head, 404, { 'content-type': 'text/html' }, false],
    ['a web page where a listing was asked for', list, 200, { 'content-type': 'text/html' }, false],
    ['a JSON API answering a listing', list, 200, { 'content-type': 'application/json' }, false],
    ['a JSON API 404', get, 404, { 'content-type': 'application/json' }, false],
    ['a JSON API taking a PUT', put, 200, { 'content-type': 'application/json' }, false],
    ['a redirect to https by a web server', list, 301, { location: 'https://s3.example.com/x' }, false],
    ['a login page of a proxy', get, 401, { 'content-type': 'text/html' }, false],
  ];
  for (const [what, req, status, headers, s3] of cases) {
    it(`${what}: ${s3 ? 'may be S3' : 'is not S3'}`, () => {
      const verdict = judgeAnswer(req, status, headers);
      assert.equal(verdict === undefined, s3, verdict?.message);
    });
  }
  it('names where a redirect leads', () => {
    assert.equal(judgeAnswer(list, 302, { location: 'https://s3.example.com:9000/b?x' })?.redirectTo, 'https://s3.example.com:9000');
  });
});

describe('TLS failures and deadlines', () => {
  it('recognises the kinds of TLS failure by their codes', () => {
    const err = (code: string, message = ''): Error => Object.assign(new Error(message), { code });
    assert.equal(tlsProblem(err('DEPTH_ZERO_SELF_SIGNED_CERT')), 'untrusted');
    assert.equal(tlsProblem(err('UNABLE_TO_GET_ISSUER_CERT_LOCALLY')), 'untrusted');
    assert.equal(tlsProblem(err('CERT_HAS_EXPIRED')), 'expired');
    assert.equal(tlsProblem(err('ERR_TLS_CERT_ALTNAME_INVALID')), 'hostname');
    assert.equal(tlsProblem(err('EPROTO', 'tls_validate_record_header:wrong version number')), 'notTls');
    assert.equal(tlsProblem(new Error('wrapped', { cause: err('ERR_SSL_WRONG_VERSION_NUMBER') })), 'notTls');
    assert.equal(tlsProblem(err('ECONNRESET')), undefined);
  });
  it('says what ran out, with the endpoint and the limit', () => {
    assert.equal(describeDeadline('connect', 10_000, 'the S3 endpoint http://h:9'), 'the S3 endpoint http://h:9 did not accept a connection within 10 s');
    assert.equal(describeDeadline('firstByte', 30_000, 'the S3 endpoint http://h:9'), 'the S3 endpoint http://h:9 did not answer within 30 s');
    assert.match(describeDeadline('receive', 1500, 'X'), /stalled: no data from X for 1\.5 s/);
    assert.match(describeDeadline('send', 1500, 'X'), /stalled: X took no data for 1\.5 s/);
  });
  it('lets the SDK retry only the deadlines marked retriable', () => {
    assert.equal(new DeadlineError('firstByte', 1, true).name, 'TimeoutError');
    assert.equal(new DeadlineError('firstByte', 1).name, 'DeadlineError');
  });
});
