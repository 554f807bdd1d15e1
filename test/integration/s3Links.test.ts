// Links (tags) on the real S3 server: compare-and-swap with If-None-Match / If-Match, malformed link
// objects, and 20 writers racing for one link, round after round (Ceph answers some losers with HTTP
// 500 instead of 412 from the second round on: each of them must still come out as a Conflict, and
// the one write that landed as a success).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isRepoError } from '../../src/core/errors';
import type { RepoError } from '../../src/core/errors';
import type { LinkInfo, Storage } from '../../src/core/storage/storage';
import { createS3Storage } from '../../src/core/storage/s3Storage';
import { rejects } from '../contract/contractHelpers';
import { createTestBucket, deleteTestBucket } from '../helpers/s3bucket';
import { s3Config, s3TestEnv, skipWithoutS3 } from '../helpers/s3env';
import { tempDir } from './fixtures/s3Files';

const env = s3TestEnv();
const WRITERS = 20;
const ROUNDS = 6;

/** Splits settled writes into the landed ones and the conflicts; anything else fails the test. */
function outcome(results: PromiseSettledResult<LinkInfo>[]): { landed: LinkInfo[]; conflicts: RepoError[] } {
  const landed: LinkInfo[] = [];
  const conflicts: RepoError[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') landed.push(r.value);
    else if (isRepoError(r.reason, 'Conflict')) conflicts.push(r.reason);
    else assert.fail(`a racing writer failed with something other than Conflict: ${String(r.reason)}`);
  }
  return { landed, conflicts };
}

describe('S3 links: compare-and-swap', { skip: skipWithoutS3 }, () => {
  let bucket = '';
  let storage: Storage;

  before(async () => {
    if (!env) return;
    bucket = await createTestBucket(env, 's3-links');
    storage = createS3Storage(s3Config(env, bucket, 'repo'));
  });
  after(async () => {
    storage?.dispose?.();
    await deleteTestBucket(env, bucket);
  });

  it('creates only when absent, moves only from the expected token, deletes only the expected token', async () => {
    const key = 'llama/tags/latest';
    assert.equal(await storage.readLink(key), undefined);
    const v1 = await storage.writeLink(key, 'v1', { absent: true }, { who: 'alice@example', when: '2024-03-20T10:00:00Z' });
    assert.deepEqual(await storage.readLink(key), v1);
    assert.ok(!v1.token.includes('"'), 'the token is the ETag without quotes');

    const exists = await rejects(storage.writeLink(key, 'v9', { absent: true }), 'Conflict');
    assert.equal(exists.details.current, 'v1');
    assert.deepEqual((exists.details.currentMeta as Record<string, string>).who, 'alice@example');

    const v2 = await storage.writeLink(key, '../2024-03-20/llama.Q5_K_M.gguf', { token: v1.token });
    assert.notEqual(v2.token, v1.token);
    const stale = await rejects(storage.writeLink(key, 'v3', { token: v1.token }), 'Conflict');
    assert.equal(stale.details.current, '../2024-03-20/llama.Q5_K_M.gguf');
    assert.equal((await storage.readLink(key))?.target, '../2024-03-20/llama.Q5_K_M.gguf', 'the losing move changed nothing');

    await rejects(storage.deleteLink(key, { token: v1.token }), 'Conflict');
    await storage.deleteLink(key, { token: v2.token });
    assert.equal(await storage.readLink(key), undefined);
    const gone = await rejects(storage.deleteLink(key, { token: v2.token }), 'Conflict');
    assert.equal(gone.details.current, undefined);
    const moveGone = await rejects(storage.writeLink(key, 'v4', { token: v2.token }), 'Conflict');
    assert.equal(moveGone.details.current, undefined);
  });

  it('reads links written by other tools (trailing newline) and rejects objects that cannot be links', async () => {
    await storage.putText('llama/tags/piped', 'v2\n');
    assert.equal((await storage.readLink('llama/tags/piped'))?.target, 'v2');
    await storage.putText('llama/tags/huge', 'v'.repeat(1025));
    assert.match((await rejects(storage.readLink('llama/tags/huge'), 'BrokenLink')).message, /1025 bytes/);
    await storage.putText('llama/tags/control', 'v1\u0000v2');
    await rejects(storage.readLink('llama/tags/control'), 'BrokenLink');
    const dir = await tempDir('links');
    try {
      const bin = path.join(dir, 'bin');
      await fsp.writeFile(bin, Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]));
      await storage.uploadFile('llama/tags/binary', bin);
      assert.match((await rejects(storage.readLink('llama/tags/binary'), 'BrokenLink')).message, /not text/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it(`${WRITERS} writers racing to create one link: exactly one lands, the others get Conflict`, async () => {
    const key = `race-create/tags/t-${randomBytes(3).toString('hex')}`;
    const results = await Promise.allSettled(Array.from({ length: WRITERS }, (_, i) =>
      storage.writeLink(key, `v${i}`, { absent: true })));
    const { landed, conflicts } = outcome(results);
    assert.equal(landed.length, 1);
    assert.equal(conflicts.length, WRITERS - 1);
    assert.deepEqual(await storage.readLink(key), landed[0]);
    for (const c of conflicts) assert.equal(c.details.current, landed[0].target);
  });

  it(`${WRITERS} writers racing to move one link, ${ROUNDS} rounds: exactly the landed move succeeds each round`, async () => {
    const key = 'race-move/tags/latest';
    let current = await storage.writeLink(key, 'start', { absent: true });
    for (let round = 0; round < ROUNDS; round++) {
      const expect = { token: current.token };
      const results = await Promise.allSettled(Array.from({ length: WRITERS }, (_, i) =>
        storage.writeLink(key, `r${round}-w${i}`, expect, { who: `writer-${i}` })));
      const { landed, conflicts } = outcome(results);
      assert.equal(landed.length, 1, `round ${round}: exactly one move lands`);
      assert.equal(conflicts.length, WRITERS - 1);
      const now = await storage.readLink(key);
      assert.deepEqual(now, landed[0], `round ${round}: the link holds the move that was reported as landed`);
      for (const c of conflicts) assert.equal(c.details.current, landed[0].target);
      current = landed[0];
    }
  });
});
