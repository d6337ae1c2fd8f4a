/**
 * The connection pool — httpcore's `_async/connection_pool.py`, one pool per origin.
 *
 * ## What a pool is for
 *
 * Opening a TCP connection costs a round trip, a TLS one two more, and both cost
 * the server a socket. HTTP/1.1 lets a connection carry one exchange after
 * another (keep-alive), so a client keeps the connections it opened and lends
 * them out again. The pool is the lending desk for one origin
 * (`scheme://host:port`): it holds every connection to it, in one of four states
 * (http11.ts: CONNECTING, ACTIVE, IDLE, CLOSED), and three limits — at most
 * `maxConnections` open at once, at most `maxKeepaliveConnections` kept idle, and
 * none kept idle longer than `keepaliveExpiry` seconds.
 *
 * ## Acquiring: idle first, then a new one, then the queue
 *
 * A request takes the most recently released idle connection (the one least
 * likely to have been closed by the server's own idle timer), checking first
 * that it is still good: not expired, not closed by the server, and silent
 * since it went idle. Failing that, if there is room under `maxConnections`, it
 * reserves a new connection in state CONNECTING and opens it. Failing that, it
 * waits in a FIFO queue, with the pool timeout running.
 *
 * The queue is first come, first served, and a released connection is *handed*
 * to the first waiter rather than put in the idle list for whoever asks next:
 * otherwise a stream of new requests could overtake a waiter forever, and its
 * PoolTimeout would fire while connections were being reused under its nose.
 * When a connection closes instead, the room it leaves is handed over the same
 * way, as a fresh CONNECTING connection the waiter then opens. Either way the
 * waiter's place in the count is reserved before it even wakes up — so while
 * anyone waits, no connection is idle and the pool is full.
 *
 * ## How this differs from httpcore, and why
 *
 * httpcore's `handle_async_request` puts every request in a list of `PoolRequest`s,
 * then calls `_assign_requests_to_connections()`: one sweep that closes the expired
 * and surplus idle connections, then walks the queued requests in order and gives
 * each an available connection, a new one if there is room, or room made by
 * evicting an idle connection of another origin. The request then waits on its
 * `PoolRequest` event — even when a connection was free — and every response that
 * closes runs the whole sweep again. It is one rule for every case, simple to prove
 * fair, and it pays for that with work proportional to connections × requests on
 * every event and a wait per request.
 *
 * Here the same rules are applied at the one place each case arises, so that no
 * step looks at more than it changes:
 *
 * - a request that finds a connection (idle, or room for a new one) takes it at
 *   once (`#acquireNow`): no queue entry, no future, no coroutine — the common case
 *   of a warm pool costs a pop from the idle list (the keep-alive runs of bench/http.ts);
 * - only a request that finds none queues (`#wait`), and only it pays for a future
 *   and a timer;
 * - the sweep's "give the freed connection to the first queued request" happens in
 *   `_release`, to the head of the FIFO queue and to nobody else, so the order is
 *   httpcore's without re-examining the queue;
 * - the sweep's expiry check becomes `#pruneExpired`, run where it matters (before
 *   taking an idle connection and before adding one), oldest first, so it stops at
 *   the first connection still alive.
 *
 * One pool serves one origin (AsyncHTTPTransport keeps one per origin), so httpcore's
 * cross-origin eviction has no counterpart; the limits apply per origin.
 * The request itself runs in three steps, as in `handleRequest`: acquire (the above),
 * open (connect a new connection; a reused one has nothing to open) and exchange
 * (write the request, read the head; the body is read later, through the response).
 *
 * ## Releasing only after the body
 *
 * A connection returns to the idle list only once the response body has been
 * read to the end *and* both sides allow keep-alive. Until the last byte is
 * read, the rest of the body is still on the wire ahead of the next response;
 * a connection given back early would read it as the head of the next one.
 * So the response carries the connection (its `ResponseStream`), and reading
 * its end is what releases it. Closing a response early closes its connection:
 * draining an unknown amount of unwanted body to save a handshake is a bad
 * trade, and httpx makes the same one.
 *
 * Every path out of a request — success, error, timeout, or a CancelledError
 * thrown in at any `yield*` (waiting in the queue, connecting, writing, reading
 * the head, reading the body) — goes through `_release` exactly once, with the
 * connection either reusable or closed. That is what keeps `stats()` honest.
 *
 * ## The retry rule
 *
 * A server may close an idle keep-alive connection at any moment, and that
 * close can cross our request on the wire: we write, and read only an EOF (or a
 * reset) — not one byte of response. Checking the socket before reuse narrows
 * the window but cannot close it. When it happens on a *reused* connection, for
 * an *idempotent* method (GET HEAD OPTIONS PUT DELETE TRACE, RFC 9110 §9.2.2),
 * and *no byte* of response arrived, the request is retried once on a fresh
 * connection: the server cannot have acted on it twice in a way that matters.
 * A POST is never retried silently — it may have been processed before the
 * connection died — and the error goes to the caller. A fresh connection that
 * fails is never retried either: that is not the race, it is the server.
 * "Fresh" is meant: the retry never takes another idle connection, which the
 * server's idle timer may be closing at the same moment (the soak caught exactly
 * that); it opens a new one, closing the oldest idle one if the pool is full, and
 * a connection handed to a queued retry is swapped for a new one likewise.
 *
 * ## Watching it: the trace and the leak report
 *
 * Under `run(main, { trace })` the pool tells the recorder (trace.ts) what happens to
 * each connection, on a lane named `connection #<id> <origin>`: `acquire` (leased to a
 * request; detail: its task), `connect` (a new one opened), `reuse` (an open one handed
 * out again), `release` (back to the idle list, or straight to a waiter) and `close`
 * (with the reason). With tracing off each is one check of the running loop's
 * `_tracer`. In debug mode the pool also remembers which task holds each leased
 * connection, so that `close()` can name the requests whose response was never read
 * to the end nor closed — the leak that otherwise shows only as a pool that slowly
 * runs out of connections.
 */
