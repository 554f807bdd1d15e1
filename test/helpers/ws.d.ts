// `ws` (the WebSocket library client-node's own client is built on) ships no types and @types/ws is
// not a dependency: the few members the fake API server uses are declared here.
declare module 'ws' {
  import type { IncomingMessage } from 'node:http';
  import type { Duplex } from 'node:stream';

  export interface WebSocket {
    readonly readyState: number;
    readonly OPEN: number;
    send(data: Buffer): void;
    close(): void;
    terminate(): void;
    on(event: 'message', f: (data: Buffer) => void): void;
    on(event: 'close', f: () => void): void;
  }

  export class WebSocketServer {
    constructor(o: { noServer: true; handleProtocols?: (offered: Set<string>) => string | false });
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocket) => void): void;
    close(): void;
  }
}
