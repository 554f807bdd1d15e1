// Applies YAML with kubectl in an integrated terminal (`kubectl apply -f <tempfile>`), so the user sees
// kubectl's own output and errors. The YAML is the active YAML editor's text, or one generated for the
// node the command was run on. The temp file is private (0600): a Secret in it may hold keys.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { asNode } from '../tree/nodes';
import { kubectlPath } from '../vscode/settings';
import { generateManifest, generatedContexts } from './generateManifest';
import { confirm } from './input';
import { options } from './pick';
import type { Services } from './services';

export interface ApplyArgs {
  readonly yaml?: string;
  readonly context?: string;
  /** Tests: skip the confirmation. */
  readonly confirm?: boolean;
}

export interface ApplyResult {
  readonly file: string;
  readonly command: string;
  readonly terminal: string;
}

const ACTION = 'apply manifest';
export const TERMINAL_NAME = 'Model Repository: kubectl';

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

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
    const g = await generateManifest(s, node, undefined);
    yaml = g.yaml;
    context ??= g.context;
  }
  if (!a.confirm) {
    await confirm(ACTION, `Apply this YAML with kubectl${context ? ` to context ${context}` : ''}?`,
      'kubectl runs in a terminal, where you see its output.', 'Apply');
  }
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'modelrepo-apply-'));
  const file = path.join(dir, 'manifest.yaml');
  await fsp.writeFile(file, yaml, { mode: 0o600 });
  const command = `${shellQuote(kubectlPath())} apply${context ? ` --context ${shellQuote(context)}` : ''} -f ${shellQuote(file)}`;
  const terminal = vscode.window.terminals.find((t) => t.name === TERMINAL_NAME) ?? vscode.window.createTerminal({ name: TERMINAL_NAME });
  terminal.show(true);
  terminal.sendText(command, true);
  s.log.info(`applying with: ${command}`);
  return { file, command, terminal: terminal.name };
}
