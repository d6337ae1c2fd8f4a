/**
 * AsyncClient — httpx's `_client.py`.
 *
 * The client is what a program holds: default headers, a base URL, timeouts,
 * redirect policy, and a transport that owns the connections. Each call
 * builds a `Request` (URL joined to the base, params appended, headers merged,
 * body encoded), hands it to the transport, follows redirects if asked to, and —
 * unless the caller wants to stream — reads the body, which gives the
 * connection back to the pool before the call returns.
 *
 * ```ts
 * yield* asyncWith(new AsyncClient(), function* (client) {
 *   const r = yield* client.post('https://postman-echo.com/post', { data: { some: 'data' } });
 *   console.log(r.json());
 * });
 * ```
 *
 * All methods are coroutines (`yield*` them inside a task); the constructor is
 * not, so a client can be made before `run()` starts the loop.
 *
 * ## Redirects (RFC 9110 §15.4)
 *
 * Off by default, as in httpx. When followed: 303 turns any method but HEAD into
 * GET, 301 and 302 turn POST into GET (what browsers do, and what RFC 9110
 * allows "for historical reasons"), and a method that became GET loses its body
 * and the headers that described it; 307 and 308 repeat the request as it was.
 * `Authorization` is dropped when the redirect leaves the origin, so a
 * credential for one host is never sent to another. More than `maxRedirects`
 * (20) raise TooManyRedirects.
 */
import type { Coro } from '../coroutines.ts';
import { _getRunningLoop } from '../events.ts';
import { RuntimeError } from '../exceptions.ts';
import type { EventLoop } from '../loop.ts';
import { RemoteProtocolError, TooManyRedirects } from './errors.ts';
import { Headers, type HeadersInit } from './headers.ts';
import {
  PlainJoiner,
  Request,
  addParams,
  mergeUrl,
  toTimeouts,
  type QueryParams,
  type RequestBodyOptions,
  type Response,
  type TimeoutConfig,
  type Timeouts,
  type URLInput,
} from './models.ts';
import type { Limits } from './pool.ts';
import { AsyncHTTPTransport, type AsyncBaseTransport, type VerifyOption } from './transports.ts';

/** The default number of redirects followed before TooManyRedirects. */
export const DEFAULT_MAX_REDIRECTS = 20;

/** The headers every request gets unless the client or the call overrides them. */
const DEFAULT_HEADERS: ReadonlyArray<[string, string]> = [
  ['Accept', '*/*'],
  ['User-Agent', 'yieldio/0.1'],
];

/** Options of `new AsyncClient(...)`. */
export interface AsyncClientOptions {
  /** Prefix for relative URLs (joined as a path prefix, as httpx does). */
  baseUrl?: URLInput;
  /** Headers sent with every request (merged over Accept and User-Agent). */
  headers?: HeadersInit;
  /** Query parameters added to every request. */
  params?: QueryParams;
  /** Timeouts in seconds: one number, `{connect, read, write, pool}`, or null for none. Default 5 each. */
  timeout?: TimeoutConfig;
  /** Pool limits (per origin). Ignored when a transport is given. */
  limits?: Partial<Limits>;
  /** Follow redirects (default false). */
  followRedirects?: boolean;
  /** Redirects followed before TooManyRedirects (default 20). */
  maxRedirects?: number;
  /** https certificate checks: true (default), false, or `{ ca }`. Ignored when a transport is given. */
  verify?: VerifyOption;
  /** Where requests go; default a new AsyncHTTPTransport. A MockTransport in tests. */
  transport?: AsyncBaseTransport;
}

/** Options of one request. At most one of `content`, `data`, `json`. */
export interface RequestCallOptions extends RequestBodyOptions {
  params?: QueryParams;
  /** Merged over the client's headers (a name given here replaces the client's). */
  headers?: HeadersInit;
  /** Overrides the client's timeouts for this request. */
  timeout?: TimeoutConfig;
  /** Overrides the client's `followRedirects` for this request. */
  followRedirects?: boolean;
}

