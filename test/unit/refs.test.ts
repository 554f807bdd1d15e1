import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RepoError } from '../../src/core/errors';
import { formatRef, formatRepo, hasSelector, parseRef, parseRepo } from '../../src/core/refs';

function fails(fn: () => unknown, code: 'InvalidRef' | 'InvalidName', includes: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RepoError, `expected RepoError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(includes), `'${e.message}' should include '${includes}'`);
    return true;
  });
}

describe('parseRef: mc alias repositories', () => {
  it('reads alias, bucket, model and tag', () => {
    assert.deepEqual(parseRef('localai/models/llama-3-8b:latest'), {
      repo: { kind: 'alias', alias: 'localai', bucket: 'models' }, model: 'llama-3-8b', tag: 'latest',
    });
  });
  it('takes every segment between bucket and model as the prefix', () => {
    assert.deepEqual(parseRef('localai/models/team-a/vision/llama-3-8b@2024-03-20'), {
      repo: { kind: 'alias', alias: 'localai', bucket: 'models', prefix: 'team-a/vision' }, model: 'llama-3-8b', version: '2024-03-20',
    });
  });
  it('reads a file after the version, with subfolders', () => {
    const r = parseRef('localai/models/llama-3-8b@2024-03-20/llama-3-8b.Q5_K_M.gguf', { file: true });
    assert.equal(r.version, '2024-03-20');
    assert.equal(r.file, 'llama-3-8b.Q5_K_M.gguf');
    assert.equal(parseRef('a/bkt/m@1.0.0/shards/model-00001-of-00002.safetensors', { file: true }).file, 'shards/model-00001-of-00002.safetensors');
  });
  it('accepts a model without selector and one trailing slash', () => {
    assert.deepEqual(parseRef('localai/models/llama-3-8b/'), { repo: { kind: 'alias', alias: 'localai', bucket: 'models' }, model: 'llama-3-8b' });
    assert.deepEqual(parseRef('localai/models/llama-3-8b@v1/'), { repo: { kind: 'alias', alias: 'localai', bucket: 'models' }, model: 'llama-3-8b', version: 'v1' });
  });
  it('lets an "@" inside the file name through', () => {
    assert.equal(parseRef('a/bkt/m@v1/x@q4.gguf', { file: true }).file, 'x@q4.gguf');
  });
  it('needs a bucket after the alias', () => {
    fails(() => parseRef('localai/llama-3-8b:latest'), 'InvalidRef', 'bucket is missing');
    fails(() => parseRef('llama-3-8b:latest'), 'InvalidRef', 'repository is missing');
  });
  it('rejects bad alias and bucket names', () => {
    fails(() => parseRef('local ai/models/m:t'), 'InvalidRef', 'not an alias name');
    fails(() => parseRef('localai/x/m:t'), 'InvalidRef', "'x' is not a bucket name");
    fails(() => parseRef('localai/mo dels/m:t'), 'InvalidRef', 'not a bucket name');
    fails(() => parseRef('localai/models//m:t'), 'InvalidRef', 'empty path segment');
    fails(() => parseRef('localai/models/../m:t'), 'InvalidRef', "'..'");
  });
});

describe('parseRef: s3:// repositories', () => {
  it('reads bucket, prefix, model, version and file', () => {
    assert.deepEqual(parseRef('s3://bkt/p/q/model@v/file.bin', { file: true }), {
      repo: { kind: 's3', bucket: 'bkt', prefix: 'p/q' }, model: 'model', version: 'v', file: 'file.bin',
    });
  });
  it('reads a model directly in the bucket', () => {
    assert.deepEqual(parseRef('s3://models/llama-3-8b:latest'), { repo: { kind: 's3', bucket: 'models' }, model: 'llama-3-8b', tag: 'latest' });
  });
  it('needs a bucket before the model', () => {
    fails(() => parseRef('s3://llama-3-8b:latest'), 'InvalidRef', 'repository is missing');
    fails(() => parseRef('s3://'), 'InvalidRef', 'repository is missing');
  });
});

describe('parseRef: filesystem repositories', () => {
  it('reads absolute, relative and home paths', () => {
    assert.deepEqual(parseRef('/srv/models/llama-3-8b:v1'), { repo: { kind: 'fs', path: '/srv/models' }, model: 'llama-3-8b', tag: 'v1' });
    assert.deepEqual(parseRef('./repo/llama-3-8b@2024-01-15'), { repo: { kind: 'fs', path: './repo' }, model: 'llama-3-8b', version: '2024-01-15' });
    assert.deepEqual(parseRef('../x/m'), { repo: { kind: 'fs', path: '../x' }, model: 'm' });
    assert.deepEqual(parseRef('./m:t'), { repo: { kind: 'fs', path: '.' }, model: 'm', tag: 't' });
    assert.deepEqual(parseRef('~/models/m:t'), { repo: { kind: 'fs', path: '~/models' }, model: 'm', tag: 't' });
    assert.deepEqual(parseRef('/m:t'), { repo: { kind: 'fs', path: '/' }, model: 'm', tag: 't' });
    assert.deepEqual(parseRef('file:///srv/models/m:t'), { repo: { kind: 'fs', path: '/srv/models' }, model: 'm', tag: 't' });
  });
  it('does not take a plain relative path for a folder (it would be an alias)', () => {
    assert.equal(parseRef('repo/models/m').repo.kind, 'alias');
  });
});

describe('parseRef: names and selectors', () => {
  it('names the bad model, tag or version in the message', () => {
    fails(() => parseRef('localai/models/tags:latest'), 'InvalidName', "'tags'");
    fails(() => parseRef('localai/models/.hidden:latest'), 'InvalidName', "'.hidden'");
    fails(() => parseRef('localai/models/m:.x'), 'InvalidName', "'.x'");
    fails(() => parseRef('localai/models/m@.v'), 'InvalidName', "'.v'");
    fails(() => parseRef(`localai/models/${'a'.repeat(300)}:t`), 'InvalidName', 'bytes long');
    fails(() => parseRef('localai/models/m\u0001x:t'), 'InvalidName', 'control character');
    fails(() => parseRef('localai/models/m@v1/..', { file: true }), 'InvalidName', "'..'");
  });
  it('says what is missing around the selector', () => {
    fails(() => parseRef('localai/models/:latest'), 'InvalidRef', 'model name is missing');
    fails(() => parseRef('localai/models/m:'), 'InvalidRef', 'tag name is missing');
    fails(() => parseRef('localai/models/m@'), 'InvalidRef', 'version is missing');
    fails(() => parseRef('localai/models/m:a:b'), 'InvalidName', "contains ':' or '@'");
    fails(() => parseRef('localai/models/m:latest/file'), 'InvalidRef', 'a tag cannot be followed by a file');
    fails(() => parseRef(''), 'InvalidRef', 'empty');
    fails(() => parseRef('https://minio.example.com/models/m:t'), 'InvalidRef', 'only s3:// and file://');
  });
  it('applies what the command accepts', () => {
    fails(() => parseRef('a/bkt/m@v1', { tag: 'required' }), 'InvalidRef', 'a tag is required');
    fails(() => parseRef('a/bkt/m:t', { version: 'required' }), 'InvalidRef', 'a version is required');
    fails(() => parseRef('a/bkt/m:t', { tag: 'forbidden' }), 'InvalidRef', 'tag (:<tag>) is not accepted');
    fails(() => parseRef('a/bkt/m@v', { version: 'forbidden' }), 'InvalidRef', 'version (@<version>) is not accepted');
    fails(() => parseRef('a/bkt/m@v/f'), 'InvalidRef', 'file (@<version>/<file>) is not accepted');
    fails(() => parseRef('a/bkt/m', { selector: 'required' }), 'InvalidRef', 'a tag or a version is required');
    assert.equal(parseRef('a/bkt/m:t', { selector: 'required' }).tag, 't');
  });
});

describe('parseRepo', () => {
  it('reads the three kinds', () => {
    assert.deepEqual(parseRepo('localai/models'), { kind: 'alias', alias: 'localai', bucket: 'models' });
    assert.deepEqual(parseRepo('localai/models/team-a/'), { kind: 'alias', alias: 'localai', bucket: 'models', prefix: 'team-a' });
    assert.deepEqual(parseRepo('s3://models'), { kind: 's3', bucket: 'models' });
    assert.deepEqual(parseRepo('s3://models/team-a'), { kind: 's3', bucket: 'models', prefix: 'team-a' });
    assert.deepEqual(parseRepo('/srv/models/'), { kind: 'fs', path: '/srv/models' });
    assert.deepEqual(parseRepo('.'), { kind: 'fs', path: '.' });
  });
  it('refuses selectors, other schemes and a bare alias', () => {
    fails(() => parseRepo('localai/models/m:latest'), 'InvalidRef', "cannot contain ':' or '@'");
    fails(() => parseRepo('https://minio.example.com/models'), 'InvalidRef', 'only s3:// and file://');
    fails(() => parseRepo('localai'), 'InvalidRef', 'bucket is missing');
    fails(() => parseRepo('s3://'), 'InvalidRef', 'bucket is missing');
    fails(() => parseRepo('file://relative'), 'InvalidRef', 'absolute path');
  });
});

describe('formatting', () => {
  it('round-trips references', () => {
    for (const text of ['localai/models/llama-3-8b:latest', 'localai/models/team-a/m@2024-03-20/f.gguf', 's3://bkt/p/m:v1', '/srv/models/m@1.0.0', './r/m', '/m:t']) {
      assert.equal(formatRef(parseRef(text, { file: true })), text);
    }
    assert.equal(formatRepo(parseRepo('s3://bkt/p')), 's3://bkt/p');
  });
  it('hasSelector ignores the scheme colon', () => {
    assert.equal(hasSelector('s3://bkt/m'), false);
    assert.equal(hasSelector('s3://bkt/m:t'), true);
    assert.equal(hasSelector('a/bkt/m@v'), true);
  });
});
