// Downloads an artifact, a version or what a tag resolves to into a local folder, with a cancellable
// progress notification. The core checks each file's recorded sha256 and removes a file that fails.
import * as vscode from 'vscode';
import { formatBytes } from '../core/format';
import type { ModelRef } from '../core/types';
import { TransferReporter, withCancellableProgress } from '../vscode/progress';
import { cancelled, options, pickRef } from './pick';
import type { Services } from './services';

export interface DownloadArgs {
  readonly dest?: string;
}

const ACTION = 'download';

export async function download(s: Services, node: unknown, raw: unknown): Promise<{ files: string[]; verified: number }> {
  const a = options<DownloadArgs>(raw);
  const n = await pickRef(s, node, ACTION);
  const ref: ModelRef = n.kind === 'tag' ? { model: n.model, tag: n.info.name }
    : n.kind === 'artifact' ? { model: n.model, version: n.info.version, file: n.info.name }
      : { model: n.model, version: n.info.name };
  const label = n.kind === 'tag' ? `${n.model}:${n.info.name}` : n.kind === 'artifact' ? n.info.name : `${n.model}@${n.info.name}`;
  let dest = a.dest;
  if (!dest) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Download Here',
      title: `Download ${label} into`, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    if (!picked?.[0]) throw cancelled(ACTION, label);
    dest = picked[0].fsPath;
  }
  return s.repos.use(n.place, async ({ repo }) => {
    const resolved = await repo.resolve(ref);
    const total = resolved.artifacts.reduce((x, f) => x + f.size, 0);
    const verified = resolved.artifacts.filter((f) => f.sha256).length;
    const into = dest;
    const result = await withCancellableProgress(`Downloading ${label}`, (progress, signal) =>
      repo.download(ref, into, { signal, onProgress: new TransferReporter(progress, total).onProgress }));
    const checked = verified === result.files.length ? 'sha256 checked' : `${verified} of ${result.files.length} with a recorded sha256, checked`;
    s.log.info(`downloaded ${label} (${resolved.chain.join(' -> ')}) to ${into}: ${result.files.length} file(s), ${formatBytes(total)}, ${checked}`);
    s.notify.info(`Downloaded ${label}: ${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${formatBytes(total)} (${checked}).`,
      ['Reveal'], (c) => c && vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.files[0] ?? into)));
    return { files: result.files, verified };
  });
}
