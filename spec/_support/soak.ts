/**
 * The HTTP soak under faults and cancellations (issue #5), shared by
 * spec/http/soak.spec.ts (a few thousand requests inside `npm test`) and
 * bench/soak.ts (`npm run soak`: 100,000 requests, with the heap check).
 *
 * One `AsyncClient` (64 connections, 64 kept alive) sends N requests —
 * `GET /?id=N`, and a share of `POST /?id=N` with body `id=N` — from more
 * workers than there are connections (so requests also wait in the pool's queue),
 * to a loopback `net` server written here that answers each with its id as the
 * body. Meanwhile:
 *
 * - a chaos task cancels a random in-flight request every 2–8 ms of loop time,
 *   and again every 20–60 completions, wherever that request is waiting;
 * - a share of requests runs under `timeout()` scopes of 1–5 ms, another share
 *   with httpx timeouts (connect/read/write/pool) of 1–5 ms;
 * - the server, from a seeded PRNG, drops connections *before* a response
 *   (destroys the socket on accept, or on the first request without reading
 *   it), *during* one (part of the head or body, then close or reset), and
 *   *after* one (closes the idle keep-alive connection at a random moment, or
 *   drops the next request that arrives on it unanswered — the stale-connection
 *   race), and stalls a share of responses by 0–4 ms.
 *
 * The server counts requests per id and method: a GET seen twice is a retry; a
 * POST seen twice would be a silent retry, which is never allowed. A GET the
 * server dropped unanswered on a reused connection is *owed* a retry, and the
 * server leaves retries alone (it answers them at once, never drops their
 * connection before reading them), so such a GET must end ok — or cancelled or
 * timed out, which the client asked for.
 *
 * Everything runs in one process: the server is plain Node outside yieldio's
 * loop, the client inside `run()`. The PRNG seed is printed; `SOAK_SEED=…`
 * replays the same fault choices (timing still varies).
 */
import { rng as prng } from './bytes.ts';
import * as net from 'node:net';
import { CancelledError, TimeoutError } from '../../lib/exceptions.ts';
import { createTask, currentTask, sleep, type Task } from '../../lib/tasks.ts';
import { getRunningLoop } from '../../lib/events.ts';
import { gather } from '../../lib/gather.ts';
import { run } from '../../lib/runners.ts';
import { withTimeout } from '../../lib/timeouts.ts';
import type { Coro } from '../../lib/coroutines.ts';
import { AsyncClient } from '../../lib/http/client.ts';
import { AsyncHTTPTransport } from '../../lib/http/transports.ts';
import type { PoolStats } from '../../lib/http/pool.ts';
import { TimeoutException, TransportError } from '../../lib/http/errors.ts';
import { isNoResponseError } from '../../lib/http/http11.ts';
import type { TimeoutConfig } from '../../lib/http/models.ts';

// ---------------------------------------------------------------------------
// Options and report
// ---------------------------------------------------------------------------

export interface SoakOptions {
  /** Requests in all (split into two phases, heap measured after each). */
  requests: number;
  /** PRNG seed (default: SOAK_SEED from the environment, else random). */
  seed?: number;
  /** Workers sending requests at once (default 128: twice the pool). */
  concurrency?: number;
  /** Overall bound in seconds on the requests (default 60). */
  deadline?: number;
  /** Measure heap growth per request (needs `global.gc`; default true). */
  heap?: boolean;
  /** Heap growth per request allowed, in bytes (default 200). */
  heapBound?: number;
  /** Ids of checks whose failure is a known, reported bug: marked `known`, not failed on. */
  tolerate?: readonly string[];
}

/** Outcome codes, one per request id. */
const PENDING = 0, OK = 1, CANCELLED = 2, TIMED_OUT = 3, FAILED = 4, UNEXPECTED = 5, WRONG = 6, HTTPX_TIMEOUT = 7;

export interface SoakCheck {
  /** A short stable id (for `tolerate`). */
  id: string;
  name: string;
  ok: boolean;
  detail: string;
  /** Failed, but listed in `tolerate`: a known bug, reported and not failed on. */
  known: boolean;
}

