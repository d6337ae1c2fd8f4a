/**
 * The client's data model — httpx's `_models.py` and `_urls.py`, cut to what an
 * HTTP/1.1 client needs: URLs, `Request`, `Response`, and the timeout settings that
 * travel with a request.
 *
 * ## URLs
 *
 * URLs are WHATWG `URL` objects (Node's own parser): it already normalises the
 * host, drops default ports and percent-encodes the path. What httpx adds on top
 * is kept: a relative URL is joined to the client's `baseUrl` as a *path prefix*
 * (`baseUrl: 'http://h/api'` + `'/users'` → `http://h/api/users`, not
 * `http://h/users` as `new URL('/users', base)` would say), query `params` are
 * appended, and anything else than `http:` / `https:` with a host is refused with
 * `InvalidURL` / `UnsupportedProtocol` before a socket is opened.
 *
 * ### The fast path: a URL kept as strings
 *
 * Parsing a URL costs about a microsecond — as much as writing the whole request
 * head — and most requests never need the object: the wire wants only the
 * request-target (`/small?x=1`), the `Host` value and the origin that picks the pool.
 * So when the client joins a relative path to its (already parsed) base URL, and
 * the path holds only characters WHATWG's parser would leave exactly as they are
 * (`isPlainTarget`), it does the join itself, as strings: a `JoinedURL`. The
 * Request then builds its `URL` on first use of `request.url`, from the same
 * string the parser would have produced. Anything unusual — `%`-escapes in the
 * path, dot segments, spaces, non-ASCII, query params to merge — goes through
 * `new URL` as before. What it saves: `buildRequest('GET', '/small')` goes from
 * 0.9 to 0.2 µs, and nothing else asks for the URL on the way to the socket
 * (`bench/http.ts`; the numbers are in docs/benchmarks-http.md). The spec that pins
 * it to WHATWG's answer, over random paths, is in `spec/http/models.spec.ts`
 * ("joined URL (the fast path) is exactly what mergeUrl says").
 *
 * ## Bodies
 *
 * A `Request` carries its body whole (`content`, a Uint8Array): the writer sends
 * head and body in one `write`, and a retry on a fresh connection can send it
 * again. A `Response` has either its `content` already (built by hand, by a
 * MockTransport, or after `aread()`), or a `ResponseStream` the transport handed
 * over, read piece by piece with `aiterBytes()` or all at once with `aread()`.
 * The stream is the connection: reading it to the end gives the connection back to
 * the pool, closing it early (`aclose()`) closes the connection.
 */
import { Buffer } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { Coro } from '../coroutines.ts';
import type { CoroIterator } from '../iteration.ts';
import {
  HTTPStatusError,
  InvalidURL,
  ResponseNotRead,
  StreamConsumed,
  UnsupportedProtocol,
} from './errors.ts';
import { Headers, type HeadersInit } from './headers.ts';

const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------

/** The four timeouts, in seconds; `null` waits forever. httpx: `httpx.Timeout`. */
export interface Timeouts {
  /** Establishing the TCP (and TLS) connection. */
  connect: number | null;
  /** Each wait for response bytes. */
  read: number | null;
  /** Each wait for the socket to accept request bytes. */
  write: number | null;
  /** Waiting for a connection from the pool. */
  pool: number | null;
}

/** How callers give timeouts: one number for all four, some of the four, or `null` for none. */
export type TimeoutConfig = number | null | Partial<Timeouts>;

/** httpx's default: 5 seconds for each of the four. */
export const DEFAULT_TIMEOUT_SECONDS = 5;

/** The default timeouts (5 s each), frozen so every request can share them. */
export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({ connect: 5, read: 5, write: 5, pool: 5 });

/**
 * Normalise a {@link TimeoutConfig}: a number or `null` applies to all four; an object
 * sets those it names, the others keep the 5 s default.
 *
 * @example
 * toTimeouts(1);                 // { connect: 1, read: 1, write: 1, pool: 1 }
 * toTimeouts({ read: null });    // read waits forever, the rest 5 s
 * @see httpx `httpx.Timeout(timeout, connect=..., read=..., write=..., pool=...)`
 */
