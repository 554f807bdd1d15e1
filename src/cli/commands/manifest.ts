// `modelrepo manifest <ref> [--kind K] [--runtime R] [--follow] ...`: Kubernetes YAML on stdout and
// nothing else there, so `modelrepo manifest localai/models/llama-3-8b:latest | kubectl apply -f -` works.
// S3: a Secret (placeholder keys unless --with-keys) and the workload, whose init container copies and
// checks the file; a folder repository: the folder mounted read-only over NFS (--nfs-server, --nfs-path).
// The options and the A/B form are shared with `apply` (manifestBuild.ts).
import { runtimesServing, RUNTIME_NAMES } from '../../core/manifests/runtimes/runtimeTable';
import { toYaml } from '../../core/manifests/toYaml';
import { defineCommand } from '../command';
import { buildFromCommandLine, builtNotes, DEPLOY_OPTIONS, runtimeHelp } from '../manifestBuild';

// A runtime for the safetensors example: the first of the table that serves a safetensors folder.
const SAFETENSORS_EXAMPLE = runtimesServing([['config.json', 'model.safetensors']])[0];

const USAGE = 'manifest <repo>/<model>:<tag> | <repo>/<model>@<version>[/<file>] [--kind pod|deployment|kserve] '
  + `[--runtime ${RUNTIME_NAMES.join('|')}] [--follow] [--replicas N] [--gpus N] [--namespace N] [--secret-name S]\n`
  + '       modelrepo manifest --ab <repo>/<model>:<tagA>=<replicas> <repo>/<model>:<tagB>=<replicas> [options]';

export const manifestCommand = defineCommand({
  name: 'manifest',
  summary: 'print Kubernetes YAML (Secret + Pod, Deployment or KServe InferenceService) that runs the model',
  usage: USAGE,
  help: `A Pod by default: its init container copies the exact file(s) the reference resolves to into an
emptyDir and checks the recorded sha256; the inference server then runs it read-only (llama.cpp's for
GGUF). --kind deployment adds replicas, a rolling update and a Service; --kind kserve makes a KServe
InferenceService with a ServiceAccount and the Secret KServe reads. --runtime picks the inference server
(below; one that does not serve the files is refused, naming those that do). --follow (a tag reference)
resolves the tag at every pod start instead of pinning what it resolves to now. --ab takes two or more
arms <ref>=<replicas>: one Deployment per arm behind one Service, traffic shared by replicas (3 and 1:
75 % / 25 %).
The Secret holds placeholder keys unless --with-keys puts the keys this command used into it (careful:
the YAML then holds them; 'modelrepo apply' sends them to the cluster without writing them anywhere).

${runtimeHelp()}

examples:
  modelrepo manifest localai/models/llama-3-8b:latest | kubectl apply -f -
  modelrepo manifest localai/models/llama-3-8b:latest --kind deployment --replicas 2 --follow
  modelrepo manifest localai/models/qwen2.5-7b:stable --runtime ${SAFETENSORS_EXAMPLE} --kind kserve --namespace inference
  modelrepo manifest --ab localai/models/llama-3-8b:stable=3 localai/models/llama-3-8b:canary=1
  modelrepo manifest /srv/models/llama-3-8b:latest --nfs-server nfs.lan --nfs-path /export/models`,
  options: {
    ...DEPLOY_OPTIONS,
    'with-keys': { type: 'boolean', description: 'put the real keys into the Secret instead of placeholders' },
  },
  args: { min: 1 },
  async run(ctx) {
    const withKeys = ctx.flags['with-keys'] === true;
    const b = await buildFromCommandLine(ctx, `modelrepo ${USAGE}`, withKeys ? 'real' : 'placeholder', '--with-keys');
    if (ctx.out.json) ctx.out.data({ repository: b.repository, chain: b.refs[0].chain, refs: b.refs, mode: b.mode, objects: b.objects });
    else ctx.out.raw(toYaml(b.objects));
    for (const n of builtNotes(b)) ctx.out.note(n);
    if (b.placeholder) ctx.out.note('# the Secret holds placeholder keys: fill them in, create the Secret separately, pass --with-keys, or use modelrepo apply');
  },
});