export interface SoakReport {
  seed: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  tallies: {
    ok: number;
    cancelled: number;
    timedOut: number;
    failed: Record<string, number>;
    unexpected: Record<string, number>;
    wrongBody: number;
  };
  examples: string[];
  server: ServerCounts;
  /** GETs the server saw twice (the pool's retries). */
  retries: number;
  /** Requests the chaos task cancelled (cancel() returned true). */
  cancelRequests: number;
  statsBeforeClose: PoolStats | null;
  heap: { afterPhase1: number; afterPhase2: number; perRequest: number } | null;
  checks: SoakCheck[];
}

export interface ServerCounts {
  connections: number;
  droppedOnAccept: number;
  droppedUnread: number;
  droppedDuring: number;
  closedIdle: number;
  droppedNext: number;
  stalled: number;
  requests: number;
  /** GETs dropped unanswered on a connection that had answered before: owed a retry. */
  owedRetries: number;
  /** Requests the server could not parse or whose POST body did not carry the target's id. */
  malformed: number;
}

// Seeded PRNG: mulberry32, shared with the byte-splitting helpers (bytes.ts `rng`).
export { prng };

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/** Fault rates of the server (shares of connections or responses). */
const FAULTS = {
  /** A new connection is dropped before any response: on accept, or on its first request, unread. */
  before: 0.03,
  /** A response is cut after part of its head or body. */
  during: 0.02,
  /** After a response, the idle connection is closed 0–3 ms later. */
  closeIdle: 0.03,
  /** After a response, the next request on the connection is dropped unanswered. */
  dropNext: 0.02,
  /** A response is delayed 0–4 ms. */
  stall: 0.05,
};

interface SoakServer {
  port: number;
  counts: ServerCounts;
  /** Requests seen per id, GET and POST (index: id). */
  gets: Uint8Array;
  posts: Uint8Array;
  /** Ids owed a retry (GETs dropped unanswered on a reused connection), 1 per id. */
  owed: Uint8Array;
  /** The client is done with `id`: the server stops sparing its retries. */
  forget(id: number): void;
  openSockets(): number;
  close(): Promise<void>;
}

