/**
 * One HTTP/1.1 connection over a socket — httpcore's `_async/http11.py`.
 *
 * The sans-IO `ClientConnection` (connection.ts) knows every framing rule and
 * no socket; a StreamReader/StreamWriter pair (streams.ts) knows the socket and
 * no HTTP. This file is the short piece of glue between them: it writes what
 * `sendRequest` returns, and feeds what the socket reads to `receiveData` until
 * `nextEvent` has something to say. What it adds is what the sans-IO core
 * cannot know about: time (the connect, read and write timeouts), failures of
 * the network (mapped to httpx's ConnectError / ReadError / WriteError), and
 * the life of the socket as the pool sees it.
 *
 * ## Timeouts without a timer per read
 *
 * httpx's read timeout bounds every single wait for bytes. Arming and
 * cancelling a timer around each read would put a timer-heap insertion on the
 * hot path of every request. Instead each connection keeps at most one timer,
 * armed lazily: before a wait we only record the deadline (`#deadline`, one
 * clock read); a timer already armed for an earlier or equal moment is left
 * alone. When it fires, it looks at the current deadline: none (not waiting)
 * → it lapses; still in the future → it re-arms for it; passed → it fails the
 * wait. So a busy keep-alive connection arms about one timer per timeout
 * period, not one per request.
 *
 * Failing the wait is done by destroying the socket with the timeout error
 * (`socket.destroy(new ReadTimeout(...))`): the stream layer hands a socket
 * error to the waiting read or drain, which throws it into our coroutine. The
 * connection was going to be closed anyway — httpx closes a connection that
 * timed out, since the response may still arrive later and would be read as
 * the answer to the next request.
 *
 * ## Closing on any failure
 *
 * Every method that waits is wrapped so that an exception leaving it — a
 * network error, a protocol error, a timeout, or a `CancelledError` thrown in at
 * the `yield*` — closes the connection first. A request abandoned half-way
 * leaves the connection in a state no one can trust; closing is the only way
 * back to an invariant the pool can count on.
 */
import type * as tls from 'node:tls';
import type { Coro } from '../coroutines.ts';
import type { TimerHandle } from '../events.ts';
import { getRunningLoop } from '../events.ts';
import { CancelledError, RuntimeError } from '../exceptions.ts';
import type { EventLoop } from '../loop.ts';
import { _openConnection, type StreamReader, type StreamWriter } from '../streams.ts';
import { ClientConnection } from './connection.ts';
import {
  ConnectError,
  ConnectTimeout,
  HTTPError,
  ReadError,
  ReadTimeout,
  RemoteProtocolError,
  TransportError,
  WriteError,
  WriteTimeout,
} from './errors.ts';
import type { ReceivedEvent } from './events.ts';
import { NEED_DATA } from './events.ts';
import type { Headers } from './headers.ts';
import type { Request } from './models.ts';

/** How much one socket read asks for. */
const READ_SIZE = 64 * 1024;