export function toTimeouts(config: TimeoutConfig | undefined): Readonly<Timeouts> {
  if (config === undefined) return DEFAULT_TIMEOUTS;
  if (config === null || typeof config === 'number') {
    return Object.freeze({ connect: config, read: config, write: config, pool: config });
  }
  const d = DEFAULT_TIMEOUT_SECONDS;
  return Object.freeze({
    connect: config.connect === undefined ? d : config.connect,
    read: config.read === undefined ? d : config.read,
    write: config.write === undefined ? d : config.write,
    pool: config.pool === undefined ? d : config.pool,
  });
}

// ---------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------

/** Query parameters: a record (arrays repeat the key), pairs, a URLSearchParams or a query string. */
export type QueryParams =
  | Record<string, PrimitiveValue | readonly PrimitiveValue[]>
  | Iterable<readonly [string, PrimitiveValue]>
  | URLSearchParams
  | string;

/** A value that form and query encoding turn into a string. */
export type PrimitiveValue = string | number | boolean | null | undefined;

/** Anything the client accepts as a URL. */
export type URLInput = string | URL;

/**
 * Parse `url`, joining a relative one to `base` as a path prefix (httpx's
 * `_merge_url`). Throws InvalidURL if it cannot be parsed or has no host, and
 * UnsupportedProtocol for a scheme other than http/https.
 *
 * @example
 * mergeUrl('/users', new URL('http://h/api')).href;   // 'http://h/api/users'
 * @see httpx `Client._merge_url`
 */
export function mergeUrl(url: URLInput, base: URL | null = null): URL {
  let parsed: URL;
  if (url instanceof URL) parsed = new URL(url.href);
  else if (base !== null && !hasScheme(url)) parsed = joinToBase(url, base);
  else parsed = parseAbsolute(url);
  checkUsable(parsed);
  return parsed;
}

/** A scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 §3.1). */
function hasScheme(url: string): boolean {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i) | 0x20;
    if (c === 0x3a) return i > 0; // ':'
    const alpha = c >= 0x61 && c <= 0x7a;
    const other = (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
    if (!alpha && !(i > 0 && other)) return false;
  }
  return false;
}

/**
 * A request URL joined by the client from strings it has checked (see "The
 * fast path" above): `origin` is `scheme://host[:port]` of an already-parsed base
 * URL, `target` a path (and query) that `new URL(origin + target)` keeps unchanged.
 */
export class JoinedURL {
  readonly origin: string;
  readonly host: string;
  readonly target: string;

  constructor(origin: string, host: string, target: string) {
    this.origin = origin;
    this.host = host;
    this.target = target;
  }
}

/**
 * @internal Joins relative URLs to a client's base URL as strings (`mergeUrl`'s answer,
 * without `new URL`), or says it cannot. The base's strings are read once, and again
 * only if someone changed the base URL object.
 */
export class PlainJoiner {
  readonly #base: URL;
  #href = '';
  #origin = '';
  #host = '';
  /** The base's path, ending in "/": `rest` is appended to it. */
  #prefix = '';

  constructor(base: URL) {
    this.#base = base;
  }

  /** `url` joined to the base as `mergeUrl(url, base)` would, or null for anything but a plain path. */
  join(url: string): JoinedURL | null {
    if (hasScheme(url)) return null;
    let start = 0;
    while (url.charCodeAt(start) === 0x2f) start++; // leading "/"s: joinToBase drops them too
    const rest = start === 0 ? url : url.slice(start);
    if (!isPlainTarget(rest)) return null;
    const base = this.#base;
    if (base.href !== this.#href) {
      this.#href = base.href;
      this.#origin = `${base.protocol}//${base.host}`;
      this.#host = base.host;
      this.#prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    }
    return new JoinedURL(this.#origin, this.#host, this.#prefix + rest);
  }
}

/*
 * The characters WHATWG's URL parser copies unchanged into the path of an http(s)
 * URL: RFC 3986 unreserved and sub-delims, ":", "@" and "/" — minus "'" (which it
 * escapes in a query). After the first "?", "?" and "%" are plain too. "%" in the
 * path is not (a "%2e" segment would be a dot segment), nor a backslash (a separator).
 */
const PLAIN_IN_PATH = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) PLAIN_IN_PATH[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) PLAIN_IN_PATH[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) PLAIN_IN_PATH[c] = 1;
for (const c of "-._~!$&()*+,;=:@/") PLAIN_IN_PATH[c.charCodeAt(0)] = 1;

/**
 * True if `rest` (a relative reference without leading "/") joined after a "/" is
 * exactly what WHATWG's parser would produce: plain characters only, and no "." or
 * ".." path segment (which the parser would remove).
 */
export function isPlainTarget(rest: string): boolean {
  let segmentStart = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 0x3f) return isDotFree(rest, segmentStart, i) && isPlainQuery(rest, i + 1); // '?'
    if (PLAIN_IN_PATH[c] !== 1) return false;
    if (c === 0x2f) {
      if (!isDotFree(rest, segmentStart, i)) return false;
      segmentStart = i + 1;
    }
  }
  return isDotFree(rest, segmentStart, rest.length);
}

