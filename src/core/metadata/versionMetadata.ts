// Metadata of a whole version (the details view) and a model card for a whole model (the "create
// model card" command), on top of the Repository listing API and the ETag-cached header reader.
import { isAbort } from '../errors';
import { versionManifestKey } from '../layout';
import { checkVersionRecord } from '../repo/record';
import type { Storage } from '../storage/storage';
import type { ArtifactInfo, VersionInfo } from '../types';
import { buildModelCard } from './modelCard';
import type { ArtifactWithMetadata } from './modelCard';
import { readArtifactMetadata } from './readMetadata';

export interface VersionSource {
  readonly storage: Storage;
  listVersions(model: string, opts?: { includePending?: boolean; signal?: AbortSignal }): Promise<VersionInfo[]>;
  listArtifacts(model: string, version: string, signal?: AbortSignal): Promise<ArtifactInfo[]>;
}

/** Every artifact of the version with its metadata; a file that cannot be read carries `problem`. */
export async function readVersionMetadata(repo: VersionSource, model: string, version: string, signal?: AbortSignal): Promise<ArtifactWithMetadata[]> {
  const out: ArtifactWithMetadata[] = [];
  for (const artifact of await repo.listArtifacts(model, version, signal)) {
    if (artifact.problem) {
      out.push({ artifact, problem: artifact.problem }); // not opened: its name or its record cannot be trusted
      continue;
    }
    try {
      out.push({ artifact, metadata: await readArtifactMetadata(repo.storage, artifact.key, { signal }) });
    } catch (e) {
      if (isAbort(e)) throw e;
      out.push({ artifact, problem: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}

/** The recorded origin of a version (e.g. { huggingface, revision }), from its manifest. */
export async function readVersionSource(storage: Storage, model: string, version: string, signal?: AbortSignal): Promise<Readonly<Record<string, string>> | undefined> {
  const text = await storage.readText(versionManifestKey(model, version), signal);
  if (!text) return undefined;
  const checked = checkVersionRecord(text, model, version);
  return 'record' in checked ? checked.record.source : undefined;
}

/** Markdown for `model`: its published versions (the newest `maxVersions`, default 20, with files). */
export async function createModelCard(repo: VersionSource, model: string, opts: { signal?: AbortSignal; maxVersions?: number } = {}): Promise<string> {
  const versions = (await repo.listVersions(model, { signal: opts.signal })).filter((v) => !v.problem);
  const recent = versions.slice(-(opts.maxVersions ?? 20));
  const items: ArtifactWithMetadata[] = [];
  let source: Readonly<Record<string, string>> | undefined;
  for (const v of [...recent].reverse()) {
    items.push(...await readVersionMetadata(repo, model, v.name, opts.signal));
    source ??= await readVersionSource(repo.storage, model, v.name, opts.signal);
  }
  return buildModelCard(model, versions, items, { source });
}
