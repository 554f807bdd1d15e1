// The Hub side of an import, through @huggingface/hub: resolve a revision to its commit, list the
// files at that commit with their LFS sha256, pick the wanted ones, and open one file's body as a
// Node stream. Every call goes through one fetch that carries the caller's AbortSignal and the
// deadlines of timeouts.ts (hubFetch.ts); errors come out as RepoErrors (hubErrors.ts). HF_ENDPOINT /
// HF_TOKEN are the defaults, as in the Hub's tools.
import { downloadFile, listFiles, modelInfo } from '@huggingface/hub';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { RepoError, registerSecret } from '../errors';
import { resolveTimeouts } from '../timeouts';
import type { Timeouts } from '../timeouts';
import { hubError } from './hubErrors';
import { deadlineFetch } from './hubFetch';
import type { HubErrorContext } from './hubErrors';

export const DEFAULT_HUB = 'https://huggingface.co';

export interface HubFile {
  readonly path: string;
  readonly size: number;
  /** The Hub's LFS sha256, when the file is stored with LFS. */
  readonly lfsSha256?: string;
}

export interface HubSession {
  readonly repo: string;
  readonly endpoint: string;
  readonly ctx: HubErrorContext;
  readonly signal?: AbortSignal;
  readonly params: { readonly hubUrl: string; readonly accessToken?: string; readonly fetch: typeof fetch };
}

export function openHub(opts: { repo: string; endpoint?: string; token?: string; signal?: AbortSignal; timeouts?: Partial<Timeouts> }): HubSession {
  const endpoint = (opts.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB).replace(/\/+$/, '');
  const token = opts.token ?? (process.env.HF_TOKEN || undefined);
  registerSecret(token);
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(opts.repo)) throw new RepoError('InvalidRef', 'import', `'${opts.repo}'`, "a Hub repository is written 'org/name'");
  const signal = opts.signal;
  const timeouts = resolveTimeouts(opts.timeouts);
  return {
    repo: opts.repo, endpoint, signal,
    ctx: { repo: opts.repo, endpoint, tokenGiven: !!token },
    params: {
      hubUrl: endpoint, accessToken: token,
      fetch: deadlineFetch(timeouts, signal),
    },
  };
}

/** The commit a revision (branch, tag, sha) points at now, and every file at that commit. */
export async function readSnapshot(hub: HubSession, revision: string): Promise<{ commit: string; files: HubFile[] }> {
  try {
    const info = await modelInfo({ ...hub.params, name: hub.repo, revision, additionalFields: ['sha'] });
    const commit = info.sha;
    if (!/^[0-9a-f]{40}$/.test(commit ?? '')) throw new RepoError('Storage', 'import', hub.repo, `the Hub did not name the commit of revision '${revision}'`);
    const files: HubFile[] = [];
    for await (const e of listFiles({ ...hub.params, repo: hub.repo, revision: commit, recursive: true })) {
      if (e.type === 'file') files.push({ path: e.path, size: e.lfs?.size ?? e.size, lfsSha256: e.lfs?.oid?.toLowerCase() });
    }
    return { commit, files };
  } catch (e) {
    throw hubError(e, hub.ctx, hub.signal);
  }
}

/** One file's bytes at `commit` (follows the Hub's redirect to its CDN; Xet-backed files included). */
export async function openHubFile(hub: HubSession, commit: string, path: string): Promise<Readable> {
  try {
    const blob = await downloadFile({ ...hub.params, repo: hub.repo, path, revision: commit });
    if (!blob) throw new RepoError('NotFound', 'import', `${hub.repo}/${path}`, `the Hub no longer has this file at ${commit}`);
    return Readable.fromWeb(blob.stream() as unknown as WebReadableStream<Uint8Array>);
  } catch (e) {
    throw hubError(e, { ...hub.ctx, file: path }, hub.signal);
  }
}

function globRegex(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** The files to import. No patterns: every file except dot files (.gitattributes cannot be a file name
 *  in the repository). Each pattern ('*', '?' inside a path segment) must match at least one file. */
export function selectFiles(all: readonly HubFile[], patterns: readonly string[] | undefined, repo: string, revision: string):
  { files: HubFile[]; skipped: string[] } {
  const storable = (p: string): boolean => !p.split('/').some((seg) => seg.startsWith('.'));
  if (!patterns || patterns.length === 0) {
    return { files: all.filter((f) => storable(f.path)), skipped: all.filter((f) => !storable(f.path)).map((f) => f.path) };
  }
  const picked = new Map<string, HubFile>();
  for (const p of patterns) {
    const re = globRegex(p);
    const hits = all.filter((f) => f.path === p || re.test(f.path));
    if (hits.length === 0) {
      const names = all.map((f) => f.path);
      throw new RepoError('NotFound', 'import', `${repo}/${p}`,
        `no file matches '${p}' at revision ${revision}; the repository has ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, ... (${names.length} files)` : ''}`);
    }
    for (const h of hits) picked.set(h.path, h);
  }
  return { files: [...picked.values()], skipped: [] };
}
