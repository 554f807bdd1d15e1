// A local HTTP server on 127.0.0.1 that serves the parts of the Hugging Face Hub URL layout that
// @huggingface/hub requests (read from its source: lib/model-info.ts, list-files.ts,
// file-download-info.ts, utils/WebBlob.ts), with files the test generates:
//   GET /api/models/<org>/<name>/revision/<rev>?expand=...   -> model info with the commit `sha`
//   GET /api/models/<org>/<name>/tree/<rev>?recursive=true    -> [{ type, path, size, oid, lfs? }]
//   GET /<org>/<name>/resolve/<rev>/<path>                    -> LFS files: 302 to /cdn/<id> (the Hub's CDN)
//   GET /cdn/<id>                                             -> the bytes, with Range support and ETag
// A repo with `token` set answers 401 (X-Error-Code: GatedRepo) unless `Authorization: Bearer <token>`
// is sent. A file with `dropAfter` sends that many bytes of its body and then destroys the socket; one
// with `stallAfter` sends that many bytes and then nothing more, keeping the connection open. A repo with
// `stallApi` accepts its API requests and never answers them.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHubFile {
  readonly path: string;
  readonly content: Buffer;
  /** Stored with LFS (the listing then carries lfs.oid = sha256). Default true. */
  readonly lfs?: boolean;
  /** Lie about the LFS sha256 in the listing (to test the integrity check). */
  readonly lfsOid?: string;
  /** Destroy the connection after this many body bytes of a full GET. */
  readonly dropAfter?: number;
  /** Drop only the first this-many full GETs (default: every one). */
  readonly dropTimes?: number;
  /** Send this many body bytes of a full GET, then go silent with the connection open. */
  readonly stallAfter?: number;
}

export interface FakeHubRepo {
  /** 'org/name' */
  readonly id: string;
  /** 40 hex chars: the commit that 'main' / 'HEAD' resolve to */
  readonly sha: string;
  readonly files: readonly FakeHubFile[];
  /** Gated: every request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Accept the API requests (model info, file list) and never answer them. */
  readonly stallApi?: boolean;
}

export interface FakeHubRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
  readonly range?: string;
}

export interface FakeHub {
  readonly url: string;
  readonly requests: FakeHubRequest[];
  close(): Promise<void>;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function treeEntries(repo: FakeHubRepo): unknown[] {
  const dirs = new Set<string>();
  for (const f of repo.files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [
    ...[...dirs].map((d) => ({ type: 'directory', path: d, size: 0, oid: sha1(Buffer.from(d)) })),
    ...repo.files.map((f) => ({
      type: 'file', path: f.path, size: f.content.length, oid: sha1(f.content),
      ...(f.lfs === false ? {} : { lfs: { oid: f.lfsOid ?? sha256(f.content), size: f.content.length, pointerSize: 134 } }),
    })),
  ];
}

const drops = new WeakMap<FakeHubFile, number>();

function serveBytes(req: IncomingMessage, res: ServerResponse, f: FakeHubFile): void {
  const etag = `"${f.lfs === false ? sha1(f.content) : sha256(f.content)}"`;
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (m) {
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : f.content.length - 1, f.content.length - 1);
    const body = f.content.subarray(start, end + 1);
    res.writeHead(206, {
      'Content-Type': 'application/octet-stream', 'Content-Length': body.length, ETag: etag,
      'Content-Range': `bytes ${start}-${end}/${f.content.length}`, 'Accept-Ranges': 'bytes',
    });
    res.end(body);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': f.content.length, ETag: etag, 'Accept-Ranges': 'bytes' });
  if (f.stallAfter !== undefined) {
    res.write(f.content.subarray(0, f.stallAfter));
    return; // and nothing more: close() ends the connection
  }
  const dropped = drops.get(f) ?? 0;
  if (f.dropAfter !== undefined && dropped < (f.dropTimes ?? Infinity)) {
    drops.set(f, dropped + 1);
    res.write(f.content.subarray(0, f.dropAfter), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  res.end(f.content);
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startFakeHub(repos: readonly FakeHubRepo[]): Promise<FakeHub> {
  const requests: FakeHubRequest[] = [];
  const cdn = new Map<string, FakeHubFile>();
  const byId = new Map(repos.map((r) => [r.id, r]));
  const resolveRev = (repo: FakeHubRepo, rev: string): boolean => rev === 'main' || rev === 'HEAD' || rev === repo.sha;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization, range: req.headers.range });
    if (path.startsWith('/cdn/')) {
      const f = cdn.get(path.slice(5));
      if (!f) return json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      return serveBytes(req, res, f);
    }
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)(?:\/(.*))?$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const repoId = api?.[1] ?? resolve?.[1];
    const repo = repoId ? byId.get(repoId) : undefined;
    if (!repo) return json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      return json(res, 401, { error: `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.` },
        { 'X-Error-Code': 'GatedRepo' });
    }
    if (api && repo.stallApi) return; // never answered; close() ends the connection
    const rev = api?.[3] ?? resolve?.[2] ?? '';
    if (!resolveRev(repo, rev)) return json(res, 404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
    if (api?.[2] === 'revision') {
      return json(res, 200, {
        _id: sha1(Buffer.from(repo.id)).slice(0, 24), id: repo.id, sha: repo.sha, private: false, gated: repo.token ? 'manual' : false,
        downloads: 0, likes: 0, lastModified: '2024-03-20T10:00:00.000Z', siblings: repo.files.map((f) => ({ rfilename: f.path })),
      });
    }
    if (api?.[2] === 'tree') return json(res, 200, treeEntries(repo));
    const f = repo.files.find((x) => x.path === resolve?.[3]);
    if (!f) return json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    if (f.lfs === false) return serveBytes(req, res, f); // small git files are served in place, LFS ones redirect
    const id = `${sha1(Buffer.from(repo.id + f.path))}`;
    cdn.set(id, f);
    res.writeHead(302, { Location: `/cdn/${id}`, 'X-Linked-Size': String(f.content.length), 'Content-Length': 0 });
    res.end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
