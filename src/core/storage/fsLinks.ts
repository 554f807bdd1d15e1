// Tag links of the filesystem backend: `<model>/tags/<tag>` is a real relative symlink, so `ls -l tags/`
// shows `latest -> v2`. A link is only ever read as text (readlink), never followed: the repository
// resolves the text as names. Moving one is compare-and-swap under a lock file (fsLock.ts): check the
// current link, create the new one under a temp name, rename() it into place.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import { RepoError } from '../errors';
import type { LinkExpectation, LinkInfo } from './storage';
import type { FsRoot } from './fsConfine';
import { READ_FLAGS, readAll, readSmall, refusalReason, unsafe } from './fsSafeOpen';
import { withLock } from './fsLock';
import { META_SUFFIX, TMP_SUFFIX, errno, fsError, randomSuffix, scratchPath } from './fsPaths';

const MAX_LINK_READ = 4096;
const MAX_META = 64 * 1024;

async function readLinkAt(abs: string, key: string): Promise<LinkInfo | undefined> {
  let st: Stats;
  try {
    st = await fsp.lstat(abs);
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
    throw fsError(e, 'read tag', key);
  }
  let target: string;
  if (st.isSymbolicLink()) {
    target = await fsp.readlink(abs, 'utf8').catch((e) => { throw fsError(e, 'read tag', key); });
  } else if (st.isFile()) {
    // A tag copied from S3 (aws s3 sync) or written by hand: a small file holding the link text.
    const fh = await fsp.open(abs, READ_FLAGS).catch((e) => { throw fsError(e, 'read tag', key); });
    try {
      const now = await fh.stat();
      if (!now.isFile()) throw unsafe('read tag', key, refusalReason(now) ?? 'not a link');
      const text = await readAll(fh, MAX_LINK_READ, now.size);
      if (text === undefined) throw new RepoError('BrokenLink', 'read tag', key, `it is a file of over ${MAX_LINK_READ} bytes, not a link`);
      target = text.toString('utf8');
    } finally {
      await fh.close();
    }
  } else if (st.isDirectory()) {
    throw new RepoError('BrokenLink', 'read tag', key, 'it is a folder, not a link');
  } else {
    throw unsafe('read tag', key, refusalReason(st) ?? 'not a link');
  }
  const digest = createHash('sha256').update(target).digest('hex').slice(0, 16);
  return { target, token: `${st.ino}-${st.mtimeMs}-${digest}` };
}

export async function fsReadLink(root: FsRoot, key: string): Promise<LinkInfo | undefined> {
  return root.at(key, 'read tag', (abs) => readLinkAt(abs, key));
}

/** What a Conflict reports: the current link text, its token, and the metadata its writer left. */
async function conflictDetails(abs: string, current: LinkInfo | undefined): Promise<Record<string, unknown>> {
  let currentMeta: Record<string, string> | undefined;
  try {
    const raw = await readSmall(scratchPath(abs, META_SUFFIX), MAX_META);
    const m = raw && JSON.parse(raw.toString('utf8')) as { target: string; meta: Record<string, string> };
    if (m && current && m.target === current.target) currentMeta = m.meta;
  } catch {
    currentMeta = undefined;
  }
  return { current: current?.target, currentToken: current?.token, currentMeta };
}

export async function fsWriteLink(root: FsRoot, key: string, target: string, expect: LinkExpectation,
  meta?: Record<string, string>): Promise<LinkInfo> {
  return withLock(root, key, 'write tag', async (abs) => {
    const current = await readLinkAt(abs, key);
    const ok = 'absent' in expect ? current === undefined : current?.token === expect.token;
    if (!ok) {
      throw new RepoError('Conflict', 'write tag', key,
        current ? `it now points at '${current.target}'` : 'it no longer exists', { details: await conflictDetails(abs, current) });
    }
    const tmp = scratchPath(abs, `.${randomSuffix()}${TMP_SUFFIX}`);
    try {
      const metaPath = scratchPath(abs, META_SUFFIX);
      if (meta) {
        const fh = await root.createFile(tmp, key, 'write tag');
        try {
          await fh.writeFile(JSON.stringify({ target, meta }));
        } finally {
          await fh.close();
        }
        await fsp.rename(tmp, metaPath);
      } else {
        await fsp.unlink(metaPath).catch(() => undefined);
      }
      await fsp.symlink(target, tmp); // creates the link itself; never follows anything at tmp
      await fsp.rename(tmp, abs);
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw fsError(e, 'write tag', key);
    }
    const written = await readLinkAt(abs, key);
    if (!written) throw new RepoError('Storage', 'write tag', key, 'the link vanished right after it was written');
    return written;
  });
}

export async function fsDeleteLink(root: FsRoot, key: string, expect: { readonly token: string }): Promise<void> {
  await withLock(root, key, 'delete tag', async (abs) => {
    const current = await readLinkAt(abs, key);
    if (current?.token !== expect.token) {
      throw new RepoError('Conflict', 'delete tag', key,
        current ? `it now points at '${current.target}'` : 'it no longer exists', { details: await conflictDetails(abs, current) });
    }
    await fsp.unlink(abs).catch((e) => { throw fsError(e, 'delete tag', key); });
    await fsp.unlink(scratchPath(abs, META_SUFFIX)).catch(() => undefined);
  });
  await root.pruneEmpty(key.slice(0, key.lastIndexOf('/') + 1));
}
