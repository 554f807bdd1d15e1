// Uploads files or folders as a new version of a model (default name: today's date, or the next free
// `<date>.<n>`), with a cancellable progress notification whose Cancel aborts the transfer itself.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../core/format';
import { nameProblem, todayVersion } from '../core/names';
import { localTotal } from '../core/repo/localFiles';
import type { VersionManifest } from '../core/layout';
import { asNode, isModelScoped, modelNode, type ModelNode } from '../tree/nodes';
import { TransferReporter, withCancellableProgress } from '../vscode/progress';
import { ask } from './input';
import { cancelled, options, pickRoot, usable } from './pick';
import type { Services } from './services';

export interface UploadArgs {
  readonly paths?: readonly string[];
  readonly version?: string;
  /** Model name when the target is a bucket or a folder connection. */
  readonly model?: string;
}

const ACTION = 'upload';

/** The first free version name: today, then today.2, today.3, ... */
export function nextVersionName(existing: ReadonlySet<string>, today = todayVersion()): string {
  if (!existing.has(today)) return today;
  for (let n = 2; ; n++) if (!existing.has(`${today}.${n}`)) return `${today}.${n}`;
}

async function choosePaths(): Promise<string[]> {
  const kind = await vscode.window.showQuickPick([
    { label: '$(files) Files...', folders: false }, { label: '$(folder) A folder...', folders: true },
  ], { placeHolder: 'Upload files, or a whole folder (its files keep their subfolders)' });
  if (!kind) throw cancelled(ACTION);
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: !kind.folders, canSelectFolders: kind.folders, canSelectMany: !kind.folders, openLabel: 'Upload',
  });
  if (!picked || picked.length === 0) throw cancelled(ACTION);
  return picked.map((u) => u.fsPath);
}

export async function upload(s: Services, node: unknown, raw: unknown): Promise<VersionManifest> {
  const a = options<UploadArgs>(raw);
  const n = asNode(node);
  let target: ModelNode;
  let refreshId: string;
  let paths = a.paths ? [...a.paths] : undefined;
  if (n && isModelScoped(n)) {
    target = modelNode(usable(n, ACTION).place, n.model);
    refreshId = target.id;
  } else {
    const root = await pickRoot(s, n, ACTION);
    paths ??= await choosePaths();
    const place = root.kind === 'bucket' ? root.place : { connectionId: root.connectionId };
    const suggested = path.basename(paths[0]).replace(/\.(gguf|safetensors|bin|onnx|pt|pth)$/i, '').replace(/\.Q\d.*$/i, '');
    const model = a.model ?? await ask(ACTION, {
      prompt: 'Model name (a new model or one that exists)', value: suggested,
      validateInput: (v) => nameProblem('model', v.trim()),
    });
    target = modelNode(place, model);
    refreshId = root.id;
  }
  const files = paths ?? await choosePaths();
  return s.repos.use(target.place, async ({ repo }) => {
    let version = a.version;
    if (!version) {
      const existing = new Set((await repo.listVersions(target.model, { includePending: true }).catch(() => [])).map((v) => v.name));
      version = await ask(ACTION, {
        prompt: `New version of ${target.model}`, value: nextVersionName(existing),
        validateInput: (v) => nameProblem('version', v.trim()) ?? (existing.has(v.trim()) ? `${v.trim()} exists already` : undefined),
      });
    }
    const label = `${target.model}@${version}`;
    const total = (await localTotal(files, label)).bytes;
    s.log.info(`uploading ${files.length} path(s), ${formatBytes(total)}, to ${label}`);
    const t0 = Date.now();
    const manifest = await withCancellableProgress(`Uploading ${label}`, (progress, signal) =>
      repo.upload(target.model, version, files, {
        signal, onProgress: new TransferReporter(progress, total).onProgress, onWarning: (m) => s.log.warn(m),
      }));
    const secs = Math.max(0.001, (Date.now() - t0) / 1000);
    s.log.info(`uploaded ${label}: ${manifest.files.length} file(s), ${formatBytes(total)} in ${secs.toFixed(1)} s`);
    s.tree.refresh(refreshId);
    s.notify.info(`Uploaded ${label}: ${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'}, ${formatBytes(total)}.`,
      ['Create Tag...'], (c) => c && vscode.commands.executeCommand('modelRepository.createTag', target, { target: version }));
    return manifest;
  });
}
