/**
 * The errors of the HTTP client — httpx's exception hierarchy, name for name.
 *
 * ```
 * HTTPError
 * ├── RequestError
 * │   └── TransportError
 * │       ├── TimeoutException
 * │       │   ├── ConnectTimeout  ReadTimeout  WriteTimeout  PoolTimeout
 * │       ├── NetworkError
 * │       │   ├── ConnectError  ReadError  WriteError  CloseError
 * │       ├── ProtocolError
 * │       │   ├── LocalProtocolError    (we were about to break HTTP/1.1)
 * │       │   └── RemoteProtocolError   (the peer broke it)
 * │       ├── ProxyError
 * │       └── UnsupportedProtocol
 * ├── HTTPStatusError     (raiseForStatus on a 4xx/5xx)
 * ├── TooManyRedirects
 * InvalidURL  StreamConsumed  ResponseNotRead   (not HTTPError, as in httpx)
 * ```
 *
 * The sans-IO core (`connection.ts` and below) only ever throws the two
 * `ProtocolError`s; the rest are raised by the socket side and the client.
 * Every class sets `name`, so `String(err)` says which error it is, and accepts
 * `{ cause }` so a wrapped Node error stays reachable.
 */

/** Options every HTTP error accepts: the lower-level error it wraps. */
export interface HTTPErrorOptions {
  cause?: unknown;
}

/** Base class of everything the client raises for a failed exchange. httpx: `HTTPError`. */
export class HTTPError extends Error {
  override name = 'HTTPError';
  constructor(message: string, options?: HTTPErrorOptions) {
    super(message, options);
  }
}

/** An error while issuing a request (before or without a status code). httpx: `RequestError`. */
export class RequestError extends HTTPError {
  override name = 'RequestError';
}

/** Options of {@link TransportError} and its subclasses. */
export interface TransportErrorOptions extends HTTPErrorOptions {
  /** See {@link TransportError.closedBeforeResponse}. */
  closedBeforeResponse?: boolean;
}

/** Anything that went wrong on the wire or in the framing. httpx: `TransportError`. */
export class TransportError extends RequestError {
  override name = 'TransportError';
  /**
   * True when the connection was closed or reset after our request was (being) sent
   * and before a single byte of the response arrived: a RemoteProtocolError for a
   * clean close, a ReadError or WriteError for ECONNRESET / EPIPE. On a reused
   * keep-alive connection this is the classic race with the server's idle timeout
   * (it closed just as we wrote), and the pool may retry an idempotent request once
   * on a fresh connection. Any other failure is not safe to retry blindly.
   *
   * The one carrier of that signal: `isNoResponseError(err)` reads only this field.
   */
  readonly closedBeforeResponse: boolean;
  constructor(message: string, options?: TransportErrorOptions) {
    super(message, options);
    this.closedBeforeResponse = options?.closedBeforeResponse ?? false;
  }
}

/** A deadline passed. httpx: `TimeoutException`. */
export class TimeoutException extends TransportError {
  override name = 'TimeoutException';
}
/** The TCP/TLS connection was not established in time. httpx: `ConnectTimeout`. */
export class ConnectTimeout extends TimeoutException {
  override name = 'ConnectTimeout';
}
/** The response did not arrive in time. httpx: `ReadTimeout`. */
export class ReadTimeout extends TimeoutException {
  override name = 'ReadTimeout';
}
/** The request could not be written in time. httpx: `WriteTimeout`. */
export class WriteTimeout extends TimeoutException {
  override name = 'WriteTimeout';
}
/** No connection became free in the pool in time. httpx: `PoolTimeout`. */
export class PoolTimeout extends TimeoutException {
  override name = 'PoolTimeout';
}

/** The network failed under us. httpx: `NetworkError`. */
export class NetworkError extends TransportError {
  override name = 'NetworkError';
}
/** Connecting failed (refused, DNS, TLS handshake). httpx: `ConnectError`. */
export class ConnectError extends NetworkError {
  override name = 'ConnectError';
}
/** Reading from the socket failed. httpx: `ReadError`. */
export class ReadError extends NetworkError {
  override name = 'ReadError';
}
/** Writing to the socket failed. httpx: `WriteError`. */
export class WriteError extends NetworkError {
  override name = 'WriteError';
}
/** Closing the socket failed. httpx: `CloseError`. */
export class CloseError extends NetworkError {
  override name = 'CloseError';
}

/** HTTP/1.1 itself was violated. httpx: `ProtocolError`. */
export class ProtocolError extends TransportError {
  override name = 'ProtocolError';
}

/** We were asked to send something HTTP/1.1 forbids (bad header, wrong state). httpx: `LocalProtocolError`. */
export class LocalProtocolError extends ProtocolError {
  override name = 'LocalProtocolError';
}

/** Options of {@link RemoteProtocolError}: those of every TransportError. */
export type RemoteProtocolErrorOptions = TransportErrorOptions;

/**
 * The peer sent something HTTP/1.1 forbids, or closed the connection mid-message
 * (`closedBeforeResponse` when it closed before any byte of the response).
 * httpx: `RemoteProtocolError`.
 */
export class RemoteProtocolError extends ProtocolError {
  override name = 'RemoteProtocolError';
}

/** A proxy refused or failed the tunnel. httpx: `ProxyError`. */
export class ProxyError extends TransportError {
  override name = 'ProxyError';
}

/** The URL's scheme is not one we can speak (only http and https). httpx: `UnsupportedProtocol`. */
export class UnsupportedProtocol extends TransportError {
  override name = 'UnsupportedProtocol';
}

/** Options of {@link HTTPStatusError}. */
export interface HTTPStatusErrorOptions extends HTTPErrorOptions {
  request: unknown;
  response: unknown;
}

/** `raiseForStatus()` on a 4xx or 5xx response. httpx: `HTTPStatusError`. */
export class HTTPStatusError extends HTTPError {
  override name = 'HTTPStatusError';
  /** The request that was sent (typed once the client's Request class exists). */
  readonly request: unknown;
  /** The response that carried the error status. */
  readonly response: unknown;
  constructor(message: string, options: HTTPStatusErrorOptions) {
    super(message, options);
    this.request = options.request;
    this.response = options.response;
  }
}

/** More redirects than `maxRedirects`. httpx: `TooManyRedirects`. */
export class TooManyRedirects extends RequestError {
  override name = 'TooManyRedirects';
}

/** A URL that cannot be parsed or used. httpx: `InvalidURL` (not an HTTPError there either). */
export class InvalidURL extends Error {
  override name = 'InvalidURL';
  constructor(message: string, options?: HTTPErrorOptions) {
    super(message, options);
  }
}

/** A streamed request or response body was iterated twice. httpx: `StreamConsumed`. */
export class StreamConsumed extends Error {
  override name = 'StreamConsumed';
  constructor(message = 'the body stream has already been consumed', options?: HTTPErrorOptions) {
    super(message, options);
  }
}

/** `.content` of a streamed response read before the body was. httpx: `ResponseNotRead`. */
export class ResponseNotRead extends Error {
  override name = 'ResponseNotRead';
  constructor(message = 'the response body has not been read yet', options?: HTTPErrorOptions) {
    super(message, options);
  }
}