/** Options of `send`. */
export interface SendOptions {
  /** Leave the body unread (the caller reads or closes it). Default false. */
  stream?: boolean;
  followRedirects?: boolean;
}

/** UNOPENED → (enter) OPENED → (exit / aclose) CLOSED; UNOPENED → CLOSED too. httpx: `ClientState`. */
export type ClientState = 'UNOPENED' | 'OPENED' | 'CLOSED';

/**
 * An HTTP client with a keep-alive connection pool. httpx: `httpx.AsyncClient`.
 *
 * Invariants:
 * - UNOPENED: usable; `enter()` (asyncWith) moves to OPENED, `aclose()` to CLOSED.
 * - OPENED: inside an `asyncWith`; `exit()` closes.
 * - CLOSED: the transport is closed; every request throws; `enter()` throws.
 *
 * @example
 * yield* asyncWith(new AsyncClient({ baseUrl: 'http://localhost:8080', timeout: 2 }), function* (client) {
 *   const r = yield* client.get('/health');
 *   r.raiseForStatus();
 * });
 * @see httpx `httpx.AsyncClient(base_url=, headers=, timeout=, limits=, follow_redirects=, transport=)`
 */
export class AsyncClient {
  /** Headers sent with every request (mutable, as httpx's `client.headers`). */
  readonly headers: Headers;
  readonly baseUrl: URL | null;
  readonly params: QueryParams | undefined;
  readonly timeout: Readonly<Timeouts>;
  followRedirects: boolean;
  maxRedirects: number;
  readonly transport: AsyncBaseTransport;
  #state: ClientState = 'UNOPENED';
  /**
   * The loop this client belongs to: the one running where it was made, which closes
   * and reports it if it is still open when its run() ends; null for a client made
   * outside any loop, which no run() owns (see the constructor).
   */
  #owner: EventLoop | null = null;
  /** True once the owner's run() ended with the client open and closed it. */
  #closedAtExit = false;
  /** Joins plain relative paths to `baseUrl` without `new URL` (null without a baseUrl). */
  readonly #joiner: PlainJoiner | null;

  constructor(options: AsyncClientOptions = {}) {
    this.baseUrl = options.baseUrl === undefined ? null : mergeUrl(options.baseUrl);
    this.#joiner = this.baseUrl === null ? null : new PlainJoiner(this.baseUrl);
    const headers = new Headers(DEFAULT_HEADERS);
    if (options.headers !== undefined) for (const [name, value] of new Headers(options.headers)) headers.set(name, value);
    this.headers = headers;
    this.params = options.params;
    this.timeout = toTimeouts(options.timeout);
    this.followRedirects = options.followRedirects ?? false;
    this.maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    this.transport = options.transport ?? new AsyncHTTPTransport({ limits: options.limits, verify: options.verify });
    // Made inside a run(): that run owns it. If it is still open when the run ends, the
    // run reports it (with where it was made, in debug mode) and closes its sockets
    // (loop.ts `_closeLeftovers`). Made outside any run() — a module-level client —
    // it belongs to no loop and serves successive run()s; its idle keep-alive sockets
    // never hold the process open (http11.ts `_markIdle`).
    const loop = _getRunningLoop();
    if (loop !== null) {
      this.#owner = loop;
      loop._registerResource(this, 'AsyncClient', loop.getDebug() ? new Error().stack ?? '' : '', () => openConnections(this.transport), closeAtExit);
    }
  }

  /** UNOPENED, OPENED or CLOSED. */
  get state(): ClientState {
    return this.#state;
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.#state === 'CLOSED';
  }

  /** `asyncWith(client, …)`: returns the client. httpx: `async with AsyncClient() as client`. */
  *enter(): Coro<AsyncClient> {
    if (this.#state !== 'UNOPENED') {
      throw new RuntimeError(
        this.#state === 'OPENED' ? 'cannot open a client twice (it is already in an asyncWith)' : 'cannot reopen a client once it has been closed',
      );
    }
    this.#state = 'OPENED';
    return this;
  }

