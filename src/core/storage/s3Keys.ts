// The one rule for object keys handed to S3: a key must reach the server as exactly that key. A
// '.' or '..' part, or an empty one (a leading '/', '//'), is what URL normalization (in a proxy, a
// gateway, or a URL parser on the way) rewrites, so that one key is read or written as another. Such
// keys are refused as Unsafe before any request. A trailing '/' (a "folder" prefix) is allowed.
import { RepoError } from '../errors';
import { showName } from '../names';

/** Why the key cannot be sent as it is, or undefined. */
export function keyProblem(key: string): string | undefined {
  const parts = key.split('/');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === '.' || p === '..') return `it has a '${p}' part, which URL normalization would turn into another key`;
    if (p === '' && i < parts.length - 1) {
      return i === 0 ? 'it starts with \'/\', which would be dropped or turn it into another key'
        : 'it has an empty part (\'//\'), which URL normalization would turn into another key';
    }
  }
  return undefined;
}

/** Throws Unsafe for a key that keyProblem() refuses; returns the key. */
export function checkKey(key: string, action = 'access'): string {
  const problem = keyProblem(key);
  if (problem) throw new RepoError('Unsafe', action, showName(key), `the object key is refused: ${problem}`);
  return key;
}
