// Reads the user's kubeconfig (KUBECONFIG files merged as kubectl does: the first file that sets
// current-context wins, the first definition of a context wins) for the contexts and their namespaces.
// Only @kubernetes/client-node's kubeconfig types module is loaded (lazily, on first use): its full
// index pulls in 17 MB of generated API clients, which would cost the whole extension ~0.5 s to load.
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Log } from './log';

export interface KubeContext {
  readonly name: string;
  readonly namespace?: string;
  readonly cluster?: string;
}

export interface KubeInfo {
  readonly current?: string;
  readonly contexts: readonly KubeContext[];
}

function kubeconfigFiles(): string[] {
  const env = process.env.KUBECONFIG;
  const files = env ? env.split(path.delimiter).filter((f) => f.length > 0) : [path.join(os.homedir(), '.kube', 'config')];
  return files.filter((f) => existsSync(f));
}

/** The contexts of the user's kubeconfig, or undefined when there is none (or it cannot be read). */
export async function readKubeconfig(log: Log): Promise<KubeInfo | undefined> {
  const files = kubeconfigFiles();
  if (files.length === 0) return undefined;
  try {
    const [{ newContexts }, { parse }] = await Promise.all([
      import('@kubernetes/client-node/dist/config_types.js'), import('yaml')]);
    let current: string | undefined;
    const contexts = new Map<string, KubeContext>();
    for (const f of files) {
      const doc = parse(await fsp.readFile(f, 'utf8')) as { 'current-context'?: string; contexts?: unknown[] } | null;
      current ??= doc?.['current-context'] || undefined;
      for (const c of newContexts(doc?.contexts, { onInvalidEntry: 'filter' })) {
        if (!contexts.has(c.name)) contexts.set(c.name, { name: c.name, namespace: c.namespace, cluster: c.cluster });
      }
    }
    return { current, contexts: [...contexts.values()] };
  } catch (err) {
    log.warn(`cannot read kubeconfig: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
