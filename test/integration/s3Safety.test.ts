// The S3 backend against endpoints that misbehave (test/helpers/faultServers.ts, all on loopback):
// a server that never answers, a proxy in front of the real Ceph server that stalls bodies in either
// direction, TLS and plain-HTTP mix-ups, untrusted, expired and misnamed certificates, and web
// servers that are not S3. Every operation must fail with Network or Config, name the endpoint,
// end well within a deadline (a hang fails the test instead of blocking the run), and leave nothing
// behind: no partial download files, no multipart uploads. Cancelling works at each of these points.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { isRepoError } from '../../src/core/errors';
import type { ErrorCode, RepoError } from '../../src/core/errors';
import type { S3ConnectionConfig } from '../../src/core/connections/types';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import type { S3Storage } from '../../src/core/storage/s3Storage';
import type { Timeouts } from '../../src/core/timeouts';
import { s3Proxy, silentServer, tlsServer, webServer } from '../helpers/faultServers';
import type { FaultServer } from '../helpers/faultServers';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';
import { tempDir } from './fixtures/s3Files';

const env = s3TestEnv();
const MiB = 1024 * 1024;
const FAST: Timeouts = { connectMs: 1000, firstByteMs: 1000, stallMs: 1000 };
/** Generous: the slowest case (a download resumed three times) needs about 6 s with 1 s deadlines. */
const DEADLINE_MS = 30_000;

