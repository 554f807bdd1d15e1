// Connection settings of the S3 backend at work, against loopback fault servers and the real Ceph
// server: how many tries a silent server costs, deadlines from the environment, extra CAs from the
// connection's caBundle or AWS_CA_BUNDLE (a self-signed TLS front for Ceph), and a download whose
// connection stalls once being resumed to a byte-identical file on both GET paths.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { isRepoError } from '../../src/core/errors';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { S3Storage } from '../../src/core/storage/s3Storage';
import { s3Proxy, silentServer, tlsServer } from '../helpers/faultServers';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';
import { tempDir } from './fixtures/s3Files';
import { rejects } from '../contract/contractHelpers';

const env = s3TestEnv();
const MiB = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Sets environment variables for the duration of f. */
async function withEnv<T>(vars: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('S3 endpoint settings: retries, deadlines, CA bundles, resumed stalls', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let dir = '';
  let body: Buffer;

  before(async () => {
    if (!env) return;
    bucket = await createTestBucket(env, 's3-endpoint');
    dir = await tempDir('s3-endpoint');
    body = randomBytes(5 * MiB + 123);
    const s = createS3Storage(s3Config(env, bucket));
    await fsp.writeFile(path.join(dir, 'src.bin'), body);
    await s.uploadFile('m/v1/w.bin', path.join(dir, 'src.bin'));
    s.dispose?.();
  });
  after(async () => {
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
    await deleteTestBucket(env, bucket);
  });

  it('a silent server costs one first-byte deadline and one connection, not one per SDK attempt', async () => {
    const silent = await silentServer();
    const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: silent.url, timeouts: { firstByteMs: 800 } });
    try {
      const e = await rejects(s.list(''), 'Network');
      assert.match(e.message, /did not answer within 0\.8 s/);
      assert.equal(silent.connections, 1);
    } finally {
      s.dispose?.();
      await silent.close();
    }
  });

  it('deadlines come from MODELREPO_*_TIMEOUT when the connection sets none; a malformed one is Config', async () => {
    const silent = await silentServer();
    try {
      await withEnv({ MODELREPO_FIRST_BYTE_TIMEOUT: '0.5' }, async () => {
        const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: silent.url });
        try {
          assert.match((await rejects(s.stat('k'), 'Network')).message, /did not answer within 0\.5 s/);
        } finally {
          s.dispose?.();
        }
      });
      await withEnv({ MODELREPO_STALL_TIMEOUT: 'soon' }, async () => {
        assert.throws(() => createS3Storage({ ...s3Config(env!, bucket), endpoint: silent.url }),
          (e: unknown) => isRepoError(e, 'Config') && /MODELREPO_STALL_TIMEOUT/.test(e.message));
      });
    } finally {
      await silent.close();
    }
  });

  it('cancelling while a TLS handshake hangs is Aborted at once', async () => {
    const silent = await silentServer();
    const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: silent.url.replace('http:', 'https:'), timeouts: { connectMs: 60_000 } });
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const t0 = Date.now();
      await rejects(s.list('', { signal: ac.signal }), 'Aborted');
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      s.dispose?.();
      await silent.close();
    }
  });

  describe('a TLS front with a self-signed certificate', () => {
    let front: Awaited<ReturnType<typeof tlsServer>>;
    before(async () => {
      if (env) front = await tlsServer({ cert: 'self-signed', target: new URL(env.endpoint).host });
    });
    after(async () => front?.close());

    const roundTrip = async (s: S3Storage): Promise<void> => {
      await s.putText('tls/hello.txt', 'over TLS');
      assert.equal(await s.readText('tls/hello.txt'), 'over TLS');
      assert.ok((await s.list('m/v1/')).objects.some((o) => o.key === 'm/v1/w.bin'));
      const r = await s.downloadFile('m/v1/w.bin', path.join(dir, 'tls.out'));
      assert.equal(r.sha256, sha(body));
    };

    it('works with the connection\'s caBundle', async () => {
      const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: front.url, caBundle: front.caFile });
      try {
        await roundTrip(s);
      } finally {
        s.dispose?.();
      }
    });

    it('works with AWS_CA_BUNDLE; the connection\'s caBundle comes first', async () => {
      await withEnv({ AWS_CA_BUNDLE: front.caFile }, async () => {
        const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: front.url });
        try {
          await roundTrip(s);
        } finally {
          s.dispose?.();
        }
      });
      await withEnv({ AWS_CA_BUNDLE: path.join(dir, 'missing.pem') }, async () => {
        const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: front.url, caBundle: front.caFile });
        try {
          await s.list('');
        } finally {
          s.dispose?.();
        }
      });
    });

    it('a CA bundle that cannot be read or holds no certificate is Config naming the file', async () => {
      const missing = path.join(dir, 'missing.pem');
      const empty = path.join(dir, 'empty.pem');
      await fsp.writeFile(empty, 'not a certificate\n');
      for (const file of [missing, empty]) {
        assert.throws(() => createS3Storage({ ...s3Config(env!, bucket), endpoint: front.url, caBundle: file }),
          (e: unknown) => isRepoError(e, 'Config') && e.message.includes(file));
      }
    });
  });

  it('a stream from read() that stalls fails with a Network RepoError naming the endpoint', async () => {
    const proxy = await s3Proxy(env!.endpoint, { responseAfter: 1000, match: (m) => m === 'GET' });
    const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: proxy.url, timeouts: { stallMs: 500 } });
    try {
      const stream = await s.read('m/v1/w.bin');
      const e = await rejects((async () => {
        for await (const chunk of stream) void chunk;
      })(), 'Network');
      assert.match(e.message, /^Cannot read m\/v1\/w\.bin: the transfer stalled: no data from the S3 endpoint http:\/\/127\.0\.0\.1:\d+ for 0\.5 s$/);
    } finally {
      s.dispose?.();
      await proxy.close();
    }
  });

  for (const rawSockets of [true, false]) {
    it(`a download whose connection stalls once is resumed and byte-identical (${rawSockets ? 'raw-socket' : 'SDK'} GETs)`, async () => {
      let gets = 0;
      const proxy = await s3Proxy(env!.endpoint, { responseAfter: MiB + 7, match: (m) => m === 'GET' && gets++ === 0 });
      const s = createS3Storage({ ...s3Config(env!, bucket), endpoint: proxy.url, timeouts: { stallMs: 500 } },
        { download: { rawSockets, chunkSize: 8 * MiB } });
      try {
        const dest = path.join(dir, `resumed-${rawSockets}.bin`);
        const r = await s.downloadFile('m/v1/w.bin', dest);
        assert.equal(r.sha256, sha(body));
        assert.ok((await fsp.readFile(dest)).equals(body));
        assert.equal(proxy.stats.stalled, 1, 'the first GET was cut');
        assert.equal(proxy.stats.responseBytes, body.length, 'the resumed GET fetched only the rest');
      } finally {
        s.dispose?.();
        await proxy.close();
      }
    });
  }
});
