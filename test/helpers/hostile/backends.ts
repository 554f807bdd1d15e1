// Raw access to the two kinds of repository for the hostile-input catalogue: objects written straight
// into the bucket with the AWS SDK (as `aws s3 cp` or an attacker with the keys would), files, symlinks
// and FIFOs written straight onto disk. Nothing here goes through the product's storage layer, so a
// setup can plant what the product itself would refuse to write.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  AbortMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, GetObjectTaggingCommand, ListMultipartUploadsCommand, ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3TestEnv } from '../s3env';
import type { Backend } from './types';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const BIG = 4 * 1024 * 1024;

/** A fingerprint of everything below `dir`, without following symlinks or opening FIFOs. */
export async function fingerprint(dir: string, skip: readonly string[] = []): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (abs: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await fsp.readdir(abs);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const r = rel ? `${rel}/${n}` : n;
      if (!rel && skip.includes(n)) continue;
      const p = join(abs, n);
      const st = await fsp.lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isSymbolicLink()) out.set(r, `link ${await fsp.readlink(p)}`);
      else if (st.isDirectory()) {
        out.set(r, `dir ${(st.mode & 0o7777).toString(8)}`);
        await walk(p, r);
      } else if (st.isFile()) {
        // Big files (uploads of the cancel rows) by identity and time: hashing them on every look costs too much.
        const what = st.size > BIG ? `ino ${st.ino} mtime ${st.mtimeMs}` : sha(await fsp.readFile(p));
        out.set(r, `file ${(st.mode & 0o7777).toString(8)} ${st.size} ${what}`);
      }
      else out.set(r, `special ${st.mode.toString(8)}`);
    }
  };
  await walk(dir, '');
  return out;
}

export function fsBackend(root: string): Backend {
  const at = (key: string): string => join(root, ...key.split('/'));
  return {
    kind: 'fs', repo: root, args: [], env: {}, root,
    async put(key, body) {
      await fsp.mkdir(dirname(at(key)), { recursive: true });
      await fsp.writeFile(at(key), body);
    },
    async get(key) {
      return fsp.readFile(at(key)).catch(() => undefined);
    },
    async remove(key) {
      await fsp.rm(at(key), { force: true });
    },
    async link(key, text) {
      await fsp.mkdir(dirname(at(key)), { recursive: true });
      await fsp.rm(at(key), { force: true });
      await fsp.symlink(text, at(key));
    },
    async tamper(key, body) {
      const fh = await fsp.open(at(key), 'r+');
      try {
        await fh.truncate(0);
        await fh.write(body, 0, body.length, 0);
      } finally {
        await fh.close();
      }
    },
    snapshot: () => fingerprint(root),
    outside: async () => new Map(),
    async partialUploads() {
      const all = await fingerprint(root);
      return [...all.keys()].filter((k) => /\.modelrepo-(partial|tmp)/.test(k));
    },
  };
}

/** One bucket per table, one prefix per row: `prefix` is the row's repository inside `bucket`. */
export function s3Backend(client: S3Client, env: S3TestEnv, bucket: string, prefix: string): Backend {
  const full = (key: string): string => `${prefix}/${key}`;
  const listAll = async (listPrefix: string): Promise<{ Key?: string; ETag?: string; Size?: number }[]> => {
    const out: { Key?: string; ETag?: string; Size?: number }[] = [];
    let token: string | undefined;
    do {
      const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: listPrefix, ContinuationToken: token }));
      out.push(...(r.Contents ?? []));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  };
  const put = async (key: string, body: string | Buffer, tags?: Readonly<Record<string, string>>): Promise<void> => {
    const tagging = tags ? new URLSearchParams(Object.entries(tags)).toString() : undefined;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: full(key), Body: body, ...(tagging ? { Tagging: tagging } : {}) }));
  };
  return {
    kind: 's3', repo: `s3://${bucket}/${prefix}`, args: ['--endpoint', env.endpoint],
    env: { AWS_ACCESS_KEY_ID: env.accessKeyId, AWS_SECRET_ACCESS_KEY: env.secretAccessKey, AWS_REGION: env.region },
    put,
    async get(key) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: full(key) }));
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch {
        return undefined;
      }
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: full(key) }));
    },
    link: (key, text) => put(key, text),
    async tamper(key, body) {
      const t = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: full(key) }));
      const tags = Object.fromEntries((t.TagSet ?? []).map((x) => [x.Key ?? '', x.Value ?? '']));
      await put(key, body, Object.keys(tags).length > 0 ? tags : undefined);
    },
    async snapshot() {
      const all = await listAll(`${prefix}/`);
      return new Map(all.map((o) => [o.Key!.slice(prefix.length + 1), `${o.ETag} ${o.Size}`]));
    },
    /** The bucket's top level (objects and folders: a key written without the row's prefix shows up
     *  here) and the sentinel objects under outside/. */
    async outside() {
      const top = await client.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
      const out = new Map<string, string>();
      for (const p of top.CommonPrefixes ?? []) out.set(p.Prefix ?? '', 'folder');
      for (const o of [...(top.Contents ?? []), ...await listAll('outside/')]) out.set(o.Key ?? '', `${o.ETag} ${o.Size}`);
      out.delete(`${prefix}/`);
      return out;
    },
    async partialUploads() {
      const r = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/` }));
      return (r.Uploads ?? []).map((u) => u.Key ?? '');
    },
  };
}

/** Empties and removes a test bucket one key at a time: a multi-object delete is an XML body, and XML
 *  cannot carry the control characters some planted keys hold. */
export async function dropBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, EncodingType: 'url' }));
    const keys = (r.Contents ?? []).map((o) => decodeURIComponent(o.Key ?? ''));
    if (keys.length === 0) break;
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((k) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }))));
    }
  }
  const up = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of up.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
