// Catalogue rows: network faults between the CLI and its S3 endpoint. Loopback servers (test/helpers/
// faultServers.ts) stand in for a server that accepts and never answers, a proxy in front of the real
// Ceph RGW that stalls a body half way, TLS servers with untrusted, expired or misnamed certificates, a
// web site or JSON API given as the endpoint, and a closed port. Each command runs with small deadlines
// and must end with the documented code, naming the endpoint. The servers start on first use and are
// closed by the runner at the end (closeNetworkServers).
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { s3Proxy, silentServer, tlsServer, webServer } from '../faultServers';
import type { FaultServer } from '../faultServers';
import { GOOD, MODEL, V1, goodModel, publish, tag } from './seed';
import type { Ctx, Row, Table } from './types';

const S3 = ['s3'] as const;
const FAST = ['--connect-timeout', '1', '--timeout', '2', '--stall-timeout', '2'];
const BIG = 'big.gguf';
const BIG_BYTES = randomBytes(512 * 1024);

const started = new Map<string, Promise<FaultServer>>();

/** One server of each kind for the whole run, started on first use. */
function server(name: string, start: () => Promise<FaultServer>): Promise<FaultServer> {
  let p = started.get(name);
  if (!p) started.set(name, p = start());
  return p;
}

export async function closeNetworkServers(): Promise<void> {
  const all = [...started.values()];
  started.clear();
  await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
}

const realEndpoint = (c: Ctx): string => c.b.args[c.b.args.indexOf('--endpoint') + 1];

/** A TCP port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The fault's endpoint goes into c.state.endpoint during setup; the command uses it instead of the real one. */
const at = (start: (c: Ctx) => Promise<string>) => async (c: Ctx): Promise<void> => {
  await goodModel(c);
  c.state.endpoint = await start(c);
};
const endpoint = (c: Ctx): string => String(c.state.endpoint);
const ls = (c: Ctx): string[] => ['ls', c.ref(MODEL), ...FAST, '--endpoint', endpoint(c)];

/** m@1.0 holds a 512 KiB file; the proxy in front of the real server cuts its body after 64 KiB. */
const stalling = async (c: Ctx): Promise<void> => {
  await publish(c, MODEL, V1, { [BIG]: BIG_BYTES });
  await tag(c, MODEL, 'latest', `../${V1}/${BIG}`);
  const proxy = await server('stall-get', () => s3Proxy(realEndpoint(c), {
    responseAfter: 64 * 1024, match: (method, url) => method === 'GET' && url.includes(BIG) && !url.includes('tagging'),
  }));
  c.state.endpoint = proxy.url;
};

