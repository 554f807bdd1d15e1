// Generates Kubernetes YAML for an artifact, a version or a tag and opens it as an untitled YAML
// document: a Pod, a Deployment (+ Service) or a KServe InferenceService, on any runtime of the table
// that serves the files (src/core/manifests/runtimes/); for a tag, following it (the init container
// resolves it at pod start) or pinned to the version it resolves to now. The Secret holds placeholder keys: the document could be saved.
// The kubectl context and namespace come from the user's kubeconfig (read lazily).
import * as vscode from 'vscode';
import { toYaml } from '../core/manifests/toYaml';
import type { DeployArgs } from './deployChoices';
import { planHeader, planSingle } from './deployPlan';
import type { NonInteractive } from './input';
import { options, pickRef } from './pick';
import type { Services } from './services';

export interface GenerateArgs extends DeployArgs, NonInteractive {
  /** Name of the workload (default: from the model name). */
  readonly name?: string;
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

/** Opens YAML as an untitled document, remembering its context for "Apply YAML with kubectl". */
export async function openYaml(yaml: string, context: string | undefined): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: yaml });
  if (context) generatedContexts.set(document, context);
  await vscode.window.showTextDocument(document, { preview: false });
  return document;
}

export async function generateManifest(s: Services, node: unknown, raw: unknown): Promise<GeneratedManifest> {
  const a = options<GenerateArgs>(raw);
  const scripted = a.nonInteractive === true;
  const n = await pickRef(s, node, ACTION);
  const plan = await planSingle(s, n, a, { action: ACTION, keys: 'placeholder', scripted, askContext: false, ...(a.name ? { name: a.name } : {}) });
  const yaml = [...planHeader(plan), ''].join('\n') + toYaml(plan.objects);
  const { context, namespace } = plan.target;
  s.log.info(`generated ${plan.variant.kind} (${plan.variant.runtime}) for ${plan.title}: ${plan.serves.join('; ')}${namespace ? ` in ${namespace}` : ''}`);
  if (a.open === false) return { yaml, context, namespace };
  const document = await openYaml(yaml, context);
  return { yaml, document, context, namespace };
}
