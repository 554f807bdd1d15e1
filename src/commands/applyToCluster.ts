// "Apply to Cluster (Server-Side Apply)": builds the manifests with the connection's real keys from
// SecretStorage and applies them through @kubernetes/client-node (kubeconfig as kubectl finds it, the
// context asked or given), so the keys go from memory to the API server and never touch a file. Then it
// watches the pods until the init container has copied and checked the model, and shows the pod status
// and the init container's log in a read-only document (and the log channel). "Apply YAML with kubectl"
// (applyManifest.ts) stays for YAML the user edited.
import type * as vscode from 'vscode';
import { isRepoError } from '../core/errors';
import { applyWithClient } from '../core/kube/apply';
import type { AppliedObject } from '../core/kube/apply';
import { podTargets, reportLines, waitForPods } from '../core/kube/rollout';
import type { PodReport } from '../core/kube/rollout';
import { withCancellableProgress } from '../vscode/progress';
import type { DeployArgs } from './deployChoices';
import { planSingle } from './deployPlan';
import type { Plan } from './deployPlan';
import { confirm, type NonInteractive } from './input';
import { options, pickRef } from './pick';
import type { Services } from './services';

export interface ApplyArgs extends DeployArgs, NonInteractive {
  readonly name?: string;
  /** Kubeconfig file; default $KUBECONFIG (first file), else ~/.kube/config. */
  readonly kubeconfig?: string;
  /** Watch the pods afterwards (default true) for at most waitMs (default 10 minutes). */
  readonly wait?: boolean;
  readonly waitMs?: number;
  readonly pollMs?: number;
  /** false: do not open the report document. */
  readonly open?: boolean;
}

export interface AppliedPlan {
  readonly applied: readonly AppliedObject[];
  readonly reports: readonly PodReport[];
  /** The report as shown (markdown): objects, pod status, init container log. Never any key. */
  readonly report: string;
  readonly uri: vscode.Uri;
  readonly context?: string;
}

const ACTION = 'apply to cluster';

export async function applyToCluster(s: Services, node: unknown, raw: unknown): Promise<AppliedPlan> {
  const a = options<ApplyArgs>(raw);
  const scripted = a.nonInteractive === true;
  const n = await pickRef(s, node, ACTION);
  const plan = await planSingle(s, n, a, { action: ACTION, keys: 'real', scripted, askContext: true, ...(a.name ? { name: a.name } : {}) });
  return applyPlan(s, plan, a);
}

const describeObject = (o: { kind?: string; metadata?: { name?: string } }): string => `${o.kind ?? 'object'} ${o.metadata?.name ?? ''}`;

/** Applies a plan built with real keys, waits for the pods, and shows the report. */
export async function applyPlan(s: Services, plan: Plan, a: ApplyArgs): Promise<AppliedPlan> {
  const { context, namespace } = plan.target;
  const where = `${context ? `context ${context}` : "the kubeconfig's current context"}${namespace ? `, namespace ${namespace}` : ''}`;
  if (a.nonInteractive !== true) {
    const objects = plan.objects.map((o) => describeObject(o as { kind?: string })).join(', ');
    await confirm(ACTION, `Apply ${plan.title} to ${where}?`,
      `${objects}. Server-side apply (field manager modelrepo)${plan.realKeys ? `; the Secret gets the keys of connection ${plan.connectionName} straight from SecretStorage, never written to a file` : ''}.`,
      'Apply');
  }
  const kube = { ...(a.kubeconfig ? { kubeconfig: a.kubeconfig } : {}), ...(context ? { context } : {}) };
  let stopped = false;
  const { applied, reports } = await withCancellableProgress(`Applying ${plan.title}`, async (progress, signal) => {
    const done = await applyWithClient(plan.objects, { ...kube, signal });
    s.log.info(`applied ${done.map((d) => `${d.kind} ${d.namespace ?? ''}/${d.name}`).join(', ')} (${where})`);
    if (a.wait === false) return { applied: done, reports: [] as PodReport[] };
    progress.report({ message: 'applied; waiting for the model to arrive in the pod' });
    try {
      const found = await waitForPods(podTargets(plan.objects, done), {
        ...kube, signal, ...(a.waitMs !== undefined ? { waitMs: a.waitMs } : {}), ...(a.pollMs !== undefined ? { pollMs: a.pollMs } : {}),
        onStatus: (_t, text) => progress.report({ message: text }),
      });
      return { applied: done, reports: found };
    } catch (e) {
      // Cancel stops the waiting only: what was applied stays applied, and the report says so.
      if (!isRepoError(e, 'Aborted')) throw e;
      stopped = true;
      return { applied: done, reports: [] as PodReport[] };
    }
  });
  const report = reportText(plan, where, applied, reports, stopped);
  for (const line of report.split('\n').filter((l) => l.trim() && !l.startsWith('```'))) s.log.info(line);
  const uri = s.docs.uri(['Apply', `${plan.title.replace(/[/:@ ,=]+/g, '-')}.md`], `${context ?? ''}/${Date.now()}`);
  await s.docs.show(uri, report, { open: a.open });
  const bad = reports.filter((r) => r.outcome === 'failed' || r.outcome === 'timeout');
  if (bad.length > 0) {
    s.notify.show('warning', `Applied ${plan.title}, but the model did not arrive: ${bad.map((r) => `${r.pod ?? r.target.workload}: ${r.reason ?? r.outcome}`).join('; ')}`);
  } else {
    s.notify.info(`Applied ${plan.title} to ${where}${reports.length > 0 ? ': the model arrived' : ''}`);
  }
  return { applied, reports, report, uri, context };
}

function reportText(plan: Plan, where: string, applied: readonly AppliedObject[], reports: readonly PodReport[], stopped: boolean): string {
  const lines = [
    `# Applied ${plan.title}`, '',
    `To ${where} by server-side apply (field manager \`modelrepo\`).${plan.realKeys ? ` The Secret holds the keys of connection ${plan.connectionName}, sent from memory.` : ''}`, '',
    ...plan.chains.map((c, i) => `- ${c} (${plan.serves[i]})`), '',
    '## Objects', '',
    ...applied.map((o) => `- ${o.kind} \`${o.namespace ? `${o.namespace}/` : ''}${o.name}\``), '',
  ];
  if (stopped) lines.push('Stopped waiting for the pods (cancelled).', '');
  for (const r of reports) {
    const [head, ...rest] = reportLines(r);
    lines.push(`## ${r.pod ? `Pod ${r.target.namespace ? `${r.target.namespace}/` : ''}${r.pod}` : r.target.workload}`, '', head.replace(/^[^:]*: /, ''), '');
    if (rest.length > 0) lines.push('```', ...rest.map((l) => l.replace(/^ {2}/, '')), '```', '');
  }
  return lines.join('\n');
}