  /** Leaving the `asyncWith`: closes the client (never suppresses the body's error). */
  *exit(): Coro<void> {
    yield* this.aclose();
  }

  /** Close the transport and its connections. Idempotent. httpx: `await client.aclose()`. */
  *aclose(): Coro<void> {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    this.#owner?._resourceClosed(this);
    yield* this.transport.aclose();
  }

  #closedError(): RuntimeError {
    if (!this.#closedAtExit) return new RuntimeError('cannot send a request: the client has been closed');
    return new RuntimeError('cannot send a request: this AsyncClient was made inside a run() that has ended, which closed it. ' +
      'Make one client per run() (asyncWith(new AsyncClient(), ...) inside main), make it outside any run() to share it between run()s, or keep one loop with a Runner.');
  }

  /** @internal Its run() ended with the client open: close now, without a coroutine. */
  _closeAtExit(): void {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    this.#closedAtExit = true;
    const transport = this.transport as AsyncBaseTransport & { close?: () => void };
    if (typeof transport.close === 'function') transport.close();
  }

  /**
   * The Request a call would send: URL joined to `baseUrl` with params, client
   * headers merged with the call's, body encoded, timeouts attached.
   * httpx: `client.build_request(method, url, ...)`.
   */
  buildRequest(method: string, url: URLInput, options: RequestCallOptions = {}): Request {
    // Fast path (models.ts, "The fast path"): a plain relative path is joined as strings.
    const plain = this.#joiner !== null && typeof url === 'string' && this.params === undefined && options.params === undefined;
    const fullUrl = (plain ? this.#joiner!.join(url) : null) ?? this.#mergeUrl(url, options.params);
    const headers = new Headers(this.headers);
    if (options.headers !== undefined) {
      const own = options.headers instanceof Headers ? options.headers : new Headers(options.headers);
      for (let i = 0; i < own.size; i++) headers.set(own._nameAt(i), own._valueAt(i));
    }
    const timeout = options.timeout === undefined ? this.timeout : toTimeouts(options.timeout);
    return new Request(method, fullUrl, {
      headers,
      content: options.content,
      data: options.data,
      json: options.json,
      extensions: { timeout },
    });
  }

  /** `url` joined to `baseUrl` by `new URL`, with the client's params and the call's. */
  #mergeUrl(url: URLInput, params: QueryParams | undefined): URL {
    const fullUrl = mergeUrl(url, this.baseUrl);
    if (this.params !== undefined) addParams(fullUrl, this.params);
    if (params !== undefined) addParams(fullUrl, params);
    return fullUrl;
  }