/** Where a connection goes: scheme, host and port. httpcore: `Origin`. */
export interface Origin {
  readonly scheme: 'http' | 'https';
  /** Host name or IP address, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
}

/** The origin of a URL (default ports filled in). */
export function originOf(url: URL): Origin {
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  let host = url.hostname;
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { scheme, host, port };
}

/** The `scheme://host:port` key of an origin. */
export function originKey(origin: Origin): string {
  return `${origin.scheme}://${origin.host.includes(':') ? `[${origin.host}]` : origin.host}:${origin.port}`;
}

/** What `connect()` needs besides the origin. */
export interface ConnectOptions {
  /** `tls.connect` options for https (`ca`, `rejectUnauthorized`…). */
  tls?: tls.ConnectionOptions;
  /** Seconds to establish the connection (TCP and TLS), null for no limit. */
  connectTimeout: number | null;
}

/** The per-wait timeouts of one exchange. */
export interface ExchangeTimeouts {
  readonly read: number | null;
  readonly write: number | null;
}

/** A response head, as read from the wire. */
export interface ResponseHead {
  statusCode: number;
  reasonPhrase: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  httpVersion: string;
  headers: Headers;
}

/**
 * The states of a connection as its pool sees it:
 *
 *     CONNECTING ──connect() ok──▶ ACTIVE ◀──reuse── IDLE
 *          │                        │  └──response read, reusable──▶ IDLE
 *          └──fails/cancelled──┐    └──error, cancel, not reusable──┐     │
 *                              ▼                                    ▼     ▼ expired, stale, pool closed
 *                            CLOSED ◀────────────────────────────────────────
 */
export type HTTPConnectionState = 'CONNECTING' | 'ACTIVE' | 'IDLE' | 'CLOSED';

let nextConnectionId = 0;

/**
 * True if `err` says the server closed or reset the connection before sending a
 * single byte of response — on a reused connection, the server's idle timeout
 * racing our request: a TransportError (RemoteProtocolError for a clean close,
 * ReadError / WriteError for ECONNRESET, EPIPE) with `closedBeforeResponse` set.
 */
export function isNoResponseError(err: unknown): boolean {
  return err instanceof TransportError && err.closedBeforeResponse;
}

/**
 * One HTTP/1.1 connection: a socket, the sans-IO state machine over it, and the
 * connection's life in the pool.
 *
 * Invariants:
 * - CONNECTING: no socket yet (`#reader`/`#writer` null); `connect()` moves to
 *   ACTIVE or, failing or cancelled, to CLOSED.
 * - ACTIVE: leased to one request; `#protocol` is mid-exchange or between exchanges.
 * - IDLE: in the pool's idle list; `#protocol` is between exchanges (both IDLE);
 *   `expiresAt` is when keep-alive ends; `#idleBytesRead` is the socket's byte
 *   count when it went idle, so any byte the server sent since is noticed.
 * - CLOSED: the socket is destroyed or closing; `#timer` is null. Final.
 * - `#deadline` is the moment the current read or write wait fails (Infinity when
 *   not waiting); `#timer`, if non-null, is armed for `#timerWhen` ≤ any
 *   `#deadline` it must enforce (see "Timeouts without a timer per read").
 * - `#exchangeBytes` counts response bytes received since the request was sent.
 *
 * @example
 * const conn = new HTTP11Connection(originOf(new URL('http://example.com/')));
 * yield* conn.connect({ connectTimeout: 5 });
 * const head = yield* conn.sendRequest(request, { read: 5, write: 5 });
 * for (let chunk = yield* conn.readBody(5); chunk !== null; chunk = yield* conn.readBody(5)) use(chunk);
 * if (!conn.finishCycle()) conn.close();
 */
export class HTTP11Connection {
  /** 1, 2, 3… in the order connections are made (process-wide). */
  readonly id = ++nextConnectionId;
  readonly origin: Origin;
  #state: HTTPConnectionState = 'CONNECTING';
  /** Requests sent on this connection so far. */
  requestCount = 0;
  /** While IDLE: the loop time at which keep-alive expires. */
  expiresAt = Infinity;
  #reader: StreamReader | null = null;
  #writer: StreamWriter | null = null;
  #loop: EventLoop | null = null;
  readonly #protocol = new ClientConnection();
  #idleBytesRead = 0;
  #exchangeBytes = 0;
  #deadline = Infinity;
  #deadlineTimeout = 0;
  #deadlineKind: 'read' | 'write' = 'read';
  #timer: TimerHandle | null = null;
  #timerWhen = Infinity;

  constructor(origin: Origin) {
    this.origin = origin;
  }

  /** CONNECTING, ACTIVE, IDLE or CLOSED. */
  get state(): HTTPConnectionState {
    return this.#state;
  }

  /**
   * Open the socket (TLS for https). CONNECTING → ACTIVE; on failure CLOSED and
   * ConnectError (refused, DNS, TLS rejected) or ConnectTimeout; cancelled, CLOSED
   * and the CancelledError goes on.
   */
  *connect(options: ConnectOptions): Coro<void> {
    const { host, port, scheme } = this.origin;
    const loop = getRunningLoop();
    this.#loop = loop;
    const abort = new AbortController();
    const limit = options.connectTimeout;
    const timer = limit === null ? null : loop.callLater(limit, abortConnect, abort, limit, host, port);
    try {
      const tlsOption = scheme === 'https' ? (options.tls ?? true) : undefined;
      const [reader, writer] = yield* _openConnection(host, port, { tls: tlsOption, signal: abort.signal }, null);
      this.#reader = reader;
      this.#writer = writer;
      this.#state = 'ACTIVE';
    } catch (err) {
      this.#state = 'CLOSED';
      if (err instanceof CancelledError || err instanceof ConnectTimeout) throw err;
      throw new ConnectError(`could not connect to ${host}:${port}: ${describe(err)}`, { cause: err });
    } finally {
      timer?.cancel();
    }
  }

