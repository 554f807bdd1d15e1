// Stores the Hugging Face token (for gated and private models) in SecretStorage; an empty entry
// removes it, so imports fall back to HF_TOKEN from the environment again.
import { RepoError } from '../core/errors';
import { storeHubToken } from '../vscode/huggingFace';
import { ask } from './input';
import { options } from './pick';
import type { Services } from './services';

const ACTION = 'set the Hugging Face token';

export function tokenProblem(v: string): string | undefined {
  if (v === '') return undefined;
  if (!v.startsWith('hf_')) return "A Hugging Face token starts with 'hf_' (create one at huggingface.co/settings/tokens)";
  return /\s/.test(v) ? 'A token has no spaces' : undefined;
}

export async function setHuggingFaceToken(s: Services, _node: unknown, raw: unknown): Promise<boolean> {
  const a = options<{ token: string }>(raw);
  const token = a.token ?? await ask(ACTION, {
    title: 'Hugging Face token', password: true, placeHolder: 'hf_...',
    prompt: 'Read access is enough. Stored in VS Code\'s secret storage, never in settings. Empty removes the stored token.',
    validateInput: (v) => tokenProblem(v.trim()),
  });
  const problem = tokenProblem(token.trim());
  if (problem) throw new RepoError('Config', 'set', 'the Hugging Face token', problem);
  await storeHubToken(s.context.secrets, token.trim() || undefined);
  s.log.info(token.trim() ? 'Hugging Face token stored in secret storage' : 'Hugging Face token removed from secret storage');
  s.notify.info(token.trim() ? 'Hugging Face token stored.' : 'Hugging Face token removed: imports use HF_TOKEN if it is set.');
  return token.trim() !== '';
}
