// The folder backend (a local folder or an NFS/CephFS mount): the connection is the repository (no
// buckets), references are paths (`/srv/models`, `./repo`, `~/models`, `file:///srv/models`), a share
// URL is a file:// URL, and pods mount the folder over NFS when the connection names a server.
import * as path from 'node:path';
import type { ConnectionConfig, EndpointConfig, FsConnectionConfig } from '../connections/types';
import { RepoError } from '../errors';
import type { RepoLocation } from '../refs';
import { bad } from '../refText';
import { createFsStorage } from '../storage/fsStorage';
import type { Backend } from './backend';

function own(cfg: EndpointConfig | ConnectionConfig): FsConnectionConfig {
  if (cfg.kind !== 'fs') throw new RepoError('Config', 'open', cfg.kind, 'it is not a folder connection');
  return cfg;
}

function isFsText(text: string): boolean {
  return text.startsWith('/') || text.startsWith('./') || text.startsWith('../') || text === '.' || text === '..'
    || text.startsWith('~/') || text === '~' || text.startsWith('file://');
}

function parseLocation(text: string): RepoLocation | undefined {
  if (!isFsText(text)) return undefined;
  let p = text.startsWith('file://') ? text.slice(7) : text;
  if (text.startsWith('file://') && !p.startsWith('/')) throw bad(text, 'a file:// reference needs an absolute path (file:///srv/models)');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (/[\u0000-\u001f\u007f]/.test(p)) throw bad(text, 'the path contains a control character');
  return { kind: 'fs', path: p };
}

export const fsBackend: Backend = {
  kind: 'fs',
  label: 'Folder',
  icon: 'folder-library',
  bucketed: false,
  presign: false,
  clusterPull: false,
  nfsMount: true,
  sortedListing: false,
  schemes: ['file://'],
  fallback: false,

  async open(cfg) {
    const c = own(cfg);
    return { storage: createFsStorage(c), config: c };
  },
  listBuckets: async () => [],
  repository: (cfg) => own(cfg),
  uriOf: (cfg, key) => `${own(cfg).path.replace(/\/+$/, '')}/${key}`,

  parseLocation,
  formatLocation(loc) {
    if (loc.kind !== 'fs') throw new RepoError('Config', 'format', 'a location', 'it is not a folder');
    return loc.path;
  },
  locationConfig(loc, env, home) {
    if (loc.kind !== 'fs') return undefined;
    const p = path.resolve(loc.path === '~' || loc.path.startsWith('~/') ? home + loc.path.slice(1) : loc.path);
    const nfsServer = env.MODELREPO_NFS_SERVER;
    return { kind: 'fs', path: p, ...(nfsServer ? { nfs: { server: nfsServer, path: env.MODELREPO_NFS_PATH || p } } : {}) };
  },

  settingsFields: [
    { key: 'name', label: 'Name', prompt: 'Name shown in the tree' },
    { key: 'path', label: 'Folder', prompt: 'Repository folder' },
    { key: 'nfsServer', label: 'NFS server', prompt: 'How pods reach this folder: NFS server (for manifests)' },
    { key: 'nfsPath', label: 'NFS export path', prompt: 'The exported path that holds this repository' },
  ],
  fromSettings(c, ctx) {
    if (!c.path) throw new RepoError('Config', 'open connection', c.name, 'it has no folder path');
    const nfs = c.nfsServer && c.nfsPath ? { server: c.nfsServer, path: c.nfsPath } : undefined;
    return { kind: 'fs', path: ctx.resolveFolder(c.path), nfs };
  },
  settingsDetail: (c, resolveFolder) => (c.path ? resolveFolder(c.path) : '(no folder)'),
  samePlace: (c, other, resolveFolder) => c.kind === other.kind && c.path !== undefined
    && path.resolve(resolveFolder(c.path)) === path.resolve(other.path ?? ''),

  podLocation(cfg, object) {
    const c = own(cfg);
    if (!c.nfs) {
      throw new RepoError('Config', 'build a manifest for', object,
        `the folder repository ${c.path} has no NFS server and export set, so a pod cannot reach it`);
    }
    return { location: { kind: 'nfs', server: c.nfs.server, path: c.nfs.path }, root: '' };
  },
  podKeys: () => undefined,
  withClusterEndpoint: (cfg) => cfg,
  nfsOf: (cfg) => own(cfg).nfs,
  withNfs: (cfg, nfs) => ({ ...own(cfg), nfs: { server: nfs.server, path: nfs.path || own(cfg).path } }),
};
