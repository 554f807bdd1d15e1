// Artifact metadata for the tree's tooltips, cached per ETag. The cache is the core's process-wide
// MetadataCache (so the details view, model cards and search share what the tooltips read) persisted as
// JSON in the extension's global storage folder: loaded at activation, written a few seconds after a
// header was read and once more at deactivation, so a restart does not read the headers again.
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { cacheKey, defaultMetadataCache, loadMetadataCache, saveMetadataCache } from '../core/metadata/metadataCache';
import type { MetadataCache } from '../core/metadata/metadataCache';
import { metadataFormatOf } from '../core/metadata/modelMetadata';
import type { ModelMetadata } from '../core/metadata/modelMetadata';
import { readArtifactMetadata } from '../core/metadata/readMetadata';
import type { Storage } from '../core/storage/storage';
import type { ArtifactInfo } from '../core/types';
import type { Log } from './log';

export const CACHE_FILE = 'metadata-cache.json';
const SAVE_DELAY_MS = 2000;

export class MetadataStore implements vscode.Disposable {
  readonly cache: MetadataCache = defaultMetadataCache;
  /** Where the cache is persisted; undefined when global storage is not a local folder. */
  readonly file: string | undefined;
  /** Headers actually read from storage (cache misses): tests check that drawing the tree reads none. */
  reads = 0;
  private readonly loading: Promise<void>;
  private timer: NodeJS.Timeout | undefined;

  constructor(globalStorage: vscode.Uri | undefined, private readonly log: Log) {
    this.file = globalStorage?.scheme === 'file' ? path.join(globalStorage.fsPath, CACHE_FILE) : undefined;
    this.loading = this.file ? loadMetadataCache(this.cache, this.file) : Promise.resolve();
  }

  /** Resolves once the persisted cache is loaded. */
  ready(): Promise<void> {
    return this.loading;
  }

  /** True when the file's name says it carries metadata we read (GGUF, safetensors, ...). */
  hasMetadata(name: string): boolean {
    return metadataFormatOf(name) !== undefined;
  }

  /** The artifact's metadata: from the cache when its ETag is known there, else read from the header. */
  async read(storage: Storage, a: ArtifactInfo, signal?: AbortSignal): Promise<ModelMetadata | undefined> {
    if (!this.hasMetadata(a.key)) return undefined;
    await this.loading;
    const etag = a.etag ?? (await storage.stat(a.key, signal))?.etag;
    if (etag && this.cache.get(cacheKey(storage.root, a.key, etag))) {
      return readArtifactMetadata(storage, a.key, { etag, signal, cache: this.cache });
    }
    this.reads++;
    const meta = await readArtifactMetadata(storage, a.key, { etag, signal, cache: this.cache });
    this.changed();
    return meta;
  }

  /** Schedules a save (commands that read through the core's default cache call this too). */
  changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
    this.timer.unref?.();
  }

  /** Writes the cache now if it changed. Never throws: a cache that cannot be saved is only logged. */
  async save(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (!this.file) return;
    try {
      await saveMetadataCache(this.cache, this.file);
    } catch (err) {
      this.log.warn(`cannot save the metadata cache to ${this.file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  dispose(): void {
    if (this.timer) void this.save();
  }
}
