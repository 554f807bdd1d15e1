// Adds an S3 / MinIO / Ceph connection: non-secret fields to `modelRepository.connections` (user
// settings), keys to SecretStorage. From the UI it asks step by step; with `nonInteractive` it asks
// nothing: the keys must be given, the endpoint defaults to AWS, the name to the host, no bucket to all.
import * as vscode from 'vscode';
import { newConnectionId } from '../vscode/connectionStore';
import { RepoError } from '../core/errors';
import { ask, type NonInteractive } from './input';
import { options } from './pick';
import type { Services } from './services';

export interface AddS3Args extends NonInteractive {
  readonly name?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly bucket?: string;
  readonly bucketFilter?: string;
  readonly prefix?: string;
  readonly pathStyle?: boolean;
  /** The endpoint pods use (manifests, apply); asked for later with "Edit Connection". */
  readonly clusterEndpoint?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly scope?: 'user' | 'workspace';
}

const ACTION = 'add S3 connection';

export function endpointProblem(v: string): string | undefined {
  if (v === '') return undefined;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'use an http:// or https:// URL';
  } catch {
    return 'not a URL, e.g. http://127.0.0.1:9000';
  }
}

export async function addS3Connection(s: Services, _node: unknown, raw: unknown): Promise<string> {
  const a = options<AddS3Args>(raw);
  const quiet = a.nonInteractive === true;
  if (quiet && (a.accessKeyId === undefined || a.secretAccessKey === undefined)) {
    throw new RepoError('Config', ACTION, a.name ?? a.endpoint ?? 'a connection', 'nonInteractive needs accessKeyId and secretAccessKey');
  }
  const endpoint = a.endpoint ?? (quiet ? '' : await ask(ACTION, {
    title: 'Add S3 connection (1/5)', prompt: 'Endpoint URL of MinIO, Ceph or another S3 server (leave empty for AWS S3)',
    placeHolder: 'http://127.0.0.1:9000', validateInput: endpointProblem,
  }));
  const host = endpoint ? new URL(endpoint).host : 'AWS S3';
  const name = (a.name ?? (quiet ? host : await ask(ACTION, { title: 'Add S3 connection (2/5)', prompt: 'Name shown in the tree', value: host }))) || host;
  const accessKeyId = a.accessKeyId ?? await ask(ACTION, {
    title: 'Add S3 connection (3/5)', prompt: 'Access key ID (stored in VS Code\'s secret storage, not in settings)',
    validateInput: (v) => (v.trim() ? undefined : 'an access key is needed'),
  });
  const secretAccessKey = a.secretAccessKey ?? await ask(ACTION, {
    title: 'Add S3 connection (4/5)', prompt: 'Secret access key (stored in VS Code\'s secret storage, not in settings)', password: true,
    validateInput: (v) => (v ? undefined : 'a secret key is needed'),
  });
  const bucket = a.bucket ?? (quiet ? '' : await ask(ACTION, {
    title: 'Add S3 connection (5/5)', prompt: 'Bucket (leave empty to list every bucket the keys can see)', placeHolder: 'models',
  }));
  const id = newConnectionId(name);
  await s.store.save({
    id, name, kind: 's3', endpoint: endpoint || undefined, region: a.region, pathStyle: a.pathStyle,
    bucket: bucket || undefined, bucketFilter: a.bucketFilter, prefix: a.prefix,
    ...(a.clusterEndpoint ? { clusterEndpoint: a.clusterEndpoint } : {}),
  }, { accessKeyId, secretAccessKey }, a.scope);
  s.log.info(`added S3 connection ${name} (${id}) at ${endpoint || 'AWS'}`);
  s.notify.info(`Added connection ${name}.`, ['Test Connection'], (c) =>
    c && vscode.commands.executeCommand('modelRepository.testConnection', { connectionId: id }));
  return id;
}
