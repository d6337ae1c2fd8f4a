/**
 * A loopback stand-in for postman-echo.com: `POST /post` (and any other method on
 * any path) answers with the JSON postman-echo sends back —
 * `{ args, data, files, form, headers, json, url }` — so the seed program can run
 * with no network. Written with `node:http` on purpose: the server is not what is
 * being demonstrated, and an independent implementation keeps the client honest.
 *
 *   npx tsx examples/echo-server.ts [port]      listen and print the URL
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/** The JSON body of an echo, as postman-echo shapes it. */
export interface Echo {
  args: Record<string, string | string[]>;
  data: unknown;
  files: Record<string, never>;
  form: Record<string, string | string[]>;
  headers: Record<string, string>;
  json: unknown;
  url: string;
}

/** A running echo server. */
export interface EchoServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  /** TCP connections accepted so far (to show keep-alive at work). */
  readonly connections: number;
  close(): Promise<void>;
}

/** Group repeated keys into arrays, as postman-echo does. */
function toRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** What postman-echo answers for `req` with body `body`. */
export function echo(req: http.IncomingMessage, body: string, origin: string): Echo {
  const url = new URL(req.url ?? '/', origin);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  let form: Record<string, string | string[]> = {};
  let json: unknown = null;
  let data: unknown = body;
  if (type === 'application/x-www-form-urlencoded') {
    form = toRecord(new URLSearchParams(body));
    json = form;
    data = '';
  } else if (type === 'application/json' && body.length > 0) {
    try {
      json = JSON.parse(body);
      data = json;
    } catch {
      json = null;
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { args: toRecord(url.searchParams), data, files: {}, form, headers, json, url: url.href };
}

/**
 * Start the echo server on 127.0.0.1 (port 0: any free port).
 *
 * @example
 * const server = await startEchoServer();
 * // … POST to `${server.origin}/post` …
 * await server.close();
 */
export function startEchoServer(port = 0): Promise<EchoServer> {
  let connections = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
      const body = JSON.stringify(echo(req, Buffer.concat(chunks).toString('utf8'), origin));
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as AddressInfo).port;
      resolve({
        origin: `http://127.0.0.1:${bound}`,
        port: bound,
        get connections() {
          return connections;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

// No top-level await: specs import this module through a CommonJS loader.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void startEchoServer(Number(process.argv[2] ?? 0)).then((server) => {
    console.log(`echo server on ${server.origin}/post — Ctrl-C to stop`);
  });
}