  /**
   * Send a built request; the body is read before returning unless `stream`.
   * httpx: `await client.send(request, stream=False, follow_redirects=...)`.
   */
  *send(request: Request, options: SendOptions = {}): Coro<Response> {
    if (this.#state === 'CLOSED') throw this.#closedError();
    const follow = options.followRedirects ?? this.followRedirects;
    const history: Response[] = [];
    for (;;) {
      if (history.length > this.maxRedirects) {
        throw new TooManyRedirects(`exceeded the maximum of ${this.maxRedirects} redirects (last: ${request.url.href})`);
      }
      const response = yield* this.transport.handleAsyncRequest(request);
      response.request = request;
      if (history.length > 0) response.history = history.slice();
      if (!response.hasRedirectLocation) return yield* finish(response, options.stream ?? false);
      const next = this.#redirectRequest(request, response);
      if (!follow) {
        response.nextRequest = next;
        return yield* finish(response, options.stream ?? false);
      }
      yield* finish(response, false); // read the body: the connection goes back to the pool
      history.push(response);
      request = next;
    }
  }

  /**
   * Send a request and read its response. httpx: `await client.request(method, url, ...)`.
   *
   * @example
   * const r = yield* client.request('PUT', '/items/1', { json: { name: 'x' }, timeout: 2 });
   */
  *request(method: string, url: URLInput, options: RequestCallOptions = {}): Coro<Response> {
    const request = this.buildRequest(method, url, options);
    return yield* this.send(request, { followRedirects: options.followRedirects });
  }

  /**
   * Send a request and return the response with its body unread: read it with
   * `aiterBytes()` / `aread()`, and `aclose()` it (or use `asyncWith(response, …)`) —
   * a response closed before its end closes its connection.
   * httpx: `async with client.stream(method, url) as response`.
   *
   * @example
   * const r = yield* client.stream('GET', '/big');
   * yield* asyncWith(r, function* () {
   *   const chunks = r.aiterBytes();
   *   for (let c = yield* chunks.next(); !c.done; c = yield* chunks.next()) total += c.value.length;
   * });
   */
  *stream(method: string, url: URLInput, options: RequestCallOptions = {}): Coro<Response> {
    const request = this.buildRequest(method, url, options);
    return yield* this.send(request, { stream: true, followRedirects: options.followRedirects });
  }

  /** GET. httpx: `client.get(url, params=, headers=, timeout=)`. */
  get(url: URLInput, options?: RequestCallOptions): Coro<Response> {
    return this.request('GET', url, options);
  }

  /** POST. `data` is sent form-encoded, `json` as JSON. httpx: `client.post(url, data=, json=, content=)`. */
  post(url: URLInput, options?: RequestCallOptions): Coro<Response> {
    return this.request('POST', url, options);
  }

  /** PUT. */
  put(url: URLInput, options?: RequestCallOptions): Coro<Response> {
    return this.request('PUT', url, options);
  }

  /** PATCH. */
  patch(url: URLInput, options?: RequestCallOptions): Coro<Response> {
    return this.request('PATCH', url, options);
  }

  /** DELETE. */
  delete(url: URLInput, options?: RequestCallOptions): Coro<Response> {
    return this.request('DELETE', url, options);
  }

  /** HEAD (the response has no body, whatever its Content-Length says). */
  head(url: URLInput, options?: RequestCallOptions): Coro<Response> {
    return this.request('HEAD', url, options);
  }

  /** OPTIONS. */
  options(url: URLInput, options?: RequestCallOptions): Coro<Response> {
    return this.request('OPTIONS', url, options);
  }

  /** The request that follows redirect `response` to `request` (see the file header). */
  #redirectRequest(request: Request, response: Response): Request {
    const location = response.headers.get('location')!;
    let url: URL;
    try {
      url = new URL(location, request.url);
    } catch (err) {
      throw new RemoteProtocolError(`invalid URL in the Location header: ${JSON.stringify(location)}`, { cause: err });
    }
    // A fragment stays with the browser's view of the first URL (RFC 9110 §10.2.2).
    if (url.hash === '' && request.url.hash !== '') url.hash = request.url.hash;
    const status = response.statusCode;
    let method = request.method;
    if (status === 303 && method !== 'HEAD') method = 'GET';
    if ((status === 301 || status === 302) && method === 'POST') method = 'GET';
    const headers = new Headers(request.headers);
    headers.delete('host');
    if (url.origin !== request.url.origin) headers.delete('authorization');
    let content = request.content;
    if (method !== request.method) {
      // The body is not repeated, so neither are the fields that described it.
      content = new Uint8Array(0);
      headers.delete('content-type');
      headers.delete('content-length');
      headers.delete('transfer-encoding');
    }
    return new Request(method, url, { headers, content, extensions: request.extensions });
  }
}

function closeAtExit(this: AsyncClient): void {
  this._closeAtExit();
}

/** For the leak report: "2 connections still open" (an AsyncHTTPTransport's), or null. */
function openConnections(transport: AsyncBaseTransport): string | null {
  if (!(transport instanceof AsyncHTTPTransport)) return null;
  const s = transport.stats();
  const n = s.active + s.idle + s.connecting;
  return `${n} connection${n === 1 ? '' : 's'} still open`;
}

/** Read the body (unless streaming); a failed read closes the response. */
function* finish(response: Response, stream: boolean): Coro<Response> {
  if (stream) return response;
  yield* response.aread();
  return response;
}
