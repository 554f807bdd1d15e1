// The editor view's level loads, in-process: the calls src/tree/children.ts makes for each level (it
// needs the vscode module, so the bench calls the same core functions): buckets of a connection, the
// first page of models of a bucket (50, the view's default page), a model's versions (pending
// included) and tags, a version's files. Each is timed on an open storage (warm client, as in the view)
// and the median of `rounds` runs is kept.
import { join } from 'node:path';
import { coreConfig, median, requireOut, root } from './common.mjs';

export async function treeLevels({ bucket, model, version, rounds, log = console.log }) {
  const { openStorage } = requireOut(join(root, 'out/src/core/openStorage.js'));
  const { Repository } = requireOut(join(root, 'out/src/core/repository.js'));
  const { backendOf } = requireOut(join(root, 'out/src/core/backends/index.js'));
  const cfg = coreConfig(bucket);
  const storage = await openStorage(cfg);
  const repo = new Repository(storage);
  const levels = [
    // Listing buckets is connection-level: the backend opens its own client, as the view does.
    ['connection > buckets', () => backendOf(cfg).listBuckets(cfg)],
    ['bucket > models (first page of 50)', () => repo.listModels({ limit: 50 })],
    ['bucket > all models (pages of 1000)', async () => {
      let cursor;
      do cursor = (await repo.listModels({ cursor, limit: 1000 })).cursor; while (cursor);
    }],
    ['model > versions', () => repo.listVersions(model, { includePending: true })],
    ['model > tags', () => repo.listTags(model)],
    ['version > files', () => repo.listArtifacts(model, version)],
  ];
  const rows = [];
  try {
    await levels[1][1](); // connect once, as the view has by the time a user expands anything
    for (const [label, fn] of levels) {
      const ms = [];
      for (let i = 0; i < rounds; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      rows.push({ label, ms: median(ms) });
      log(`  tree ${label.padEnd(38)} ${median(ms).toFixed(1).padStart(8)} ms`);
    }
  } finally {
    storage.dispose?.();
  }
  return rows;
}
