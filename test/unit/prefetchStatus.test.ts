// What `modelrepo prefetch --wait` says per node, from a pod's init container state and its log tail.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyNode, nodeLine } from '../../src/core/kube/prefetchStatus';
import type { PrefetchPodView } from '../../src/core/kube/prefetchStatus';
import { humanSize } from '../../src/core/manifests/initScript';

const pod = (init: PrefetchPodView['init'], node = 'node-a'): PrefetchPodView => ({ name: 'tiny-prefetch-x1', node, init });

describe('pre-pull report per node', () => {
  const rows: [string, PrefetchPodView, string, string][] = [
    ['done', pod({ exitCode: 0, restarts: 0 }), '', 'node-a: cached'],
    ['downloading, with bytes from the log',
      pod({ running: true, restarts: 0 }),
      'modelrepo: copying s3://b/k (4096 bytes) into the node cache\nmodelrepo: downloading k: 1048576 of 4294967296 bytes\n',
      'node-a: downloading 1.0 MiB of 4.0 GiB'],
    ['running, waiting for another pod\'s download (no progress line yet)', pod({ running: true, restarts: 0 }), 'modelrepo: fetching 1 file(s), 4.0 GiB, of m@v from AWS S3\n',
      'node-a: downloading (fetching 1 file(s), 4.0 GiB, of m@v from AWS S3)'],
    ['failed: sha256 mismatch, the script\'s own line',
      pod({ exitCode: 1, terminatedReason: 'Error', restarts: 2 }),
      'modelrepo: sha256 MISMATCH for k: expected a, got b; refusing to start the server\n',
      'node-a: failed: modelrepo: sha256 MISMATCH for k: expected a, got b; refusing to start the server'],
    ['failed: an unwritable cache folder', pod({ waitingReason: 'CrashLoopBackOff', exitCode: 1, restarts: 3 }),
      'modelrepo: the node cache /var/lib/modelrepo/cache is not writable by uid 10001: prepare it\n', 'node-a: failed: modelrepo: the node cache /var/lib/modelrepo/cache is not writable by uid 10001: prepare it'],
    ['failed: the image cannot be pulled', pod({ waitingReason: 'ImagePullBackOff', restarts: 0 }), '', 'node-a: failed: ImagePullBackOff'],
    ['starting', pod({ waitingReason: 'PodInitializing', restarts: 0 }), '', 'node-a: waiting: PodInitializing'],
    ['not scheduled', { name: 'p' }, '', '(not scheduled): waiting: not scheduled yet'],
  ];
  for (const [what, view, log, line] of rows) {
    it(what, () => assert.equal(nodeLine(classifyNode(view, log), humanSize), line));
  }
});
