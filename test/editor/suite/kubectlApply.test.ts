// "Apply YAML with kubectl": kubectl runs in a pseudoterminal of its own with the YAML on its stdin.
// kubectl here is a fake (a shell script set as modelRepository.kubectlPath) that records its
// arguments and what it read from stdin, then prints and exits like kubectl. Checked: the YAML arrives
// on stdin whole, no file holding it is left in the temp folder, each apply gets a new terminal, and a
// failing or missing kubectl is reported with its exit status.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';
import { extensionApi, run, scratch } from './helpers';

interface Applied { args: string[]; terminal: vscode.Terminal; exitCode: number | null; output: string }

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('modelRepository');

/** Files under `dir` (a few levels deep) changed since `since` whose text contains `marker`. */
function filesHolding(dir: string, marker: string, since: number, depth = 3): string[] {
  const found: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    try {
      if (e.isDirectory() && depth > 0) {
        found.push(...filesHolding(p, marker, since, depth - 1));
      } else if (e.isFile()) {
        const st = fs.statSync(p);
        if (st.mtimeMs >= since - 1000 && st.size < 1_000_000 && fs.readFileSync(p, 'utf8').includes(marker)) found.push(p);
      }
    } catch {
      // a file of someone else's that vanished or is not readable: not ours
    }
  }
  return found;
}

suite('apply YAML with kubectl: a terminal of its own, YAML on stdin', function () {
  let api: ExtensionApi;
  let dir: string;
  let fake: string;
  const opened: vscode.Terminal[] = [];

  suiteSetup(async () => {
    api = await extensionApi();
    dir = scratch('kubectl');
    fake = path.join(dir, 'kubectl');
    fs.writeFileSync(fake, [
      '#!/bin/sh',
      `out=${JSON.stringify(dir)}`,
      'n=$(ls "$out" | grep -c "^call-.*\\.args$")',
      'printf "%s\\n" "$@" > "$out/call-$n.args"',
      'cat > "$out/call-$n.stdin"',
      'if [ -f "$out/fail" ]; then echo "error: the server refused: forbidden" >&2; exit 3; fi',
      'echo "pod/llama-3-8b configured"',
      '',
    ].join('\n'), { mode: 0o755 });
    await config().update('kubectlPath', fake, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await config().update('kubectlPath', undefined, vscode.ConfigurationTarget.Global);
    for (const t of opened) t.dispose();
  });

  const apply = async (yaml: string, context?: string): Promise<Applied> => {
    const r = await run<Applied>('applyManifest', undefined, { yaml, context, nonInteractive: true });
    assert.ok(r, `apply failed: ${api.lastNotice()?.message}`);
    opened.push(r.terminal);
    return r;
  };
  const call = (n: number, what: 'args' | 'stdin'): string => fs.readFileSync(path.join(dir, `call-${n}.${what}`), 'utf8');

  test('the YAML reaches kubectl on stdin, with --context; no file holding it is left in the temp folder', async () => {
    const t0 = Date.now();
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    const yaml = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: modelrepo-s3\nstringData:\n  AWS_SECRET_ACCESS_KEY: ${marker}\n`;
    const r = await apply(yaml, 'kind-test');
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.args, ['apply', '--context', 'kind-test', '-f', '-']);
    assert.deepEqual(call(0, 'args').trim().split('\n'), ['apply', '--context', 'kind-test', '-f', '-']);
    assert.equal(call(0, 'stdin'), yaml, 'kubectl did not read the YAML whole from stdin');
    assert.match(r.output, /pod\/llama-3-8b configured/);
    assert.match(r.output, /kubectl exited with code 0/);
    assert.ok(!r.output.includes(marker), 'the terminal shows the YAML');
    assert.deepEqual(filesHolding(os.tmpdir(), marker, t0).filter((f) => !f.startsWith(dir)), [], 'a file with the YAML is in the temp folder');
    assert.ok(!api.logLines().some((l) => l.includes(marker)), 'the YAML is in the log');
    assert.ok(vscode.window.terminals.includes(r.terminal), 'the terminal is not open');
  });

  test('each apply gets a new terminal; the one the user types in is not used', async () => {
    const before = vscode.window.createTerminal({ name: 'user shell' });
    opened.push(before);
    const a = await apply('kind: Namespace\n');
    const b = await apply('kind: ConfigMap\n');
    assert.notEqual(a.terminal, b.terminal);
    assert.notEqual(a.terminal, before);
    assert.notEqual(b.terminal, before);
    assert.equal(a.terminal.creationOptions.name, 'Model Repository: kubectl apply');
    assert.ok('pty' in a.terminal.creationOptions, 'kubectl did not run in a pseudoterminal');
    assert.ok(vscode.window.terminals.includes(a.terminal) && vscode.window.terminals.includes(b.terminal));
    assert.deepEqual(a.args, ['apply', '-f', '-']);
  });

  test('kubectl failing: its error output and exit status are shown, the user is told', async () => {
    fs.writeFileSync(path.join(dir, 'fail'), '');
    try {
      const r = await apply('kind: Pod\n', 'prod');
      assert.equal(r.exitCode, 3);
      assert.match(r.output, /error: the server refused: forbidden/);
      assert.match(r.output, /kubectl exited with code 3/);
      const n = api.lastNotice();
      assert.equal(n?.severity, 'error');
      assert.match(n?.message ?? '', /^Cannot apply manifest to context prod: kubectl exited with code 3/);
    } finally {
      fs.rmSync(path.join(dir, 'fail'));
    }
  });

  test('a kubectl that does not exist is named, with the setting to fix it', async () => {
    const missing = path.join(dir, 'no-such-kubectl');
    await config().update('kubectlPath', missing, vscode.ConfigurationTarget.Global);
    try {
      const r = await apply('kind: Pod\n');
      assert.equal(r.exitCode, null);
      assert.match(r.output, /kubectl was not found as '.*no-such-kubectl': install it, or set modelRepository\.kubectlPath/);
      assert.match(api.lastNotice()?.message ?? '', /modelRepository\.kubectlPath/);
    } finally {
      await config().update('kubectlPath', fake, vscode.ConfigurationTarget.Global);
    }
  });
});
