// Contract: a model exists when anything is stored under it; taking over a stale upload marker is
// compare-and-swap (of two uploaders exactly one wins); a marker too large to be one is Corrupt.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Repository } from '../../src/core/repository';
import { pendingKey } from '../../src/core/layout';
import { claimVersion } from '../../src/core/repo/pending';
import type { LocalFile } from '../../src/core/repo/localFiles';
import { MAX_TEXT_BYTES } from '../../src/core/storage/storage';
import type { PutOptions, Storage } from '../../src/core/storage/storage';
import type { ContractHarness, LocalSamples, MakeHarness } from './contractHelpers';
import { WHO, localSamples, rejects } from './contractHelpers';

/** A marker left by an upload that died long ago on another machine. */
function staleMarker(model: string, version: string, files: readonly LocalFile[], pad = ''): string {
  const when = '2000-01-01T00:00:00.000Z';
  return JSON.stringify({ schema: 1, model, version, who: 'ghost@gone', host: 'gone-host', pid: 1, started: when, updated: when,
    files: files.map((f) => ({ name: f.name, size: f.size })), done: [], ...(pad ? { pad } : {}) });
}

/** The real storage, with conditional (ifMatch) puts held until `release`. */
function holdingConditionalPuts(storage: Storage): { storage: Storage; reached: Promise<void>; release: () => void } {
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  const reachedP = new Promise<void>((r) => { reached = r; });
  const wrapped = new Proxy(storage, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'putText') {
        return async (key: string, body: string, opts?: PutOptions) => {
          if (opts?.ifMatch !== undefined) {
            reached();
            await released;
          }
          return target.putText(key, body, opts);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { storage: wrapped, reached: reachedP, release };
}

export function markersContract(make: MakeHarness): void {
  describe('models, upload markers and their takeover', () => {
    let h: ContractHarness;
    let repo: Repository;
    let local: LocalSamples;
    let files: LocalFile[];
    before(async () => {
      h = await make();
      repo = new Repository(h.storage, { who: WHO });
      local = await localSamples();
      const f = await local.file('w.bin', 4096);
      files = [{ name: 'w.bin', localPath: f.path, size: 4096 }];
      await h.rawLink('onlytags/tags/x', '1.0.0');
      await h.rawPut(pendingKey('onlypending', '1.0.0'), staleMarker('onlypending', '1.0.0', files));
    });
    after(async () => {
      await local.remove();
      await h.cleanup();
    });

    it('listVersions of a model that does not exist is NotFound', async () => {
      const e = await rejects(repo.listVersions('no-such-model'), 'NotFound', /there is no model 'no-such-model' in /);
      assert.match(e.message, new RegExp(h.storage.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    });
    it('a model with only tags, or only an unfinished upload, exists', async () => {
      assert.deepEqual(await repo.listVersions('onlytags'), []);
      assert.deepEqual(await repo.listVersions('onlypending'), []);
      assert.deepEqual((await repo.listVersions('onlypending', { includePending: true })).map((v) => [v.name, v.state]), [['1.0.0', 'pending']]);
    });
    it('takes over a stale marker, and the upload completes', async () => {
      await h.rawPut(pendingKey('mk', '0.9.0'), staleMarker('mk', '0.9.0', files));
      const m = await repo.upload('mk', '0.9.0', [files[0].localPath]);
      assert.equal(m.files[0].size, 4096);
      assert.equal(await h.storage.stat(pendingKey('mk', '0.9.0')), undefined);
    });
    it('of two uploaders taking over one stale marker, exactly one wins (compare-and-swap on the marker)', async () => {
      await h.rawPut(pendingKey('mk', '1.0.0'), staleMarker('mk', '1.0.0', files));
      const slow = holdingConditionalPuts(h.storage);
      const first = claimVersion(slow.storage, 'first@one', 'mk', '1.0.0', files);
      first.catch(() => undefined);
      await slow.reached; // first has read the stale marker and is about to replace it
      await claimVersion(h.storage, 'second@two', 'mk', '1.0.0', files);
      slow.release();
      await rejects(first, 'Exists', /someone else took over/);
      const marker = JSON.parse((await h.storage.readText(pendingKey('mk', '1.0.0'))) ?? '{}') as { who?: string };
      assert.equal(marker.who, 'second@two');
    });
    it('a marker larger than any marker the tool writes is Corrupt, naming the version', async () => {
      await h.rawPut(pendingKey('mk', 'big'), staleMarker('mk', 'big', files, 'x'.repeat(MAX_TEXT_BYTES)));
      const e = await rejects(repo.upload('mk', 'big', [files[0].localPath]), 'Corrupt', /upload marker/);
      assert.equal(e.object, 'mk@big');
    });
  });
}
