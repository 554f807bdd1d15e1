// A small LRU of metadata keyed by repository root + key + ETag: an object that changes gets a new
// ETag, so entries never go stale and need no invalidation. The extension can persist the map as JSON
// (e.g. in its global storage folder) so a restart does not re-read every header.
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import type { ModelMetadata } from './modelMetadata';

export const cacheKey = (root: string, key: string, etag: string): string => `${root}\n${key}\n${etag}`;

export class MetadataCache {
  private readonly map = new Map<string, ModelMetadata>();
  private dirty = false;

  constructor(readonly maxEntries = 1000) {}

  get size(): number {
    return this.map.size;
  }

  /** True when entries changed since the last load/toJSON (worth persisting). */
  get changed(): boolean {
    return this.dirty;
  }

  get(k: string): ModelMetadata | undefined {
    const v = this.map.get(k);
    if (v !== undefined) { this.map.delete(k); this.map.set(k, v); } // most recently used last
    return v;
  }

  set(k: string, v: ModelMetadata): void {
    this.map.delete(k);
    this.map.set(k, v);
    this.dirty = true;
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  clear(): void {
    this.map.clear();
    this.dirty = true;
  }

  /** A plain object, oldest first, to store as JSON. */
  toJSON(): Record<string, ModelMetadata> {
    this.dirty = false;
    return Object.fromEntries(this.map);
  }

  /** Adds entries from a stored JSON map (ignores anything that is not an object with a format). */
  load(json: unknown): void {
    if (!json || typeof json !== 'object') return;
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      if (v && typeof v === 'object' && typeof (v as { format?: unknown }).format === 'string') this.set(k, v as ModelMetadata);
    }
    this.dirty = false;
  }
}

/** The process-wide cache readArtifactMetadata uses unless given another. */
export const defaultMetadataCache = new MetadataCache();

/** Loads a persisted map into `cache`; a missing or unreadable file leaves it as it is. */
export async function loadMetadataCache(cache: MetadataCache, file: string): Promise<void> {
  try {
    cache.load(JSON.parse(await fsp.readFile(file, 'utf8')));
  } catch { /* no cache yet, or a corrupt one: start empty, the headers are re-read */ }
}

/** Writes the map atomically (temp file + rename) when it changed. */
export async function saveMetadataCache(cache: MetadataCache, file: string): Promise<void> {
  if (!cache.changed) return;
  await fsp.mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(cache.toJSON()));
  await fsp.rename(tmp, file);
}