function startSoakServer(requests: number, random: () => number): Promise<SoakServer> {
  const counts: ServerCounts = {
    connections: 0, droppedOnAccept: 0, droppedUnread: 0, droppedDuring: 0, closedIdle: 0,
    droppedNext: 0, stalled: 0, requests: 0, owedRetries: 0, malformed: 0,
  };
  const gets = new Uint8Array(requests);
  const posts = new Uint8Array(requests);
  const owed = new Uint8Array(requests);
  const done = new Uint8Array(requests); // the client has recorded the id's outcome
  let owedNow = 0; // ids owed a retry whose outcome the client has not reported yet
  const open = new Set<net.Socket>();

  const kill = (socket: net.Socket): void => {
    if (random() < 0.5) socket.destroy();
    else socket.resetAndDestroy();
  };

  const onConnection = (socket: net.Socket): void => {
    counts.connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    socket.setNoDelay(true);
    let dropUnread = false;
    if (random() < FAULTS.before) {
      // On accept — unless a retry may be on its way (it could be this connection):
      // then on its first request, unread, which spares a retry.
      if (owedNow === 0 && random() < 0.7) {
        counts.droppedOnAccept++;
        kill(socket);
        return;
      }
      dropUnread = true;
    }
    let buf: Buffer | null = null;
    let answered = 0;       // responses written completely on this socket
    let pending = -1;       // id of a request received and not yet answered (stalled)
    let pendingGet = false;
    let dropNext = false;
    let idleTimer: NodeJS.Timeout | null = null;

    /** Close the socket; a GET left unanswered on a connection that answered before is owed a retry. */
    const drop = (): void => {
      if (pending >= 0 && pendingGet && answered > 0 && gets[pending] === 1) oweRetry(pending);
      pending = -1;
      kill(socket);
    };
    const oweRetry = (id: number): void => {
      // A request the client already gave up on (it closed first; we have not noticed) is owed nothing.
      if (owed[id] !== 0 || done[id] !== 0) return;
      owed[id] = 1;
      owedNow++;
      counts.owedRetries++;
    };

    const answer = (full: string, cut: number): void => {
      if (socket.destroyed) return;
      if (cut >= 0) {
        socket.write(full.slice(0, cut));
        counts.droppedDuring++;
        pending = -1;
        kill(socket);
        return;
      }
      socket.write(full);
      answered++;
      pending = -1;
      const roll = random();
      if (roll < FAULTS.closeIdle) {
        if (idleTimer !== null) clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          idleTimer = null;
          if (socket.destroyed) return;
          counts.closedIdle++;
          drop();
        }, random() * 3);
      } else if (roll < FAULTS.closeIdle + FAULTS.dropNext) {
        dropNext = true;
      }
    };

    const onRequest = (method: string, target: string, body: Buffer): void => {
      const m = /^\/\?id=(\d+)$/.exec(target);
      const id = m === null ? -1 : Number(m[1]);
      const isGet = method === 'GET';
      if (id < 0 || id >= requests || !(isGet || method === 'POST') || (!isGet && body.toString('latin1') !== `id=${id}`)) {
        counts.malformed++;
        socket.destroy();
        return;
      }
      const retry = isGet && gets[id]! >= 1;
      if (dropUnread && !(retry && owed[id] === 1)) {
        counts.droppedUnread++;
        kill(socket);
        return;
      }
      dropUnread = false;
      counts.requests++;
      if (isGet) gets[id] = Math.min(255, gets[id]! + 1);
      else posts[id] = Math.min(255, posts[id]! + 1);
      if (retry) {
        // A retry is answered at once and whole.
        answered++;
        socket.write(response(id));
        return;
      }
      if (dropNext) {
        dropNext = false;
        counts.droppedNext++;
        pending = id;
        pendingGet = isGet;
        drop();
        return;
      }
      const full = response(id);
      const cut = random() < FAULTS.during ? 1 + Math.floor(random() * (full.length - 1)) : -1;
      if (random() < FAULTS.stall) {
        counts.stalled++;
        pending = id;
        pendingGet = isGet;
        setTimeout(answer, random() * 4, full, cut);
      } else {
        answer(full, cut);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      for (;;) {
        if (socket.destroyed || buf === null) return;
        const end: number = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head: string = buf.toString('latin1', 0, end);
        const nl = head.indexOf('\r\n');
        const firstLine = nl < 0 ? head : head.slice(0, nl);
        const [method = '', target = ''] = firstLine.split(' ');
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        const length = cl === null ? 0 : Number(cl[1]);
        if (buf.length < end + 4 + length) return;
        const body = buf.subarray(end + 4, end + 4 + length);
        const rest: Buffer | null = buf.length === end + 4 + length ? null : buf.subarray(end + 4 + length);
        buf = rest;
        onRequest(method, target, body);
      }
    });
    socket.on('end', () => {
      if (idleTimer !== null) clearTimeout(idleTimer);
      socket.end();
    });
    socket.on('close', () => {
      if (idleTimer !== null) clearTimeout(idleTimer);
    });
  };

  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  server.maxConnections = 4096;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        counts,
        gets,
        posts,
        owed,
        forget(id: number) {
          done[id] = 1;
          if (owed[id] === 1) {
            owed[id] = 2;
            owedNow--;
          }
        },
        openSockets: () => open.size,
        close: () => new Promise<void>((done) => {
          for (const socket of open) socket.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

function response(id: number): string {
  const body = String(id);
  return `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nContent-Type: text/plain\r\n\r\n${body}`;
}

// ---------------------------------------------------------------------------
// The client side
// ---------------------------------------------------------------------------

/** A response that is not the one asked for: never allowed. */
class WrongResponse extends Error {
  override name = 'WrongResponse';
}

/** How many open sockets Node counts (client and server side alike). */
function socketHandles(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof net.Socket).length;
}

/** Outside the loop: wait for `cond`, at most `ms`. */
async function eventually(cond: () => boolean, ms: number): Promise<boolean> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

function* untilOrFalse(cond: () => boolean, seconds: number): Coro<boolean> {
  const loop = getRunningLoop();
  const end = loop.time() + seconds;
  while (!cond()) {
    if (loop.time() > end) return false;
    yield* sleep(0.005);
  }
  return true;
}

function seedFromEnv(): number {
  const env = process.env.SOAK_SEED;
  if (env !== undefined && env !== '') return Number(env) >>> 0;
  return (Math.random() * 2 ** 32) >>> 0;
}

/**
 * Run the soak; never throws for a failed check (see `checks`), only for a broken harness.
 *
 * @example
 * const report = await soak({ requests: 3000 });
 * for (const c of report.checks) if (!c.ok) console.log(c.name, c.detail);
 */
export async function soak(options: SoakOptions): Promise<SoakReport> {
  const N = options.requests;
  const seed = options.seed ?? seedFromEnv();
  const concurrency = options.concurrency ?? 128;
  const deadline = options.deadline ?? 60;
  const heapBound = options.heapBound ?? 200;
  const gc = (globalThis as { gc?: () => void }).gc;
  const measureHeap = (options.heap ?? true) && typeof gc === 'function';

  const serverRandom = prng(seed);
  const clientRandom = prng(seed ^ 0x9e3779b9);
  const chaosRandom = prng(seed ^ 0x85ebca6b);

  const server = await startSoakServer(N, serverRandom);
  const handlesBaseline = socketHandles();

  // Per id, decided up front from the PRNG (so no allocation per request later).
  const kind = new Uint8Array(N);        // bit 0: POST, bit 1: timeout() scope, bit 2: httpx timeouts
  const scopeMs = new Float32Array(N);
  for (let id = 0; id < N; id++) {
    let k = 0;
    if (clientRandom() < 0.15) k |= 1;
    const r = clientRandom();
    if (r < 0.08) k |= 2;
    else if (r < 0.11) k |= 4;
    kind[id] = k;
    scopeMs[id] = 1 + clientRandom() * 4;
  }
  const outcome = new Uint8Array(N);
  const cancelAsked = new Uint8Array(N);
  const failed = new Map<string, number>();
  const unexpected = new Map<string, number>();
  const examples: string[] = [];
  const note = (line: string): void => {
    if (examples.length < 12) examples.push(line);
  };
  let cancelRequests = 0;
  let statsBeforeClose: PoolStats | null = null;
  const checks: SoakCheck[] = [];
  const tolerate = new Set(options.tolerate ?? []);
  const check = (id: string, name: string, ok: boolean, detail: string): void =>
    void checks.push({ id, name, ok, detail, known: !ok && tolerate.has(id) });
  let owedOtherError = 0;
  let heap: SoakReport['heap'] = null;
  let ioWaitsBeforeClose = -1;
  let ioWaitsAfterClose = -1;
  let serverClosedAll = false;
  let finishedInTime = false;

  const transport = new AsyncHTTPTransport({ limits: { maxConnections: 64, maxKeepaliveConnections: 64 } });
  const client = new AsyncClient({ baseUrl: `http://127.0.0.1:${server.port}`, transport, timeout: 5 });
  const pool = (): PoolStats => transport.stats();

  // In-flight request tasks, as an array with swap-remove (random pick in O(1)).
  const running: Array<Task<void>> = [];
  const slot = new Map<Task<void>, number>();
  const runningIds = new Map<Task<void>, number>();
  const track = (t: Task<void>, id: number): void => {
    slot.set(t, running.length);
    running.push(t);
    runningIds.set(t, id);
  };
  const untrack = (t: Task<void>): void => {
    const i = slot.get(t)!;
    const last = running.pop()!;
    if (last !== t) {
      running[i] = last;
      slot.set(last, i);
    }
    slot.delete(t);
    runningIds.delete(t);
  };
  const cancelRandom = (): void => {
    if (running.length === 0) return;
    const t = running[Math.floor(chaosRandom() * running.length)]!;
    if (t.cancel()) {
      cancelRequests++;
      cancelAsked[runningIds.get(t)!] = 1;
    }
  };

  const tinyTimeouts = (ms: number): TimeoutConfig => ({ connect: ms / 1000, read: ms / 1000, write: ms / 1000, pool: ms / 1000 });

  function* exchange(id: number): Coro<void> {
    const k = kind[id]!;
    const url = `/?id=${id}`;
    const opts = (k & 4) !== 0 ? { timeout: tinyTimeouts(scopeMs[id]!) } : {};
    const r = (k & 1) !== 0 ? yield* client.post(url, { ...opts, content: `id=${id}` }) : yield* client.get(url, opts);
    const text = r.text;
    if (r.statusCode !== 200 || text !== String(id)) {
      throw new WrongResponse(`${(k & 1) !== 0 ? 'POST' : 'GET'} id=${id} got ${r.statusCode} ${JSON.stringify(text.slice(0, 40))}`);
    }
  }

  function* request(id: number): Coro<void> {
    if ((kind[id]! & 2) !== 0) yield* withTimeout(scopeMs[id]! / 1000, () => exchange(id));
    else yield* exchange(id);
  }

  let completions = 0;
  let nextChaosAt = 20;

  function* worker(ids: { next: number; end: number }): Coro<void> {
    const me = currentTask()!;
    while (ids.next < ids.end) {
      const id = ids.next++;
      const t = createTask(request(id));
      track(t, id);
      try {
        yield* t;
        outcome[id] = OK;
      } catch (err) {
        if (me.cancelling() > 0) throw err; // the soak itself is being torn down
        if (t.cancelled()) outcome[id] = CANCELLED;
        else if (err instanceof TimeoutError) outcome[id] = TIMED_OUT;
        else if (err instanceof WrongResponse) {
          outcome[id] = WRONG;
          note(err.message);
        } else if (err instanceof TransportError) {
          const name = (err as Error).name;
          if (server.owed[id] === 1 && !(err instanceof TimeoutException)) {
            // The retry rule's failure mode: the retry itself met a closed connection.
            if (!isNoResponseError(err)) owedOtherError++;
            note(`GET id=${id} (owed a retry): ${String(err)}`);
          }
          failed.set(name, (failed.get(name) ?? 0) + 1);
          if (err instanceof TimeoutException && (kind[id]! & 4) === 0) {
            // A request with the client's 5 s timeouts should never wait that long here.
            outcome[id] = UNEXPECTED;
            unexpected.set(`${name} (no tiny timeout)`, (unexpected.get(`${name} (no tiny timeout)`) ?? 0) + 1);
            note(`id=${id}: ${String(err)}`);
          } else {
            outcome[id] = err instanceof TimeoutException ? HTTPX_TIMEOUT : FAILED;
          }
        } else {
          outcome[id] = UNEXPECTED;
          const name = err instanceof Error ? err.constructor.name : typeof err;
          unexpected.set(name, (unexpected.get(name) ?? 0) + 1);
          note(`id=${id}: ${err instanceof Error ? (err.stack ?? String(err)) : String(err)}`);
        }
      } finally {
        untrack(t);
        server.forget(id);
      }
      if (++completions >= nextChaosAt) {
        cancelRandom();
        nextChaosAt = completions + 20 + Math.floor(chaosRandom() * 40);
      }
    }
  }

  function* chaos(): Coro<void> {
    for (;;) {
      yield* sleep(0.002 + chaosRandom() * 0.006);
      cancelRandom();
    }
  }

  function* phase(from: number, to: number): Coro<void> {
    const ids = { next: from, end: to };
    const workers: Array<Coro<void>> = [];
    for (let i = 0; i < concurrency; i++) workers.push(worker(ids));
    const chaosTask = createTask(chaos());
    try {
      yield* gather(...workers);
    } finally {
      chaosTask.cancel();
      try {
        yield* chaosTask;
      } catch {
        // cancelled, as asked
      }
    }
  }

  function* main(): Coro<number> {
    const loop = getRunningLoop();
    const start = loop.time();
    try {
      const half = Math.floor(N / 2);
      yield* withTimeout(deadline, function* () {
        yield* phase(0, half);
        let h1 = 0;
        if (measureHeap) {
          gc!();
          gc!();
          h1 = process.memoryUsage().heapUsed;
        }
        yield* phase(half, N);
        if (measureHeap) {
          gc!();
          gc!();
          const h2 = process.memoryUsage().heapUsed;
          heap = { afterPhase1: h1, afterPhase2: h2, perRequest: (h2 - h1) / (N - half) };
        }
      });
      finishedInTime = true;
      return loop.time() - start;
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err;
      return loop.time() - start;
    } finally {
      statsBeforeClose = pool();
      ioWaitsBeforeClose = loop._ioWaitCount();
      yield* client.aclose();
      serverClosedAll = yield* untilOrFalse(() => server.openSockets() === 0, 3);
      ioWaitsAfterClose = loop._ioWaitCount();
    }
  }

  let seconds: number;
  try {
    // Belt and braces: if the loop itself hung, the server's close in `finally` frees it.
    let guard: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new Error(`soak: run() did not finish within ${deadline + 15} s (seed ${seed})`)), (deadline + 15) * 1000);
      guard.unref();
    });
    try {
      seconds = await Promise.race([run(main()), hung]);
    } finally {
      clearTimeout(guard);
    }
  } finally {
    const handlesBack = await eventually(() => socketHandles() <= handlesBaseline, 2000);
    check('handles', 'no socket left open after aclose (socket handles back to baseline)', handlesBack,
      `baseline ${handlesBaseline}, now ${socketHandles()}`);
    await server.close();
  }

  // ---- tallies ----
  let ok = 0, cancelled = 0, timedOut = 0, wrongBody = 0, pending = 0, httpxTimeouts = 0, failedCount = 0, unexpectedCount = 0;
  let cancelSwallowed = 0;
  for (let id = 0; id < N; id++) {
    const o = outcome[id];
    if (o === OK) ok++;
    else if (o === CANCELLED) cancelled++;
    else if (o === TIMED_OUT) timedOut++;
    else if (o === WRONG) wrongBody++;
    else if (o === PENDING) pending++;
    else if (o === HTTPX_TIMEOUT) httpxTimeouts++;
    else if (o === FAILED) failedCount++;
    else if (o === UNEXPECTED) unexpectedCount++;
    if (cancelAsked[id] === 1 && o !== CANCELLED) {
      cancelSwallowed++;
      if (cancelSwallowed <= 3) note(`id=${id}: cancel() returned true, yet the request ended with outcome ${o}`);
    }
  }
  void failedCount;
  void httpxTimeouts;

  // ---- server-side checks ----
  let retries = 0, getsSeenThrice = 0, postsSeenTwice = 0, okNeverSeen = 0, owedNotRetried = 0;
  for (let id = 0; id < N; id++) {
    const g = server.gets[id]!, p = server.posts[id]!;
    if (g === 2) retries++;
    if (g > 2) getsSeenThrice++;
    if (p > 1) {
      postsSeenTwice++;
      note(`POST id=${id} seen ${p} times by the server`);
    }
    if (outcome[id] === OK && g + p === 0) okNeverSeen++;
    if (server.owed[id] !== 0) {
      const o = outcome[id];
      if (o !== OK && o !== CANCELLED && o !== TIMED_OUT && o !== HTTPX_TIMEOUT) {
        owedNotRetried++;
        if (owedNotRetried <= 3) note(`GET id=${id} dropped unanswered on a reused connection: outcome ${o}, server saw it ${g} time(s)`);
      }
    }
  }

  const stats = statsBeforeClose as PoolStats | null;
  check('deadline', 'all requests finished within the deadline', finishedInTime && pending === 0, `${pending} still pending; deadline ${deadline} s`);
  check('own-id', 'every response carried its own id', wrongBody === 0 && okNeverSeen === 0, `${wrongBody} wrong bodies, ${okNeverSeen} ok responses the server never answered`);
  check('error-classes', 'failures are httpx transport errors only (no TypeError, no stray class)', unexpectedCount === 0,
    JSON.stringify(Object.fromEntries(unexpected)));
  check('cancel', 'a cancelled request ends cancelled', cancelSwallowed === 0, `${cancelSwallowed} requests cancelled by chaos ended otherwise`);
  check('post-once', 'no POST was sent twice', postsSeenTwice === 0, `${postsSeenTwice} POST ids seen more than once`);
  check('get-retry-once', 'a GET is retried at most once', getsSeenThrice === 0, `${getsSeenThrice} GET ids seen three times or more`);
  check('retry-succeeds', 'a GET dropped unanswered on a reused connection is retried and succeeds', owedNotRetried === 0,
    `${owedNotRetried} of ${server.counts.owedRetries} failed with a network error`);
  check('retry-no-response', 'a GET owed a retry fails, if at all, only as a retry that met a closed connection', owedOtherError === 0,
    `${owedOtherError} failed with an error that says response bytes arrived`);
  check('pool-drained', 'pool: nothing leased, connecting or waiting after the requests',
    stats !== null && stats.active === 0 && stats.connecting === 0 && stats.waiting === 0,
    JSON.stringify(stats));
  check('pool-idle', 'pool: idle connections within maxKeepaliveConnections (64)', stats !== null && stats.idle <= 64, `idle ${stats?.idle}`);
  check('server-closed', 'server saw every connection closed after aclose', serverClosedAll, `${server.openSockets()} open`);
  check('io-waits', 'loop I/O waits: 0 after the requests and after aclose', ioWaitsBeforeClose === 0 && ioWaitsAfterClose === 0,
    `before close ${ioWaitsBeforeClose}, after ${ioWaitsAfterClose}`);
  check('well-formed', 'server: every request well-formed (target id, POST body)', server.counts.malformed === 0, `${server.counts.malformed} malformed`);
  const h = heap as SoakReport['heap'];
  if (h !== null) {
    check('heap', `heap growth per request below ${heapBound} bytes`, h.perRequest < heapBound,
      `${h.perRequest.toFixed(1)} B/request (${(h.afterPhase1 / 1e6).toFixed(1)} MB → ${(h.afterPhase2 / 1e6).toFixed(1)} MB)`);
  }

  return {
    seed,
    requests: N,
    seconds,
    requestsPerSecond: N / seconds,
    tallies: {
      ok,
      cancelled,
      timedOut,
      failed: Object.fromEntries([...failed].sort((a, b) => b[1] - a[1])),
      unexpected: Object.fromEntries(unexpected),
      wrongBody,
    },
    examples,
    server: server.counts,
    retries,
    cancelRequests,
    statsBeforeClose,
    heap,
    checks,
  };
}

