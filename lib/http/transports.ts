/**
 * Transports — httpx's `_transports/`: the one method between the client and the
 * network, `handleAsyncRequest(request) → response`.
 *
 * The client (client.ts) deals in URLs, redirects, default headers and bodies; a
 * transport only sends one request and returns one response with its body
 * unread. Two ship here:
 *
 * - `AsyncHTTPTransport`, the real one: a ConnectionPool per origin (pool.ts),
 *   TLS settings for https.
 * - `MockTransport(handler)`, for users' tests: no network at all, the handler
 *   answers each request (a plain function, or a coroutine function that may
 *   `yield*` — to sleep, to wait on an Event…).
 *
 * Anything with these two methods can be passed as `new AsyncClient({ transport })`.
 */
import type * as tls from 'node:tls';
import type { Coro } from '../coroutines.ts';
import { isCoroutine } from '../coroutines.ts';
import { RuntimeError } from '../exceptions.ts';
import { originKey, originOf } from './http11.ts';
import type { Request, Response } from './models.ts';
import { ConnectionPool, type Limits, type PoolStats } from './pool.ts';

/**
 * What the client sends requests through. httpx: `httpx.AsyncBaseTransport`.
 *
 * `handleAsyncRequest` returns the response with its body still to be read (or
 * already in `content`); the client reads it unless it was asked to stream.
 */
export interface AsyncBaseTransport {
  handleAsyncRequest(request: Request): Coro<Response>;
  aclose(): Coro<void>;
}

/** Certificate verification for https: on (default), off, or with extra trusted CAs. */
export type VerifyOption = boolean | { ca: string | Buffer | Array<string | Buffer> };

/** Options of an AsyncHTTPTransport. */
export interface HTTPTransportOptions {
  /** Pool limits per origin (default 100 connections, 20 kept alive for 5 s). */
  limits?: Partial<Limits>;
  /** https: `false` disables certificate checks; `{ ca }` trusts those CAs (only). Default true. */
  verify?: VerifyOption;
}

/** `verify` as `tls.connect` options. */
export function tlsOptions(verify: VerifyOption | undefined): tls.ConnectionOptions | undefined {
  if (verify === undefined || verify === true) return undefined;
  if (verify === false) return { rejectUnauthorized: false };
  return { ca: verify.ca };
}

/**
 * Sends requests over keep-alive connections, one ConnectionPool per origin.
 * httpx: `httpx.AsyncHTTPTransport`.
 *
 * The limits apply per origin, as in undici's Agent (httpx applies them across
 * origins); a client talking to one host — the common case — sees no difference.
 *
 * @example
 * const transport = new AsyncHTTPTransport({ limits: { maxConnections: 10 } });
 * const client = new AsyncClient({ transport });
 */
export class AsyncHTTPTransport implements AsyncBaseTransport {
  readonly #pools = new Map<string, ConnectionPool>();
  readonly #limits: Partial<Limits> | undefined;
  readonly #tls: tls.ConnectionOptions | undefined;
  #closed = false;

  constructor(options: HTTPTransportOptions = {}) {
    this.#limits = options.limits;
    this.#tls = tlsOptions(options.verify);
  }

  /** The pool for `url`'s origin, made on first use. */
  pool(url: URL): ConnectionPool {
    // Keyed by the URL's own origin string (`http://host:port`, as `request._origin`);
    // the pool has the parsed Origin.
    const key = `${url.protocol}//${url.host}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      if (this.#closed) throw transportClosed();
      pool = new ConnectionPool(originOf(url), { limits: this.#limits, tls: this.#tls });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Every pool, keyed `scheme://host:port`. */
  get pools(): Map<string, ConnectionPool> {
    return new Map([...this.#pools.values()].map((p) => [originKey(p.origin), p]));
  }

  /** The counts of every pool added up. */
  stats(): PoolStats {
    const total: PoolStats = { active: 0, idle: 0, connecting: 0, waiting: 0, opened: 0, reused: 0 };
    for (const pool of this.#pools.values()) {
      const s = pool.stats();
      total.active += s.active;
      total.idle += s.idle;
      total.connecting += s.connecting;
      total.waiting += s.waiting;
      total.opened += s.opened;
      total.reused += s.reused;
    }
    return total;
  }

  handleAsyncRequest(request: Request): Coro<Response> {
    if (this.#closed) throw transportClosed();
    // The origin string, not `request.url`: a Request may not have built its URL object
    // (models.ts, "The fast path"); only a first request to an origin needs it.
    const pool = this.#pools.get(request._origin) ?? this.pool(request.url);
    return pool.handleRequest(request);
  }

  /** Close every pool and its connections. */
  *aclose(): Coro<void> {
    this.close();
  }

  /** The same, without a coroutine: what run() uses for a client left open (client.ts). */
  close(): void {
    this.#closed = true;
    for (const pool of this.#pools.values()) pool.close();
  }
}

function transportClosed(): RuntimeError {
  return new RuntimeError('cannot send a request: the transport has been closed');
}

/** A MockTransport's handler: returns a Response, or a coroutine returning one. */
export type MockHandler = (request: Request) => Response | Coro<Response>;

/**
 * A transport that answers every request with `handler(request)` — no network.
 * httpx: `httpx.MockTransport`.
 *
 * @example
 * const transport = new MockTransport((request) =>
 *   new Response(200, { json: { path: request.url.pathname } }));
 * const client = new AsyncClient({ transport });
 * const r = yield* client.get('http://test/hello');
 * r.json();   // { path: '/hello' }
 */
export class MockTransport implements AsyncBaseTransport {
  readonly #handler: MockHandler;

  constructor(handler: MockHandler) {
    this.#handler = handler;
  }

  *handleAsyncRequest(request: Request): Coro<Response> {
    const result = this.#handler(request);
    const response = isCoroutine(result) ? yield* (result as Coro<Response>) : (result as Response);
    if (response.request === null) response.request = request;
    return response;
  }

  *aclose(): Coro<void> {}
}
