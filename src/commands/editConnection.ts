// Edits a connection: one field at a time from the UI (a quick pick of fields, then an input box), or
// a patch from tests. New keys replace the stored ones in SecretStorage; settings never see them.
import * as vscode from 'vscode';
import type { S3Credentials } from '../core/connections/types';
import type { ConnectionSettings } from '../vscode/settings';
import { endpointProblem } from './addS3Connection';
import { ask } from './input';
import { cancelled, options, pickConnection } from './pick';
import type { Services } from './services';

type Editable = 'name' | 'endpoint' | 'clusterEndpoint' | 'region' | 'bucket' | 'bucketFilter' | 'prefix' | 'path' | 'nfsServer' | 'nfsPath';

export interface EditArgs extends Partial<Pick<ConnectionSettings, Editable | 'pathStyle'>> {
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

const ACTION = 'edit connection';

const FIELDS: Record<'s3' | 'fs', { key: Editable | 'keys' | 'pathStyle'; label: string; prompt: string }[]> = {
  s3: [
    { key: 'name', label: 'Name', prompt: 'Name shown in the tree' },
    { key: 'keys', label: 'Keys', prompt: 'Access key ID and secret access key' },
    { key: 'endpoint', label: 'Endpoint', prompt: 'Endpoint URL (empty for AWS S3)' },
    { key: 'clusterEndpoint', label: 'Cluster endpoint', prompt: 'Endpoint URL pods use, e.g. http://minio.model-storage:9000 (empty: the endpoint above)' },
    { key: 'region', label: 'Region', prompt: 'Region, e.g. us-east-1' },
    { key: 'bucket', label: 'Bucket', prompt: 'Show only this bucket (empty: every bucket the keys can list)' },
    { key: 'bucketFilter', label: 'Bucket filter', prompt: 'Show buckets matching this pattern, e.g. models-*' },
    { key: 'prefix', label: 'Prefix', prompt: 'Repository root inside the bucket, e.g. team-a/models' },
    { key: 'pathStyle', label: 'Path-style addressing', prompt: '' },
  ],
  fs: [
    { key: 'name', label: 'Name', prompt: 'Name shown in the tree' },
    { key: 'path', label: 'Folder', prompt: 'Repository folder' },
    { key: 'nfsServer', label: 'NFS server', prompt: 'How pods reach this folder: NFS server (for manifests)' },
    { key: 'nfsPath', label: 'NFS export path', prompt: 'The exported path that holds this repository' },
  ],
};

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
    const field = await vscode.window.showQuickPick(FIELDS[c.kind].map((f) => ({
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