import type * as tls from 'node:tls';
import type { Coro } from '../coroutines.ts';
import { Deque } from '../deque.ts';
import { _getRunningLoop, getRunningLoop } from '../events.ts';
import { RuntimeError } from '../exceptions.ts';
import type { Future } from '../futures.ts';
import { PoolTimeout } from './errors.ts';
import { HTTP11Connection, isNoResponseError, originKey, type HTTPConnectionState, type Origin, type ResponseHead } from './http11.ts';
import { DEFAULT_TIMEOUTS, Response, type Request, type ResponseStream } from './models.ts';
import type { EventLoop } from '../loop.ts';
import type { PoolEventKind } from '../trace.ts';

/** The pool's limits. httpx: `httpx.Limits`. */
export interface Limits {
  /** Most connections open at once (null: no limit). Default 100. */
  maxConnections: number | null;
  /** Most connections kept idle (null: no limit). Default 20. */
  maxKeepaliveConnections: number | null;
  /** Seconds an idle connection is kept (null: forever). Default 5. */
  keepaliveExpiry: number | null;
}

/** httpx's defaults: 100 connections, 20 kept alive, for 5 s. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxConnections: 100,
  maxKeepaliveConnections: 20,
  keepaliveExpiry: 5,
});

/** A snapshot of a pool's counts. */
export interface PoolStats {
  /** Connections leased to a request (ACTIVE). */
  active: number;
  /** Connections in the idle list (IDLE). */
  idle: number;
  /** Connections being opened, or reserved for a waiter to open (CONNECTING). */
  connecting: number;
  /** Requests waiting in the queue for a connection (including, until it resumes, one just handed a connection). */
  waiting: number;
  /** Connections opened so far. */
  opened: number;
  /** Requests that were sent on a reused connection. */
  reused: number;
}

/** Options of a ConnectionPool. */
export interface PoolOptions {
  limits?: Partial<Limits>;
  /** `tls.connect` options for https connections. */
  tls?: tls.ConnectionOptions;
}

/**
 * The pool's own states (OPEN, then CLOSED for good after `close()`), as data, and
 * below it the life of a connection as the pool moves it (http11.ts `HTTPConnectionState`).
 * docs/diagrams/pool.md is drawn from both tables by scripts/diagrams.ts.
 */
export const POOL_TRANSITIONS = {
  OPEN: { close: 'CLOSED' },
  CLOSED: {},
} as const;

/** OPEN, then CLOSED for good after `close()`. */
export type PoolState = keyof typeof POOL_TRANSITIONS;

/**
 * A pooled connection's states (http11.ts's diagram), and which step of the pool or of
 * the connection moves it: `#reserveNew` makes it CONNECTING; `connect()`, `_markIdle`,
 * `_reuse`, `_release` and `close()` move it.
 */
