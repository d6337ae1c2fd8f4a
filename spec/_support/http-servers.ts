/**
 * HTTP conversations on loopback for the client's specs: servers that read each
 * request off a raw socket and answer with exact bytes (or stall, reset, close),
 * built on `startBytesServer` from servers.ts. Plain Node and Promises, outside
 * yieldio's loop.
 */
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { sleep, type Coro } from '../../lib/index.ts';
import { startBytesServer, type BytesServer } from './servers.ts';

export { closedPort, testCert, type BytesServer } from './servers.ts';

/** A request as the server read it. */
export interface RawRequest {
  method: string;
  target: string;
  /** Lower-cased names; repeated fields joined with ", ". */
  headers: Record<string, string>;
  /** The head as sent, CRLFs included. */
  head: string;
  body: Buffer;
  /** 0, 1, 2… on this socket. */
  index: number;
  /** Which accepted connection (0, 1, …). */
  connection: number;
}

/** What a responder does with one request. */
export type Responder = (req: RawRequest, socket: net.Socket) => void;

/**
 * Parse requests off `socket` one after another (Content-Length bodies; the client
 * never sends chunked) and call `onRequest` for each.
 */
export function readRequests(socket: net.Socket, connection: number, onRequest: Responder): void {
  let buf = Buffer.alloc(0);
  let index = 0;
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buf.subarray(0, end + 4).toString('latin1');
      const lines = head.split('\r\n');
      const [method = '', target = ''] = lines[0]!.split(' ');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const length = Number(headers['content-length'] ?? 0);
      if (buf.length < end + 4 + length) return;
      const body = Buffer.from(buf.subarray(end + 4, end + 4 + length));
      buf = buf.subarray(end + 4 + length);
      onRequest({ method, target, headers, head, body, index: index++, connection }, socket);
    }
  });
}

/**
 * A loopback server that reads requests and lets `respond` answer each one.
 *
 * @example
 * const srv = await startHttpServer((req, socket) => socket.write(ok('hello')));
 */
export function startHttpServer(respond: Responder, options: { tls?: tls.TlsOptions } = {}): Promise<BytesServer> {
  let n = 0;
  return startBytesServer((socket) => readRequests(socket, n++, respond), options);
}

/** A 200 response with `body` and a Content-Length (plus extra header lines). */
export function ok(body = '', extra = ''): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

/** A response with `status`, extra header lines and a Content-Length body. */
export function respond(status: number, reason: string, extra = '', body = ''): string {
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

/** Inside the loop: poll `cond` every few ms until true (bounded: throws after `seconds`). */
export function* until(cond: () => boolean, seconds = 2): Coro<void> {
  for (let waited = 0; !cond(); waited += 0.002) {
    if (waited > seconds) throw new Error('until(): condition not met in time');
    yield* sleep(0.002);
  }
}

/** Outside the loop: wait for `cond` (bounded). */
export async function eventually(cond: () => boolean, ms = 2000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('eventually(): condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** True once the client has closed every connection the server accepted (the server saw EOF or a reset). */
export function allClosed(server: BytesServer): boolean {
  return server.connections.every((s) => s.destroyed || s.readableEnded);
}
