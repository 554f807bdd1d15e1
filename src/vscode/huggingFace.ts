// Where the Hugging Face token and endpoint come from. The token lives only in SecretStorage
// (`modelRepository.hfToken`, set by "Set Hugging Face Token"), else HF_TOKEN in the environment of the
// extension host; it never goes into settings. The endpoint (a mirror) is a plain setting, else HF_ENDPOINT.
import * as vscode from 'vscode';
import { registerSecret } from '../core/errors';
import { SECTION } from './settings';

export const HF_TOKEN_KEY = 'modelRepository.hfToken';
export const HF_ENDPOINT_SETTING = 'huggingFaceEndpoint';

export interface HubAccess {
  readonly token?: string;
  /** Where the token came from, for messages (never the value). */
  readonly tokenSource: 'secret storage' | 'HF_TOKEN' | 'none';
  readonly endpoint?: string;
}

export async function hubAccess(secrets: vscode.SecretStorage): Promise<HubAccess> {
  const stored = (await secrets.get(HF_TOKEN_KEY)) || undefined;
  const env = process.env.HF_TOKEN || undefined;
  const token = stored ?? env;
  registerSecret(token);
  const endpoint = vscode.workspace.getConfiguration(SECTION).get<string>(HF_ENDPOINT_SETTING)?.trim() || process.env.HF_ENDPOINT || undefined;
  return { token, tokenSource: stored ? 'secret storage' : env ? 'HF_TOKEN' : 'none', endpoint };
}

export async function storeHubToken(secrets: vscode.SecretStorage, token: string | undefined): Promise<void> {
  if (token) {
    registerSecret(token);
    await secrets.store(HF_TOKEN_KEY, token);
  } else {
    await secrets.delete(HF_TOKEN_KEY);
  }
}
