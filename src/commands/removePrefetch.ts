// "Remove Pre-pull from Nodes...": on a model (or one of its tags or versions), deletes the pre-pull
// DaemonSet "Pre-pull to Nodes..." made for it, found by its labels so nothing else is touched
// (src/core/kube/prefetchRemove.ts). The files stay in the node caches until evicted.
import { removePrefetch as removeDaemonSets } from '../core/kube/prefetchRemove';
import type { AppliedObject } from '../core/kube/apply';
import { dnsLabel } from '../core/manifests/k8sNames';
import { prefetchName, prefetchSelector } from '../core/manifests/prefetch';
import { chooseTarget } from './deployChoices';
import { confirm } from './input';
import type { NonInteractive } from './input';
import { options, pickModel } from './pick';
import type { Services } from './services';

export interface RemovePrefetchArgs extends NonInteractive {
  readonly namespace?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
}

const ACTION = 'remove pre-pull from nodes';

export async function removePrefetch(s: Services, node: unknown, raw: unknown): Promise<{ removed: readonly AppliedObject[] }> {
  const a = options<RemovePrefetchArgs>(raw);
  const scripted = a.nonInteractive === true;
  const model = await pickModel(s, node, ACTION);
  const target = await chooseTarget(ACTION, s.log, a, !scripted);
  const base = dnsLabel(model.model);
  if (!scripted) {
    await confirm(ACTION, `Remove the pre-pull of ${model.model} from the nodes?`,
      `Deletes DaemonSet ${prefetchName(base)} in namespace ${target.namespace} (only the one modelrepo labelled as this model's pre-pull) and its pods. The files stay in the node caches until evicted.`, 'Remove');
  }
  const kube = { ...(a.kubeconfig ? { kubeconfig: a.kubeconfig } : {}), ...(target.context ? { context: target.context } : {}) };
  const removed = await removeDaemonSets(prefetchSelector(base), target.namespace, kube);
  const message = removed.length > 0
    ? `Removed the pre-pull of ${model.model}: ${removed.map((r) => `DaemonSet ${r.namespace}/${r.name}`).join(', ')}`
    : `No pre-pull of ${model.model} in namespace ${target.namespace}`;
  s.log.info(message);
  s.notify.info(message);
  return { removed };
}
