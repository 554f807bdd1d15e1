// "Verify Model in Pod": the CLI's verify-pod from the editor. Asks for the pod (and namespace, default
// the kubeconfig context's), hashes the model file inside the serving container and reads the server's
// health path (src/core/kube/verifyPod.ts), and shows the result in a read-only document. The record
// compared with is the one the pod's annotations carry (the repository's sha256 at manifest time).
import type * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { isDnsSubdomain } from '../core/manifests/k8sNames';
import { verifyPod } from '../core/kube/verifyPod';
import type { VerifyPodResult } from '../core/kube/verifyPod';
import { withCancellableProgress } from '../vscode/progress';
import { chooseTarget } from './deployChoices';
import { ask } from './input';
import type { NonInteractive } from './input';
import { options } from './pick';
import type { Services } from './services';

export interface VerifyPodArgs extends NonInteractive {
  readonly pod?: string;
  readonly namespace?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
  readonly open?: boolean;
}

const ACTION = 'verify model in pod';

export async function verifyModelInPod(s: Services, _node: unknown, raw: unknown): Promise<VerifyPodResult & { report: string; uri: vscode.Uri }> {
  const a = options<VerifyPodArgs>(raw);
  const scripted = a.nonInteractive === true;
  const target = await chooseTarget(ACTION, s.log, { ...(a.context ? { context: a.context } : {}), ...(a.namespace ? { namespace: a.namespace } : {}) }, !scripted);
  const pod = a.pod ?? await ask(ACTION, {
    title: 'Verify Model in Pod', prompt: `Pod name (namespace ${target.namespace ?? 'default'})`,
    validateInput: (v) => (isDnsSubdomain(v) ? undefined : 'a pod name'),
  });
  const r = await withCancellableProgress(`Verifying the model in pod ${pod}`, (_p, signal) => verifyPod(pod, {
    ...(a.kubeconfig ? { kubeconfig: a.kubeconfig } : {}), ...(target.context ? { context: target.context } : {}),
    ...(target.namespace ? { namespace: target.namespace } : {}), signal,
  }));
  const report = [`# Model in pod ${r.namespace}/${r.pod}`, '', ...r.lines.map((l) => `- ${l}`), ''].join('\n');
  for (const l of r.lines) s.log.info(l);
  const uri = s.docs.uri(['Verify', `${r.pod}.md`], `${target.context ?? ''}/${Date.now()}`);
  await s.docs.show(uri, report, { open: a.open });
  if (r.fileOutcome === 'mismatch') {
    throw new RepoError('Integrity', ACTION, `${r.namespace}/${r.pod}`, `${r.path} has sha256 ${r.seen.sha256}; the record says ${r.recorded.sha256}`);
  }
  const ok = r.fileOutcome === 'match' && r.health.ok;
  s.notify.show(ok ? 'info' : 'warning', ok ? `The model in pod ${r.pod} matches its record and the server is healthy`
    : `Pod ${r.pod}: ${r.fileOutcome === 'match' ? 'the model matches' : `model not checked (${r.fileReason})`}; ${r.health.ok ? 'healthy' : `not healthy (${r.health.reason})`}`);
  return { ...r, report, uri };
}
