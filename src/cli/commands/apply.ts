// `modelrepo apply <ref> [manifest options] [--context C] [--kubeconfig F] [--wait]`: builds the same
// objects as `manifest`, with the connection's real keys in the Secret, and server-side applies them
// through @kubernetes/client-node (loaded only here). The keys stay in memory: no YAML file, no kubectl.
// --wait then watches each workload's pod until its init container has copied and checked the model,
// and prints the pod status and the init container's own log lines.
import { RepoError } from '../../core/errors';
import { applyWithClient } from '../../core/kube/apply';
import { podTargets, reportLines, waitForPods } from '../../core/kube/rollout';
import type { PodReport } from '../../core/kube/rollout';
import { defineCommand } from '../command';
import { UsageError } from '../exitCodes';
import { buildFromCommandLine, builtNotes, DEPLOY_OPTIONS } from '../manifestBuild';

const USAGE = 'apply <repo>/<model>:<tag> | <repo>/<model>@<version>[/<file>] [manifest options] [--context C] [--kubeconfig F] [--wait [--wait-timeout S]]\n'
  + '       modelrepo apply --ab <repo>/<model>:<tagA>=<replicas> <repo>/<model>:<tagB>=<replicas> [options]';

/** The exit code of a wait that did not end well: 7 when a sha256 did not match, else 9. */
function failure(reports: readonly PodReport[], details: Record<string, unknown>): RepoError | undefined {
  const bad = reports.filter((r) => r.outcome === 'failed' || r.outcome === 'timeout');
  if (bad.length === 0) return undefined;
  const what = bad.map((r) => `${r.pod ?? r.target.workload}: ${r.reason ?? r.outcome}`).join('; ');
  const mismatch = bad.some((r) => /MISMATCH/.test((r.summary?.lines ?? []).join('\n') || (r.log ?? '')));
  return new RepoError(mismatch ? 'Integrity' : 'Incomplete', 'wait for', 'the model to arrive', what, { details });
}

export const applyCommand = defineCommand({
  name: 'apply',
  summary: 'server-side apply the manifests to a cluster, keys sent from memory; --wait shows the model arriving',
  usage: USAGE,
  help: `Takes every option of 'modelrepo manifest' (--kind, --runtime, --follow, --replicas, --gpus, --ab, ...),
puts the keys this command uses for the repository into the Secret, and applies the objects with
server-side apply (field manager 'modelrepo') to the kubeconfig's current context or --context. The keys
are never written to a file. The connection needs explicit keys (mc alias, AWS_ACCESS_KEY_ID +
AWS_SECRET_ACCESS_KEY, or a profile with static keys). Needs Node 22 or newer.
--wait watches each workload's pod until its init container has copied and checked the model (or the
pod failed, or --wait-timeout passed), then prints the pod status and the init container's log. Exit 7
when a sha256 did not match, 9 when the model did not arrive, 6 when the API server cannot be reached or
does not answer within --connect-timeout + --timeout.

examples:
  modelrepo apply localai/models/llama-3-8b:latest --namespace inference --wait
  modelrepo apply localai/models/llama-3-8b:latest --kind deployment --follow --context prod
  modelrepo apply --ab localai/models/llama-3-8b:stable=3 localai/models/llama-3-8b:canary=1 --wait`,
  options: {
    ...DEPLOY_OPTIONS,
    context: { type: 'string', value: '<C>', description: "kubeconfig context (default: the kubeconfig's current context)" },
    kubeconfig: { type: 'string', value: '<F>', description: 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' },
    wait: { type: 'boolean', description: "wait for the pods and show their status and the init container's log" },
    'wait-timeout': { type: 'string', value: '<seconds>', description: 'how long --wait waits in all (default 600)' },
  },
  args: { min: 1 },
  async run(ctx) {
    const usage = `modelrepo ${USAGE}`;
    const timeoutText = ctx.flags['wait-timeout'];
    if (timeoutText !== undefined && !/^\d+$/.test(timeoutText)) throw new UsageError(`--wait-timeout '${timeoutText}' is not a number of seconds`, usage);
    if (ctx.flags.wait === true && timeoutText === undefined && ctx.flags.timeout !== undefined) {
      ctx.out.note('note: --timeout is the first-byte deadline of each request; --wait-timeout limits the wait');
    }
    const b = await buildFromCommandLine(ctx, usage, 'real', 'apply puts the keys into the Secret');
    for (const n of builtNotes(b)) ctx.out.note(n);
    const kube = {
      ...(ctx.flags.kubeconfig !== undefined ? { kubeconfig: ctx.flags.kubeconfig } : {}),
      ...(ctx.flags.context !== undefined ? { context: ctx.flags.context } : {}),
      signal: ctx.signal, timeouts: ctx.global.timeouts,
    };
    const applied = await applyWithClient(b.objects, kube);
    for (const a of applied) ctx.out.text(`applied ${a.kind} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`);
    let reports: PodReport[] = [];
    if (ctx.flags.wait === true) {
      const targets = podTargets(b.objects, applied);
      ctx.out.note(`waiting for ${targets.map((t) => t.workload).join(', ')} ...`);
      let lastNote = '';
      reports = await waitForPods(targets, {
        ...kube, waitMs: (timeoutText !== undefined ? Number(timeoutText) : 600) * 1000,
        ...(process.env.MODELREPO_POLL_MS ? { pollMs: Number(process.env.MODELREPO_POLL_MS) } : {}),
        onStatus: (_t, text) => { if (text !== lastNote) ctx.out.note(lastNote = text); },
      });
      for (const r of reports) for (const l of reportLines(r)) ctx.out.text(l);
    }
    const result = {
      repository: b.repository, refs: b.refs, mode: b.mode, applied,
      pods: reports.map((r) => ({
        workload: r.target.workload, namespace: r.target.namespace ?? null, pod: r.pod ?? null, outcome: r.outcome,
        reason: r.reason ?? null, status: r.statusText, initContainer: r.target.initContainer ?? null,
        log: r.summary ? r.summary.lines : r.log !== undefined ? r.log.split('\n').filter((l) => l.trim()) : [],
      })),
    };
    // With --json a failed wait prints one document: the error, with the result in its details.
    const bad = failure(reports, result);
    if (bad) throw bad;
    ctx.out.data(result);
  },
});
