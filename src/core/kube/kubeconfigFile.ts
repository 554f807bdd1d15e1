// Reading the kubeconfig without ever repeating what is in it. client-node's loadFromFile throws the
// YAML parser's error, whose message quotes the lines around the mistake: a bearer token or a client
// key would end up on the terminal and in CI logs. Here a failure says which file, and at most where
// (line and column) and the parser's own short reason; the original error is not kept as a cause, so
// not even MODELREPO_DEBUG=1 prints it.
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { RepoError } from '../errors';

/** The parser's reasons are fixed phrases ("bad indentation of a mapping entry"); anything else could quote the file. */
const SAFE_REASON = /^[a-z][a-z ,()'-]{2,80}$/i;
/** client-node's own checks name a field, never its value: "users[0].name is missing". */
const FIELD_MISSING = /^(clusters|users|contexts)\[\d+\]\.[\w.-]+ is missing$/;

export function kubeconfigError(e: unknown, file: string, action: string): RepoError {
  const err = e as { code?: unknown; name?: unknown; reason?: unknown; mark?: { line?: unknown; column?: unknown }; message?: unknown };
  const where = `the kubeconfig ${file}`;
  if (err.code === 'ENOENT') return new RepoError('Config', action, 'the cluster', `${where} does not exist (set --kubeconfig or KUBECONFIG)`);
  if (err.code === 'EACCES' || err.code === 'EPERM') return new RepoError('Permission', action, 'the cluster', `cannot read ${where}: permission denied`);
  if (err.code === 'EISDIR') return new RepoError('Config', action, 'the cluster', `${where} is a folder, not a file`);
  if (err.name === 'YAMLException') {
    const line = typeof err.mark?.line === 'number' ? err.mark.line + 1 : undefined;
    const column = typeof err.mark?.column === 'number' ? err.mark.column + 1 : undefined;
    const at = line !== undefined ? ` at line ${line}${column !== undefined ? `, column ${column}` : ''}` : '';
    const why = typeof err.reason === 'string' && SAFE_REASON.test(err.reason) ? `: ${err.reason}` : '';
    return new RepoError('Config', action, 'the cluster', `${where} is not valid YAML${at}${why}`);
  }
  if (typeof err.message === 'string' && FIELD_MISSING.test(err.message)) {
    return new RepoError('Config', action, 'the cluster', `${where} is not a valid kubeconfig: ${err.message}`);
  }
  return new RepoError('Config', action, 'the cluster', `${where} cannot be read as a kubeconfig`);
}

/** Loads the file into kc; any failure is a RepoError that quotes nothing of the file. */
export function loadKubeconfig(kc: KubeConfig, file: string, action: string): void {
  try {
    kc.loadFromFile(file);
  } catch (e) {
    throw kubeconfigError(e, file, action);
  }
}
