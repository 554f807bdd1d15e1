// Applying generated objects straight to a cluster, without writing YAML to a file: server-side apply
// (`PATCH ...?fieldManager=modelrepo&force=true`, content type application/apply-patch+yaml) through
// client-node's KubernetesObjectApi, so a Secret built from keys held in memory never touches the disk.
// Then the pod's status and its init container's log ("... arrived, sha256 ok") for the user to see.
import { registerSecret } from '../errors';
import { openKube } from './kubeClient';
import type { KubeOptions } from './kubeClient';

export type { KubeOptions } from './kubeClient';

export const FIELD_MANAGER = 'modelrepo';
export const FETCH_CONTAINER = 'fetch-model';

export interface ApplyObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}

export interface AppliedObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

const describe = (o: ApplyObject): string => `${o.kind ?? 'object'} ${o.metadata?.name ?? '(no name)'}`;

/** Server-side applies the objects in order (Secret first, as buildManifests returns them). */
export async function applyWithClient(objects: readonly ApplyObject[], opts: KubeOptions = {}): Promise<AppliedObject[]> {
  const action = 'apply';
  const session = await openKube(opts, action);
  const applied: AppliedObject[] = [];
  for (const o of objects) {
    // The Secret's values must never reach a message, whatever the server echoes back.
    if (o.kind === 'Secret') {
      for (const v of Object.values((o as { data?: Record<string, string> }).data ?? {})) registerSecret(Buffer.from(v, 'base64').toString('utf8'));
      for (const v of Object.values((o as { stringData?: Record<string, string> }).stringData ?? {})) registerSecret(v);
    }
    // A copy: the client fills in the namespace, and the caller's object stays as it was.
    const body = structuredClone(o) as { metadata: { name?: string; namespace?: string } } & Record<string, unknown>;
    body.metadata = { ...body.metadata };
    if (body.metadata.namespace === undefined && o.kind !== 'Namespace') body.metadata.namespace = session.namespace;
    try {
      await session.objects.patch(body as never, undefined, undefined, FIELD_MANAGER, true, session.k8s.PatchStrategy.ServerSideApply);
    } catch (e) {
      throw session.error(e, action, describe(o));
    }
    applied.push({ kind: o.kind ?? '', name: o.metadata?.name ?? '', namespace: body.metadata.namespace });
  }
  return applied;
}

export interface ContainerState {
  readonly name: string;
  /** waiting, running, terminated, or unknown before the kubelet reports it. */
  readonly state: 'waiting' | 'running' | 'terminated' | 'unknown';
  readonly reason?: string;
  readonly exitCode?: number;
  readonly ready: boolean;
  readonly restarts: number;
}

export interface PodStatusSummary {
  readonly name: string;
  readonly namespace: string;
  /** Pending, Running, Succeeded, Failed, Unknown. */
  readonly phase: string;
  readonly ready: boolean;
  readonly initContainers: readonly ContainerState[];
  readonly containers: readonly ContainerState[];
  readonly message?: string;
}

interface RawContainerStatus {
  name: string; ready?: boolean; restartCount?: number;
  state?: { waiting?: { reason?: string }; running?: object; terminated?: { reason?: string; exitCode?: number } };
}

function containerState(c: RawContainerStatus): ContainerState {
  const st = c.state ?? {};
  const base = { name: c.name, ready: c.ready === true, restarts: c.restartCount ?? 0 };
  if (st.terminated) return { ...base, state: 'terminated', reason: st.terminated.reason, exitCode: st.terminated.exitCode };
  if (st.running) return { ...base, state: 'running' };
  if (st.waiting) return { ...base, state: 'waiting', reason: st.waiting.reason };
  return { ...base, state: 'unknown' };
}

/** The phase and the state of every container of one pod. */
export async function podStatus(name: string, namespace: string | undefined, opts: KubeOptions = {}): Promise<PodStatusSummary> {
  const session = await openKube(opts, 'read the status of');
  const ns = namespace ?? session.namespace;
  try {
    const pod = await session.core.readNamespacedPodStatus({ name, namespace: ns });
    const st = pod.status ?? {};
    return {
      name, namespace: ns, phase: st.phase ?? 'Unknown',
      ready: (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      initContainers: (st.initContainerStatuses ?? []).map((c) => containerState(c as RawContainerStatus)),
      containers: (st.containerStatuses ?? []).map((c) => containerState(c as RawContainerStatus)),
      ...(st.message ? { message: st.message } : {}),
    };
  } catch (e) {
    throw session.error(e, 'read the status of', `pod ${ns}/${name}`);
  }
}

/** One line for people: `Running, ready; fetch-model: terminated (Completed, exit 0); llama-server: running`. */
export function formatPodStatus(p: PodStatusSummary): string {
  const one = (c: ContainerState): string => {
    const detail = [c.reason, c.exitCode !== undefined ? `exit ${c.exitCode}` : undefined].filter(Boolean).join(', ');
    return `${c.name}: ${c.state}${detail ? ` (${detail})` : ''}${c.restarts > 0 ? `, ${c.restarts} restarts` : ''}`;
  };
  return [`${p.phase}${p.ready ? ', ready' : ''}`, ...p.initContainers.map(one), ...p.containers.map(one)].join('; ');
}

/** Pod names matching a label selector (a Deployment's pods: `app.kubernetes.io/instance=<name>`). */
export async function listPods(labelSelector: string, namespace: string | undefined, opts: KubeOptions = {}): Promise<string[]> {
  const session = await openKube(opts, 'list the pods of');
  const ns = namespace ?? session.namespace;
  try {
    const list = await session.core.listNamespacedPod({ namespace: ns, labelSelector });
    return list.items.map((p) => p.metadata?.name ?? '').filter((n) => n.length > 0);
  } catch (e) {
    throw session.error(e, 'list the pods of', `${ns}/${labelSelector}`);
  }
}

/** The log of the pod's copy init container (or another container), e.g. to show that the model arrived. */
export async function initContainerLog(name: string, namespace: string | undefined,
  opts: KubeOptions & { readonly container?: string; readonly tailLines?: number } = {}): Promise<string> {
  const session = await openKube(opts, 'read the log of');
  const ns = namespace ?? session.namespace;
  const container = opts.container ?? FETCH_CONTAINER;
  try {
    return await session.core.readNamespacedPodLog({ name, namespace: ns, container, ...(opts.tailLines ? { tailLines: opts.tailLines } : {}) });
  } catch (e) {
    throw session.error(e, 'read the log of', `${container} in pod ${ns}/${name}`);
  }
}

/** The script's own lines of a copy log (`modelrepo: ... arrived, sha256 ok (...)`), and whether all went well. */
export function fetchSummary(log: string): { readonly ok: boolean; readonly lines: readonly string[] } {
  const lines = log.split('\n').filter((l) => l.startsWith('modelrepo: '));
  const failed = lines.some((l) => /MISMATCH|FAILED|cannot follow/.test(l));
  const done = lines.some((l) => /^modelrepo: all \d+ file\(s\) of .* arrived|^modelrepo: .* is .*: \d+ file\(s\) in /.test(l));
  return { ok: done && !failed, lines };
}
