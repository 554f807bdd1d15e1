// Searches the models of a bucket or folder repository by name and by what their files say about
// themselves (`llama`, `arch:llama quant:Q4_K_M`, `format:safetensors`), then reveals the picked model
// in the tree. The same core as `modelrepo search`: a name search is one model listing, metadata comes
// from the repository's metadata index (headers read once per file and ETag), under a cancellable
// notification that counts the models looked at.
import * as vscode from 'vscode';
import { describeMetadata } from '../core/metadata/modelMetadata';
import type { SearchHit } from '../core/metadata/search';
import { searchModels as runSearch } from '../core/metadata/search';
import { modelNode } from '../tree/nodes';
import { withCancellableProgress } from '../vscode/progress';
import { ask } from './input';
import { cancelled, options, pickRoot } from './pick';
import type { Services } from './services';

export interface SearchArgs {
  readonly query?: string;
  /** A model to reveal without the quick pick (tests), or false to only return the hits. */
  readonly reveal?: string | false;
  /** Look at every published version, not only the newest one of each model. */
  readonly allVersions?: boolean;
}

export interface SearchOutcome {
  readonly query: string;
  readonly hits: readonly SearchHit[];
  readonly problems: readonly { readonly model: string; readonly message: string }[];
  /** Files named like GGUF/safetensors that are not (one count in the log, not one line each). */
  readonly skipped: readonly string[];
  readonly headersRead: number;
  readonly revealed?: string;
}

const ACTION = 'search models';

/** What a hit shows under the model name: the matching files and their metadata, or that the name matched. */
export function hitDetail(hit: SearchHit): string {
  if (hit.artifacts.length === 0) return 'the name matches';
  return hit.artifacts.slice(0, 3).map(({ artifact: a, metadata: m }) =>
    `${a.version}/${a.name}${m ? `: ${describeMetadata(m)}` : ''}`).join(' | ') + (hit.artifacts.length > 3 ? ` | +${hit.artifacts.length - 3} more` : '');
}

export async function searchModels(s: Services, node: unknown, raw: unknown): Promise<SearchOutcome> {
  const a = options<SearchArgs>(raw);
  const root = await pickRoot(s, node, ACTION);
  const place = root.kind === 'bucket' ? root.place : { connectionId: root.connectionId };
  const where = root.kind === 'bucket' ? root.place.bucket : root.name;
  const query = a.query ?? await ask(ACTION, {
    title: `Search the models of ${where}`,
    prompt: 'Words match model names; arch:, quant: match metadata, file:, format: file names',
    placeHolder: 'llama   arch:llama quant:Q4_K_M   format:safetensors',
  });
  return s.repos.use(place, async ({ repo }) => {
    const result = await withCancellableProgress(`Searching ${where} for '${query}'`, (progress, signal) => {
      let shown = 0;
      return runSearch(repo, query, {
        signal, versions: a.allVersions ? 'all' : 'latest',
        onProgress: (p) => {
          const percent = Math.floor((100 * p.models) / Math.max(1, p.total));
          progress.report({ message: `${p.models}/${p.total} models, ${p.headersRead} headers read`, increment: percent - shown });
          shown = percent;
        },
      });
    });
    for (const p of result.problems) s.log.warn(`search: ${p.message}`);
    for (const w of result.warnings) s.log.warn(`search: ${w}`);
    if (result.skipped.length) s.log.info(`search: ${result.skipped.length} file(s) are not GGUF or safetensors and were skipped`);
    s.log.info(`search '${query}' in ${where}: ${result.hits.length} of ${result.scanned} model(s) match`);
    const outcome = { query, hits: result.hits, problems: result.problems, skipped: result.skipped, headersRead: result.headersRead };
    if (result.hits.length === 0) {
      s.notify.info(`No model in ${where} matches '${query}'${result.problems.length ? ` (${result.problems.length} file(s) could not be read: see the log)` : ''}.`);
      return outcome;
    }
    if (a.reveal === false) return outcome;
    let model = a.reveal;
    if (model === undefined) {
      const picked = await vscode.window.showQuickPick(result.hits.map((h) => ({
        label: `$(package) ${h.model}`, description: h.versions.length ? h.versions[h.versions.length - 1] : '', detail: hitDetail(h), hit: h,
      })), { title: `${result.hits.length} model(s) in ${where} match '${query}'`, matchOnDetail: true });
      if (!picked) throw cancelled(ACTION);
      model = picked.hit.model;
    }
    await s.tree.revealModel(s.view, modelNode(place, model));
    return { ...outcome, revealed: model };
  });
}
