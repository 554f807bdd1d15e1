// `cluster deploy-minio`: applies the MinIO objects (minioObjects.ts) by server-side apply and waits
// until the Deployment is available and the bucket Job complete. Re-running keeps the root keys: an
// existing `minio` Secret is read (its keys only registered as secrets, never shown) and left as it is;
// only a missing one is made, from random keys that exist in this process's memory alone.
import { registerSecret, RepoError } from '../errors';
import { buildMinioObjects } from '../manifests/minioObjects';
import { generateMinioKeys, minioClusterEndpoint, MINIO_NAME, minioSettings } from '../manifests/minioSettings';
import type { MinioOptions } from '../manifests/minioSettings';
import { BUCKET_JOB } from '../manifests/minioWorkload';
import { applyWithClient } from './apply';
import type { AppliedObject } from './apply';
import { openKube } from './kubeClient';
import type { KubeOptions, KubeSession } from './kubeClient';
import { sleep } from './rollout';

export interface DeployMinioOptions extends KubeOptions, Omit<MinioOptions, 'keys'> {
  /** How long to wait for the Deployment and the Job, default 5 minutes; 0: do not wait. */
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly onStatus?: (line: string) => void;
}

export interface DeployMinioResult {
  readonly namespace: string;
  readonly applied: readonly AppliedObject[];
  /** True when the Secret was made now; false when an existing one kept its keys. */
  readonly newKeys: boolean;
  readonly endpoint: string;
  readonly ready: boolean;
  /** What was seen last: `Deployment minio: 1/1 available`, `Job minio-make-bucket: complete`. */
  readonly lines: readonly string[];
}

const ACTION = 'deploy MinIO to';
const notFound = (e: unknown): boolean => (e as { code?: unknown }).code === 404;

/** Whether a usable `minio` Secret exists (its values registered as secrets); refuses one without root keys. */
async function existingKeys(session: KubeSession, namespace: string): Promise<boolean> {
  let secret;
  try {
    secret = await session.core.readNamespacedSecret({ name: MINIO_NAME, namespace });
  } catch (e) {
    if (notFound(e)) return false;
    throw session.error(e, ACTION, `Secret ${namespace}/${MINIO_NAME}`);
  }
  const data = secret.data ?? {};
  for (const v of Object.values(data)) registerSecret(Buffer.from(v, 'base64').toString('utf8'));
  if (!data.rootUser || !data.rootPassword) {
    throw new RepoError('Config', ACTION, `namespace ${namespace}`,
      `the Secret ${MINIO_NAME} exists but has no rootUser and rootPassword: add them, or delete the Secret to have new keys made`);
  }
  return true;
}

interface Seen { readonly done: boolean; readonly failed?: string; readonly line: string }

async function look(session: KubeSession, namespace: string, kind: 'Deployment' | 'Job', name: string): Promise<Seen> {
  let o: { status?: Record<string, unknown> };
  try {
    o = await session.objects.read({ apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: { name, namespace } }) as typeof o;
  } catch (e) {
    if (notFound(e)) return { done: false, line: `${kind} ${name}: not there yet` };
    throw session.error(e, 'read the status of', `${kind} ${namespace}/${name}`);
  }
  const st = (o.status ?? {}) as { availableReplicas?: number; replicas?: number; succeeded?: number; failed?: number; conditions?: { type: string; status: string; message?: string }[] };
  const cond = (t: string) => (st.conditions ?? []).find((c) => c.type === t && c.status === 'True');
  if (kind === 'Deployment') {
    const available = st.availableReplicas ?? 0;
    return { done: available >= 1 && cond('Available') !== undefined, line: `Deployment ${name}: ${available}/1 available` };
  }
  const failed = cond('Failed');
  if (failed) return { done: false, failed: failed.message ?? 'failed', line: `Job ${name}: failed (${failed.message ?? 'no message'})` };
  const complete = (st.succeeded ?? 0) >= 1 || cond('Complete') !== undefined;
  return { done: complete, line: `Job ${name}: ${complete ? 'complete' : `running (${st.failed ?? 0} failed attempts)`}` };
}

export async function deployMinio(o: DeployMinioOptions = {}): Promise<DeployMinioResult> {
  const s = minioSettings(o);
  const session = await openKube(o, ACTION);
  const keep = await existingKeys(session, s.namespace);
  const objects = buildMinioObjects({ ...o, ...(keep ? {} : { keys: generateMinioKeys() }) }, { withSecret: !keep });
  const applied = await applyWithClient(objects, o);
  const endpoint = minioClusterEndpoint(s);
  const waitMs = o.waitMs ?? 300_000;
  if (waitMs === 0) return { namespace: s.namespace, applied, newKeys: !keep, endpoint, ready: false, lines: ['not waited for'] };
  const deadline = Date.now() + waitMs;
  let seen: Seen[] = [];
  for (;;) {
    seen = [await look(session, s.namespace, 'Deployment', MINIO_NAME), await look(session, s.namespace, 'Job', BUCKET_JOB)];
    for (const x of seen) o.onStatus?.(x.line);
    const failed = seen.find((x) => x.failed);
    if (failed) throw new RepoError('Incomplete', ACTION, `namespace ${s.namespace}`, failed.line, { details: { lines: seen.map((x) => x.line) } });
    if (seen.every((x) => x.done)) break;
    if (Date.now() + (o.pollMs ?? 2000) > deadline) {
      throw new RepoError('Incomplete', ACTION, `namespace ${s.namespace}`,
        `not ready within ${Math.round(waitMs / 1000)} s: ${seen.map((x) => x.line).join('; ')}`, { details: { lines: seen.map((x) => x.line) } });
    }
    await sleep(o.pollMs ?? 2000, o.signal);
  }
  return { namespace: s.namespace, applied, newKeys: !keep, endpoint, ready: true, lines: seen.map((x) => x.line) };
}
