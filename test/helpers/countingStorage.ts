// A storage with every call of the reading methods (and putText) counted, and the keys of ranged or
// whole reads kept: the search tests check what a search asks of storage.
import type { Storage } from '../../src/core/storage/storage';

export type Counted = Storage & { calls: Record<string, number>; reads: string[] };

export function counting(inner: Storage): Counted {
  const c = Object.create(inner) as Counted;
  c.calls = {};
  c.reads = [];
  for (const m of ['list', 'stat', 'read', 'readText', 'putText', 'readLink', 'readChecksum'] as const) {
    const orig = (inner[m] as (...a: unknown[]) => unknown).bind(inner);
    (c as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
      c.calls[m] = (c.calls[m] ?? 0) + 1;
      if (m === 'read') c.reads.push(args[0] as string);
      return orig(...args);
    };
  }
  return c;
}