export const POOLED_CONNECTION_TRANSITIONS = {
  CONNECTING: { connected: 'ACTIVE', connectFailedOrCancelled: 'CLOSED', reservationReleased: 'CLOSED' },
  ACTIVE: {
    handedToWaiter: 'ACTIVE',
    releasedToIdleList: 'IDLE',
    errorOrCancelled: 'CLOSED',
    notReusableOrNoRoom: 'CLOSED',
    poolClosed: 'CLOSED',
  },
  IDLE: { reused: 'ACTIVE', staleOrExpired: 'CLOSED', poolClosed: 'CLOSED' },
  CLOSED: {},
} as const satisfies { readonly [S in HTTPConnectionState]: { readonly [event: string]: HTTPConnectionState } };

/** RFC 9110 §9.2.2: methods whose repetition has the effect of one request. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/**
 * The keep-alive connections to one origin.
 *
 * Invariants:
 * - `#connections` holds every connection that is not CLOSED: its size never
 *   exceeds `#maxConnections`.
 * - `#idle` holds exactly the IDLE ones, oldest first (so also by `expiresAt`);
 *   its length never exceeds `#maxKeepalive`.
 * - `#waiters` is the FIFO queue of requests waiting for a connection. A waiter
 *   whose future is done (timed out, cancelled, or handed a connection) is
 *   skipped when popped. `#waiting` counts the waits in progress: it drops when
 *   the waiting task resumes (in `#wait`'s `finally`), so for one loop iteration it
 *   still counts a waiter already handed a connection or timed out. `#nextWaiter`
 *   skips those (their future is done), so the count is only ever an upper bound.
 * - A connection handed to a waiter (ACTIVE, or a fresh CONNECTING one) is
 *   counted in `#connections` from that moment; if the waiter is cancelled before
 *   it runs, it releases that connection, so none is ever lost.
 * - CLOSED: every connection is closed, `#connections` is empty, and requests fail.
 *
 * @example
 * const pool = new ConnectionPool(originOf(new URL('http://localhost:8080')));
 * const response = yield* pool.handleRequest(new Request('GET', 'http://localhost:8080/'));
 * yield* response.aread();      // the connection goes back to the idle list here
 * pool.stats();                 // { active: 0, idle: 1, connecting: 0, waiting: 0, opened: 1, reused: 0 }
 * @see httpcore `AsyncConnectionPool`
 */
export class ConnectionPool {
  readonly origin: Origin;
  readonly #maxConnections: number;
  readonly #maxKeepalive: number;
  readonly #keepaliveExpiry: number;
  readonly #tls: tls.ConnectionOptions | undefined;
  #state: PoolState = 'OPEN';
  readonly #connections = new Set<HTTP11Connection>();
  readonly #idle: HTTP11Connection[] = [];
  readonly #waiters = new Deque<Future<HTTP11Connection>>();
  #waiting = 0;
  #opened = 0;
  #reused = 0;
  /** Debug mode only (else null): who holds each leased connection, for close()'s leak report. */
  #leases: Map<HTTP11Connection, Lease> | null = null;