/** False if `s[from, to)` is the segment "." or "..". */
function isDotFree(s: string, from: number, to: number): boolean {
  const n = to - from;
  if (n === 1) return s.charCodeAt(from) !== 0x2e;
  if (n === 2) return s.charCodeAt(from) !== 0x2e || s.charCodeAt(from + 1) !== 0x2e;
  return true;
}

function isPlainQuery(s: string, from: number): boolean {
  // An empty query ("/p?") is in `href` but not in `search`, so not in `Request.target`.
  if (from === s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (PLAIN_IN_PATH[c] !== 1 && c !== 0x3f && c !== 0x25) return false;
  }
  return true;
}

function joinToBase(url: string, base: URL): URL {
  // The base's path counts as a directory: "http://h/api" + "users" → "http://h/api/users".
  let prefix = `${base.protocol}//${base.host}${base.pathname}`;
  if (!prefix.endsWith('/')) prefix += '/';
  let rest = url;
  while (rest.startsWith('/')) rest = rest.slice(1);
  return parseAbsolute(prefix + rest);
}

function parseAbsolute(url: string): URL {
  try {
    return new URL(url);
  } catch (err) {
    throw new InvalidURL(`invalid URL ${JSON.stringify(url)}: ${(err as Error).message}`, { cause: err });
  }
}

function checkUsable(url: URL): URL {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsupportedProtocol(`the URL ${JSON.stringify(url.href)} has scheme ${JSON.stringify(url.protocol.slice(0, -1))}; only http and https are supported`);
  }
  if (url.hostname === '') throw new InvalidURL(`the URL ${JSON.stringify(url.href)} has no host`);
  return url;
}

/** Append `params` to `url`'s query (in place). */
export function addParams(url: URL, params: QueryParams): void {
  const query = url.searchParams;
  if (typeof params === 'string') {
    for (const [k, v] of new URLSearchParams(params)) query.append(k, v);
    return;
  }
  for (const [k, v] of pairsOf(params)) query.append(k, v);
}

/** Flatten params or form data to `[key, string]` pairs, as httpx's `primitive_value_to_str`. */
function* pairsOf(data: QueryParams | FormData): Iterable<[string, string]> {
  if (data instanceof URLSearchParams) {
    yield* data;
    return;
  }
  if (typeof data === 'string') {
    yield* new URLSearchParams(data);
    return;
  }
  if (Symbol.iterator in data) {
    for (const [k, v] of data as Iterable<readonly [string, PrimitiveValue]>) yield [k, primitiveToString(v)];
    return;
  }
  for (const key of Object.keys(data)) {
    const value = (data as Record<string, unknown>)[key];
    if (Array.isArray(value)) for (const item of value) yield [key, primitiveToString(item)];
    else yield [key, primitiveToString(value)];
  }
}

/**
 * httpx: `True` → "true", `False` → "false", `None` → "", anything else `str()`.
 * JavaScript has no `str()` of a dict; an object or array is sent as its JSON.
 */
function primitiveToString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The form body httpx's `data=` sends. */
export type FormData = Record<string, unknown> | Iterable<readonly [string, PrimitiveValue]> | URLSearchParams;

