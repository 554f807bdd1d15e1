// What search lists: listings only, no record or marker reads. A model costs one listing of its whole
// tree when that fits one page (versions, files with their ETags, and whether an upload is still
// pending); a larger model costs one delimited listing of `<model>/` plus one per version looked at. Version records are not read: search only
// reads headers, never hands out bytes, so the checks a download needs (record sizes, checksums) are
// left to `info`, `download` and the tree. Names pass the name rule here, as everywhere.
import { META_DIR, PENDING_MARKER, TAGS_DIR, VERSION_MANIFEST, modelPrefix, versionPrefix } from '../layout';
import { compareVersions, isHiddenName, nameProblem } from '../names';
import { judgeContents } from '../repo/contents';
import { listChecked } from '../repo/modelView';
import type { ObjectInfo, Storage } from '../storage/storage';
import type { ArtifactInfo } from '../types';

/** Version names of `model`, newest first (unsafe names and the tool's own folders left out). */
export async function versionNamesNewestFirst(storage: Storage, model: string, signal?: AbortSignal): Promise<string[]> {
  const prefix = modelPrefix(model);
  const listing = await listChecked(storage, prefix, { signal });
  return listing.prefixes.map((p) => p.slice(prefix.length, -1)).filter(isVersionName).sort((a, b) => compareVersions(b, a));
}

const isVersionName = (n: string): boolean => n !== TAGS_DIR && n !== META_DIR && !isHiddenName(n) && nameProblem('version', n) === undefined;

/** The files of a published version, or undefined when it is pending (an upload in progress) or empty. */
export async function publishedFiles(storage: Storage, model: string, version: string, signal?: AbortSignal): Promise<ArtifactInfo[] | undefined> {
  const prefix = versionPrefix(model, version);
  const listing = await listChecked(storage, prefix, { delimited: false, signal });
  const has = (name: string): boolean => listing.objects.some((o) => o.key === prefix + name);
  if (has(PENDING_MARKER) && !has(VERSION_MANIFEST)) return undefined;
  const { artifacts } = judgeContents({ model, version, prefix, objects: listing.objects, refused: listing.refused });
  return artifacts.length > 0 ? [...artifacts] : undefined;
}

/** Picks the versions to look at from a model's version names and a way to get each one's files. */
async function pick(names: readonly string[], which: 'latest' | 'all',
  filesOf: (version: string) => Promise<ArtifactInfo[] | undefined>): Promise<{ version: string; files: ArtifactInfo[] }[]> {
  const out: { version: string; files: ArtifactInfo[] }[] = [];
  for (const version of names) {
    const files = await filesOf(version);
    if (!files) continue;
    out.push({ version, files });
    if (which === 'latest') break;
  }
  return out.reverse(); // oldest first, as listings show versions
}

/** The files of a published version from the objects listed under its folder, as publishedFiles does. */
function filesFromListing(model: string, version: string, objects: readonly ObjectInfo[],
  refused: readonly { key: string; reason: string }[]): ArtifactInfo[] | undefined {
  const prefix = versionPrefix(model, version);
  const own = objects.filter((o) => o.key.startsWith(prefix));
  const has = (name: string): boolean => own.some((o) => o.key === prefix + name);
  if (has(PENDING_MARKER) && !has(VERSION_MANIFEST)) return undefined;
  const { artifacts } = judgeContents({ model, version, prefix, objects: own, refused: refused.filter((r) => r.key.startsWith(prefix)) });
  return artifacts.length > 0 ? [...artifacts] : undefined;
}

/** The versions search looks at ('latest': the newest published one) with their files. A model whose
 *  whole tree fits one listing page (the usual case: 1,000 keys) costs that one request; a larger one
 *  is listed one level at a time. */
export async function filesToSearch(storage: Storage, model: string, which: 'latest' | 'all', signal?: AbortSignal):
  Promise<{ version: string; files: ArtifactInfo[] }[]> {
  const prefix = modelPrefix(model);
  const page = await storage.list(prefix, { delimited: false, limit: 1000, signal });
  if (page.cursor) {
    const names = await versionNamesNewestFirst(storage, model, signal);
    return pick(names, which, (v) => publishedFiles(storage, model, v, signal));
  }
  const names = page.objects.map((o) => o.key.slice(prefix.length).split('/')).filter((segs) => segs.length > 1).map((segs) => segs[0]);
  const versions = [...new Set(names)].filter(isVersionName).sort((a, b) => compareVersions(b, a));
  return pick(versions, which, async (v) => filesFromListing(model, v, page.objects, page.refused ?? []));
}
