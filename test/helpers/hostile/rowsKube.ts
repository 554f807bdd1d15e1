// Catalogue rows: hostile kubeconfigs for `apply`. Broken YAML, wrong types, a missing cluster or
// context, a file that is a folder or binary: exit 2 naming the kubeconfig, never echoing its content
// (each one carries the planted bearer token, which must not be printed). An API server nobody listens
// on is exit 6 naming the server; a server URL with a password in it is refused without printing it.
import { promises as fsp } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { kubeconfigText } from './place';
import { MODEL, goodModel } from './seed';
import type { Ctx, Row, Table } from './types';

const URL_PASSWORD = 'planted-url-password-51c3';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const kubeFile = (c: Ctx): string => join(c.work, 'kc', 'config.yaml');

/** The model to apply, and a kubeconfig with this content (a function of the planted token). */
const withKubeconfig = (text: (token: string) => string | Buffer) => async (c: Ctx): Promise<void> => {
  await goodModel(c);
  await fsp.mkdir(join(c.work, 'kc'), { recursive: true });
  await fsp.writeFile(kubeFile(c), text(c.secrets.kubeToken));
};

const nfs = (): Record<string, string> => ({ MODELREPO_NFS_SERVER: 'nfs.example', MODELREPO_NFS_PATH: '/export/models' });
const apply = (file: (c: Ctx) => string, ...more: string[]) => (c: Ctx): string[] => ['apply', c.ref(MODEL, ':latest'), '--kubeconfig', file(c), ...more];
/** Lines of the kubeconfig that a message must not echo (a parser's excerpt of the file). */
const ECHO = ['insecure-skip-tls-verify', 'current-context', 'apiVersion', 'token:', 'clusters:', 'users:'];
const notEchoed = (_c: Ctx, r: { stdout: string; stderr: string }): void => {
  const hit = ECHO.find((e) => r.stderr.includes(e) || r.stdout.includes(e));
  if (hit) throw new Error(`the kubeconfig's content is echoed ('${hit}')`);
};
/** The backend does not matter to a kubeconfig: most rows run on a folder repository only (apply loads
 *  the Kubernetes client, the slowest start of any command); a few run on both. */
const kubeRow = (r: Omit<Row, 'nodeMajor'>, both = false): Row => ({ env: nfs, check: notEchoed, ...r, nodeMajor: 22, ...(both ? {} : { on: ['fs'] as const }) });

const rows: Row[] = [
  kubeRow({ id: 'K01', title: 'apply with a kubeconfig that is not YAML (an unclosed bracket) exits 2 without echoing it',
    setup: withKubeconfig((t) => `${kubeconfigText(t).replace('clusters:', 'clusters: [')}`), cmd: apply(kubeFile), exit: 2, message: /config\.yaml|kubeconfig/ }, true),
  kubeRow({ id: 'K02', title: 'apply with a malformed token line exits 2 without echoing the token',
    setup: withKubeconfig((t) => kubeconfigText(t).replace(`token: ${t}`, `token: [${t}`)), cmd: apply(kubeFile), exit: 2, message: /config\.yaml|kubeconfig/ }, true),
  kubeRow({ id: 'K03', title: "apply with wrong types ('clusters' a string, 'users' a number) exits 2",
    setup: withKubeconfig((t) => `apiVersion: v1\nkind: Config\nclusters: "lab"\nusers: 5\ncontexts:\n- name: lab\n  context: {cluster: lab, user: lab}\ncurrent-context: lab\n# token: ${t}\n`),
    cmd: apply(kubeFile), exit: 2, message: /config\.yaml|kubeconfig/ }),
  kubeRow({ id: 'K04', title: "apply with a context naming a cluster that is not there exits 2 naming it",
    setup: withKubeconfig((t) => kubeconfigText(t).replace('    cluster: lab', '    cluster: nowhere')), cmd: apply(kubeFile), exit: 2, message: /nowhere|cluster/ }),
  kubeRow({ id: 'K05', title: "apply with a current-context that is not there exits 2 naming it",
    setup: withKubeconfig((t) => kubeconfigText(t).replace('current-context: lab', 'current-context: ghost')), cmd: apply(kubeFile), exit: 2, message: /ghost/ }),
  kubeRow({ id: 'K06', title: 'apply --context ghost exits 2 naming the context', setup: withKubeconfig(kubeconfigText),
    cmd: apply(kubeFile, '--context', 'ghost'), exit: 2, message: /ghost/ }),
  kubeRow({ id: 'K07', title: 'apply with a kubeconfig that does not exist exits 2 naming it', setup: async (c) => goodModel(c),
    cmd: apply((c) => join(c.work, 'kc', 'missing.yaml')), exit: 2, message: /missing\.yaml/ }),
  kubeRow({ id: 'K08', title: 'apply with a kubeconfig that is a folder exits 2 naming it', setup: async (c) => {
    await goodModel(c);
    await fsp.mkdir(join(c.work, 'kc', 'dir.yaml'), { recursive: true });
  }, cmd: apply((c) => join(c.work, 'kc', 'dir.yaml')), exit: 2, message: /dir\.yaml/ }),
  kubeRow({ id: 'K09', title: 'apply with a binary kubeconfig exits 2 without echoing it',
    setup: withKubeconfig((t) => Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 0x1b]), Buffer.from(`\ntoken: ${t}\n\u0000`)])),
    cmd: apply(kubeFile), exit: 2, message: /config\.yaml|kubeconfig/ }),
  kubeRow({ id: 'K10', title: 'apply with KUBECONFIG (no flag) naming a broken file exits 2 without echoing it',
    setup: withKubeconfig((t) => `${kubeconfigText(t)}\n\t- : [ token: ${t}`), cmd: (c) => ['apply', c.ref(MODEL, ':latest')],
    env: (c) => ({ ...nfs(), KUBECONFIG: kubeFile(c) }), exit: 2, message: /config\.yaml|kubeconfig/ }),
  kubeRow({ id: 'K11', title: 'apply to an API server nobody listens on exits 6 naming the server', cmd: apply(kubeFile), exit: 6,
    setup: async (c) => {
      const port = await closedPort();
      await withKubeconfig((t) => kubeconfigText(t, `https://127.0.0.1:${port}`))(c);
    },
    message: /127\.0\.0\.1:\d+/, check: undefined }, true),
  kubeRow({ id: 'K12', title: 'apply to a server URL with a password in it exits 2 (refused setting) without printing the password', cmd: apply(kubeFile), exit: 2,
    setup: async (c) => {
      const port = await closedPort();
      await withKubeconfig((t) => kubeconfigText(t, `https://admin:${URL_PASSWORD}@127.0.0.1:${port}`))(c);
    },
    message: /127\.0\.0\.1:\d+/, secrets: () => [URL_PASSWORD], check: undefined }),
];

export const KUBE_ROWS: Table = { title: 'hostile kubeconfigs for apply', rows };
