// What a version holds, judged against its record: the listing of `<model>/<version>/` and the version
// record (if any) become the artifacts shown to people plus the issues that forbid using them. Pure
// (no storage), so every rule is unit-tested: an unsafe key, an entry the backend refused, an object
// the record does not list, a recorded file that is missing, a recorded size that differs.
import { RepoError } from '../errors';
import { artifactKey, isInternalFile } from '../layout';
import type { VersionManifest } from '../layout';
import { showName } from '../names';
import type { ObjectInfo } from '../storage/storage';
import type { ArtifactInfo } from '../types';
import { classifyStoredPath, escapedText } from './record';

export type IssueCode = 'Unsafe' | 'Corrupt' | 'Integrity';

export interface Issue {
  readonly code: IssueCode;
  /** The real file name when it is safe (so a reference to one file can tell whether it is concerned). */
  readonly file?: string;
  /** Set when the issue taints every reference into the version, not only to this file. */
  readonly wholeVersion: boolean;
  /** The object named in the error: `model@version` or `model@version/file`. */
  readonly object: string;
  readonly reason: string;
}

export interface VersionContents {
  readonly artifacts: readonly ArtifactInfo[];
  readonly issues: readonly Issue[];
}

export interface ContentsInput {
  readonly model: string;
  readonly version: string;
  readonly prefix: string;
  readonly objects: readonly ObjectInfo[];
  readonly refused: readonly { readonly key: string; readonly reason: string }[];
  readonly record?: VersionManifest;
}

const ORDER: Record<IssueCode, number> = { Unsafe: 0, Corrupt: 1, Integrity: 2 };

export function judgeContents(input: ContentsInput): VersionContents {
  const { model, version, prefix, record } = input;
  const obj = `${model}@${version}`;
  const recorded = new Map(record?.files.map((f) => [f.name, f]) ?? []);
  const seen = new Set<string>();
  const artifacts: ArtifactInfo[] = [];
  const issues: Issue[] = [];
  const refusedEntry = (rel: string, key: string, size: number, modified: Date, reason: string): void => {
    artifacts.push({ model, version, name: showName(rel), key: escapedText(key), size, modified, problem: reason });
    issues.push({ code: 'Unsafe', wholeVersion: record !== undefined, object: obj, reason: `the repository holds ${showName(rel)}, which is refused: ${reason}` });
  };
  for (const o of input.objects) {
    const rel = o.key.slice(prefix.length);
    if (rel.length === 0 || isInternalFile(rel) || (rel.endsWith('/') && o.size === 0)) continue; // S3 console "folders"
    const c = classifyStoredPath(rel);
    if (c.kind === 'hidden') continue;
    if (c.kind === 'unsafe') {
      refusedEntry(rel, o.key, o.size, o.modified, `unsafe name: ${c.problem}`);
      continue;
    }
    seen.add(rel);
    const f = recorded.get(rel);
    let problem: string | undefined;
    if (record && !f) {
      problem = 'not in the version record (added after the version was published)';
      issues.push({ code: 'Corrupt', file: rel, wholeVersion: true, object: `${obj}/${rel}`, reason: `the version holds ${showName(rel)}, which its record does not list (added after publication)` });
    } else if (f && f.size !== o.size) {
      problem = `its size (${o.size} bytes) differs from the version record (${f.size} bytes)`;
      issues.push({ code: 'Integrity', file: rel, wholeVersion: false, object: `${obj}/${rel}`, reason: `the stored file has ${o.size} bytes, the version record says ${f.size}` });
    }
    artifacts.push({
      model, version, name: rel, key: o.key, size: o.size, modified: o.modified, etag: o.etag,
      ...(f ? { sha256: f.sha256, sha256From: 'record' as const } : {}), ...(problem ? { problem } : {}),
    });
  }
  for (const r of input.refused) {
    const rel = r.key.startsWith(prefix) ? r.key.slice(prefix.length) : '';
    if (rel.length === 0) {
      issues.push({ code: 'Unsafe', wholeVersion: true, object: obj, reason: `the version folder is refused: ${r.reason}` });
      continue;
    }
    refusedEntry(rel, r.key, 0, new Date(0), r.reason);
  }
  if (record) {
    const when = Date.parse(record.created);
    for (const f of record.files) {
      if (seen.has(f.name)) continue;
      artifacts.push({
        model, version, name: f.name, key: artifactKey(model, version, f.name), size: f.size, modified: new Date(Number.isNaN(when) ? 0 : when),
        sha256: f.sha256, sha256From: 'record', problem: 'listed in the version record but missing from storage',
      });
      issues.push({ code: 'Corrupt', file: f.name, wholeVersion: true, object: `${obj}/${f.name}`, reason: `the version record lists ${showName(f.name)}, which is missing from storage` });
    }
  }
  artifacts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  issues.sort((a, b) => ORDER[a.code] - ORDER[b.code]);
  return { artifacts, issues };
}

/** The issues that forbid a reference to the whole version (file undefined) or to one file of it. */
export function issuesFor(contents: VersionContents, file: string | undefined): readonly Issue[] {
  return contents.issues.filter((i) => i.wholeVersion || file === undefined || i.file === file);
}

/** The error for the first (most serious) issue, naming how many more there are. */
export function issueError(action: string, issues: readonly Issue[]): RepoError {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return new RepoError(first.code, action, first.object, `${first.reason}${more}`,
    { details: { problems: issues.map((i) => `${i.object}: ${i.reason}`) } });
}