/**
 * `application/x-www-form-urlencoded` encoding of `data` (WHATWG's serializer: spaces
 * as "+", as browsers and httpx).
 *
 * @example
 * encodeForm({ some: 'data', n: [1, 2] });   // 'some=data&n=1&n=2'
 */
export function encodeForm(data: FormData): string {
  const out = new URLSearchParams();
  for (const [k, v] of pairsOf(data as QueryParams)) out.append(k, v);
  return out.toString();
}

// ---------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------

/** What a request carries besides method, URL, headers and body. httpx: `request.extensions`. */
export interface RequestExtensions {
  /** The timeouts for this request (the client's, unless the call gave its own). */
  timeout?: Readonly<Timeouts>;
}

/** The body-related options of a request; at most one of them is used. */
export interface RequestBodyOptions {
  /** Raw body: bytes, or a string sent as UTF-8. */
  content?: Uint8Array | string;
  /** Form fields, sent `application/x-www-form-urlencoded`. */
  data?: FormData;
  /** A value sent as JSON (`application/json`). */
  json?: unknown;
}

/** Options of `new Request(...)`. */
export interface RequestOptions extends RequestBodyOptions {
  headers?: HeadersInit;
  params?: QueryParams;
  extensions?: RequestExtensions;
}

/**
 * An HTTP request: method, URL, headers and a whole body. httpx: `httpx.Request`.
 *
 * The constructor fills in `Host` (from the URL) and, for a body given as `data` or
 * `json`, `Content-Type`, unless the caller's headers already have them. The
 * framing fields (Content-Length, Transfer-Encoding) are the writer's business.
 *
 * @example
 * const req = new Request('POST', 'http://example.com/post', { json: { a: 1 } });
 * req.headers.get('content-type');   // 'application/json'
 * @see httpx `httpx.Request(method, url, params=, headers=, content=, data=, json=)`
 */
export class Request {
  /** Upper-case method, e.g. `GET`. */
  readonly method: string;
  readonly headers: Headers;
  /** The body, empty if none. */
  readonly content: Uint8Array;
  readonly extensions: RequestExtensions;
  /** The URL object; null until first asked for when the client joined the URL as strings. */
  #url: URL | null;
  /** The client's string-joined URL (see "The fast path" above), or null. Unused once `#url` exists. */
  readonly #joined: JoinedURL | null;

