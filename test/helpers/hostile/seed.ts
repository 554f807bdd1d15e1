// Planting repository content for the catalogue rows, in the product's layout but written raw: files,
// version records (`.modelrepo-version.json`), upload markers and tag links. A record is written the way
// the product writes one (names, sizes, sha256), so a row can start from a valid version and spoil one
// thing about it.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Ctx } from './types';

export const MODEL = 'm';
export const V1 = '1.0';
export const V2 = '2.0';
export const GOOD = 'good.gguf';
export const GOOD_BYTES = Buffer.from('GGUF\u0003\u0000\u0000\u0000 a good model file, as uploaded\n', 'latin1');
export const OTHER = 'other.gguf';
export const OTHER_BYTES = Buffer.from('GGUF\u0003\u0000\u0000\u0000 another file of the same version\n', 'latin1');

export const RECORD = '.modelrepo-version.json';
export const MARKER = '.modelrepo-pending.json';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export type Files = Readonly<Record<string, Buffer | string>>;

export interface RecordEntry { name: unknown; size: unknown; sha256: unknown }

/** The record the product writes when it publishes `files`. */
export function recordOf(model: string, version: string, files: Files): { schema: 1; model: string; version: string; created: string; createdBy: string; files: RecordEntry[] } {
  return {
    schema: 1, model, version, created: '2024-03-20T10:00:00.000Z', createdBy: 'seed@catalogue',
    files: Object.entries(files).map(([name, body]) => ({ name, size: Buffer.byteLength(body), sha256: sha256(body) })),
  };
}

export type VersionRecord = ReturnType<typeof recordOf>;

/** Files without any record: a version written by another tool (`aws s3 cp`, `cp`). */
export async function legacy(c: Ctx, model: string, version: string, files: Files): Promise<void> {
  for (const [name, body] of Object.entries(files)) await c.b.put(`${model}/${version}/${name}`, body);
}

/** A published version: the files, then the record. `record` may change the record (or replace it with text). */
export async function publish(c: Ctx, model: string, version: string, files: Files,
  record?: (r: VersionRecord) => unknown): Promise<void> {
  await legacy(c, model, version, files);
  const r = recordOf(model, version, files);
  const spoiled = record ? record(r) : r;
  await c.b.put(`${model}/${version}/${RECORD}`, typeof spoiled === 'string' ? spoiled : `${JSON.stringify(spoiled, null, 2)}\n`);
}

/** Many files at once (32 writes in flight), then the record unless `record` is false (another tool's version). */
export async function publishParallel(c: Ctx, model: string, version: string, files: Files, record = true): Promise<void> {
  const entries = Object.entries(files);
  for (let i = 0; i < entries.length; i += 32) {
    await Promise.all(entries.slice(i, i + 32).map(([name, body]) => c.b.put(`${model}/${version}/${name}`, body)));
  }
  if (record) await c.b.put(`${model}/${version}/${RECORD}`, `${JSON.stringify(recordOf(model, version, files), null, 2)}\n`);
}

/** An upload marker as a running upload writes it (the version is unfinished). */
export async function pending(c: Ctx, model: string, version: string, files: Files): Promise<void> {
  await legacy(c, model, version, files);
  await c.b.put(`${model}/${version}/${MARKER}`, JSON.stringify({
    schema: 1, model, version, who: 'someone@elsewhere', host: 'elsewhere', pid: 1, started: new Date().toISOString(),
    updated: new Date().toISOString(), files: Object.entries(files).map(([name, b]) => ({ name, size: Buffer.byteLength(b) })), done: [],
  }));
}

/** A tag link with exactly this text (a relative symlink on a filesystem, the object's body on S3). */
export async function tag(c: Ctx, model: string, name: string, text: string): Promise<void> {
  await c.b.link(`${model}/tags/${name}`, text);
}

/** The usual starting point: m@1.0 published with good.gguf, tag `latest` -> it. */
export async function goodModel(c: Ctx, model = MODEL): Promise<void> {
  await publish(c, model, V1, { [GOOD]: GOOD_BYTES });
  await tag(c, model, 'latest', `../${V1}/${GOOD}`);
}

/** A local file to upload, in files/ (or a subfolder); returns its path. */
export async function localFile(c: Ctx, rel: string, body: Buffer | string = GOOD_BYTES): Promise<string> {
  const p = join(c.files, ...rel.split('/'));
  await fsp.mkdir(join(p, '..'), { recursive: true });
  await fsp.writeFile(p, body);
  return p;
}

/** Where a folder repository keeps a key (for symlinks and FIFOs planted on disk). */
export function diskPath(c: Ctx, key: string): string {
  if (!c.b.root) throw new Error('not a folder repository');
  return join(c.b.root, ...key.split('/'));
}
