// The pod endpoints of the loopback API server (fakeKubeApi.ts) that verify-pod uses: exec over a
// WebSocket with the v4.channel.k8s.io protocol (channel byte 1 stdout, 2 stderr, 3 the Status JSON),
// and the pod proxy (`/pods/<pod>:<port>/proxy/<path>`). The WebSocket handshake and frames are written
// here by hand (RFC 6455, server frames unmasked): `ws` is only a dependency of client-node, without
// types in this project, and a server that only sends needs a few lines.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface FakeExec { readonly stdout?: string; readonly stderr?: string; readonly exitCode: number }
export interface FakeProxy { readonly status: number; readonly body: string }

export interface PodEndpoints {
  /** What a command in a pod's container prints and exits with; default: exit 127, "not found". */
  readonly exec?: (pod: string, container: string, command: readonly string[]) => FakeExec;
  /** What the pod proxy answers; default 200 `{"status":"ok"}`. */
  readonly proxy?: (pod: string, port: number, path: string) => FakeProxy;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n])
    : n < 65536 ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 255])
      : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
  return Buffer.concat([head, payload]);
}

const channel = (n: number, text: string): Buffer => frame(2, Buffer.concat([Buffer.from([n]), Buffer.from(text)]));

/** Answers an exec upgrade (true), or leaves the request alone (false). */
export function answerExec(req: IncomingMessage, socket: Duplex, ep: PodEndpoints, authorized: boolean): boolean {
  const url = new URL(req.url ?? '/', 'http://x');
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
  if (!m) return false;
  if (!authorized) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    return true;
  }
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!offered.includes('v4.channel.k8s.io')) {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    return true;
  }
  const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${accept}`, 'Sec-WebSocket-Protocol: v4.channel.k8s.io', '', ''].join('\r\n'));
  socket.on('error', () => { /* the client closes as soon as it has the status */ });
  const command = url.searchParams.getAll('command');
  const r = ep.exec?.(m[2], url.searchParams.get('container') ?? '', command) ?? { stderr: `${command[0]}: not found\n`, exitCode: 127 };
  if (r.stdout) socket.write(channel(1, r.stdout));
  if (r.stderr) socket.write(channel(2, r.stderr));
  const status = r.exitCode === 0 ? { metadata: {}, status: 'Success' } : {
    metadata: {}, status: 'Failure', reason: 'NonZeroExitCode',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${r.exitCode}`,
    details: { causes: [{ reason: 'ExitCode', message: String(r.exitCode) }] },
  };
  socket.write(channel(3, JSON.stringify(status)));
  socket.end(frame(8, Buffer.from([0x03, 0xe8])));
  return true;
}

/** The pod proxy's answer for a path, or undefined when the path is not a proxy path. */
export function answerProxy(pathname: string, ep: PodEndpoints): FakeProxy | undefined {
  // client-node sends the ':' of `<pod>:<port>` as %3A; the API server decodes it.
  const m = /^\/api\/v1\/namespaces\/[^/]+\/pods\/([^/:]+):(\d+)\/proxy(\/.*)?$/.exec(decodeURIComponent(pathname));
  if (!m) return undefined;
  return ep.proxy?.(m[1], Number(m[2]), m[3] ?? '/') ?? { status: 200, body: '{"status":"ok"}' };
}
