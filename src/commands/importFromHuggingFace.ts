// Imports a Hugging Face Hub repository (or the files matching a pattern, e.g. one GGUF quantization)
// as a new version of a model, streamed from the Hub into the repository with the Hub's LFS sha256
// checked (core/hf/hubImport.ts, loaded only when this runs). Cancel aborts the transfer and removes
// what was stored. The token comes from SecretStorage, else HF_TOKEN; the endpoint from the
// `modelRepository.huggingFaceEndpoint` setting, else HF_ENDPOINT.
import * as vscode from 'vscode';
import { RepoError, isRepoError } from '../core/errors';
import { formatBytes } from '../core/format';
import { nameProblem } from '../core/names';
import type { HubImportResult } from '../core/hf/hubImport';
import type { FileProgress } from '../core/types';
import { asNode, isModelScoped, modelNode, type ModelNode } from '../tree/nodes';
import { hubAccess } from '../vscode/huggingFace';
import { REPORT_INTERVAL_MS, withCancellableProgress } from '../vscode/progress';
import { ask } from './input';
import { options, pickRoot } from './pick';
import type { Services } from './services';

export interface ImportArgs {
  /** 'org/name' */
  readonly repo?: string;
  readonly revision?: string;
  /** File paths or patterns ('*', '?'); empty or missing: every file of the revision. */
  readonly files?: string | readonly string[];
  /** Model name when the target is a bucket or a folder connection. */
  readonly model?: string;
  /** Default `<date>-hf-<commit12>`. */
  readonly version?: string;
}

export interface ImportOutcome {
  readonly model: string;
  readonly version: string;
  readonly commit: string;
  readonly files: readonly string[];
  readonly bytes: number;
}

const ACTION = 'import from Hugging Face';
const HUB_REPO = /^[\w.-]+(\/[\w.-]+)?$/;

/** 'TheBloke/Llama-2-7B-GGUF' -> 'llama-2-7b-gguf': a model name suggestion. */
export function suggestedModel(hubRepo: string): string {
  const last = hubRepo.split('/').pop() ?? hubRepo;
  return last.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'model';
}

function patterns(files: string | readonly string[] | undefined): string[] | undefined {
  const list = (typeof files === 'string' ? files.split(/[\s,]+/) : [...(files ?? [])]).map((f) => f.trim()).filter((f) => f.length > 0);
  return list.length > 0 ? list : undefined;
}

/** Throttled progress: the file being transferred and the bytes done so far of the files started. */
function reporter(progress: vscode.Progress<{ message?: string }>): (p: FileProgress) => void {
  const per = new Map<string, FileProgress>();
  let last = 0;
  return (p) => {
    per.set(p.file, p);
    const now = Date.now();
    if (now - last < REPORT_INTERVAL_MS && p.stored < p.total) return;
    last = now;
    let done = 0;
    let total = 0;
    for (const f of per.values()) { done += f.stored; total += f.total; }
    progress.report({ message: `${p.file}: ${formatBytes(done)} of ${formatBytes(total)}` });
  };
}

async function target(s: Services, node: unknown, a: Partial<ImportArgs>, hubRepo: string): Promise<{ model: ModelNode; refreshId: string }> {
  const n = asNode(node);
  if (n && isModelScoped(n)) {
    const model = modelNode(n.place, n.model);
    return { model, refreshId: model.id };
  }
  const root = await pickRoot(s, n, ACTION);
  const place = root.kind === 'bucket' ? root.place : { connectionId: root.connectionId };
  const name = a.model ?? await ask(ACTION, {
    prompt: `Model to import ${hubRepo} into (a new model or one that exists)`, value: suggestedModel(hubRepo),
    validateInput: (v) => nameProblem('model', v.trim()),
  });
  return { model: modelNode(place, name), refreshId: root.id };
}

export async function importFromHuggingFace(s: Services, node: unknown, raw: unknown): Promise<ImportOutcome> {
  const a = options<ImportArgs>(raw);
  const hubRepo = a.repo ?? await ask(ACTION, {
    title: 'Import from Hugging Face', prompt: 'Hub repository', placeHolder: 'org/name, e.g. bartowski/Llama-3.2-1B-Instruct-GGUF',
    validateInput: (v) => (HUB_REPO.test(v.trim()) ? undefined : "Write the repository as org/name"),
  });
  if (!HUB_REPO.test(hubRepo)) throw new RepoError('InvalidRef', ACTION, `'${hubRepo}'`, "a Hub repository is written 'org/name'");
  const revision = a.revision ?? (a.repo !== undefined ? 'main' : await ask(ACTION, {
    prompt: `Revision of ${hubRepo}: a branch, tag or commit`, value: 'main', validateInput: (v) => (v.trim() ? undefined : 'Give a revision'),
  }));
  const files = patterns(a.files ?? (a.repo !== undefined ? undefined : await ask(ACTION, {
    prompt: 'Only these files (paths or patterns with * and ?, separated by spaces); empty imports every file',
    placeHolder: '*Q4_K_M.gguf',
  })));
  const { model, refreshId } = await target(s, node, a, hubRepo);
  const access = await hubAccess(s.context.secrets);
  return s.repos.use(model.place, async ({ repo, storage }) => {
    const { importFromHub } = await import('../core/hf/hubImport.js');
    const label = `${hubRepo}${revision !== 'main' ? `@${revision}` : ''}`;
    s.log.info(`importing ${label}${files ? ` (${files.join(' ')})` : ''} into ${model.model} from ${access.endpoint ?? 'the Hub'}; token: ${access.tokenSource}`);
    let result: HubImportResult;
    try {
      result = await withCancellableProgress(`Importing ${label} into ${model.model}`, (progress, signal) => importFromHub({
        repo: hubRepo, revision, storage, model: model.model, who: repo.who, signal, onProgress: reporter(progress),
        ...(files ? { files } : {}), ...(a.version ? { version: a.version } : {}),
        ...(access.endpoint ? { endpoint: access.endpoint } : {}), ...(access.token ? { token: access.token } : {}),
      }));
    } catch (err) {
      if (isRepoError(err, 'Auth') || isRepoError(err, 'Config')) {
        const hint = access.tokenSource === 'secret storage'
          ? ' The token used is the one stored with "Model Repository: Set Hugging Face Token".'
          : ' In VS Code, store a token with "Model Repository: Set Hugging Face Token".';
        throw new RepoError(err.code, err.action, err.object, `${err.reason.replace(/\.?$/, '.')}${hint}`, { cause: err, details: err.details });
      }
      throw err;
    }
    const version = result.manifest.version;
    const bytes = result.manifest.files.reduce((n, f) => n + f.size, 0);
    const checked = result.files.filter((f) => f.lfsSha256).length;
    s.log.info(`imported ${hubRepo}@${result.commit} as ${model.model}@${version}: ${result.manifest.files.length} file(s), ${formatBytes(bytes)}, `
      + `${checked} checked against the Hub's sha256${result.skipped.length ? `; skipped ${result.skipped.join(', ')}` : ''}`);
    s.tree.refresh(refreshId);
    s.notify.info(`Imported ${hubRepo}@${result.commit.slice(0, 12)} as ${model.model}@${version}: ${result.manifest.files.length} file(s), ${formatBytes(bytes)}.`,
      ['Create Tag...'], (c) => c && vscode.commands.executeCommand('modelRepository.createTag', model, { target: version }));
    return { model: model.model, version, commit: result.commit, files: result.manifest.files.map((f) => f.name), bytes };
  });
}
