// --via-cluster, --cluster-secret and --cluster-context read into a ClusterRoute, and the malformed
// forms refused as usage errors before anything is sent.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterRouteFlags } from '../../src/cli/globalFlags';
import { UsageError } from '../../src/cli/exitCodes';

describe('cluster route flags', () => {
  const good: [Record<string, string>, unknown][] = [
    [{}, undefined],
    [{ 'cluster-context': 'prod' }, undefined],
    [{ 'via-cluster': 'model-storage/minio' }, { namespace: 'model-storage', service: 'minio' }],
    [{ 'via-cluster': 'data/rgw:7480', 'cluster-secret': 'rgw-keys:user,pass', 'cluster-context': 'prod' },
      { namespace: 'data', service: 'rgw', port: 7480, context: 'prod', secret: { name: 'rgw-keys', userKey: 'user', passwordKey: 'pass' } }],
    [{ 'via-cluster': 'ml/minio', 'cluster-secret': 'minio.creds' }, { namespace: 'ml', service: 'minio', secret: { name: 'minio.creds' } }],
  ];
  for (const [flags, want] of good) {
    it(`reads ${JSON.stringify(flags)}`, () => assert.deepEqual(clusterRouteFlags(flags, 'u'), want));
  }
  const bad: [Record<string, string>, RegExp][] = [
    [{ 'via-cluster': 'minio' }, /is not <namespace>\/<service>/],
    [{ 'via-cluster': 'ns/Minio' }, /is not <namespace>\/<service>/],
    [{ 'via-cluster': 'ns/minio:0' }, /is not <namespace>\/<service>/],
    [{ 'via-cluster': 'ns/minio:70000' }, /is not <namespace>\/<service>/],
    [{ 'via-cluster': 'ns/minio', 'cluster-secret': 'minio:onlyone' }, /--cluster-secret 'minio:onlyone'/],
    [{ 'cluster-secret': 'minio' }, /goes with --via-cluster/],
  ];
  for (const [flags, message] of bad) {
    it(`refuses ${JSON.stringify(flags)}`, () => assert.throws(() => clusterRouteFlags(flags, 'u'), (e: unknown) => e instanceof UsageError && message.test(e.message)));
  }
});
