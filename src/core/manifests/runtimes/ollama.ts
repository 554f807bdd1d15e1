// Ollama for GGUF: the server imports the file with a Modelfile (`FROM <file>`, `ollama create`) before it
// serves. One container does both: `ollama serve` on loopback only, `ollama create <model>`, then
// `exec ollama serve` on the pod's port, so the readiness probe (and a Service) see the server only once
// the model exists. The GGUF file is copied in from S3 by the init container and checked, or on the NFS
// mount; following a tag, the file the tag resolved to at pod start. Ollama keeps its own copy of the
// weights (its blob store, in the tmp emptyDir), so the pod holds the model twice on local disk.
import type { Container, EnvVar } from 'kubernetes-types/core/v1';
import { shellQuote } from '../initScript';
import { dnsLabel, mebibytes } from '../k8sNames';
import type { ManifestSettings } from '../manifestInput';
import { containerSecurityContext, modelMount } from '../podParts';
import { containerResources, kserveContainer, mappedResources, modelFilePath, readiness, scratchVolumes, tmpMount } from './runtime';
import type { Runtime } from './runtime';

export const OLLAMA_IMAGE = 'ollama/ollama:0.11.10';

// `GET /` answers "Ollama is running"; the script binds the pod's port only after the import.
const HEALTH = { path: '/', initialDelaySeconds: 5 };
const SPLIT_GGUF = /-0*1-of-\d+\.gguf$/i;

/** The name clients ask for: the model name when Ollama accepts it, else a DNS-label form of it. */
export function ollamaModelName(model: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/.test(model) ? model : dnsLabel(model);
}

/** Imports `modelPath` as `name`, then serves on `port`. Needs sh, ln, printf, kill, sleep (the image's Ubuntu). */
export function ollamaScript(modelPath: string, name: string, port: number): string {
  const q = shellQuote;
  return [
    'set -eu',
    `model=${q(modelPath)}`,
    `name=${q(name)}`,
    `export OLLAMA_HOST=${q(`127.0.0.1:${port}`)}`,
    'ollama serve & pid=$!',
    'tries=0',
    'until ollama list >/dev/null 2>&1; do',
    '  tries=$((tries + 1))',
    '  if [ "$tries" -gt 120 ] || ! kill -0 "$pid" 2>/dev/null; then echo "modelrepo: ollama serve did not start" >&2; exit 1; fi',
    '  sleep 1',
    'done',
    // A fixed link name: the Modelfile never has to quote a file name, and Ollama sees a .gguf name even
    // for a tag's symlink on NFS.
    'ln -sf "$model" "$HOME/modelrepo-model.gguf"',
    'printf "FROM %s\\n" "$HOME/modelrepo-model.gguf" > "$HOME/Modelfile"',
    'if ! ollama create "$name" -f "$HOME/Modelfile"; then',
    '  echo "modelrepo: ollama create $name from $model failed" >&2',
    '  kill "$pid" 2>/dev/null || true',
    '  exit 1',
    'fi',
    'kill "$pid"',
    'wait "$pid" || true',
    'echo "modelrepo: $model imported into Ollama as $name"',
    `export OLLAMA_HOST=${q(`0.0.0.0:${port}`)}`,
    'exec ollama serve',
  ].join('\n') + '\n';
}

// HOME holds Ollama's key pair and the Modelfile; OLLAMA_MODELS its blob store; both in the tmp emptyDir
// (the root filesystem is read-only). A serving pod keeps the model loaded instead of unloading it after 5 minutes.
const ollamaEnv = (): EnvVar[] => [
  { name: 'HOME', value: '/tmp' },
  { name: 'OLLAMA_MODELS', value: '/tmp/ollama-models' },
  { name: 'OLLAMA_KEEP_ALIVE', value: '-1' },
];

// Room for Ollama's copy of the weights.
const tmpSize = (s: ManifestSettings): string => mebibytes(s.totalSize * 1.05 + 512 * 1024 * 1024);

function container(s: ManifestSettings): Container {
  return {
    name: 'ollama',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c'],
    args: [ollamaScript(modelFilePath(s), ollamaModelName(s.input.model), s.port)],
    env: ollamaEnv(),
    ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
    readinessProbe: readiness(HEALTH, s.port),
    resources: containerResources(s),
    securityContext: containerSecurityContext(s),
    volumeMounts: [modelMount(s), tmpMount()],
  };
}

export const ollama: Runtime = {
  name: 'ollama',
  server: 'Ollama',
  label: 'Ollama',
  description: 'GGUF imported with a Modelfile at start; CPU, or NVIDIA GPUs when asked for',
  image: OLLAMA_IMAGE,
  port: 11434,
  formats: ['gguf'],
  opens: 'file',
  reads: 'imports GGUF',
  fromS3: 'copy',
  gpus: { min: 0, default: 0 },
  health: HEALTH,
  check: (_input, modelFile) => SPLIT_GGUF.test(modelFile)
    ? `${modelFile} is the first part of a split GGUF, and Ollama imports one file: merge it (llama-gguf-split --merge) or serve it with llama.cpp, which opens split files`
    : undefined,
  resources: mappedResources,
  container,
  volumes: (s) => scratchVolumes(tmpSize(s), false),
  kserve: (s, storage) => ({
    volumes: scratchVolumes(tmpSize(s), false),
    containers: [kserveContainer(s, storage, {
      health: HEALTH, command: ['/bin/sh', '-c'], args: [ollamaScript(storage.modelPath, ollamaModelName(s.input.model), s.port)],
      env: ollamaEnv(), tmp: true,
    })],
  }),
};