const rows: Row[] = [
  { id: 'X01', title: 'a server that accepts connections and never answers: ls exits 6 naming the endpoint', on: S3, bareArgs: true, deadlineMs: 45_000,
    setup: at(async () => (await server('silent', silentServer)).url), cmd: ls, exit: 6,
    message: [/127\.0\.0\.1:\d+/, /did not answer|timed out/] },
  { id: 'X02', title: 'the same silent server with MODELREPO_FIRST_BYTE_TIMEOUT instead of flags: exit 6', on: S3, bareArgs: true, deadlineMs: 45_000,
    setup: at(async () => (await server('silent', silentServer)).url),
    cmd: (c) => ['resolve', c.ref(MODEL, ':latest'), '--endpoint', endpoint(c)],
    env: () => ({ MODELREPO_FIRST_BYTE_TIMEOUT: '2', MODELREPO_CONNECT_TIMEOUT: '1' }), exit: 6, message: /127\.0\.0\.1:\d+/ },
  { id: 'X03', title: 'a download whose body stalls half way exits 6, naming the endpoint, and leaves the destination as it was', on: S3,
    bareArgs: true, deadlineMs: 60_000, setup: stalling,
    cmd: (c) => ['download', c.ref(MODEL, `@${V1}`), c.dest, ...FAST, '--endpoint', endpoint(c)], exit: 6,
    message: [/127\.0\.0\.1:\d+/, /stalled|no data|did not answer/] },
  { id: 'X04', title: 'TLS with a self-signed certificate: exit 6 naming the endpoint and AWS_CA_BUNDLE', on: S3, bareArgs: true,
    setup: at(async (c) => (await server('tls-self', () => tlsServer({ cert: 'self-signed', target: new URL(realEndpoint(c)).host }))).url),
    cmd: ls, exit: 6, message: [/https:\/\/127\.0\.0\.1:\d+/, /AWS_CA_BUNDLE|certificate/] },
  { id: 'X05', title: 'TLS with an expired certificate: exit 6 naming the endpoint', on: S3, bareArgs: true,
    setup: at(async (c) => (await server('tls-expired', () => tlsServer({ cert: 'expired', target: new URL(realEndpoint(c)).host }))).url),
    cmd: ls, exit: 6, message: [/127\.0\.0\.1:\d+/, /expired/] },
  { id: 'X06', title: 'TLS with a certificate for another host: exit 6 naming the endpoint', on: S3, bareArgs: true,
    setup: at(async (c) => (await server('tls-host', () => tlsServer({ cert: 'wrong-host', target: new URL(realEndpoint(c)).host }))).url),
    cmd: ls, exit: 6, message: [/127\.0\.0\.1:\d+/, /certificate|host/] },
  { id: 'X07', title: 'https:// to the plain-http S3 port: exit 6 saying it answers plain HTTP', on: S3, bareArgs: true,
    setup: at(async (c) => realEndpoint(c).replace(/^http:/, 'https:')), cmd: ls, exit: 6, message: [/127\.0\.0\.1:\d+/, /http/i] },
  { id: 'X08', title: 'http:// to a TLS port: exit 6 naming the endpoint', on: S3, bareArgs: true,
    setup: at(async (c) => (await server('tls-self', () => tlsServer({ cert: 'self-signed', target: new URL(realEndpoint(c)).host }))).url.replace(/^https:/, 'http:')),
    cmd: ls, exit: 6, message: /127\.0\.0\.1:\d+/ },
  { id: 'X09', title: 'a web site given as the S3 endpoint: exit 2, "does not answer like an S3 server"', on: S3, bareArgs: true,
    setup: at(async () => (await server('html', () => webServer('html'))).url), cmd: ls, exit: 2,
    message: [/127\.0\.0\.1:\d+/, /not answer like an S3 server/] },
  { id: 'X10', title: 'a JSON API given as the S3 endpoint: exit 2', on: S3, bareArgs: true,
    setup: at(async () => (await server('json', () => webServer('json'))).url), cmd: ls, exit: 2,
    message: [/127\.0\.0\.1:\d+/, /not answer like an S3 server/] },
  { id: 'X11', title: 'a closed port: exit 6, connection refused, naming the endpoint', on: S3, bareArgs: true,
    setup: at(async () => `http://127.0.0.1:${await closedPort()}`), cmd: ls, exit: 6, message: [/127\.0\.0\.1:\d+/, /refused/] },
  { id: 'X12', title: 'a self-signed endpoint trusted through AWS_CA_BUNDLE works (exit 0) through TLS to the real server', on: S3,
    bareArgs: true,
    setup: async (c) => {
      await goodModel(c);
      const s = await server('tls-self', () => tlsServer({ cert: 'self-signed', target: new URL(realEndpoint(c)).host }));
      c.state.endpoint = s.url;
      c.state.ca = (s as FaultServer & { caFile: string }).caFile;
    },
    cmd: (c) => ['resolve', c.ref(MODEL, ':latest'), ...FAST, '--endpoint', endpoint(c)],
    env: (c) => ({ AWS_CA_BUNDLE: String(c.state.ca) }), exit: 0, stdout: new RegExp(GOOD.replace('.', '\\.')) },
];

export const NETWORK_ROWS: Table = { title: 'network faults between the CLI and its S3 endpoint', rows };