/** The report as text lines (tallies, server counts, checks). */
export function formatReport(r: SoakReport, heapSkipped: boolean): string {
  const lines: string[] = [];
  const t = r.tallies;
  lines.push(`soak: ${r.requests} requests, seed ${r.seed} (replay: SOAK_SEED=${r.seed}), ${r.seconds.toFixed(2)} s, ${Math.round(r.requestsPerSecond)} requests/s`);
  lines.push(`  outcomes: ok ${t.ok}, cancelled ${t.cancelled}, timed out (timeout()) ${t.timedOut}, failed ${JSON.stringify(t.failed)}` +
    `, wrong body ${t.wrongBody}, unexpected ${JSON.stringify(t.unexpected)}`);
  const s = r.server;
  lines.push(`  server: ${s.connections} connections, ${s.requests} requests; dropped on accept ${s.droppedOnAccept}, unread ${s.droppedUnread}, ` +
    `mid-response ${s.droppedDuring}, idle closed ${s.closedIdle}, next request dropped ${s.droppedNext}, stalled ${s.stalled}`);
  lines.push(`  retries (GETs seen twice) ${r.retries}, GETs owed a retry ${s.owedRetries}, chaos cancels ${r.cancelRequests}, pool before close ${JSON.stringify(r.statsBeforeClose)}`);
  if (heapSkipped) lines.push('  heap check skipped: global.gc is absent (run with --expose-gc, as `npm run soak` does)');
  else if (r.heap !== null) {
    lines.push(`  heap after gc: ${(r.heap.afterPhase1 / 1e6).toFixed(2)} MB after phase 1, ${(r.heap.afterPhase2 / 1e6).toFixed(2)} MB after phase 2: ` +
      `${r.heap.perRequest.toFixed(1)} B per request`);
  }
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok   ' : c.known ? 'KNOWN' : 'FAIL '} ${c.name}${c.ok ? '' : ` — ${c.detail}`}`);
  for (const e of r.examples) lines.push(`  example: ${e.split('\n').slice(0, 4).join(' | ')}`);
  return lines.join('\n');
}
