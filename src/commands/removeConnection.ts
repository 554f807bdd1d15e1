// Forgets a connection: its settings entry and its keys. The models it points at are not touched.
import { RepoError } from '../core/errors';
import { confirm, type NonInteractive } from './input';
import { options, pickConnection } from './pick';
import type { Services } from './services';

const ACTION = 'remove connection';

export async function removeConnection(s: Services, node: unknown, raw: unknown): Promise<boolean> {
  const a = options<NonInteractive>(raw);
  const c = s.repos.connection((await pickConnection(s, node, ACTION)).connectionId);
  if (c.scope === 'implicit') {
    throw new RepoError('Config', ACTION, c.name, 'it is the workspace\'s model-repo folder, shown because the folder exists; rename the folder to hide it');
  }
  if (a.nonInteractive !== true) {
    await confirm(ACTION, `Remove the connection ${c.name}?`,
      'Its settings and the keys stored on this machine are removed. The models it points at are not touched.', 'Remove');
  }
  await s.store.remove(c.id);
  s.log.info(`removed connection ${c.name} (${c.id}) from ${c.scope} settings`);
  return true;
}
