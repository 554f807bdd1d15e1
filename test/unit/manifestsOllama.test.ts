// Ollama: the manifest (a GGUF file imported with a Modelfile, then served), and its start script run
// here with a stand-in `ollama` that records what it is asked: the import happens on loopback only, the
// Modelfile points at the model file, and only then does the server listen on the pod's port.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import { buildManifests } from '../../src/core/manifests/buildManifests';
import type { InferenceService } from '../../src/core/manifests/kserve';
import type { ManifestInput } from '../../src/core/manifests/manifestInput';
import { OLLAMA_IMAGE, ollamaModelName, ollamaScript } from '../../src/core/manifests/runtimes/ollama';
import { isRepoError } from '../../src/core/errors';
import { FILE, nfsInput, s3Input } from '../helpers/manifestFixtures';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ollama = (over: Partial<ManifestInput> = {}): readonly object[] => buildManifests({ ...s3Input, runtime: 'ollama', ...over });
const specOf = (objs: readonly object[]): PodSpec => (objs.find((o) => (o as Obj).kind === 'Pod') as Obj).spec;
const configError = (re: RegExp) => (e: unknown): boolean => isRepoError(e, 'Config') && re.test((e as Error).message);

// The stand-in: `serve` records its address and, on loopback, runs until it is stopped; `list` answers once
// serve is up; `create` records its arguments, the Modelfile and what its FROM line points at.
const STUB = `#!/bin/sh
log="$STUB_DIR/log"
case "$1" in
  serve)
    [ -z "\${STUB_SERVE_DIES:-}" ] || exit 3
    echo "serve $OLLAMA_HOST" >> "$log"
    case "$OLLAMA_HOST" in 127.0.0.1:*) ;; *) exit 0 ;; esac
    trap 'echo "stopped $OLLAMA_HOST" >> "$log"; exit 0' TERM
    touch "$STUB_DIR/up"
    while :; do sleep 0.1; done ;;
  list) [ -f "$STUB_DIR/up" ] ;;
  create)
    echo "create $2 $3 $4 $OLLAMA_HOST" >> "$log"
    echo "modelfile $(cat "$4")" >> "$log"
    echo "from $(cat "$(sed -n 's/^FROM //p' "$4")")" >> "$log"
    [ -z "\${STUB_CREATE_FAILS:-}" ] ;;
esac
`;