  /** `url` is package-internal when a JoinedURL (AsyncClient.buildRequest's fast path). */
  constructor(method: string, url: URLInput | JoinedURL, options: RequestOptions = {}) {
    this.method = method.toUpperCase();
    if (url instanceof JoinedURL && options.params === undefined) {
      this.#url = null;
      this.#joined = url;
    } else {
      // A URL object is adopted, not copied (the client has just parsed it).
      this.#url = url instanceof URL ? checkUsable(url) : url instanceof JoinedURL ? new URL(url.origin + url.target) : mergeUrl(url);
      this.#joined = null;
      if (options.params !== undefined) addParams(this.#url, options.params);
    }
    const headers = options.headers instanceof Headers ? options.headers : new Headers(options.headers);
    this.headers = headers;
    if (!headers.has('host')) headers.set('Host', this.#joined?.host ?? this.#url!.host);
    this.content = encodeBody(options, headers);
    this.extensions = options.extensions ?? {};
  }

  /** The absolute URL (built on first use for a URL the client joined as strings). */
  get url(): URL {
    return (this.#url ??= new URL(this.#joined!.origin + this.#joined!.target));
  }

  /** The request-target of the request line: path and query (origin-form, RFC 9112 §3.2.1). */
  get target(): string {
    const url = this.#url;
    if (url === null) return this.#joined!.target;
    return url.search === '' ? url.pathname : url.pathname + url.search;
  }

  /** @internal `scheme://host[:port]`, which picks the connection pool. */
  get _origin(): string {
    const url = this.#url;
    return url === null ? this.#joined!.origin : `${url.protocol}//${url.host}`;
  }

  /** The body as text (UTF-8). */
  get text(): string {
    return decodeUtf8(this.content);
  }

  toString(): string {
    return `<Request ${this.method} ${this.url.href}>`;
  }
}

/** The body bytes for `options`, setting Content-Type for data and json if absent. */
function encodeBody(options: RequestBodyOptions, headers: Headers): Uint8Array {
  if (options.content !== undefined) {
    return typeof options.content === 'string' ? Buffer.from(options.content, 'utf8') : options.content;
  }
  if (options.data !== undefined) {
    if (!headers.has('content-type')) headers.set('Content-Type', 'application/x-www-form-urlencoded');
    return Buffer.from(encodeForm(options.data), 'latin1'); // percent-encoded: ASCII only
  }
  if (options.json !== undefined) {
    if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
    return Buffer.from(JSON.stringify(options.json), 'utf8');
  }
  return EMPTY;
}

// ---------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------

/**
 * A response body still on the wire, as a transport hands it over.
 *
 * `read()` returns the next piece (a view, not a copy: keep it or copy it before the
 * next read only if you mutate it), or `null` once the body is complete — by then the
 * connection has gone back to the pool. `close()` gives up on the rest: the
 * connection is closed (it cannot be reused with unread bytes on it). Idempotent.
 */
export interface ResponseStream {
  read(): Coro<Uint8Array | null>;
  close(): void;
}

/**
 * A body read piece by piece: yieldio's iterator protocol (`CoroIterator`, lib/iteration.ts),
 * so `next()` is a coroutine returning `{done: false, value}` for each piece and
 * `{done: true}` at the end. Read it in a coroutine with a `for` loop or `forEach`, or
 * hand it to async code with `toAsyncIterable` for `for await`:
 *
 * ```ts
 * const chunks = response.aiterBytes();
 * for (let r = yield* chunks.next(); !r.done; r = yield* chunks.next()) handle(r.value);
 * yield* forEach(response.aiterText(), function* (text) { out += text; });
 * for await (const chunk of toAsyncIterable(response.aiterBytes())) file.write(chunk);
 * ```
 *
 * `return()` stops reading: it closes the response, as `aclose()` does (a body not
 * read to the end closes its connection: it cannot be reused with unread bytes on it).
 * `forEach` and `for await` call it when left early. This is httpx's
 * `async for chunk in response.aiter_bytes()`, with the closing of `async with client.stream(…)`.
 */
export interface BodyIterator<T> extends CoroIterator<T> {
  next(): Coro<IteratorResult<T, undefined>>;
  return(): Coro<IteratorResult<T, undefined>>;
}

/** The end of a body iteration. */
function bodyEnd(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}

/** What the connection that served a response says about itself. httpx: `response.extensions`. */
export interface ResponseExtensions {
  /** The pooled connection's id (1, 2, …, per pool). */
  connectionId?: number;
  /** True if the connection had served an earlier request. */
  reused?: boolean;
  [key: string]: unknown;
}

/** Options of `new Response(statusCode, ...)`; at most one body option is used. */
export interface ResponseOptions {
  headers?: HeadersInit;
  /** Raw body bytes (a string is UTF-8). */
  content?: Uint8Array | string;
  /** A body as text, with `Content-Type: text/plain; charset=utf-8`. */
  text?: string;
  /** A body as JSON, with `Content-Type: application/json`. */
  json?: unknown;
  /** A body still to be read (transports). */
  stream?: ResponseStream;
  request?: Request | null;
  reasonPhrase?: string;
  /** `HTTP/1.1` (default) or `HTTP/1.0`. */
  httpVersion?: string;
  extensions?: ResponseExtensions;
}

/**
 * The life of a Response's body:
 *
 *     STREAMING ──read to the end (aread, aiterBytes)──▶ READ ──aclose──▶ CLOSED
 *         └─────────────aclose() before the end──────────────────────────▶ CLOSED
 *
 * A response built with its body (`content`, `text`, `json`) starts in READ.
 */
export type ResponseBodyState = 'STREAMING' | 'ITERATING' | 'READ' | 'CLOSED';

/**
 * An HTTP response. httpx: `httpx.Response`.
 *
 * Invariants:
 * - STREAMING: `#stream` is the unread body, `#content` null; nothing read yet.
 * - ITERATING: an iterator (or `aread`) has started taking pieces from `#stream`.
 * - READ: `#content` holds the whole body; `#stream` null (its connection released).
 * - CLOSED: `#stream` null; `#content` holds the body if it was read, else null.
 * - `numBytesDownloaded` counts body bytes taken from the stream so far.
 *
 * @example
 * const r = yield* client.get('http://example.com/');
 * r.statusCode;   // 200
 * r.text;         // '<!doctype html>…'
 * r.raiseForStatus();
 * @see httpx `httpx.Response`
 */
export class Response {
  readonly statusCode: number;
  readonly reasonPhrase: string;
  /** `HTTP/1.1` or `HTTP/1.0`, as httpx's `response.http_version`. */
  readonly httpVersion: string;
  readonly headers: Headers;
  /** The request this answers (set by the client; null for a hand-made response). */
  request: Request | null;
  readonly extensions: ResponseExtensions;
  /** Earlier responses of a followed redirect chain, oldest first. */
  history: Response[] = [];
  /** For a redirect not followed: the request that would follow it. httpx: `response.next_request`. */
  nextRequest: Request | null = null;
  /** Body bytes read from the stream so far. */
  numBytesDownloaded = 0;
  #state: ResponseBodyState;
  #stream: ResponseStream | null;
  #content: Uint8Array | null;
  #text: string | null = null;

  constructor(statusCode: number, options: ResponseOptions = {}) {
    this.statusCode = statusCode;
    this.reasonPhrase = options.reasonPhrase ?? REASON_PHRASES[statusCode] ?? '';
    this.httpVersion = options.httpVersion ?? 'HTTP/1.1';
    const headers = options.headers instanceof Headers ? options.headers : new Headers(options.headers);
    this.headers = headers;
    this.request = options.request ?? null;
    this.extensions = options.extensions ?? {};
    if (options.stream !== undefined) {
      this.#stream = options.stream;
      this.#content = null;
      this.#state = 'STREAMING';
      return;
    }
    this.#stream = null;
    this.#content = responseBody(options, headers);
    this.#state = 'READ';
    if (!headers.has('content-length') && !headers.has('transfer-encoding')) {
      headers.set('Content-Length', String(this.#content.length));
    }
  }

  /** Where the body stands; see {@link ResponseBodyState}. */
  get bodyState(): ResponseBodyState {
    return this.#state;
  }

  /** The URL of the request this answers. */
  get url(): URL | null {
    return this.request?.url ?? null;
  }

  /** The whole body. Throws ResponseNotRead on a streamed response not read yet (`yield* r.aread()`). */
  get content(): Uint8Array {
    if (this.#content === null) {
      throw new ResponseNotRead(
        'the response body has not been read: call `yield* response.aread()` first (or use client.request rather than client.stream)',
      );
    }
    return this.#content;
  }

  /**
   * The body decoded as text: the charset of `Content-Type` if Node knows it (utf-8,
   * latin1/iso-8859-1, ascii, utf-16le), UTF-8 otherwise.
   */
  get text(): string {
    if (this.#text === null) this.#text = decodeText(this.content, this.charsetEncoding);
    return this.#text;
  }

  /** The `charset` parameter of Content-Type, lower-cased, or null. */
  get charsetEncoding(): string | null {
    const type = this.headers.get('content-type');
    if (type === null) return null;
    const at = type.toLowerCase().indexOf('charset=');
    if (at === -1) return null;
    let value = type.slice(at + 8).split(';')[0]!.trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value.toLowerCase();
  }

  /** The body parsed as JSON. */
  json<T = any>(): T {
    return JSON.parse(this.text) as T;
  }

  /** 1xx. */
  get isInformational(): boolean {
    return this.statusCode >= 100 && this.statusCode < 200;
  }
  /** 2xx. */
  get isSuccess(): boolean {
    return this.statusCode >= 200 && this.statusCode < 300;
  }
  /** 3xx. */
  get isRedirect(): boolean {
    return this.statusCode >= 300 && this.statusCode < 400;
  }
  /** 4xx. */
  get isClientError(): boolean {
    return this.statusCode >= 400 && this.statusCode < 500;
  }
  /** 5xx. */
  get isServerError(): boolean {
    return this.statusCode >= 500 && this.statusCode < 600;
  }
  /** 4xx or 5xx. */
  get isError(): boolean {
    return this.statusCode >= 400 && this.statusCode < 600;
  }
  /** A redirect status a client follows (301 302 303 307 308) with a Location. */
  get hasRedirectLocation(): boolean {
    return REDIRECT_STATUSES.has(this.statusCode) && this.headers.has('location');
  }

  /** True once the body was read or the response closed. */
  get isClosed(): boolean {
    return this.#state === 'CLOSED' || this.#state === 'READ';
  }

  /**
   * Throw HTTPStatusError for a 4xx or 5xx status; return the response otherwise (so
   * calls chain: `(yield* client.get(url)).raiseForStatus().json()`).
   *
   * @see httpx `response.raise_for_status()`
   */
  raiseForStatus(): this {
    if (!this.isError) return this;
    const kind = this.isClientError ? 'Client error' : 'Server error';
    const where = this.request === null ? '' : ` for url '${this.request.url.href}'`;
    throw new HTTPStatusError(`${kind} '${this.statusCode} ${this.reasonPhrase}'${where}`, {
      request: this.request,
      response: this,
    });
  }

  /**
   * Read the rest of the body and return it whole (pieces are concatenated once, at
   * the end). Idempotent once read. httpx: `await response.aread()`.
   *
   * @example
   * const r = yield* client.stream('GET', url);
   * const body = yield* r.aread();
   */
  *aread(): Coro<Uint8Array> {
    if (this.#content !== null) return this.#content;
    if (this.#state !== 'STREAMING') throw this.#consumedError();
    this.#state = 'ITERATING';
    const stream = this.#stream!;
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (let chunk = yield* stream.read(); chunk !== null; chunk = yield* stream.read()) {
        chunks.push(chunk);
        total += chunk.length;
      }
    } catch (err) {
      this.#closeStream();
      throw err;
    }
    this.numBytesDownloaded = total;
    this.#content = chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, total);
    this.#stream = null;
    this.#state = 'READ';
    return this.#content;
  }

  /**
   * The body in pieces as they arrive. Reading it to the end releases the connection.
   * httpx: `response.aiter_bytes()`.
   *
   * @example
   * const chunks = response.aiterBytes();
   * for (let r = yield* chunks.next(); !r.done; r = yield* chunks.next()) {
   *   file.write(r.value);
   * }
   */
  aiterBytes(): BodyIterator<Uint8Array> {
    if (this.#content !== null) return new ContentIterator(this.#content);
    if (this.#state !== 'STREAMING') throw this.#consumedError();
    this.#state = 'ITERATING';
    return new StreamIterator(this);
  }

  /**
   * The body as text, in pieces (UTF-8 sequences split across pieces are decoded
   * whole). httpx: `response.aiter_text()`.
   *
   * @example
   * let text = '';
   * yield* forEach(response.aiterText(), function* (piece) { text += piece; });
   */
  aiterText(): BodyIterator<string> {
    return new TextIterator(this.aiterBytes(), this.charsetEncoding);
  }

  /**
   * Close the response: if its body was not read to the end, the connection is closed
   * (not reused). Idempotent. httpx: `await response.aclose()`.
   */
  *aclose(): Coro<void> {
    this.#closeStream();
  }

  /** `asyncWith(response, …)`: the body runs with the response, which is closed after. */
  *enter(): Coro<Response> {
    return this;
  }

  *exit(): Coro<void> {
    this.#closeStream();
  }

  /** @internal One piece for a StreamIterator; closes on error or at the end. */
  *_readChunk(): Coro<Uint8Array | null> {
    const stream = this.#stream;
    if (stream === null) return null;
    let chunk: Uint8Array | null;
    try {
      chunk = yield* stream.read();
    } catch (err) {
      this.#closeStream();
      throw err;
    }
    if (chunk === null) {
      this.#stream = null;
      this.#state = 'CLOSED';
      return null;
    }
    this.numBytesDownloaded += chunk.length;
    return chunk;
  }

  #closeStream(): void {
    if (this.#stream !== null) {
      this.#stream.close();
      this.#stream = null;
    }
    this.#state = 'CLOSED';
  }

  #consumedError(): StreamConsumed {
    return new StreamConsumed(
      this.#state === 'CLOSED'
        ? 'the response was closed before its body was read'
        : 'the response body is already being read (by aiterBytes or aread)',
    );
  }

  toString(): string {
    return `<Response [${this.statusCode} ${this.reasonPhrase}]>`;
  }
}

/** The body for a hand-made response, setting Content-Type for text and json. */
function responseBody(options: ResponseOptions, headers: Headers): Uint8Array {
  if (options.content !== undefined) {
    return typeof options.content === 'string' ? Buffer.from(options.content, 'utf8') : options.content;
  }
  if (options.text !== undefined) {
    if (!headers.has('content-type')) headers.set('Content-Type', 'text/plain; charset=utf-8');
    return Buffer.from(options.text, 'utf8');
  }
  if (options.json !== undefined) {
    if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
    return Buffer.from(JSON.stringify(options.json), 'utf8');
  }
  return EMPTY;
}

class ContentIterator implements BodyIterator<Uint8Array> {
  #content: Uint8Array | null;
  constructor(content: Uint8Array) {
    this.#content = content.length > 0 ? content : null;
  }
  *next(): Coro<IteratorResult<Uint8Array, undefined>> {
    const c = this.#content;
    this.#content = null;
    return c === null ? bodyEnd() : { done: false, value: c };
  }
  *return(): Coro<IteratorResult<Uint8Array, undefined>> {
    this.#content = null; // the body is in memory: nothing to release
    return bodyEnd();
  }
}

class StreamIterator implements BodyIterator<Uint8Array> {
  readonly #response: Response;
  constructor(response: Response) {
    this.#response = response;
  }
  *next(): Coro<IteratorResult<Uint8Array, undefined>> {
    const chunk = yield* this.#response._readChunk();
    return chunk === null ? bodyEnd() : { done: false, value: chunk };
  }
  *return(): Coro<IteratorResult<Uint8Array, undefined>> {
    yield* this.#response.aclose();
    return bodyEnd();
  }
}

class TextIterator implements BodyIterator<string> {
  readonly #bytes: BodyIterator<Uint8Array>;
  readonly #decoder: TextDecoder;
  #done = false;
  constructor(bytes: BodyIterator<Uint8Array>, charset: string | null) {
    this.#bytes = bytes;
    this.#decoder = new TextDecoder(textDecoderLabel(charset));
  }
  *next(): Coro<IteratorResult<string, undefined>> {
    while (!this.#done) {
      const r = yield* this.#bytes.next();
      if (r.done) {
        this.#done = true;
        const tail = this.#decoder.decode();
        return tail.length > 0 ? { done: false, value: tail } : bodyEnd();
      }
      const text = this.#decoder.decode(r.value, { stream: true });
      if (text.length > 0) return { done: false, value: text };
    }
    return bodyEnd();
  }
  *return(): Coro<IteratorResult<string, undefined>> {
    this.#done = true;
    yield* this.#bytes.return();
    return bodyEnd();
  }
}

function textDecoderLabel(charset: string | null): string {
  if (charset === null) return 'utf-8';
  try {
    new TextDecoder(charset);
    return charset;
  } catch {
    return 'utf-8';
  }
}

function decodeUtf8(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
}

const NODE_ENCODINGS: Record<string, BufferEncoding> = {
  'utf-8': 'utf8', utf8: 'utf8', 'iso-8859-1': 'latin1', latin1: 'latin1', 'us-ascii': 'ascii', ascii: 'ascii',
  'utf-16le': 'utf16le',
};

function decodeText(b: Uint8Array, charset: string | null): string {
  const encoding = charset === null ? 'utf8' : NODE_ENCODINGS[charset];
  if (encoding !== undefined) return Buffer.from(b.buffer, b.byteOffset, b.length).toString(encoding);
  try {
    return new TextDecoder(charset!).decode(b);
  } catch {
    return decodeUtf8(b);
  }
}

/** The statuses whose Location a client may follow (RFC 9110 §15.4). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Reason phrases for hand-made responses (a received response keeps its own). */
const REASON_PHRASES: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 413: 'Content Too Large', 418: "I'm a Teapot",
  422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

