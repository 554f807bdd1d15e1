// Removing a pre-pull: the DaemonSets `modelrepo prefetch` made, found by their labels (component
// prefetch, managed by modelrepo, and the model's name unless every pre-pull goes), so no other object is
// touched; deleted with background propagation, so their pods go with them. The Secret with the keys
// stays: the serving pods of the namespace read the same one.
import type { AppliedObject } from './apply';
import { openKube } from './kubeClient';
import type { KubeOptions } from './kubeClient';

/** Deletes the DaemonSets the selector picks in the namespace (default: the context's); returns them. */
export async function removePrefetch(labelSelector: string, namespace: string | undefined, opts: KubeOptions = {}): Promise<AppliedObject[]> {
  const action = 'remove the pre-pull';
  const session = await openKube(opts, action);
  const ns = namespace ?? session.namespace;
  let names: string[];
  try {
    const list = await session.objects.list('apps/v1', 'DaemonSet', ns, undefined, undefined, undefined, undefined, labelSelector);
    names = list.items.map((d) => d.metadata?.name ?? '').filter((n) => n.length > 0);
  } catch (e) {
    throw session.error(e, 'list the pre-pull DaemonSets of', `${ns}/${labelSelector}`);
  }
  const removed: AppliedObject[] = [];
  for (const name of names) {
    try {
      await session.objects.delete({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: ns } }, undefined, undefined, undefined, undefined, 'Background');
    } catch (e) {
      throw session.error(e, action, `DaemonSet ${ns}/${name}`);
    }
    removed.push({ kind: 'DaemonSet', name, namespace: ns });
  }
  return removed;
}
