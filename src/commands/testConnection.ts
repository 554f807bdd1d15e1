// Checks that a connection works: lists its buckets (or one page of models) with fresh clients and
// says how long it took, or why it failed.
import { backendOf } from '../core/backends/index';
import { RepoError, isRepoError } from '../core/errors';
import { options, pickConnection } from './pick';
import type { Services } from './services';

export interface TestResult {
  readonly ok: true;
  readonly detail: string;
  readonly ms: number;
}

export async function testConnection(s: Services, node: unknown, raw: unknown): Promise<TestResult> {
  const a = options<{ quiet: boolean }>(raw);
  const c = s.repos.connection((await pickConnection(s, node, 'test connection')).connectionId);
  s.repos.clear();
  const t0 = Date.now();
  let detail: string;
  try {
    const backend = backendOf(c);
    if (backend.bucketed && !c.bucket) {
      const buckets = await s.repos.buckets(c.id);
      detail = `${buckets.length} bucket${buckets.length === 1 ? '' : 's'} visible`;
    } else {
      const place = { connectionId: c.id, bucket: backend.bucketed ? c.bucket : undefined };
      const page = await s.repos.use(place, ({ repo }) => repo.listModels({ limit: 1 }));
      detail = page.models.length > 0 ? 'models found' : 'reachable, no models yet';
    }
  } catch (err) {
    if (!isRepoError(err)) throw err;
    throw new RepoError(err.code, 'connect to', c.name, err.reason, { cause: err, details: { ...err.details } });
  }
  const ms = Date.now() - t0;
  s.log.info(`connection ${c.name}: ${detail} (${ms} ms)`);
  if (!a.quiet) s.notify.info(`Connected to ${c.name}: ${detail} (${ms} ms).`);
  s.tree.refresh();
  return { ok: true, detail, ms };
}
