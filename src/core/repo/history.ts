// Tag history without bucket versioning: one small create-only object per landed move or delete, at
// `<model>/.modelrepo/history/<tag>/<sortable UTC time>-<id>.json`. The time is taken after the current
// link was read and before the conditional write, so a move that read another's result sorts after
// it. Clocks of different machines can still disagree by a little, so reading repairs the order of
// near-simultaneous records by their links: a record whose `from` is the previous `to` comes next.
// Records are read back from storage and checked: one that is not what the tool writes (or lies in
// another tag's folder) is skipped, and its free text (author, link texts) is escaped for display.
import { historyPrefix } from '../layout';
import type { HistoryRecord } from '../layout';
import { nameProblem, validateName } from '../names';
import type { Storage } from '../storage/storage';
import { escapedText } from './record';
import { listAll, mapLimit, randomId } from './util';

/** Records whose times differ by less than this may be reordered to follow their links. */
const REPAIR_WINDOW_MS = 5_000;

export interface PendingRecord {
  readonly timeKey: string;
  readonly record: HistoryRecord;
}

export function makeRecord(tag: string, op: HistoryRecord['op'], from: string | undefined, to: string | undefined,
  who: string, time: { key: string; iso: string }): PendingRecord {
  const id = randomId();
  const record: HistoryRecord = { tag, op, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), who, when: time.iso, id };
  return { timeKey: `${time.key}-${id}`, record };
}

export async function appendHistory(storage: Storage, model: string, rec: PendingRecord): Promise<void> {
  await storage.putText(`${historyPrefix(model, rec.record.tag)}${rec.timeKey}.json`, `${JSON.stringify(rec.record, null, 2)}\n`,
    { ifAbsent: true, contentType: 'application/json' });
}

interface Keyed { readonly key: string; readonly rec: HistoryRecord; readonly ms: number }

/** A history record as read from `<model>/.modelrepo/history/<tag>/<file>`, checked; undefined when
 *  it is not one the tool wrote there. */
export function checkHistoryRecord(text: string, folderTag: string): HistoryRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.tag !== folderTag || !['create', 'move', 'delete'].includes(String(r.op))) return undefined;
  if (typeof r.who !== 'string' || typeof r.when !== 'string' || Number.isNaN(Date.parse(r.when))) return undefined;
  if ((r.from !== undefined && typeof r.from !== 'string') || (r.to !== undefined && typeof r.to !== 'string')) return undefined;
  return {
    tag: folderTag, op: r.op as HistoryRecord['op'], ...(r.from !== undefined ? { from: escapedText(r.from as string) } : {}),
    ...(r.to !== undefined ? { to: escapedText(r.to as string) } : {}), who: escapedText(r.who), when: escapedText(r.when),
    id: typeof r.id === 'string' ? escapedText(r.id) : '',
  };
}

/** History of one tag or of all tags of a model, oldest first. Unreadable records are skipped. */
export async function readHistory(storage: Storage, model: string, tag?: string, signal?: AbortSignal): Promise<HistoryRecord[]> {
  validateName('model', model);
  if (tag !== undefined) validateName('tag', tag);
  const prefix = historyPrefix(model, tag);
  const base = historyPrefix(model);
  const { objects } = await listAll(storage, prefix, { delimited: false, signal });
  const keys = objects.map((o) => o.key).filter((k) => k.endsWith('.json'));
  const read = await mapLimit(keys, 8, async (key): Promise<Keyed | undefined> => {
    const [folderTag, file, ...rest] = key.slice(base.length).split('/');
    if (rest.length > 0 || !file || nameProblem('tag', folderTag) !== undefined || !/^[0-9A-Za-z.-]+\.json$/.test(file)) return undefined;
    try {
      const text = await storage.readText(key, signal);
      const rec = text === undefined ? undefined : checkHistoryRecord(text, folderTag);
      return rec ? { key: file, rec, ms: Date.parse(rec.when) } : undefined;
    } catch {
      return undefined;
    }
  });
  const byTag = new Map<string, Keyed[]>();
  for (const k of read) if (k) byTag.set(k.rec.tag, [...(byTag.get(k.rec.tag) ?? []), k]);
  const ordered = [...byTag.values()].map((list) => repairOrder(list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))));
  return mergeByTime(ordered).map((k) => k.rec);
}

/** Follows the links among records close in time: after a record ending at X, a nearby record that
 *  starts from X comes next. Far-apart records keep their time order. */
function repairOrder(sorted: Keyed[]): Keyed[] {
  const rest = [...sorted];
  const out: Keyed[] = [];
  let last: HistoryRecord | undefined;
  while (rest.length > 0) {
    const first = rest[0];
    let pick = 0;
    const fits = (r: HistoryRecord): boolean => (last === undefined || last.op === 'delete') ? r.from === undefined : r.from === last.to;
    if (!fits(first.rec)) {
      const j = rest.findIndex((k) => k.ms - first.ms <= REPAIR_WINDOW_MS && fits(k.rec));
      if (j > 0 && rest[j].ms - first.ms <= REPAIR_WINDOW_MS) pick = j;
    }
    const [k] = rest.splice(pick, 1);
    out.push(k);
    last = k.rec;
  }
  return out;
}

/** Merges per-tag lists (each already in order) by the time of their heads. */
function mergeByTime(lists: Keyed[][]): Keyed[] {
  const heads = lists.map(() => 0);
  const out: Keyed[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      if (heads[i] >= lists[i].length) continue;
      if (best < 0 || lists[i][heads[i]].key < lists[best][heads[best]].key) best = i;
    }
    if (best < 0) return out;
    out.push(lists[best][heads[best]++]);
  }
}

/** The latest record that set the tag to `target` (who moved it there, and when). */
export async function lastMoveTo(storage: Storage, model: string, tag: string, target: string | undefined): Promise<HistoryRecord | undefined> {
  const all = await readHistory(storage, model, tag).catch(() => []);
  for (let i = all.length - 1; i >= 0; i--) {
    const r = all[i];
    if (target === undefined ? r.op === 'delete' : r.to === escapedText(target)) return r;
  }
  return undefined;
}
