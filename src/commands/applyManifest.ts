// Applies YAML with kubectl (`kubectl apply [--context C] -f -`) in a terminal of its own, so the user
// sees kubectl's own output and errors. The YAML is the active YAML editor's text, or one generated for
// the node the command was run on. It goes to kubectl's stdin and nowhere else: a Secret in it may hold
// keys, so it is never written to a file, typed into a shell, or logged.
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { asNode } from '../tree/nodes';
import { runKubectlInTerminal } from '../vscode/kubectlTerminal';
import { kubectlPath } from '../vscode/settings';
import { generateManifest, generatedContexts } from './generateManifest';
import { confirm, type NonInteractive } from './input';
import { options } from './pick';
import type { Services } from './services';

export interface ApplyArgs extends NonInteractive {
  readonly yaml?: string;
  readonly context?: string;
}

export interface ApplyResult {
  /** kubectl's arguments (the executable is modelRepository.kubectlPath). */
  readonly args: readonly string[];
  /** The terminal kubectl ran in: a new one for every apply. */
  readonly terminal: vscode.Terminal;
  /** kubectl's exit code; null when it did not run to the end. */
  readonly exitCode: number | null;
  /** What the terminal showed. */
  readonly output: string;
}

const ACTION = 'apply manifest';
export const TERMINAL_NAME = 'Model Repository: kubectl apply';
const SHOW_TERMINAL = 'Show Terminal';

export async function applyManifest(s: Services, node: unknown, raw: unknown): Promise<ApplyResult> {
  const a = options<ApplyArgs>(raw);
  let yaml = a.yaml;
  let context = a.context;
  const editor = vscode.window.activeTextEditor;
  if (yaml === undefined && !asNode(node) && editor && editor.document.languageId === 'yaml') {
    yaml = editor.document.getText();
    context ??= generatedContexts.get(editor.document);
  }
  if (yaml === undefined) {
    if (!asNode(node) && !editor) throw new RepoError('NotFound', ACTION, 'the active editor', 'open a YAML document or run this on a tag, version or file');
    const g = await generateManifest(s, node, a.nonInteractive ? { nonInteractive: true } : undefined);
    yaml = g.yaml;
    context ??= g.context;
  }
  if (a.nonInteractive !== true) {
    await confirm(ACTION, `Apply this YAML with kubectl${context ? ` to context ${context}` : ''}?`,
      'kubectl runs in a terminal of its own, where you see its output.', 'Apply');
  }
  const args = ['apply', ...(context ? ['--context', context] : []), '-f', '-'];
  const kubectl = kubectlPath();
  s.log.info(`applying ${Buffer.byteLength(yaml)} bytes of YAML with: ${kubectl} ${args.join(' ')}`);
  const run = runKubectlInTerminal(TERMINAL_NAME, kubectl, args, yaml);
  const exit = await run.exit;
  if (exit.code === 0) {
    s.log.info(`kubectl apply${context ? ` (context ${context})` : ''} exited with code 0`);
  } else {
    const why = exit.problem ?? `kubectl exited with code ${exit.code}`;
    s.log.warn(`apply manifest: ${why}`);
    s.notify.show('error', `Cannot apply manifest${context ? ` to context ${context}` : ''}: ${why}. kubectl's output is in the terminal.`,
      [SHOW_TERMINAL], (c) => c === SHOW_TERMINAL && run.terminal.show());
  }
  return { args, terminal: run.terminal, exitCode: exit.code, output: exit.output };
}
