// Generates Kubernetes YAML (Secret + Pod, or a Pod with an NFS volume) for an artifact, a version or a
// tag and opens it as an untitled YAML document. The kubectl context and namespace come from the user's
// kubeconfig (read lazily). The manifests module pins the resolved version; following a tag (re-resolving
// at pod start) does not exist there yet, so that is the only mode offered, and the picker says so.
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { buildManifests, usesPlaceholderCredentials } from '../core/manifests/buildManifests';
import { manifestInputFor } from '../core/manifests/manifestInput';
import { toYaml } from '../core/manifests/toYaml';
import type { ModelRef } from '../core/types';
import { readKubeconfig } from '../vscode/kubeconfig';
import { defaultNamespace } from '../vscode/settings';
import { ask } from './input';
import { cancelled, options, pickRef } from './pick';
import type { Services } from './services';

export interface GenerateArgs {
  readonly namespace?: string;
  readonly context?: string;
  readonly mode?: 'pin';
  /** Folder repositories: how pods reach the folder. */
  readonly nfsServer?: string;
  readonly nfsPath?: string;
  /** false: return the YAML without opening a document. */
  readonly open?: boolean;
}

export interface GeneratedManifest {
  readonly yaml: string;
  readonly document?: vscode.TextDocument;
  readonly context?: string;
  readonly namespace?: string;
}

const ACTION = 'generate manifest for';

/** Where each generated document should be applied (its kubectl context), for applyManifest. */
export const generatedContexts = new WeakMap<vscode.TextDocument, string>();

export async function generateManifest(s: Services, node: unknown, raw: unknown): Promise<GeneratedManifest> {
  const a = options<GenerateArgs>(raw);
  const scripted = raw !== undefined && options(raw) === raw;
  const n = await pickRef(s, node, ACTION);
  const ref: ModelRef = n.kind === 'tag' ? { model: n.model, tag: n.info.name }
    : n.kind === 'artifact' ? { model: n.model, version: n.info.version, file: n.info.name }
      : { model: n.model, version: n.info.name };
  const refText = n.kind === 'tag' ? `${n.model}:${n.info.name}` : n.kind === 'artifact' ? `${n.model}@${n.info.version}/${n.info.name}` : `${n.model}@${n.info.name}`;
  const { repo } = await s.repos.open(n.place);
  const resolved = await repo.resolve(ref);
  const pinned = `${resolved.version}${resolved.file ? `/${resolved.file}` : ''}`;
  if (n.kind === 'tag' && !scripted) {
    const choice = await vscode.window.showQuickPick([{
      label: `$(pinned) Pin ${pinned}`, description: 'the pod keeps this exact file even when the tag moves',
      detail: 'Following the tag (re-resolving when the pod starts) is not supported yet: regenerate after moving the tag.',
    }], { placeHolder: `Manifest for ${refText}: pin the version the tag resolves to now` });
    if (!choice) throw cancelled(ACTION, refText);
  }
  let cfg = await s.repos.config(n.place);
  if (cfg.kind === 'fs' && !cfg.nfs) {
    const server = a.nfsServer ?? (scripted ? undefined : await ask(ACTION, {
      prompt: `Pods reach ${cfg.path} over NFS: the NFS server's address (saved in the connection)`, placeHolder: 'nfs.example.lan',
    }));
    if (!server) throw new RepoError('Config', ACTION, refText, 'the folder repository has no NFS server set (edit the connection: NFS server, NFS export path)');
    const exportPath = a.nfsPath ?? (scripted ? cfg.path : await ask(ACTION, { prompt: 'The exported path that holds this repository', value: cfg.path }));
    cfg = { ...cfg, nfs: { server, path: exportPath || cfg.path } };
    if (!scripted) {
      const c = s.repos.connection(n.place.connectionId);
      await s.store.save({ ...c, nfsServer: server, nfsPath: exportPath || cfg.path });
    }
  }
  // context and namespace come from the kubeconfig's current context (the YAML header names them)
  const kube = a.context && a.namespace ? undefined : await readKubeconfig(s.log);
  const context = a.context ?? kube?.current;
  const namespace = a.namespace ?? kube?.contexts.find((c) => c.name === context)?.namespace ?? defaultNamespace();
  const input = manifestInputFor(resolved, cfg, { ref: refText, ...(namespace ? { namespace } : {}) });
  const body = toYaml(buildManifests(input));
  const header = [
    `# Model Repository: ${resolved.chain.join(' -> ')} (pinned to ${pinned})`,
    `# kubectl context: ${context ?? '(none found in kubeconfig)'}${namespace ? `, namespace: ${namespace}` : ''}`,
    ...(usesPlaceholderCredentials(input)
      ? ['# The Secret holds placeholder keys: replace them (or create the Secret separately) before applying.'] : []),
    '',
  ].join('\n');
  const yaml = header + body;
  s.log.info(`generated manifest for ${refText} -> ${pinned}${namespace ? ` in ${namespace}` : ''}`);
  if (a.open === false) return { yaml, context, namespace };
  const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: yaml });
  if (context) generatedContexts.set(document, context);
  await vscode.window.showTextDocument(document, { preview: false });
  return { yaml, document, context, namespace };
}
