// S3 keys read from a Secret of the cluster: MinIO's chart keeps them as rootUser/rootPassword (older
// charts accesskey/secretkey, Bitnami's root-user/root-password); the user may name other keys. Both
// values are registered as secrets the moment they are decoded, so no message or log can show them.
import type { V1Secret } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { S3Credentials } from '../connections/types';
import { registerSecret, RepoError } from '../errors';
import type { KubeSession } from './kubeClient';
import { checkKubeName, isKubeName } from './s3Services';

export const KNOWN_KEY_PAIRS: readonly (readonly [string, string])[] = [
  ['rootUser', 'rootPassword'], ['accesskey', 'secretkey'], ['root-user', 'root-password'],
  ['accessKey', 'secretKey'], ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
];

export interface SecretKeys {
  readonly name: string;
  readonly userKey?: string;
  readonly passwordKey?: string;
}

/** The key pair of a Secret's data that holds S3 keys, if one is known. */
export function keyPairOf(secret: V1Secret): readonly [string, string] | undefined {
  const data = secret.data ?? {};
  return KNOWN_KEY_PAIRS.find(([u, p]) => data[u] !== undefined && data[p] !== undefined);
}

function decode(secret: V1Secret, key: string): string {
  const raw = secret.data?.[key];
  return raw === undefined ? '' : Buffer.from(raw, 'base64').toString('utf8').trim();
}

/** Reads the keys from the Secret; a missing key names the keys the Secret has (never their values). */
export async function readClusterKeys(kube: KubeSession, namespace: string, want: SecretKeys): Promise<S3Credentials> {
  const object = `secret ${checkKubeName(namespace, 'namespace')}/${checkKubeName(want.name, 'secret')}`;
  const secret = await kube.core.readNamespacedSecret({ name: want.name, namespace }).catch((e: unknown) => {
    throw kube.error(e, 'read S3 keys from', object);
  });
  const pair = want.userKey && want.passwordKey ? [want.userKey, want.passwordKey] as const : keyPairOf(secret);
  const accessKeyId = pair ? decode(secret, pair[0]) : '';
  const secretAccessKey = pair ? decode(secret, pair[1]) : '';
  registerSecret(accessKeyId);
  registerSecret(secretAccessKey);
  if (!pair || !accessKeyId || !secretAccessKey) {
    const has = Object.keys(secret.data ?? {}).filter((k) => /^[\w.-]{1,64}$/.test(k)).join(', ') || 'none';
    throw new RepoError('Config', 'read S3 keys from', object, pair
      ? `it has no value for ${pair[0]} and ${pair[1]} (its keys: ${has})`
      : `it holds none of the known key pairs (${KNOWN_KEY_PAIRS.map((p) => p.join('/')).join(', ')}); its keys: ${has}: name the two keys`);
  }
  return { accessKeyId, secretAccessKey };
}

/** The Secrets of a namespace that hold a known key pair (names only; for a pick list). */
export async function listKeySecrets(kube: KubeSession, namespace: string): Promise<string[]> {
  const list = await kube.core.listNamespacedSecret({ namespace: checkKubeName(namespace, 'namespace') }).catch((e: unknown) => {
    throw kube.error(e, 'list secrets of', `namespace ${namespace}`);
  });
  return list.items.filter((s) => keyPairOf(s) && isKubeName(s.metadata?.name ?? '', 'secret'))
    .map((s) => s.metadata?.name ?? '').sort();
}
