// The backend table (src/core/backends): every storage kind declares everything callers ask, and no
// file outside the backends (and the storage implementations) tells kinds apart by comparing them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Backend } from '../../src/core/backends/backend';
import { BACKENDS, BACKEND_LIST, backendOf, locationBackend } from '../../src/core/backends/index';
import { isRepoError } from '../../src/core/errors';
import { formatRepo, parseRepo } from '../../src/core/refs';

// Every field of a Backend, with the type it must have: a new backend must declare each one.
const FIELDS: Record<keyof Backend, 'string' | 'boolean' | 'function' | 'object'> = {
  kind: 'string', label: 'string', icon: 'string', bucketed: 'boolean', presign: 'boolean', clusterPull: 'boolean',
  nfsMount: 'boolean', sortedListing: 'boolean', schemes: 'object', fallback: 'boolean',
  open: 'function', listBuckets: 'function', repository: 'function', uriOf: 'function',
  parseLocation: 'function', formatLocation: 'function', locationConfig: 'function',
  settingsFields: 'object', fromSettings: 'function', settingsDetail: 'function', samePlace: 'function',
  podLocation: 'function', podKeys: 'function', withClusterEndpoint: 'function', nfsOf: 'function', withNfs: 'function',
};

// The repository root: out/test/unit -> three levels up.
const ROOT = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Comparisons with a storage kind (or a pod location kind) literal, and switch cases on one. */
const KIND_CHECK = /(?:[!=]==?\s*'(?:s3|fs|nfs)'(?![\w/:]))|(?:'(?:s3|fs|nfs)'\s*[!=]==?)|(?:case\s+'(?:s3|fs|nfs)'\s*:)/;

function kindChecks(text: string): number[] {
  const lines = text.split('\n');
  return lines.flatMap((l, n) => (KIND_CHECK.test(l) && !/eslint-disable-next-line no-restricted-syntax/.test(lines[n - 1] ?? '') ? [n + 1] : []));
}

describe('backend table', () => {
  it('has one backend per kind, each declaring every field with its type', () => {
    assert.ok(BACKEND_LIST.length >= 2);
    for (const [kind, b] of Object.entries(BACKENDS)) {
      assert.equal(b.kind, kind, `the ${kind} entry names its own kind`);
      for (const [field, type] of Object.entries(FIELDS)) {
        assert.equal(typeof (b as unknown as Record<string, unknown>)[field], type, `${kind}.${field}`);
      }
      assert.ok(b.label.length > 0 && b.icon.length > 0, kind);
      assert.ok(b.settingsFields.some((f) => f.key === 'name'), `${kind}: its connections can be renamed`);
      assert.ok(b.schemes.length > 0 && b.schemes.every((s) => /^[a-z][a-z0-9+.-]*:\/\/$/.test(s)), `${kind} schemes`);
      // the tree's `@s3` menus (Copy URI, Copy Presigned URL) are offered on every place in a bucket
      if (b.bucketed) assert.ok(b.presign, `${kind}: a bucketed backend hands out presigned URLs`);
      // pods reach every backend one way or another
      assert.ok(b.clusterPull || b.nfsMount, `${kind}: pods reach it`);
    }
    const schemes = BACKEND_LIST.flatMap((b) => b.schemes);
    assert.equal(new Set(schemes).size, schemes.length, 'no scheme belongs to two backends');
    assert.equal(BACKEND_LIST.filter((b) => b.fallback).length, 1, 'exactly one backend reads the texts no other claims');
  });

  it('reads and writes each backend\'s references back to the same text', () => {
    for (const text of ['s3://models', 's3://models/team-a/x', 'localai/models', 'localai/models/team-a', '/srv/models', './repo', '~/models']) {
      const loc = parseRepo(text);
      assert.equal(formatRepo(loc), text, text);
      assert.equal(locationBackend(loc).formatLocation(loc), text);
    }
    assert.equal(locationBackend(parseRepo('localai/models')).kind, backendOf('s3').kind);
    assert.equal(locationBackend(parseRepo('file:///srv/models')).kind, backendOf('fs').kind);
    assert.throws(() => parseRepo('gs://models'), (e: unknown) => isRepoError(e, 'InvalidRef') && /only s3:\/\/ and file:\/\/ URLs/.test(e.message));
  });

  it('answers connection-level and pod questions per backend', async () => {
    const s3 = backendOf('s3');
    const fs = backendOf('fs');
    const bucketless = { kind: 's3' as const, endpoint: 'http://127.0.0.1:9' };
    assert.throws(() => s3.repository(bucketless, 'team'), (e: unknown) => isRepoError(e, 'Config') && /no bucket is chosen/.test(e.message));
    assert.equal(s3.uriOf(s3.repository({ ...bucketless, bucket: 'models', prefix: 'a' } as never, 'team'), 'm/v/f'), 's3://models/a/m/v/f');
    assert.deepEqual(await fs.listBuckets({ kind: 'fs', path: '/srv/models' }), []);
    assert.equal(fs.uriOf({ kind: 'fs', path: '/srv/models/' }, 'm/v/f'), '/srv/models/m/v/f');
    assert.throws(() => fs.podLocation({ kind: 'fs', path: '/srv/models' }, 'm@v'), (e: unknown) => isRepoError(e, 'Config') && /no NFS server/.test(e.message));
    const nfs = fs.withNfs({ kind: 'fs', path: '/srv/models' }, { server: 'nfs.lan', path: '/export' });
    assert.deepEqual(fs.podLocation(nfs, 'm@v').location, { kind: 'nfs', server: 'nfs.lan', path: '/export' });
    assert.equal(s3.podKeys({ ...bucketless, bucket: 'b', credentials: { accessKeyId: 'a', secretAccessKey: 's' } })?.accessKeyId, 'a');
    assert.equal(fs.podKeys(nfs), undefined);
    assert.throws(() => backendOf('gcs' as never), (e: unknown) => isRepoError(e, 'Config'));
  });
});

describe('storage kinds are compared only inside their backends', () => {
  it('finds the comparisons it looks for', () => {
    assert.deepEqual(kindChecks("if (cfg.kind === 's3') x();\nswitch (k) {\n  case 'fs': y();\n}\nif ('nfs' !== loc.kind) z();"), [1, 3, 5]);
    assert.deepEqual(kindChecks("const url = 's3://b';\nif (scheme === 's3://') a();\nconst k: 'fs' = 'fs';"), []);
  });

  it('no file outside src/core/backends and src/core/storage compares a storage kind', () => {
    const found: string[] = [];
    for (const file of sources(join(ROOT, 'src'))) {
      const rel = relative(ROOT, file).split(sep).join('/');
      if (rel.startsWith('src/core/backends/') || rel.startsWith('src/core/storage/')) continue;
      for (const line of kindChecks(readFileSync(file, 'utf8'))) found.push(`${rel}:${line}`);
    }
    assert.deepEqual(found, [], 'ask the backend descriptor (src/core/backends) instead');
  });
});