/** The settled result of p, or a failure when it is still running after ms (a hang). */
async function within<T>(ms: number, p: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms: it hangs`)), ms);
  });
  try {
    return { value: await Promise.race([p, hang]), ms: Date.now() - t0 };
  } catch (error) {
    if (error instanceof Error && /it hangs/.test(error.message)) throw error;
    return { error, ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

function repoError(r: { error?: unknown }, code: ErrorCode): RepoError {
  assert.ok(isRepoError(r.error), `expected RepoError ${code}, got ${r.error === undefined ? 'success' : String(r.error)}`);
  assert.equal(r.error.code, code, r.error.message);
  return r.error;
}

type Op = 'list' | 'stat' | 'readText' | 'uploadFile' | 'uploadStream' | 'downloadFile';
const ALL: Op[] = ['list', 'stat', 'readText', 'uploadFile', 'uploadStream', 'downloadFile'];

interface Faulty { readonly server: FaultServer; readonly endpoint: string; readonly caBundle?: string }

interface Case {
  readonly fault: string;
  start(): Promise<Faulty>;
  readonly ops: readonly Op[];
  readonly code: ErrorCode;
  readonly reason: RegExp;
}

const asHttps = (s: FaultServer): Faulty => ({ server: s, endpoint: s.url.replace(/^http:/, 'https:') });
const asHttp = (s: FaultServer): Faulty => ({ server: s, endpoint: s.url.replace(/^https:/, 'http:') });
const plain = (s: FaultServer): Faulty => ({ server: s, endpoint: s.url });
const ceph = (): string => env?.endpoint ?? '';
const cephHost = (): string => new URL(ceph()).host;

const CASES: Case[] = [
  { fault: 'a server that accepts and never answers', start: async () => plain(await silentServer()), ops: ALL,
    code: 'Network', reason: /the S3 endpoint \S+ did not answer within 1 s/ },
  { fault: 'https to a server that never answers (TLS handshake hangs)', start: async () => asHttps(await silentServer()),
    ops: ['list', 'downloadFile'], code: 'Network', reason: /the S3 endpoint \S+ did not accept a connection within 1 s/ },
  { fault: 'a proxy that stalls response bodies part way',
    start: async () => plain(await s3Proxy(ceph(), { responseAfter: 100, match: (m) => m === 'GET' })),
    ops: ['list', 'readText', 'downloadFile'], code: 'Network', reason: /the transfer stalled: no data from the S3 endpoint \S+ for 1 s/ },
  { fault: 'a proxy that stops taking upload bodies part way',
    start: async () => plain(await s3Proxy(ceph(), { requestAfter: 64 * 1024, match: (m) => m === 'PUT' })),
    ops: ['uploadFile', 'uploadStream'], code: 'Network', reason: /the S3 endpoint \S+ (took no data|did not answer within) /
  },
  { fault: 'https to a plain-http port', start: async () => asHttps(await webServer('html')), ops: ALL,
    code: 'Network', reason: /the endpoint https:\S+ does not speak TLS: if it is a plain http server, use http:\/\/127\.0\.0\.1:\d+/ },
  { fault: 'http to a TLS port', start: async () => asHttp(await tlsServer({ cert: 'self-signed', target: cephHost() })), ops: ALL,
    code: 'Network', reason: /the endpoint http:\S+ speaks TLS: use https:\/\/127\.0\.0\.1:\d+/ },
  { fault: 'a self-signed certificate', start: async () => plain(await tlsServer({ cert: 'self-signed', target: cephHost() })), ops: ALL,
    code: 'Network', reason: /the TLS certificate of https:\S+ is not trusted .*AWS_CA_BUNDLE/ },
  { fault: 'an expired certificate from a trusted CA', ops: ['list', 'uploadFile'], code: 'Network', reason: /has expired/,
    start: async () => {
      const s = await tlsServer({ cert: 'expired', target: cephHost() });
      return { server: s, endpoint: s.url, caBundle: s.caFile };
    } },
  { fault: 'a certificate for another host name from a trusted CA', ops: ['list', 'downloadFile'], code: 'Network',
    reason: /is for another host name/,
    start: async () => {
      const s = await tlsServer({ cert: 'wrong-host', target: cephHost() });
      return { server: s, endpoint: s.url, caBundle: s.caFile };
    } },
  { fault: 'an HTML web server', start: async () => plain(await webServer('html')), ops: ALL, code: 'Config',
    reason: /the endpoint http:\S+ does not answer like an S3 server \(HTTP 404, text\/html\): check the URL and port/ },
  { fault: 'a JSON API', start: async () => plain(await webServer('json')), ops: ALL, code: 'Config',
    reason: /the endpoint http:\S+ does not answer like an S3 server \(HTTP 404, application\/json\): check the URL and port/ },
];

describe('S3 safety: every operation fails fast, clearly and cleanly against a faulty endpoint', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let direct: S3Storage;
  let dir = '';
  const files = { small: '', big: '' };

  before(async () => {
    if (!env) return;
    bucket = await createTestBucket(env, 's3-safety');
    direct = createS3Storage(s3Config(env, bucket));
    dir = await tempDir('s3-safety');
    files.small = path.join(dir, 'small.bin');
    files.big = path.join(dir, 'big.bin');
    await fsp.writeFile(files.small, randomBytes(64 * 1024));
    await fsp.writeFile(files.big, randomBytes(12 * MiB));
    await direct.putText('obj/text.txt', 'x'.repeat(100_000));
    await direct.uploadFile('obj/big.bin', files.big);
  });
  after(async () => {
    direct?.dispose?.();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
    await deleteTestBucket(env, bucket);
  });

  const open = (f: Faulty, timeouts: Partial<Timeouts> = FAST): S3Storage => createS3Storage({
    ...s3Config(env!, bucket), endpoint: f.endpoint, timeouts, ...(f.caBundle ? { caBundle: f.caBundle } : {}),
  } satisfies S3ConnectionConfig);

  const run = (s: S3Storage, op: Op, signal?: AbortSignal): Promise<unknown> => {
    switch (op) {
      case 'list': return s.list('', { signal });
      case 'stat': return s.stat('obj/text.txt', signal);
      case 'readText': return s.readText('obj/text.txt', signal);
      case 'uploadFile': return s.uploadFile('up/file.bin', files.big, { partSize: 5 * MiB, resumable: false, signal });
      case 'uploadStream': return fsp.readFile(files.big).then((b) =>
        s.uploadStream('up/stream.bin', Readable.from([b.subarray(0, 6 * MiB), b.subarray(6 * MiB)]), b.length, { partSize: 5 * MiB, signal }));
      case 'downloadFile': return s.downloadFile('obj/big.bin', path.join(dir, 'out', 'big.bin'), { signal });
    }
  };

  /** Nothing left: no partial download files, no multipart uploads, no object where an upload failed. */
  async function assertNothingLeft(op: Op): Promise<void> {
    const out = await fsp.readdir(path.join(dir, 'out')).catch(() => []);
    assert.deepEqual(out, [], 'no partial file or sidecar is left');
    assert.deepEqual(await direct.listPartialUploads(''), [], 'no multipart upload is left');
    if (op === 'uploadFile' || op === 'uploadStream') assert.equal((await direct.list('up/')).objects.length, 0, 'no object');
  }

  for (const c of CASES) {
    describe(c.fault, () => {
      let f: Faulty;
      before(async () => {
        if (env) f = await c.start();
      });
      after(async () => f?.server.close());

      for (const op of c.ops) {
        it(`${op}: ${c.code}, naming the endpoint, within the deadline, nothing left`, async () => {
          const s = open(f);
          try {
            const r = await within(DEADLINE_MS, run(s, op));
            const e = repoError(r, c.code);
            assert.match(e.message, c.reason);
            assert.ok(e.message.includes(new URL(f.endpoint).host), `the endpoint is named: ${e.message}`);
            assert.doesNotMatch(e.message, /X-Amz-|Signature=|testsecret/i);
            await assertNothingLeft(op);
          } finally {
            s.dispose?.();
          }
        });
      }
    });
  }

  describe('cancelling while the endpoint is silent or stalled', () => {
    const stalls: [string, () => Promise<Faulty>, Op[]][] = [
      ['a silent server', async () => plain(await silentServer()), ALL],
      ['a stalled response body', async () => plain(await s3Proxy(ceph(), { responseAfter: 100, match: (m) => m === 'GET' })),
        ['list', 'readText', 'downloadFile']],
      ['a stalled upload body', async () => plain(await s3Proxy(ceph(), { requestAfter: 64 * 1024, match: (m) => m === 'PUT' })),
        ['uploadFile', 'uploadStream']],
    ];
    for (const [what, start, ops] of stalls) {
      for (const op of ops) {
        it(`${op} against ${what}: Aborted soon after the abort, nothing left`, async () => {
          const f = await start();
          // Deadlines far away: only the abort can end the call.
          const s = open(f, { connectMs: 120_000, firstByteMs: 120_000, stallMs: 120_000 });
          const ac = new AbortController();
          const timer = setTimeout(() => ac.abort(), 1500);
          try {
            const r = await within(DEADLINE_MS, run(s, op, ac.signal));
            repoError(r, 'Aborted');
            assert.ok(r.ms < 10_000, `ended ${r.ms} ms after the start`);
            await assertNothingLeft(op);
          } finally {
            clearTimeout(timer);
            s.dispose?.();
            await f.server.close();
          }
        });
      }
    }
  });
});
