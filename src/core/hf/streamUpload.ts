// Sending a byte stream of known size to a key. The Storage interface can only upload a local file,
// so the import is written against this StreamUploader and asks the backend for the method it needs:
//
//   uploadStream(key: string, body: Readable, size: number, options?: StreamUploadOptions): Promise<UploadResult>
//     Streams exactly `size` bytes (S3: multipart with the part size chosen from `size`; filesystem: temp
//     file + rename), hashing sha256 in the same pass. Not resumable: an error or abort removes what was
//     written. With `expectedSha256` the object is only made visible (S3 CompleteMultipartUpload, fs
//     rename) when the hash matches, else it throws Integrity and nothing is left at `key`. A body that
//     ends short of or past `size` is an Integrity error.
//
// Until the backends have it, uploadViaTempFile() is the FALLBACK: it spools ONE file at a time through a
// temp file (checked against free disk space, hashed while written, checked before any byte is sent,
// deleted afterwards) and then calls uploadFile. It is marked as such and goes once uploadStream lands.
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RepoError } from '../errors';
import type { Storage, UploadOptions, UploadResult } from '../storage/storage';

export interface StreamUploadOptions extends Omit<UploadOptions, 'resumable'> {
  /** sha256 hex the body must have; the object becomes visible only when it matches (else Integrity). */
  readonly expectedSha256?: string;
}

export type StreamUploader = (key: string, body: Readable, size: number, options?: StreamUploadOptions) => Promise<UploadResult>;

/** Space left free on the temp file system beyond the spooled file. */
const TEMP_MARGIN = 256 * 1024 * 1024;

/** The backend's uploadStream when it has one, else the temp-file fallback. */
export function streamUploaderFor(storage: Storage, opts: { tempDir?: string } = {}): StreamUploader {
  const native = (storage as Storage & { uploadStream?: StreamUploader }).uploadStream;
  if (typeof native === 'function') return native.bind(storage);
  return uploadViaTempFile(storage, opts.tempDir);
}

/** True when `storage` streams natively (no temp file). */
export function hasNativeStreamUpload(storage: Storage): boolean {
  return typeof (storage as Storage & { uploadStream?: unknown }).uploadStream === 'function';
}

/** FALLBACK (see the top of this file): spool through one temp file, then Storage.uploadFile. */
export function uploadViaTempFile(storage: Storage, tempDir = tmpdir()): StreamUploader {
  return async (key, body, size, options = {}) => {
    const free = await fsp.statfs(tempDir).then((s) => s.bavail * s.bsize, () => Infinity);
    if (free < size + TEMP_MARGIN) {
      body.destroy();
      throw new RepoError('Storage', 'store', key, `the temporary copy needs ${size} bytes in ${tempDir} but only ${free} are free (set TMPDIR to a larger disk)`);
    }
    const dir = await fsp.mkdtemp(join(tempDir, 'modelrepo-import-'));
    const file = join(dir, 'body');
    try {
      const hash = createHash('sha256');
      let received = 0;
      // Progress is split in halves: receiving into the temp file, then sending it.
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          hash.update(chunk);
          options.onProgress?.({ stored: Math.floor(Math.min(received, size) / 2), total: size, resumed: 0 });
          cb(null, chunk);
        },
      });
      await pipeline(body, counter, createWriteStream(file), { signal: options.signal });
      const sha256 = hash.digest('hex');
      if (received !== size) throw new RepoError('Integrity', 'store', key, `received ${received} bytes, expected ${size}`);
      if (options.expectedSha256 && sha256 !== options.expectedSha256.toLowerCase()) {
        throw new RepoError('Integrity', 'store', key, `sha256 is ${sha256}, expected ${options.expectedSha256}`, { details: { sha256, expected: options.expectedSha256 } });
      }
      const half = Math.floor(size / 2);
      const r = await storage.uploadFile(key, file, {
        signal: options.signal, concurrency: options.concurrency, partSize: options.partSize, resumable: false,
        onProgress: (p) => options.onProgress?.({ stored: half + Math.round((p.stored * (size - half)) / Math.max(1, p.total)), total: size, resumed: 0 }),
      });
      return r;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  };
}
