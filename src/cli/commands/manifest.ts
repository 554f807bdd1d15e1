// `modelrepo manifest <ref> [--namespace N] [--secret-name S]`: Kubernetes YAML on stdout and nothing
// else there, so `modelrepo manifest localai/models/llama-3-8b:latest | kubectl apply -f -` works.
// S3: a Secret (placeholder keys unless --with-keys) and a Pod whose init container copies and checks the
// file; a folder repository: a Pod with the folder mounted read-only over NFS (--nfs-server, --nfs-path).
import type { ConnectionConfig } from '../../core/connections/types';
import { buildManifests, usesPlaceholderCredentials } from '../../core/manifests/buildManifests';
import { manifestInputFor } from '../../core/manifests/manifestInput';
import { toYaml } from '../../core/manifests/toYaml';
import { formatRef, parseRef } from '../../core/refs';
import type { CommandSpec } from '../command';
import { stringFlag } from '../command';
import { modelRefOf } from '../describe';
import { UsageError } from '../exitCodes';
import { withSession } from '../session';

const USAGE = 'manifest <repo>/<model>:<tag> | <repo>/<model>@<version>[/<file>] [--namespace N] [--secret-name S]';

function withNfs(cfg: ConnectionConfig, server?: string, path?: string): ConnectionConfig {
  if (cfg.kind !== 'fs' || (!server && !path)) return cfg;
  const s = server ?? cfg.nfs?.server;
  if (!s) throw new UsageError('--nfs-path needs --nfs-server (or MODELREPO_NFS_SERVER)', `modelrepo ${USAGE}`);
  return { ...cfg, nfs: { server: s, path: path ?? cfg.nfs?.path ?? cfg.path } };
}

export const manifestCommand: CommandSpec = {
  name: 'manifest',
  summary: 'print Kubernetes YAML (Secret + Pod) that runs the model',
  usage: USAGE,
  help: `The Pod's init container copies the exact file(s) the reference resolves to into an emptyDir and
checks the recorded sha256; llama.cpp's server then runs it read-only. The Secret holds placeholder
keys unless --with-keys puts the keys this command used into it (careful: the YAML then holds them).
A folder repository needs the NFS server and export that reach it (or MODELREPO_NFS_SERVER/_PATH).

examples:
  modelrepo manifest localai/models/llama-3-8b:latest | kubectl apply -f -
  modelrepo manifest localai/models/llama-3-8b:v1 --namespace inference --secret-name minio-keys
  modelrepo manifest /srv/models/llama-3-8b:latest --nfs-server nfs.lan --nfs-path /export/models`,
  options: {
    namespace: { type: 'string', value: '<N>', description: 'namespace of the objects' },
    'secret-name': { type: 'string', value: '<S>', description: 'the Secret with the S3 keys (default modelrepo-s3)' },
    name: { type: 'string', value: '<name>', description: 'name of the Pod (default: from the model name)' },
    file: { type: 'string', value: '<file>', description: 'the file given to the server (-m) when the version holds several' },
    port: { type: 'string', value: '<port>', description: 'server port (default 8080)' },
    image: { type: 'string', value: '<image>', description: 'inference image (default: a pinned llama.cpp server)' },
    'with-keys': { type: 'boolean', description: 'put the real keys into the Secret instead of placeholders' },
    'nfs-server': { type: 'string', value: '<host>', description: 'folder repositories: NFS server' },
    'nfs-path': { type: 'string', value: '<path>', description: 'folder repositories: exported path of the repository' },
  },
  args: { min: 1, max: 1 },
  async run(ctx) {
    const ref = parseRef(ctx.args[0], { selector: 'required', file: true });
    const portText = stringFlag(ctx.flags, 'port');
    const port = portText === undefined ? undefined : Number(portText);
    if (port !== undefined && !Number.isInteger(port)) throw new UsageError(`--port '${portText}' is not a number`, `modelrepo ${USAGE}`);
    await withSession(ref.repo, ctx.global, async (s) => {
      const resolved = await s.repo.resolve(modelRefOf(ref), ctx.signal);
      const cfg = withNfs(s.config, stringFlag(ctx.flags, 'nfs-server'), stringFlag(ctx.flags, 'nfs-path'));
      const credentials = ctx.flags['with-keys'] === true && cfg.kind === 's3' ? cfg.credentials : undefined;
      if (ctx.flags['with-keys'] === true && cfg.kind === 's3' && !credentials) {
        throw new UsageError('--with-keys: this connection has no explicit keys (profile or default chain)', `modelrepo ${USAGE}`);
      }
      const opt = (name: string): string | undefined => stringFlag(ctx.flags, name);
      const input = manifestInputFor(resolved, cfg, {
        ref: formatRef(ref),
        ...(opt('namespace') !== undefined ? { namespace: opt('namespace') } : {}),
        ...(opt('secret-name') !== undefined ? { secretName: opt('secret-name') } : {}),
        ...(opt('name') !== undefined ? { name: opt('name') } : {}),
        ...(opt('file') !== undefined ? { modelFile: opt('file') } : {}),
        ...(opt('image') !== undefined ? { image: opt('image') } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(credentials ? { credentials } : {}),
      });
      const objects = buildManifests(input);
      if (ctx.out.json) ctx.out.data({ repository: s.where, chain: resolved.chain, objects });
      else ctx.out.raw(toYaml(objects));
      ctx.out.note(`# ${resolved.chain.join(' -> ')}`);
      if (usesPlaceholderCredentials(input)) {
        ctx.out.note('# the Secret holds placeholder keys: fill them in, create the Secret separately, or pass --with-keys');
      }
    });
  },
};
