// Edits a connection: one field at a time from the UI (a quick pick of fields, then an input box), or
// a patch from tests. New keys replace the stored ones in SecretStorage; settings never see them.
import * as vscode from 'vscode';
import type { EditableSetting } from '../core/backends/backend';
import { backendOf } from '../core/backends/index';
import type { S3Credentials } from '../core/connections/types';
import type { ConnectionSettings } from '../vscode/settings';
import { endpointProblem } from './addS3Connection';
import { ask } from './input';
import { cancelled, options, pickConnection } from './pick';
import type { Services } from './services';

export interface EditArgs extends Partial<Pick<ConnectionSettings, EditableSetting | 'pathStyle'>> {
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

const ACTION = 'edit connection';

export async function editConnection(s: Services, node: unknown, raw: unknown): Promise<ConnectionSettings> {
  const a = options<EditArgs>(raw);
  const c = s.repos.connection((await pickConnection(s, node, ACTION)).connectionId);
  const { scope: _scope, ...current } = c;
  let patch: Partial<ConnectionSettings> = {};
  let keys: S3Credentials | undefined;
  const { accessKeyId, secretAccessKey, ...fields } = a;
  if (Object.keys(a).length > 0) {
    patch = fields;
    if (accessKeyId !== undefined || secretAccessKey !== undefined) {
      const old = await s.store.keys(c.id);
      keys = { accessKeyId: accessKeyId ?? old?.accessKeyId ?? '', secretAccessKey: secretAccessKey ?? old?.secretAccessKey ?? '' };
    }
  } else {
    const field = await vscode.window.showQuickPick(backendOf(c).settingsFields.map((f) => ({
      label: f.label, description: f.key === 'keys' ? '(secret storage)' : String((c as unknown as Record<string, unknown>)[f.key] ?? ''), f,
    })), { placeHolder: `Edit ${c.name}` });
    if (!field) throw cancelled(ACTION);
    const f = field.f;
    if (f.key === 'keys') {
      const id = await ask(ACTION, { prompt: 'Access key ID', value: (await s.store.keys(c.id))?.accessKeyId });
      const secret = await ask(ACTION, { prompt: 'Secret access key', password: true });
      keys = { accessKeyId: id, secretAccessKey: secret };
    } else if (f.key === 'pathStyle') {
      const v = await vscode.window.showQuickPick(['on (MinIO, Ceph)', 'off (virtual-hosted buckets, AWS)'], { placeHolder: f.label });
      if (!v) throw cancelled(ACTION);
      patch = { pathStyle: v.startsWith('on') };
    } else {
      const v = await ask(ACTION, {
        prompt: f.prompt, value: String((c as unknown as Record<string, unknown>)[f.key] ?? ''),
        validateInput: f.key === 'endpoint' || f.key === 'clusterEndpoint' ? endpointProblem : undefined,
      });
      patch = { [f.key]: v || undefined };
    }
  }
  const next: ConnectionSettings = { ...current, ...patch, id: c.id, kind: c.kind };
  await s.store.save(next, keys);
  s.log.info(`edited connection ${next.name} (${c.id})${keys ? ': new keys' : ''}`);
  s.tree.refresh();
  return next;
}
