// A model read in a handful of listings instead of requests per version: one delimited listing of
// `<model>/` names the versions (as it always did), and one flat listing of `<model>/` (or of the key
// range of some of its versions) holds every object below them. The state of each version (record,
// marker, neither), its files and sizes, and the tag links' names come out of those pages; a version
// record is read only by whoever needs its checksums. The flat listing jumps over hidden folders (the
// tool's `.modelrepo/` history grows with every tag move), so its cost follows the versions' objects.
import { RepoError } from '../errors';
import { PENDING_MARKER, TAGS_DIR, VERSION_MANIFEST, modelPrefix } from '../layout';
import { isHiddenName } from '../names';
import type { ListPage, ObjectInfo, Storage } from '../storage/storage';

/** Backends cap a page at what they can (S3: 1,000); a folder walk costs per page, so ask for many. */
const PAGE = 10_000;

export interface Refusal { readonly key: string; readonly reason: string }

/** What the flat listing found below `<model>/<version>/`. */
export interface ScannedVersion {
  readonly objects: ObjectInfo[];
  readonly refused: Refusal[];
  record?: ObjectInfo;
  marker?: ObjectInfo;
}

/** The versions' level: names (raw, visible: not tags/, not hidden) and the entries refused there. */
export interface ModelLevel {
  readonly names: string[];
  readonly refused: { readonly raw: string; readonly reason: string }[];
  /** Nothing at all is stored under `<model>/`. */
  readonly empty: boolean;
  /** Listing pages read. */
  readonly pages: number;
}

export interface ModelScan {
  /** The versions whose objects the flat listing covered (others are read the slow way if asked). */
  readonly covered: ReadonlySet<string>;
  readonly versions: ReadonlyMap<string, ScannedVersion>;
  /** The objects and refusals directly in `tags/`, when the listing covered the whole model. */
  readonly tags?: { readonly objects: ObjectInfo[]; readonly refused: Refusal[] };
  /** Every entry of the versions' level, when the listing covered the whole model: a name not in it
   *  is no version at all. */
  readonly known?: ReadonlySet<string>;
  readonly pages: number;
}

const visible = (n: string): boolean => n !== TAGS_DIR && !isHiddenName(n);

/** Every page of one listing, handing each page to `take`; `next` may restart it elsewhere. */
async function pages(storage: Storage, prefix: string, delimited: boolean, signal: AbortSignal | undefined,
  take: (page: ListPage) => { stop?: boolean; startAfter?: string } | void, startAfter?: string): Promise<number> {
  let cursor: string | undefined;
  let from = startAfter;
  for (let n = 1; ; n++) {
    const page = await storage.list(prefix, { delimited, cursor, startAfter: from, limit: PAGE, signal });
    const next = take(page) ?? {};
    if (next.stop || !page.cursor || page.cursor === cursor) return n;
    if (next.startAfter !== undefined) {
      cursor = undefined;
      from = next.startAfter;
    } else cursor = page.cursor;
    if (n > 100_000) throw new RepoError('Storage', 'list', prefix, 'the listing does not end');
  }
}

/** The delimited listing of `<model>/`: the version names and the entries refused at that level. */
export async function listLevel(storage: Storage, model: string, signal?: AbortSignal): Promise<ModelLevel> {
  const prefix = modelPrefix(model);
  const names: string[] = [];
  const refused: { raw: string; reason: string }[] = [];
  let seen = 0;
  const n = await pages(storage, prefix, true, signal, (page) => {
    seen += page.prefixes.length + page.objects.length + (page.refused?.length ?? 0);
    for (const p of page.prefixes) {
      const raw = p.slice(prefix.length, -1);
      if (visible(raw)) names.push(raw);
    }
    for (const r of page.refused ?? []) {
      const raw = r.key.slice(prefix.length).replace(/\/$/, '');
      if (visible(raw)) refused.push({ raw, reason: r.reason });
    }
  });
  return { names, refused, empty: seen === 0, pages: n };
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The flat listing of `versions` (raw names from listLevel), only the key range from the first of
 *  them to the last; without `versions`, of the whole model, tags included (it can then run alongside
 *  listLevel: `covered` is every folder seen, to be narrowed to the level's names). */
export async function scanVersions(storage: Storage, model: string, versions: readonly string[] | undefined,
  opts: { signal?: AbortSignal } = {}): Promise<ModelScan> {
  const prefix = modelPrefix(model);
  const whole = versions === undefined;
  const covered = new Set(versions);
  const found = new Map<string, ScannedVersion>();
  const tags = whole ? { objects: [] as ObjectInfo[], refused: [] as Refusal[] } : undefined;
  if (covered.size === 0 && !whole) return { covered, versions: found, pages: 0 };
  // S3 sorts keys by their UTF-8 bytes, a folder listing as JavaScript strings: the range is cut
  // only where both orders agree (they differ only for rare characters; then it reads more).
  const keysOf = [...covered].map((v) => `${prefix}${v}/`);
  const byBytes = [...keysOf].sort((a, b) => Buffer.compare(utf8(a), utf8(b)));
  const byText = [...keysOf].sort();
  const first = byBytes[0] === byText[0] ? byBytes[0] : undefined;
  const last = byBytes[byBytes.length - 1] === byText[byText.length - 1] ? byBytes[byBytes.length - 1] : undefined;
  const after = (k: string, than: string): boolean => Buffer.compare(utf8(k), utf8(than)) > 0 && k > than;
  const entry = (v: string): ScannedVersion => {
    let e = found.get(v);
    if (!e) found.set(v, (e = { objects: [], refused: [] }));
    return e;
  };
  const place = (key: string): { seg: string; rest: string } | undefined => {
    const rel = key.slice(prefix.length);
    const cut = rel.indexOf('/');
    return cut < 0 ? undefined : { seg: rel.slice(0, cut), rest: rel.slice(cut + 1) };
  };
  const n = await pages(storage, prefix, false, opts.signal, (page) => {
    for (const o of page.objects) {
      const at = place(o.key);
      if (!at) continue;
      if (at.seg === TAGS_DIR && tags) {
        if (at.rest.length > 0 && !at.rest.includes('/')) tags.objects.push(o);
      } else if ((whole ? !isHiddenName(at.seg) : covered.has(at.seg))) {
        const e = entry(at.seg);
        e.objects.push(o);
        if (at.rest === VERSION_MANIFEST) e.record = o;
        else if (at.rest === PENDING_MARKER) e.marker = o;
      }
    }
    for (const r of page.refused ?? []) {
      const at = place(r.key);
      if (!at) continue;
      if (at.seg === TAGS_DIR && tags) {
        if (!at.rest.replace(/\/$/, '').includes('/')) tags.refused.push(r);
      } else if ((whole ? !isHiddenName(at.seg) : covered.has(at.seg))) entry(at.seg).refused.push(r);
    }
    const keys = [...page.objects.map((o) => o.key), ...(page.refused ?? []).map((r) => r.key)];
    const lastKey = keys.reduce<string | undefined>((a, k) => (a === undefined || after(k, a) ? k : a), undefined);
    if (lastKey === undefined) return undefined;
    if (!whole && last !== undefined && after(lastKey, last) && !lastKey.startsWith(last)) return { stop: true };
    // Inside a hidden folder (the tool's history): go on after it rather than through it.
    const at = place(lastKey);
    if (at && isHiddenName(at.seg)) return { startAfter: `${prefix}${at.seg}0` };
    return undefined;
  }, whole || first === undefined ? undefined : first.slice(0, -1));
  return { covered: whole ? new Set(found.keys()) : covered, versions: found, ...(tags ? { tags } : {}), pages: n };
}
