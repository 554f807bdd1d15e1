// What search lists: listings only, no record or marker reads. A model costs one delimited listing of
// `<model>/` (its versions, however many) plus one listing per version looked at, which shows the files
// with their ETags and whether an upload is still pending. Version records are not read: search only
// reads headers, never hands out bytes, so the checks a download needs (record sizes, checksums) are
// left to `info`, `download` and the tree. Names pass the name rule here, as everywhere.
import { META_DIR, PENDING_MARKER, TAGS_DIR, VERSION_MANIFEST, modelPrefix, versionPrefix } from '../layout';
import { compareVersions, isHiddenName, nameProblem } from '../names';
import { judgeContents } from '../repo/contents';
import { listChecked } from '../repo/modelView';
import type { Storage } from '../storage/storage';
import type { ArtifactInfo } from '../types';

/** Version names of `model`, newest first (unsafe names and the tool's own folders left out). */
export async function versionNamesNewestFirst(storage: Storage, model: string, signal?: AbortSignal): Promise<string[]> {
  const prefix = modelPrefix(model);
  const listing = await listChecked(storage, prefix, { signal });
  return listing.prefixes.map((p) => p.slice(prefix.length, -1))
    .filter((n) => n !== TAGS_DIR && n !== META_DIR && !isHiddenName(n) && nameProblem('version', n) === undefined)
    .sort((a, b) => compareVersions(b, a));
}

/** The files of a published version, or undefined when it is pending (an upload in progress) or empty. */
export async function publishedFiles(storage: Storage, model: string, version: string, signal?: AbortSignal): Promise<ArtifactInfo[] | undefined> {
  const prefix = versionPrefix(model, version);
  const listing = await listChecked(storage, prefix, { delimited: false, signal });
  const has = (name: string): boolean => listing.objects.some((o) => o.key === prefix + name);
  if (has(PENDING_MARKER) && !has(VERSION_MANIFEST)) return undefined;
  const { artifacts } = judgeContents({ model, version, prefix, objects: listing.objects, refused: listing.refused });
  return artifacts.length > 0 ? [...artifacts] : undefined;
}

/** The versions search looks at ('latest': the newest published one) with their files. */
export async function filesToSearch(storage: Storage, model: string, which: 'latest' | 'all', signal?: AbortSignal):
  Promise<{ version: string; files: ArtifactInfo[] }[]> {
  const out: { version: string; files: ArtifactInfo[] }[] = [];
  for (const version of await versionNamesNewestFirst(storage, model, signal)) {
    const files = await publishedFiles(storage, model, version, signal);
    if (!files) continue;
    out.push({ version, files });
    if (which === 'latest') break;
  }
  return out.reverse(); // oldest first, as listings show versions
}
