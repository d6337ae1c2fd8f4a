/**
 * yieldio/http — an HTTP/1.1 client with a keep-alive connection pool, httpx's API on
 * yieldio coroutines. The public surface (re-exports only), as httpx/__init__.py.
 *
 * @example
 * import { run } from 'yieldio';
 * import { AsyncClient } from 'yieldio/http';
 * await run((function* () {
 *   const client = new AsyncClient();
 *   try {
 *     const r = yield* client.get('https://example.com/');
 *     console.log(r.statusCode, r.text.length);
 *   } finally {
 *     yield* client.aclose();
 *   }
 * })());
 */
export {
  AsyncClient,
  DEFAULT_MAX_REDIRECTS,
  type AsyncClientOptions,
  type ClientState,
  type RequestCallOptions,
  type SendOptions,
} from './client.ts';
export {
  Request,
  Response,
  DEFAULT_TIMEOUTS,
  REDIRECT_STATUSES,
  encodeForm,
  mergeUrl,
  toTimeouts,
  type BodyIterator,
  type FormData,
  type PrimitiveValue,
  type QueryParams,
  type RequestBodyOptions,
  type RequestExtensions,
  type RequestOptions,
  type ResponseBodyState,
  type ResponseExtensions,
  type ResponseOptions,
  type ResponseStream,
  type TimeoutConfig,
  type Timeouts,
  type URLInput,
} from './models.ts';
export {
  AsyncHTTPTransport,
  MockTransport,
  type AsyncBaseTransport,
  type HTTPTransportOptions,
  type MockHandler,
  type VerifyOption,
} from './transports.ts';
export { ConnectionPool, DEFAULT_LIMITS, type Limits, type PoolOptions, type PoolState, type PoolStats } from './pool.ts';
export {
  HTTP11Connection,
  isNoResponseError,
  originOf,
  type HTTPConnectionState,
  type Origin,
  type ResponseHead,
} from './http11.ts';
export { Headers, type HeadersInit } from './headers.ts';
export {
  HTTPError,
  RequestError,
  TransportError,
  TimeoutException,
  ConnectTimeout,
  ReadTimeout,
  WriteTimeout,
  PoolTimeout,
  NetworkError,
  ConnectError,
  ReadError,
  WriteError,
  CloseError,
  ProtocolError,
  LocalProtocolError,
  RemoteProtocolError,
  ProxyError,
  UnsupportedProtocol,
  HTTPStatusError,
  TooManyRedirects,
  InvalidURL,
  StreamConsumed,
  ResponseNotRead,
} from './errors.ts';
