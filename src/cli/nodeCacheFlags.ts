// The node cache's flags, shared by `manifest`, `apply` and `prefetch`: --node-cache (the default hostPath
// folder), --node-cache=<dir> (main.ts splits it into --node-cache --node-cache-dir=<dir>, since parseArgs
// has no optional values), --node-cache-pvc <claim> for a local PersistentVolume, and the eviction budget.
import type { NodeCacheChoice } from '../core/manifests/nodeCache';
import { DEFAULT_NODE_CACHE_PATH } from '../core/manifests/nodeCache';
import type { FlagsOf, OptionSpecs } from './command';
import { UsageError } from './exitCodes';

export const NODE_CACHE_OPTIONS = {
  'node-cache': { type: 'boolean', value: '[=<dir>]', description: `download once per node into a hostPath cache (default ${DEFAULT_NODE_CACHE_PATH}); the server reads it read-only (README: Node cache)` },
  'node-cache-dir': { type: 'string', value: '<dir>', description: 'the hostPath folder of --node-cache (same as --node-cache=<dir>)' },
  'node-cache-pvc': { type: 'string', value: '<claim>', description: 'the node cache on a PersistentVolumeClaim bound to a local PersistentVolume instead of hostPath' },
  'node-cache-high': { type: 'string', value: '<size>', description: 'evict least recently used blobs when the cache passes this size (default 200Gi)' },
  'node-cache-low': { type: 'string', value: '<size>', description: '... down to this size (default 80 % of the high watermark)' },
  'node-cache-lease': { type: 'string', value: '<minutes>', description: 'a blob with a lease younger than this is in use and never evicted (default 10)' },
} as const satisfies OptionSpecs;

const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3, ti: 1024 ** 4 };

/** `200Gi`, `500G`, `1048576`: bytes. */
export function parseSize(flag: string, text: string, usage: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?$/i.exec(text.trim());
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`--${flag} '${text}' is not a size (e.g. 200Gi, 500G)`, usage);
  return bytes;
}

/** The node cache the flags ask for, or undefined without any of them. */
export function nodeCacheFrom(flags: FlagsOf<typeof NODE_CACHE_OPTIONS>, usage: string): NodeCacheChoice | undefined {
  const { 'node-cache-dir': dir, 'node-cache-pvc': pvc, 'node-cache-high': high, 'node-cache-low': low, 'node-cache-lease': lease } = flags;
  const on = flags['node-cache'] === true || dir !== undefined || pvc !== undefined;
  if (!on) {
    if (high !== undefined || low !== undefined || lease !== undefined) throw new UsageError('--node-cache-high, -low and -lease go with --node-cache or --node-cache-pvc', usage);
    return undefined;
  }
  if (dir !== undefined && pvc !== undefined) throw new UsageError('give --node-cache=<dir> or --node-cache-pvc <claim>, not both', usage);
  if (lease !== undefined && !/^\d+$/.test(lease)) throw new UsageError(`--node-cache-lease '${lease}' is not a whole number of minutes`, usage);
  return {
    ...(dir !== undefined ? { hostPath: dir } : {}),
    ...(pvc !== undefined ? { pvc } : {}),
    ...(high !== undefined ? { highBytes: parseSize('node-cache-high', high, usage) } : {}),
    ...(low !== undefined ? { lowBytes: parseSize('node-cache-low', low, usage) } : {}),
    ...(lease !== undefined ? { leaseMinutes: Number(lease) } : {}),
  };
}

/** `--node-cache=<dir>` as two flags parseArgs knows. */
export function splitNodeCacheValue(args: readonly string[]): string[] {
  return args.flatMap((a) => (a.startsWith('--node-cache=') ? ['--node-cache', `--node-cache-dir=${a.slice('--node-cache='.length)}`] : [a]));
}
