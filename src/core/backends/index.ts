// THE list of storage backends, and the lookups every caller uses. Adding a backend: its file in this
// folder (a Backend, see backend.ts), one line here, and its kind in connections/types.ts.
import type { ConnectionConfig, EndpointConfig } from '../connections/types';
import { RepoError } from '../errors';
import type { RepoLocation } from '../refs';
import type { Backend, BackendKind } from './backend';
import { fsBackend } from './fs';
import { s3Backend } from './s3';

export const BACKENDS: Readonly<Record<BackendKind, Backend>> = {
  s3: s3Backend,
  fs: fsBackend,
};

/** In table order: the order of schemes in help texts and of parsing (the fallback backend last). */
export const BACKEND_LIST: readonly Backend[] = Object.values(BACKENDS);

export function isBackendKind(kind: unknown): kind is BackendKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(BACKENDS, kind);
}

/** The backend of a kind, a connection, a settings entry, a tree node's connection or a storage. */
export function backendOf(x: BackendKind | { readonly kind: BackendKind } | ConnectionConfig | EndpointConfig): Backend {
  const kind = typeof x === 'string' ? x : x.kind;
  if (!isBackendKind(kind)) throw new RepoError('Config', 'open', `'${String(kind)}'`, 'it is not a storage kind');
  return BACKENDS[kind];
}

/** The backend a parsed repository location belongs to (an mc alias is an S3 location). */
export function locationBackend(loc: RepoLocation): Backend {
  return backendOf(loc.kind === 'alias' ? 's3' : loc.kind);
}
