// Telling an S3 server from something else listening at the endpoint (a web server, a JSON API, a
// proxy's login page). Misjudged, a web server's HTML 404 reads as "no such object" and an HTML 200
// as an empty listing. Only answers that no S3 server gives are refused: an error or redirect without
// an XML body or any x-amz-* header, an HTML page where an XML document was asked for, a PUT taken
// by a JSON API. 5xx answers pass (a gateway in front of a real S3 server has bad moments). Every
// S3 server tested (Ceph RGW, MinIO, AWS) sends x-amz-request-id, which settles any doubt.
import type { IncomingHttpHeaders } from 'node:http';

/** The endpoint answered, but not like an S3 server. */
export class NotS3Error extends Error {
  override name = 'NotS3Endpoint';
  constructor(readonly status: number, readonly contentType: string, readonly redirectTo?: string) {
    super(`not an S3 answer (HTTP ${status}, ${contentType})`);
  }
}

export interface AskedFor {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, unknown>>;
}

/** Sub-resources whose answer is an XML document on every S3 server. */
const XML_QUERIES = ['list-type', 'uploads', 'uploadId', 'tagging', 'delete', 'location', 'versioning', 'acl'];

function expectsXml(req: AskedFor): boolean {
  if (req.method !== 'GET' && req.method !== 'POST') return false;
  if (req.method === 'GET' && req.path === '/') return true; // ListBuckets, or a listing in virtual-host style
  return XML_QUERIES.some((q) => q in req.query);
}

const originOf = (location: string | undefined): string | undefined => {
  try {
    return location ? new URL(location).origin : undefined;
  } catch {
    return undefined;
  }
};

/** undefined when the answer may come from an S3 server, else why not. */
export function judgeAnswer(req: AskedFor, status: number, headers: IncomingHttpHeaders): NotS3Error | undefined {
  const type = String(headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const shown = type || 'no content type';
  const xml = type.includes('xml');
  const amz = Object.keys(headers).some((h) => h.startsWith('x-amz-') || h.startsWith('x-goog-'));
  const html = type === 'text/html' || type === 'application/xhtml+xml';
  if (status >= 500) return undefined;
  if (status >= 300 && status !== 304) {
    if ((xml && !html) || amz) return undefined;
    if (req.method === 'HEAD' && !type && status === 404) return undefined;
    return new NotS3Error(status, shown, status < 400 ? originOf(headers.location) : undefined);
  }
  if (amz) return undefined;
  if (html) return new NotS3Error(status, shown);
  if (expectsXml(req) && !xml) return new NotS3Error(status, shown);
  // A JSON API that takes a PUT: an S3 server would have answered with the object's ETag.
  if (req.method === 'PUT' && type === 'application/json' && !headers.etag) return new NotS3Error(status, shown);
  return undefined;
}
