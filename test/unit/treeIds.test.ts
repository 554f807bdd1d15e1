// Tree node ids (src/tree/ids.ts): each node has its own, a node's id lies within its ancestors' and no
// other's, so refreshing one root never drops the pages of another.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isWithin, rootNodeId, slotNodeId } from '../../src/tree/ids';
import { artifactNode, bucketNode, connectionNode, loadMoreNode, modelNode, tagNode, tagsGroupNode, versionNode } from '../../src/tree/nodes';

const inBucket = { connectionId: 'ceph', bucket: 'models' };
const inFolder = { connectionId: 'nfs' };
const when = new Date(0);

function nodesOf(place: { connectionId: string; bucket?: string }) {
  return {
    model: modelNode(place, 'llama'),
    tags: tagsGroupNode(place, 'llama'),
    tag: tagNode(place, { model: 'llama', name: 'latest', target: 'v2', token: 't' }),
    version: versionNode(place, { model: 'llama', name: 'v2', state: 'complete', tags: [] }),
    artifact: artifactNode(place, { model: 'llama', version: 'v2', name: 'f.gguf', key: 'llama/v2/f.gguf', size: 1, modified: when }),
  };
}

describe('tree node ids', () => {
  it('are distinct for every node of both kinds of repository', () => {
    const all = [connectionNode({ id: 'ceph', name: 'ceph', kind: 's3' }, ''), bucketNode('ceph', 'models'), bucketNode('ceph', 'models-2'),
      connectionNode({ id: 'nfs', name: 'nfs', kind: 'fs' }, ''), ...Object.values(nodesOf(inBucket)), ...Object.values(nodesOf(inFolder)),
      loadMoreNode(bucketNode('ceph', 'models'))].map((n) => n.id);
    assert.equal(new Set(all).size, all.length, all.join(' '));
  });

  it('lie within their root and model, and not within a root whose name they start with', () => {
    const n = nodesOf(inBucket);
    for (const node of Object.values(n)) {
      assert.ok(isWithin(node.id, rootNodeId(inBucket)), node.id);
      assert.ok(isWithin(node.id, n.model.id), node.id);
      assert.ok(!isWithin(node.id, rootNodeId({ connectionId: 'ceph', bucket: 'mod' })), node.id);
      assert.ok(!isWithin(node.id, rootNodeId(inFolder)), node.id);
    }
    assert.equal(bucketNode('ceph', 'models').id, rootNodeId(inBucket));
    assert.equal(connectionNode({ id: 'nfs', name: 'nfs', kind: 'fs' }, '').id, rootNodeId(inFolder));
    assert.ok(!isWithin(modelNode(inBucket, 'llama-2').id, n.model.id));
    assert.equal(loadMoreNode(bucketNode('ceph', 'models')).id, slotNodeId(rootNodeId(inBucket), 'more'));
  });
});