  /**
   * Send `request` (head and body in one write) and read up to the final response
   * head, skipping 1xx interim responses. The body follows through `readBody`. Any
   * error closes the connection.
   */
  *sendRequest(request: Request, timeouts: ExchangeTimeouts): Coro<ResponseHead> {
    this.#expectState('ACTIVE', 'sendRequest');
    this.requestCount++;
    this.#exchangeBytes = 0;
    try {
      const body = request.content;
      const bytes = this.#protocol.sendRequest({
        method: request.method,
        target: request.target,
        headers: request.headers,
        body: body.length === 0 ? null : body,
      });
      if (this.#write(bytes)) yield* this.#drain(timeouts.write);
      for (;;) {
        const event = this.#protocol.nextEvent();
        if (event === NEED_DATA) {
          yield* this.#receive(timeouts.read);
          continue;
        }
        if (event.type === 'Response') {
          return {
            statusCode: event.statusCode,
            reasonPhrase: event.reasonPhrase,
            httpVersion: event.httpVersion === '1.1' ? 'HTTP/1.1' : 'HTTP/1.0',
            headers: event.headers,
          };
        }
        // InformationalResponse (100 Continue, 103 Early Hints): the final response follows.
        if (event.type !== 'InformationalResponse') throw unexpected(event, 'a response head');
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * The next piece of the response body, or `null` once it is complete (then call
   * `finishCycle`). Any error closes the connection.
   */
  *readBody(readTimeout: number | null): Coro<Uint8Array | null> {
    try {
      for (;;) {
        const event = this.#protocol.nextEvent();
        if (event === NEED_DATA) {
          yield* this.#receive(readTimeout);
          continue;
        }
        if (event.type === 'Data') {
          if (event.data.length > 0) return event.data;
        } else if (event.type === 'EndOfMessage') {
          return null;
        } else {
          throw unexpected(event, 'the response body');
        }
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * After a complete response: true if both sides allow another request on this
   * connection (keep-alive, nothing unexpected received, the peer has not closed),
   * and the state machine is reset for it; false if it must be closed.
   */
  finishCycle(): boolean {
    if (this.#state !== 'ACTIVE' || !this.#protocol.isReusable() || this.#reader!.atEof()) return false;
    this.#protocol.startNextCycle();
    return true;
  }

  /** ACTIVE → IDLE (pool-internal): keep-alive until `now + keepaliveExpiry`. @internal */
  _markIdle(now: number, keepaliveExpiry: number): void {
    this.#expectState('ACTIVE', '_markIdle');
    this.#state = 'IDLE';
    this.expiresAt = now + keepaliveExpiry;
    const socket = this.#writer!.transport;
    this.#idleBytesRead = socket.bytesRead;
    // An idle keep-alive socket must not keep the process alive (Node's http.Agent and
    // undici unref theirs too): a program that forgets aclose() still exits.
    socket.unref();
  }

  /**
   * IDLE → ACTIVE (pool-internal), if the connection is still good: not expired at
   * `now`, and the server has neither closed it nor sent anything while it was idle
   * (a byte there is either a close notice or garbage — either way the framing of
   * the next response could not be trusted). Otherwise it is closed and false returned.
   * @internal
   */
  _reuse(now: number): boolean {
    this.#expectState('IDLE', '_reuse');
    const socket = this.#writer!.transport;
    const stale =
      now >= this.expiresAt ||
      socket.destroyed ||
      socket.readableEnded ||
      this.#reader!.atEof() ||
      this.#reader!.exception() !== null ||
      socket.bytesRead !== this.#idleBytesRead;
    if (stale) {
      this.close();
      return false;
    }
    socket.ref(); // in use again: the response is something to wait for
    this.#state = 'ACTIVE';
    return true;
  }

  /** Close the socket (what was written still goes out). Idempotent; → CLOSED. */
  close(): void {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    this.#deadline = Infinity;
    this.#timer?.cancel();
    this.#timer = null;
    this.#writer?.transport.destroy();
  }

  /** The underlying socket (null while CONNECTING), for specs and diagnostics. */
  get socket(): import('node:net').Socket | null {
    return this.#writer?.transport ?? null;
  }

  toString(): string {
    return `<HTTP11Connection #${this.id} ${originKey(this.origin)} ${this.#state} requests=${this.requestCount}>`;
  }

  // -------------------------------------------------------------------------
  // I/O with deadlines
  // -------------------------------------------------------------------------

  /*
   * The loops in sendRequest and readBody ask the sans-IO connection for its next
   * event themselves, and only call a coroutine (#receive, #drain) when they must
   * wait: a generator object costs an allocation and a few calls even when it never
   * suspends, and most of an exchange does not (a small response's body arrives with
   * its head). Four fewer generators per request (bench/http.ts, docs/benchmarks-http.md).
   */

  /** Wait for the next bytes from the socket (under the read timeout) and hand them to the sans-IO connection. */
  *#receive(timeout: number | null): Coro<void> {
    if (timeout !== null) this.#setDeadline('read', timeout);
    let data: Uint8Array;
    try {
      data = yield* this.#reader!.read(READ_SIZE);
    } catch (err) {
      throw this.#networkError(err, 'read');
    } finally {
      this.#deadline = Infinity;
    }
    this.#exchangeBytes += data.length;
    this.#protocol.receiveData(data.length === 0 ? null : data);
  }

  /** One write of head and body; true if the socket's buffer is full and `#drain` must be waited for. */
  #write(bytes: Uint8Array): boolean {
    const writer = this.#writer!;
    try {
      writer.write(bytes);
    } catch (err) {
      throw this.#networkError(err, 'write');
    }
    return writer.transport.writableNeedDrain;
  }

  /** Wait (under the write timeout) until the socket's buffer drains. */
  *#drain(timeout: number | null): Coro<void> {
    if (timeout !== null) this.#setDeadline('write', timeout);
    try {
      yield* this.#writer!.drain();
    } catch (err) {
      throw this.#networkError(err, 'write');
    } finally {
      this.#deadline = Infinity;
    }
  }

  /** Wrap a socket error as httpx does; our own timeouts and cancellation pass through. */
  #networkError(err: unknown, op: 'read' | 'write'): unknown {
    if (err instanceof HTTPError || err instanceof CancelledError) return err;
    const { host, port } = this.origin;
    const message = `${op} ${op === 'read' ? 'from' : 'to'} ${host}:${port} failed: ${describe(err)}`;
    const options = { cause: err, closedBeforeResponse: this.#exchangeBytes === 0 };
    return op === 'read' ? new ReadError(message, options) : new WriteError(message, options);
  }

  #setDeadline(kind: 'read' | 'write', timeout: number): void {
    const loop = this.#loop!;
    const deadline = loop.time() + timeout;
    this.#deadline = deadline;
    this.#deadlineKind = kind;
    this.#deadlineTimeout = timeout;
    if (this.#timer !== null && this.#timerWhen <= deadline) return;
    this.#timer?.cancel();
    this.#timerWhen = deadline;
    this.#timer = loop.callAt(deadline, this.#onTimer);
  }

  /** The one timer fired: fail the current wait if its deadline passed, else re-arm or lapse. */
  #onTimer = (): void => {
    this.#timer = null;
    const deadline = this.#deadline;
    if (deadline === Infinity || this.#state === 'CLOSED') return;
    const loop = this.#loop!;
    if (loop.time() < deadline) {
      this.#timerWhen = deadline;
      this.#timer = loop.callAt(deadline, this.#onTimer);
      return;
    }
    const { host, port } = this.origin;
    const seconds = this.#deadlineTimeout;
    const error = this.#deadlineKind === 'read'
      ? new ReadTimeout(`timed out after ${seconds} s waiting to read from ${host}:${port}`)
      : new WriteTimeout(`timed out after ${seconds} s waiting to write to ${host}:${port}`);
    this.#writer!.transport.destroy(error);
  };

  #expectState(state: HTTPConnectionState, what: string): void {
    if (this.#state !== state) throw new RuntimeError(`${what}() on connection #${this.id}: it is ${this.#state}, not ${state}`);
  }
}

/** The connect timer's callback (module-level: no closure per connection attempt). */
function abortConnect(abort: AbortController, seconds: number, host: string, port: number): void {
  abort.abort(new ConnectTimeout(`timed out after ${seconds} s connecting to ${host}:${port}`));
}

function unexpected(event: ReceivedEvent, while_: string): RemoteProtocolError {
  return new RemoteProtocolError(`unexpected ${event.type} while reading ${while_}`);
}

/** A Node error's message with its code, e.g. "connect ECONNREFUSED 127.0.0.1:1 (ECONNREFUSED)". */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
