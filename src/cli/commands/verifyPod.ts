// `modelrepo verify-pod <pod> [--namespace N]`: checks from inside a running pod made by this product
// that its model file is the one the repository recorded (sha256sum and size through exec), and that
// the server answers its health endpoint (through the API server's pod proxy). The record comes from the
// repository the pod's `modelrepo.io/ref` annotation names, opened with this machine's own settings
// (an annotation can name a repository, never an endpoint or keys), else from the pod's annotations.
import { RepoError } from '../../core/errors';
import { verifyPod } from '../../core/kube/verifyPod';
import type { FileRecord } from '../../core/kube/verifyPod';
import { parseRef } from '../../core/refs';
import { defineCommand } from '../command';
import { UsageError } from '../exitCodes';
import { withSession } from '../session';

const USAGE = 'verify-pod <pod> [--namespace N] [--context C] [--kubeconfig F] [--exec-timeout S] [--no-repository]';

export const verifyPodCommand = defineCommand({
  name: 'verify-pod',
  summary: "check inside a running pod that its model file matches the repository's record and the server is healthy",
  usage: USAGE,
  help: `For a pod made by 'modelrepo apply' or 'modelrepo manifest': runs sha256sum and stat in the serving
container on the model file under its model mount (exec through the API server) and compares them with
the repository's record of that version (the repository named by the pod's modelrepo.io/ref annotation,
opened with this machine's settings; with --no-repository, or when it names none, the sha256 the pod's
annotations recorded). Then GETs the server's health path (its readiness probe) through the API
server's pod proxy. Exit 0 when both are fine, 7 when the file does not match, 9 when it could not be
checked or the server is not healthy. Needs Node 22 or newer.

examples:
  modelrepo verify-pod llama-3-8b --namespace inference
  modelrepo verify-pod llama-3-8b-7d9f6c5b4-x2x7q --context prod --json`,
  options: {
    namespace: { type: 'string', value: '<N>', description: "the pod's namespace (default: the context's)" },
    context: { type: 'string', value: '<C>', description: "kubeconfig context (default: the kubeconfig's current context)" },
    kubeconfig: { type: 'string', value: '<F>', description: 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' },
    'exec-timeout': { type: 'string', value: '<seconds>', description: 'deadline of each command in the pod (default 900: hashing takes time)' },
    'no-repository': { type: 'boolean', description: "compare with the pod's annotations only, without opening the repository" },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const usage = `modelrepo ${USAGE}`;
    const { namespace, context, kubeconfig, 'exec-timeout': execText } = ctx.flags;
    if (execText !== undefined && !/^\d+$/.test(execText)) throw new UsageError(`--exec-timeout '${execText}' is not a number of seconds`, usage);
    const record = async (p: { model: string; version: string; file: string; ref?: string }): Promise<FileRecord | undefined> => {
      if (ctx.flags['no-repository'] === true || !p.ref) return undefined;
      let repo;
      try {
        repo = parseRef(p.ref, { selector: 'optional', file: true }).repo;
      } catch {
        ctx.out.note(`note: the pod's ref annotation is not a repository reference; comparing with its annotations`);
        return undefined;
      }
      return withSession(repo, ctx.global, async (s) => {
        const a = (await s.repo.listArtifacts(p.model, p.version, ctx.signal)).find((x) => x.name === p.file);
        if (!a) throw new RepoError('NotFound', 'verify the model in', `pod ${ctx.args[0]}`, `the repository ${s.where} has no file ${p.file} in ${p.model}@${p.version}`);
        return { size: a.size, ...(a.sha256 ? { sha256: a.sha256 } : {}) };
      });
    };
    const r = await verifyPod(ctx.args[0], {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(context !== undefined ? { context } : {}),
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      ...(execText !== undefined ? { execTimeoutMs: Number(execText) * 1000 } : {}),
      signal: ctx.signal, timeouts: ctx.global.timeouts, record,
    });
    for (const l of r.lines) ctx.out.text(l);
    const { lines: _lines, ...result } = r;
    if (r.fileOutcome === 'mismatch') {
      throw new RepoError('Integrity', 'verify the model in', `pod ${r.namespace}/${r.pod}`,
        `${r.path} has sha256 ${r.seen.sha256}, ${r.seen.size ?? '?'} bytes; the record says ${r.recorded.sha256}, ${r.recorded.size ?? '?'} bytes`, { details: result });
    }
    if (r.fileOutcome !== 'match' || !r.health.ok) {
      const why = [r.fileOutcome !== 'match' ? `file not checked: ${r.fileReason}` : '', !r.health.ok ? `server not healthy: ${r.health.reason}` : ''].filter(Boolean).join('; ');
      throw new RepoError('Incomplete', 'verify the model in', `pod ${r.namespace}/${r.pod}`, why, { details: result });
    }
    ctx.out.data(result);
  },
});
