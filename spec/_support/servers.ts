/**
 * Loopback servers for specs, the undici way: the test decides every byte the peer
 * sends and when, on a raw `node:net` (or `node:tls`) socket — no HTTP framework in
 * between. Plain Node and Promises (they run outside yieldio's loop): start one with
 * `await` before `run(main())`, close it after.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BytesServer {
  /** The port it listens on (127.0.0.1 unless another host was given). */
  readonly port: number;
  readonly host: string;
  /** Every socket accepted so far, in order. */
  readonly connections: net.Socket[];
  /** Stops listening and destroys every connection. Idempotent. */
  close(): Promise<void>;
  /**
   * The `index`-th accepted socket (0-based), as soon as the server has it: the event
   * to wait on instead of polling `connections.length` — a client's connect can
   * complete before the server's accept callback has run.
   */
  connection(index: number): Promise<net.Socket>;
}

/**
 * A server that hands each accepted socket to `handler`, which writes exact bytes,
 * resets, or waits — whatever the spec needs.
 *
 * @example
 * const srv = await startBytesServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
 * await run(main(srv.port));
 * await srv.close();
 */
export function startBytesServer(
  handler: (socket: net.Socket) => void,
  options: { host?: string; tls?: tls.TlsOptions } = {},
): Promise<BytesServer> {
  const host = options.host ?? '127.0.0.1';
  const connections: net.Socket[] = [];
  const awaited = new Map<number, Array<(socket: net.Socket) => void>>();
  const onConnection = (socket: net.Socket): void => {
    connections.push(socket);
    socket.on('error', () => {}); // resets are the point of some specs
    const index = connections.length - 1;
    for (const resolve of awaited.get(index) ?? []) resolve(socket);
    awaited.delete(index);
    handler(socket);
  };
  const server = options.tls
    ? tls.createServer(options.tls, onConnection)
    : net.createServer({ allowHalfOpen: true }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const port = (server.address() as net.AddressInfo).port;
      let closed: Promise<void> | null = null;
      resolve({
        port,
        host,
        connections,
        close: () => closed ??= new Promise<void>((done) => {
          for (const socket of connections) socket.destroy();
          server.close(() => done());
        }),
        connection: (index) => {
          const socket = connections[index];
          if (socket !== undefined) return Promise.resolve(socket);
          return new Promise((resolve) => {
            const list = awaited.get(index) ?? [];
            list.push(resolve);
            awaited.set(index, list);
          });
        },
      });
    });
  });
}

/** A port nothing listens on: bound, then released (ECONNREFUSED when connecting). */
export function closedPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** True if this machine can listen on ::1. */
export function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

const certDir = fileURLToPath(new URL('./certs/', import.meta.url));

/**
 * The self-signed test certificate (CN=localhost, SAN localhost, 127.0.0.1, ::1; valid
 * until 2126), committed so CI needs no openssl. Trust it with `{ ca: testCert.cert }`.
 */
export const testCert = {
  key: fs.readFileSync(certDir + 'localhost.key'),
  cert: fs.readFileSync(certDir + 'localhost.crt'),
};