function runScript(script: string, extra: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string; log: string[]; home: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ollama-stub-'));
  try {
    writeFileSync(join(dir, 'ollama'), STUB);
    chmodSync(join(dir, 'ollama'), 0o755);
    writeFileSync(join(dir, 'model.gguf'), 'GGUF weights');
    const r = spawnSync('/bin/sh', ['-c', script.replace('/models/x.gguf', join(dir, 'model.gguf'))], {
      encoding: 'utf8', timeout: 60_000,
      env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, STUB_DIR: dir, ...extra },
    });
    let log: string[] = [];
    try { log = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n'); } catch { /* nothing ran */ }
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, log: log.map((l) => l.split(dir).join('$HOME')), home: dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Ollama manifest', () => {
  const spec = specOf(ollama());
  const c: Container = spec.containers[0];

  it('copies the GGUF file in, then imports and serves it in one container on the pinned image', () => {
    assert.deepEqual(spec.initContainers!.map((x) => x.name), ['fetch-model']);
    assert.equal(c.image, OLLAMA_IMAGE);
    assert.deepEqual(c.command, ['/bin/sh', '-c']);
    assert.equal(c.args![0], ollamaScript(`/models/${FILE}`, 'llama-3-8b', 11434));
    assert.deepEqual(c.readinessProbe!.httpGet, { path: '/', port: 11434 });
    assert.deepEqual(c.volumeMounts, [{ name: 'models', mountPath: '/models', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }]);
    const env = Object.fromEntries(c.env!.map((e) => [e.name, e.value]));
    assert.deepEqual(env, { HOME: '/tmp', OLLAMA_MODELS: '/tmp/ollama-models', OLLAMA_KEEP_ALIVE: '-1' });
  });

  it("leaves room in /tmp for Ollama's own copy of the weights", () => {
    const tmp = spec.volumes!.find((v) => v.name === 'tmp')!.emptyDir!.sizeLimit!;
    assert.ok(Number(/^(\d+)Mi$/.exec(tmp)![1]) * 2 ** 20 > s3Input.artifacts[0].size, tmp);
    assert.deepEqual(spec.volumes!.map((v) => v.name), ['models', 'tmp']);
  });

  it('runs on CPU by default, and asks for GPUs (limit and toleration) when given', () => {
    assert.equal(c.resources!.limits!['nvidia.com/gpu'], undefined);
    assert.equal(spec.tolerations, undefined);
    const gpu = specOf(ollama({ gpus: 1 }));
    assert.equal(gpu.containers[0].resources!.limits!['nvidia.com/gpu'], '1');
    assert.equal(gpu.tolerations!.length, 1);
  });

  it('follows a tag: the file the tag resolved to at pod start, or the tag symlink on NFS', () => {
    assert.match(specOf(ollama({ mode: 'follow' })).containers[0].args![0], /^model='\/models\/modelrepo-current\.gguf'$/m);
    const nfs = specOf(buildManifests({ ...nfsInput, runtime: 'ollama', mode: 'follow' })).containers[0];
    assert.match(nfs.args![0], /^model='\/models\/tags\/latest'$/m);
  });

  it('on KServe: the same script in a kserve-container, on the file the storage initializer copied', () => {
    const isvc = buildManifests({ ...s3Input, runtime: 'ollama', kind: 'kserve' })[2] as InferenceService;
    const k = isvc.spec.predictor.containers![0];
    assert.equal(k.args![0], ollamaScript(`/mnt/models/${FILE}`, 'llama-3-8b', 11434));
    assert.deepEqual(k.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it('names the model as Ollama accepts it, and refuses a split GGUF', () => {
    assert.equal(ollamaModelName('llama-3-8b'), 'llama-3-8b');
    assert.equal(ollamaModelName('Qwen2.5 7B (chat)'), 'qwen2-5-7b-chat');
    const shard = { ...s3Input.artifacts[0], file: 'm-00001-of-00002.gguf', path: 'team-a/llama-3-8b/2024-03-20/m-00001-of-00002.gguf' };
    assert.throws(() => ollama({ artifacts: [shard, { ...shard, file: 'm-00002-of-00002.gguf', path: shard.path.replace('01-of', '02-of') }] }),
      configError(/split GGUF, and Ollama imports one file/));
  });
});

describe('Ollama start script (stand-in ollama)', () => {
  const script = ollamaScript('/models/x.gguf', 'llama-3-8b', 11434);

  it('is valid sh for dash and bash, every value quoted', () => {
    for (const sh of ['/bin/sh', '/bin/bash']) assert.equal(spawnSync(sh, ['-n', '-c', script]).status, 0, sh);
    assert.match(ollamaScript("/models/it's.gguf", 'x', 11434), /^model='\/models\/it'\\''s\.gguf'$/m);
  });

  it('imports on loopback with a Modelfile FROM the model, stops that server, then serves on every address', () => {
    const r = runScript(script);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.log, [
      'serve 127.0.0.1:11434',
      'create llama-3-8b -f $HOME/Modelfile 127.0.0.1:11434',
      'modelfile FROM $HOME/modelrepo-model.gguf',
      'from GGUF weights',
      'stopped 127.0.0.1:11434',
      'serve 0.0.0.0:11434',
    ]);
    assert.match(r.stdout, /imported into Ollama as llama-3-8b/);
  });

  it('fails (and stops the loopback server) when the import fails or the server does not start', () => {
    const failed = runScript(script, { STUB_CREATE_FAILS: '1' });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /ollama create llama-3-8b from .* failed/);
    assert.ok(failed.log.includes('stopped 127.0.0.1:11434'), failed.log.join('\n'));
    assert.ok(!failed.log.includes('serve 0.0.0.0:11434'), 'never serves without the model');
    const dead = runScript(script, { STUB_SERVE_DIES: '1' });
    assert.equal(dead.code, 1);
    assert.match(dead.stderr, /ollama serve did not start/);
  });
});