  constructor(origin: Origin, options: PoolOptions = {}) {
    this.origin = origin;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#maxConnections = limits.maxConnections ?? Infinity;
    this.#maxKeepalive = limits.maxKeepaliveConnections ?? Infinity;
    this.#keepaliveExpiry = limits.keepaliveExpiry ?? Infinity;
    if (!(this.#maxConnections >= 1)) throw new RangeError(`maxConnections must be at least 1, got ${limits.maxConnections}`);
    this.#tls = options.tls;
  }

  /** OPEN or CLOSED. */
  get state(): PoolState {
    return this.#state;
  }

  /** Every connection not CLOSED (for specs and diagnostics). */
  get connections(): HTTP11Connection[] {
    return [...this.#connections];
  }

  /** The pool's counts; see {@link PoolStats}. */
  stats(): PoolStats {
    let active = 0;
    let connecting = 0;
    for (const conn of this.#connections) {
      if (conn.state === 'ACTIVE') active++;
      else if (conn.state === 'CONNECTING') connecting++;
    }
    return { active, idle: this.#idle.length, connecting, waiting: this.#waiting, opened: this.#opened, reused: this.#reused };
  }

  /**
   * Send `request` on a pooled connection and return the response with its body
   * unread: reading it to the end releases the connection, `aclose()` closes it.
   * Timeouts come from `request.extensions.timeout` (default 5 s each). Retries
   * once on a fresh connection by the rule in the file header.
   *
   * @see httpcore `AsyncConnectionPool.handle_async_request`
   */
  *handleRequest(request: Request): Coro<Response> {
    const timeouts = request.extensions.timeout ?? DEFAULT_TIMEOUTS;
    for (let attempt = 1; ; attempt++) {
      // 1. Acquire. No coroutine unless the request has to queue (#acquireNow, "Acquiring"
      //    above). A retry must not meet the race again: it takes a fresh connection,
      //    never an idle one, which the server may be closing at this very moment too.
      const fresh = attempt > 1;
      const acquired = (fresh ? this.#acquireFresh() : this.#acquireNow()) ?? (yield* this.#wait(timeouts.pool));
      const conn = this.#lease(acquired, fresh);
      const reused = conn.requestCount > 0;
      let head: ResponseHead;
      try {
        // 2. Open: connect a new connection (a coroutine only then), or count the reuse.
        if (conn.state === 'CONNECTING') yield* this.#open(conn, timeouts.connect);
        else this.#noteReuse(conn);
        // 3. Exchange: write the request, read the head. The body is read later, through
        //    the response's PooledBody, whose end releases the connection.
        head = yield* conn.sendRequest(request, timeouts);
      } catch (err) {
        // connect() and sendRequest() closed the connection on their way out.
        this._release(conn, err instanceof Error ? err.name : 'error');
        if (attempt === 1 && reused && isNoResponseError(err) && IDEMPOTENT_METHODS.has(request.method)) continue;
        throw err;
      }
      return this.#pooledResponse(request, conn, head, reused, timeouts.read);
    }
  }

  /**
   * Close every connection, idle or not, and fail the waiting requests. Responses
   * still being read fail with a RemoteProtocolError. Idempotent.
   */
  close(): void {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    if (this.#leases !== null && this.#leases.size > 0) this.#reportLeases(this.#leases);
    for (const conn of this.#connections) {
      conn.close();
      mark('close', conn, 'pool closed');
    }
    this.#connections.clear();
    this.#idle.length = 0;
    for (let w = this.#waiters.shift(); w !== undefined; w = this.#waiters.shift()) {
      if (!w.done()) w.setException(poolClosed());
    }
  }

  toString(): string {
    const s = this.stats();
    return `<ConnectionPool ${originKey(this.origin)} ${this.#state} active=${s.active} idle=${s.idle} connecting=${s.connecting} waiting=${s.waiting}>`;
  }

  // -------------------------------------------------------------------------
  // The three steps of a request: acquire, open, exchange
  // -------------------------------------------------------------------------

  /**
   * Step 1's end: `conn` is the request's from here until `_release`. A retry that was
   * handed a used connection swaps it for a fresh one; the trace and debug mode's lease
   * list learn who holds it.
   */
  #lease(conn: HTTP11Connection, fresh: boolean): HTTP11Connection {
    if (fresh && conn.state !== 'CONNECTING') conn = this.#replaceWithFresh(conn, 'swapped for a fresh connection (retry)');
    const loop = getRunningLoop();
    if (loop._tracer !== null) loop._tracer.poolEvent('acquire', laneName(conn), loop._currentTask?.getName() ?? '');
    if (loop.getDebug()) this.#noteLease(conn, loop);
    return conn;
  }

  /** Step 2 for a new connection: open it (TCP, then TLS for https) under the connect timeout. */
  *#open(conn: HTTP11Connection, connectTimeout: number | null): Coro<void> {
    yield* conn.connect({ tls: this.#tls, connectTimeout });
    this.#opened++;
    mark('connect', conn, originKey(this.origin));
  }

  /** Step 2 for a kept-alive connection: nothing to open, only counted. */
  #noteReuse(conn: HTTP11Connection): void {
    this.#reused++;
    mark('reuse', conn, 'kept alive');
  }

  /** Step 3's end: the response, its body still on the wire behind `head`, read through a PooledBody. */
  #pooledResponse(request: Request, conn: HTTP11Connection, head: ResponseHead, reused: boolean, readTimeout: number | null): Response {
    return new Response(head.statusCode, {
      reasonPhrase: head.reasonPhrase,
      httpVersion: head.httpVersion,
      headers: head.headers,
      stream: new PooledBody(this, conn, readTimeout),
      request,
      extensions: { connectionId: conn.id, reused },
    });
  }

  // -------------------------------------------------------------------------
  // Acquire and release
  // -------------------------------------------------------------------------

  /**
   * A new connection for a retry: room under `maxConnections`, or room made by closing
   * the oldest idle connection (the likeliest to be stale anyway); null if every
   * connection is leased, and the retry queues like any request.
   */
  #acquireFresh(): HTTP11Connection | null {
    if (this.#state === 'CLOSED') throw poolClosed();
    if (this.#connections.size < this.#maxConnections) return this.#reserveNew();
    const oldest = this.#idle.shift();
    return oldest === undefined ? null : this.#replaceWithFresh(oldest, 'closed to make room for a retry');
  }

  /** Close `conn` and reserve a new connection in its place: the count does not change. */
  #replaceWithFresh(conn: HTTP11Connection, reason: string): HTTP11Connection {
    conn.close();
    this.#connections.delete(conn);
    mark('close', conn, reason);
    return this.#reserveNew();
  }

  /**
   * A connection for one request without waiting: a good idle one, or a new CONNECTING
   * one; null if the request must wait (`#wait`) for one to be handed over.
   */
  #acquireNow(): HTTP11Connection | null {
    if (this.#state === 'CLOSED') throw poolClosed();
    const now = getRunningLoop().time();
    this.#pruneExpired(now);
    const idle = this.#idle;
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (conn._reuse(now)) return conn;
      this.#connections.delete(conn); // stale: _reuse closed it
      mark('close', conn, 'stale (closed by the server, or sent bytes while idle)');
    }
    if (this.#connections.size < this.#maxConnections) return this.#reserveNew();
    return null;
  }

  /** Wait in the FIFO queue until `_release` hands a connection over, or the pool timeout. */
  *#wait(poolTimeout: number | null): Coro<HTTP11Connection> {
    const loop = getRunningLoop();
    const waiter = loop.createFuture<HTTP11Connection>();
    this.#waiters.push(waiter);
    this.#waiting++;
    const timer = poolTimeout === null ? null : loop.callLater(poolTimeout, expireWaiter, waiter, poolTimeout, this);
    try {
      return yield* waiter;
    } catch (err) {
      // Woken with a connection, then cancelled before running: the connection is
      // ours to give back, or it would be counted in the pool forever.
      if (waiter.done() && !waiter.cancelled() && waiter.exception() === null) this._release(waiter.result());
      throw err;
    } finally {
      this.#waiting--;
      timer?.cancel();
    }
  }

  #reserveNew(): HTTP11Connection {
    const conn = new HTTP11Connection(this.origin);
    this.#connections.add(conn);
    return conn;
  }

  /** The first waiter still waiting, or null. */
  #nextWaiter(): Future<HTTP11Connection> | null {
    if (this.#waiting === 0) return null;
    for (let w = this.#waiters.shift(); w !== undefined; w = this.#waiters.shift()) {
      if (!w.done()) return w;
    }
    return null;
  }

  /** @internal The response body was read to the end: keep the connection if it allows, else close it. */
  _responseComplete(conn: HTTP11Connection): void {
    if (!conn.finishCycle()) conn.close();
    this._release(conn, 'not reusable (Connection: close, or the server closed)');
  }

  /**
   * @internal A request is done with `conn`, which is ACTIVE and ready for another
   * request, or CLOSED, or still CONNECTING (a reservation never used). An ACTIVE
   * one goes to the first waiter, else to the idle list if there is room, else it
   * is closed. A closed one leaves room, which goes to the first waiter.
   * `closeReason` is for the trace: why a connection that comes back closed was closed.
   */
  _release(conn: HTTP11Connection, closeReason = 'error'): void {
    this.#leases?.delete(conn);
    if (conn.state === 'ACTIVE' && this.#state === 'OPEN') {
      const waiter = this.#nextWaiter();
      if (waiter !== null) {
        mark('release', conn, 'handed to a waiting request');
        return waiter.setResult(conn);
      }
      const now = getRunningLoop().time();
      this.#pruneExpired(now);
      if (this.#idle.length < this.#maxKeepalive) {
        conn._markIdle(now, this.#keepaliveExpiry);
        this.#idle.push(conn);
        mark('release', conn, 'idle');
        return;
      }
      closeReason = 'no room under maxKeepaliveConnections';
    }
    if (conn.state === 'CONNECTING') closeReason = 'reserved, never opened';
    conn.close();
    if (!this.#connections.delete(conn)) return; // already forgotten (pool closed)
    mark('close', conn, closeReason);
    // Room for one more: hand it to the first waiter as a connection to open.
    const waiter = this.#nextWaiter();
    if (waiter !== null) waiter.setResult(this.#reserveNew());
  }

  /** Close idle connections whose keep-alive has expired (the oldest are first). */
  #pruneExpired(now: number): void {
    const idle = this.#idle;
    let n = 0;
    while (n < idle.length && idle[n]!.expiresAt <= now) {
      idle[n]!.close();
      this.#connections.delete(idle[n]!);
      mark('close', idle[n]!, 'keep-alive expired');
      n++;
    }
    if (n > 0) idle.splice(0, n);
  }

  // -------------------------------------------------------------------------
  // Debug mode: who holds what
  // -------------------------------------------------------------------------

  #noteLease(conn: HTTP11Connection, loop: EventLoop): void {
    const task = loop._currentTask;
    const holder = task === null ? 'a callback (no task)' : `Task '${task.getName()}'`;
    (this.#leases ??= new Map()).set(conn, { holder, sourceTraceback: task?._sourceTraceback, loop });
  }

  /** close() with connections still leased: name each one and the task holding it. */
  #reportLeases(leases: Map<HTTP11Connection, Lease>): void {
    const n = leases.size;
    const loop = leases.values().next().value!.loop;
    const lines: string[] = [];
    for (const [conn, lease] of leases) {
      lines.push(`  connection #${conn.id} (${conn.state}), leased by ${lease.holder}`);
      if (lease.sourceTraceback) lines.push(`    which was created at:\n${lease.sourceTraceback.replace(/^/gm, '    ')}`);
    }
    leases.clear();
    loop.callExceptionHandler({
      message:
        `closing the connection pool of ${originKey(this.origin)} with ${n} connection${n === 1 ? '' : 's'} still leased ` +
        `(a response never read to the end nor closed, or a request still running):\n${lines.join('\n')}`,
    });
  }
}

/** Debug mode: the request holding a leased connection. */
interface Lease {
  /** `Task 'name'`. */
  readonly holder: string;
  /** Where that task was created. */
  readonly sourceTraceback: string | undefined;
  readonly loop: EventLoop;
}

/** The lane of `conn` in a trace. */
function laneName(conn: HTTP11Connection): string {
  return `connection #${conn.id} ${originKey(conn.origin)}`;
}

/** Tracing: tell the running loop's recorder, if there is one, what happened to `conn`. */
function mark(kind: PoolEventKind, conn: HTTP11Connection, detail: string): void {
  const tracer = _getRunningLoop()?._tracer ?? null;
  if (tracer !== null) tracer.poolEvent(kind, laneName(conn), detail);
}

/** The pool timeout fired for `waiter` (module-level: no closure per wait). */
function expireWaiter(waiter: Future<HTTP11Connection>, seconds: number, pool: ConnectionPool): void {
  if (waiter.done()) return;
  const s = pool.stats();
  waiter.setException(
    new PoolTimeout(
      `no connection to ${originKey(pool.origin)} became free within ${seconds} s ` +
        `(${s.active} active, ${s.connecting} connecting, ${s.waiting} waiting)`,
    ),
  );
}

function poolClosed(): RuntimeError {
  return new RuntimeError('cannot send a request: the connection pool (its client or transport) has been closed');
}

/**
 * The body of a pooled response: reads from the connection, and releases it to the
 * pool at the end of the body, or closes it if the response is closed early.
 *
 * Invariant: `#conn` is the connection until the body ended or was closed, then null.
 */
class PooledBody implements ResponseStream {
  readonly #pool: ConnectionPool;
  readonly #readTimeout: number | null;
  #conn: HTTP11Connection | null;

  constructor(pool: ConnectionPool, conn: HTTP11Connection, readTimeout: number | null) {
    this.#pool = pool;
    this.#conn = conn;
    this.#readTimeout = readTimeout;
  }

  *read(): Coro<Uint8Array | null> {
    const conn = this.#conn;
    if (conn === null) return null;
    let chunk: Uint8Array | null;
    try {
      chunk = yield* conn.readBody(this.#readTimeout);
    } catch (err) {
      // readBody closed the connection; the pool gets its room back.
      this.#conn = null;
      this.#pool._release(conn);
      throw err;
    }
    if (chunk === null) {
      this.#conn = null;
      this.#pool._responseComplete(conn);
    }
    return chunk;
  }

  close(): void {
    const conn = this.#conn;
    if (conn === null) return;
    this.#conn = null;
    conn.close();
    this.#pool._release(conn, 'response closed before its end');
  }
}
