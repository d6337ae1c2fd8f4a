/**
 * The connection pool: keep-alive reuse counted at the server, limits, FIFO
 * waiters, PoolTimeout, keep-alive expiry, stale connections and the retry rule,
 * and cancellation at every await point leaving zero leased connections.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CancelledError, TraceRecorder, createTask, currentTask, gather, getRunningLoop, run, sleep, type Coro, type RunOptions } from '../../lib/index.ts';
import { AsyncClient } from '../../lib/http/client.ts';
import { AsyncHTTPTransport } from '../../lib/http/transports.ts';
import { ConnectionPool, DEFAULT_LIMITS, type Limits, type PoolStats } from '../../lib/http/pool.ts';
import { originOf } from '../../lib/http/http11.ts';
import { Request } from '../../lib/http/models.ts';
import { PoolTimeout, RemoteProtocolError } from '../../lib/http/errors.ts';
import { startBytesServer } from '../_support/servers.ts';
import { allClosed, eventually, ok, startHttpServer, testCert, until, type BytesServer, type RawRequest } from '../_support/http-servers.ts';
import { loopbackClock } from '../_support/virtual.ts';

type Body = (client: AsyncClient, transport: AsyncHTTPTransport) => Coro<unknown>;

/** Run `body` with a client on its own transport; returns the body's result and the final stats. */
async function withPool(server: BytesServer, limits: Partial<Limits>, body: Body, scheme = 'http', runOptions: RunOptions = {}): Promise<{ result: unknown; stats: PoolStats }> {
  return run((function* () {
    const transport = new AsyncHTTPTransport({ limits, verify: false });
    const client = new AsyncClient({ baseUrl: `${scheme}://127.0.0.1:${server.port}`, transport });
    try {
      const result = yield* body(client, transport);
      return { result, stats: transport.stats() };
    } finally {
      yield* client.aclose();
    }
  })(), runOptions);
}

test('defaults are httpx\'s: 100 connections, 20 kept alive for 5 s', () => {
  assert.equal({ ...DEFAULT_LIMITS }, { maxConnections: 100, maxKeepaliveConnections: 20, keepaliveExpiry: 5 });
  assert.throws(() => new ConnectionPool(originOf(new URL('http://h/')), { limits: { maxConnections: 0 } }), /at least 1/);
});

// --- keep-alive --------------------------------------------------------------

test('two sequential GETs use one TCP connection; stats say so', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  const { result, stats } = await withPool(server, {}, function* (client) {
    const a = yield* client.get('/');
    const b = yield* client.get('/');
    return [a.extensions, b.extensions];
  });
  assert.is(server.connections.length, 1);
  const [a, b] = result as Array<{ connectionId: number; reused: boolean }>;
  assert.is(a!.connectionId, b!.connectionId);
  assert.equal([a!.reused, b!.reused], [false, true]);
  assert.equal(stats, { active: 0, idle: 1, connecting: 0, waiting: 0, opened: 1, reused: 1 });
  await server.close();
});

test('Connection: close → a new TCP connection per request', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x', 'Connection: close\r\n')));
  const { stats } = await withPool(server, {}, function* (client) {
    yield* client.get('/');
    yield* client.get('/');
  });
  assert.is(server.connections.length, 2);
  assert.equal(stats, { active: 0, idle: 0, connecting: 0, waiting: 0, opened: 2, reused: 0 });
  await server.close();
});

test('a request saying Connection: close is not kept either', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  await withPool(server, {}, function* (client) {
    yield* client.get('/', { headers: { Connection: 'close' } });
    yield* client.get('/', { headers: { Connection: 'close' } });
  });
  assert.is(server.connections.length, 2);
  await server.close();
});

test('concurrent requests beyond maxConnections queue FIFO on the connections there are', async () => {
  const order: string[] = [];
  const server = await startHttpServer((req, socket) => {
    order.push(req.target);
    setTimeout(() => socket.write(ok(req.target)), 2);
  });
  const { result, stats } = await withPool(server, { maxConnections: 1 }, function* (client) {
    const tasks = [0, 1, 2, 3, 4].map((i) => createTask(client.get(`/${i}`)));
    yield* sleep(0);
    const peak = client.transport instanceof AsyncHTTPTransport ? client.transport.stats().waiting : -1;
    const responses = yield* gather(tasks);
    return [peak, responses.map((r) => r.text)];
  });
  assert.equal(result, [4, ['/0', '/1', '/2', '/3', '/4']]);
  assert.equal(order, ['/0', '/1', '/2', '/3', '/4']);
  assert.is(server.connections.length, 1);
  assert.equal(stats, { active: 0, idle: 1, connecting: 0, waiting: 0, opened: 1, reused: 4 });
  await server.close();
});

test('maxKeepaliveConnections: extra connections are closed when released', async () => {
  const server = await startHttpServer((_req, socket) => setTimeout(() => socket.write(ok('x')), 10));
  const { stats } = await withPool(server, { maxKeepaliveConnections: 1 }, function* (client) {
    yield* gather(client.get('/'), client.get('/'), client.get('/'));
    yield* until(() => server.connections.filter((s) => s.readableEnded).length === 2);
  });
  assert.is(server.connections.length, 3);
  assert.equal(stats, { active: 0, idle: 1, connecting: 0, waiting: 0, opened: 3, reused: 0 });
  await server.close();
});

test('keepaliveExpiry: an idle connection past its expiry is closed, not reused', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  const { result } = await withPool(server, { keepaliveExpiry: 5 }, function* (client) {
    const a = yield* client.get('/');
    yield* sleep(10); // virtual: an idle pooled socket is no outside wait, so the clock jumps at once
    const b = yield* client.get('/');
    return [a.extensions.reused, b.extensions.reused];
  }, 'http', { clock: loopbackClock() });
  assert.equal(result, [false, false]);
  assert.is(server.connections.length, 2);
  await eventually(() => server.connections[0]!.readableEnded);
  await server.close();
});

test('PoolTimeout when no connection frees up in time', async () => {
  const server = await startHttpServer(() => {}); // never answers
  const { result, stats } = await withPool(server, { maxConnections: 1 }, function* (client) {
    const holder = createTask(client.get('/', { timeout: null }));
    yield* until(() => server.connections.length === 1);
    let err: unknown;
    const asked = getRunningLoop().time();
    try {
      yield* client.get('/', { timeout: { pool: 5 } });
    } catch (e) {
      err = e;
    }
    const failedAt = getRunningLoop().time();
    holder.cancel();
    yield* gather(holder, { returnExceptions: true });
    return [err, asked, failedAt];
  }, 'http', { clock: loopbackClock() });
  const [err, asked, failedAt] = result as [unknown, number, number];
  assert.instance(err, PoolTimeout);
  assert.match(String(err), /within 5 s/);
  assert.is(failedAt, asked + 5, 'at the pool deadline of virtual time: not before it, not after');
  assert.equal([stats.active, stats.connecting, stats.waiting], [0, 0, 0]);
  await server.close();
});

// --- stale connections and the retry rule -------------------------------------

test('an idle connection the server closed is noticed before reuse', async () => {
  const server = await startHttpServer((_req, socket) => {
    socket.write(ok('x'));
    setTimeout(() => socket.end(), 5); // no "Connection: close": it just goes away
  });
  const { result, stats } = await withPool(server, {}, function* (client) {
    yield* client.get('/');
    yield* until(() => server.connections[0]!.writableEnded);
    yield* sleep(0.02);
    return (yield* client.get('/')).extensions.reused;
  });
  assert.is(result, false);
  assert.equal([stats.opened, stats.reused], [2, 0]);
  await server.close();
});

test('an idle connection that received bytes is not reused', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x') + 'HTTP/1.1 200 OK\r\n'));
  const { result } = await withPool(server, {}, function* (client) {
    yield* client.get('/');
    yield* client.get('/');
    return (yield* client.get('/')).extensions.reused;
  });
  assert.is(result, false);
  await server.close();
});

/** A server whose first connection answers once, then drops the second request on the floor. */
function racingServer(drop: 'close' | 'reset'): Promise<BytesServer> {
  return startHttpServer((req: RawRequest, socket) => {
    if (req.connection === 0 && req.index === 1) {
      if (drop === 'close') socket.end();
      else socket.resetAndDestroy();
      return;
    }
    socket.write(ok(`conn ${req.connection} req ${req.index}`));
  });
}

for (const drop of ['close', 'reset'] as const) {
  test(`server ${drop}s a reused connection as we send: GET is retried once on a fresh one`, async () => {
    const server = await racingServer(drop);
    const { result, stats } = await withPool(server, {}, function* (client) {
      yield* client.get('/');
      const r = yield* client.get('/');
      return [r.text, r.extensions.reused];
    });
    assert.equal(result, ['conn 1 req 0', false]);
    assert.equal([stats.opened, stats.active], [2, 0]);
    await server.close();
  });

  test(`server ${drop}s a reused connection as we send: POST fails, never retried`, async () => {
    const server = await racingServer(drop);
    let err: unknown;
    const { stats } = await withPool(server, {}, function* (client) {
      yield* client.post('/', { data: { a: 1 } });
      try {
        yield* client.post('/', { data: { a: 2 } });
      } catch (e) {
        err = e;
      }
    });
    assert.ok(err instanceof RemoteProtocolError || (err as Error).name === 'ReadError' || (err as Error).name === 'WriteError', String(err));
    assert.equal([stats.opened, stats.active], [1, 0]);
    assert.is(server.connections.length, 1);
    await server.close();
  });
}

test('the retry takes a fresh connection, never another idle one the server may be closing too', async () => {
  // Every connection answers its first request and drops the second: both idle
  // connections are stale, and a retry that reused the other one would fail again.
  const server = await startHttpServer((req: RawRequest, socket) => {
    if (req.index >= 1) return void socket.end();
    socket.write(ok(`conn ${req.connection}`));
  });
  const { result, stats } = await withPool(server, {}, function* (client) {
    yield* gather(client.get('/'), client.get('/')); // two idle connections
    const r = yield* client.get('/');
    return [r.text, r.extensions.reused];
  });
  assert.equal(result, ['conn 2', false]);
  assert.equal([stats.opened, stats.active], [3, 0]);
  await server.close();
});

test('with the pool full of idle connections, the retry closes the oldest to make room', async () => {
  const server = await startHttpServer((req: RawRequest, socket) => {
    if (req.index >= 1) return void socket.end();
    socket.write(ok(`conn ${req.connection}`));
  });
  const { result, stats } = await withPool(server, { maxConnections: 2 }, function* (client) {
    yield* gather(client.get('/'), client.get('/'));
    const r = yield* client.get('/');
    return r.text;
  });
  assert.is(result, 'conn 2');
  assert.equal([stats.opened, stats.active], [3, 0]);
  await server.close();
});

test('a fresh connection that fails is not retried', async () => {
  const server = await startHttpServer((_req, socket) => socket.end());
  let err: unknown;
  await withPool(server, {}, function* (client) {
    try {
      yield* client.get('/');
    } catch (e) {
      err = e;
    }
  });
  assert.instance(err, RemoteProtocolError);
  assert.is(server.connections.length, 1);
  await server.close();
});

// --- cancellation at every await point ------------------------------------------

interface Stage {
  name: string;
  scheme?: string;
  limits?: Partial<Limits>;
  /** The server's behaviour. */
  serve: () => Promise<BytesServer>;
  /** Start the request(s); returns the task to cancel. */
  start: (client: AsyncClient) => ReturnType<typeof createTask<unknown>>;
  /** True once the request is parked at the stage. */
  reached: (server: BytesServer, client: AsyncClient) => boolean;
  /** The server does not read (so it cannot see the close): check the client's side only. */
  serverBlind?: boolean;
}

const stages: Stage[] = [
  {
    name: 'connecting (TLS handshake pending)',
    scheme: 'https',
    serve: () => startBytesServer((socket) => socket.resume()), // reads the ClientHello, never answers
    start: (client) => createTask(client.get('/')),
    reached: (server) => server.connections.length === 1,
  },
  {
    name: 'writing (the server does not read a large body)',
    serve: () => startBytesServer((socket) => socket.pause()),
    start: (client) => createTask(client.post('/', { content: new Uint8Array(64 * 1024 * 1024) })),
    reached: (server) => server.connections.length === 1,
    serverBlind: true,
  },
  {
    name: 'reading the head',
    serve: () => startHttpServer(() => {}),
    start: (client) => createTask(client.get('/')),
    reached: (server) => server.connections.length === 1,
  },
  {
    name: 'reading the body',
    serve: () => startHttpServer((_req, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart')),
    start: (client) => createTask(client.get('/')),
    reached: (server) => server.connections.length === 1,
  },
  {
    name: 'iterating a streamed body',
    serve: () => startHttpServer((_req, socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n')),
    start: (client) =>
      createTask((function* () {
        const r = yield* client.stream('GET', '/');
        const chunks = r.aiterBytes();
        for (let c = yield* chunks.next(); !c.done; c = yield* chunks.next());
      })()),
    reached: (server) => server.connections.length === 1,
  },
];

for (const stage of stages) {
  test(`cancelled while ${stage.name}: zero leased, the connection closed`, async () => {
    const server = await stage.serve();
    const { result, stats } = await withPool(
      server,
      stage.limits ?? {},
      function* (client, transport) {
        const task = stage.start(client);
        yield* until(() => stage.reached(server, client));
        yield* sleep(0.02);
        const [conn] = transport.pool(new URL(`${stage.scheme ?? 'http'}://127.0.0.1:${server.port}/`)).connections;
        task.cancel();
        const [outcome] = yield* gather(task, { returnExceptions: true });
        assert.is(conn!.state, 'CLOSED');
        assert.ok(conn!.socket === null || conn!.socket.destroyed);
        return outcome;
      },
      stage.scheme,
    );
    assert.instance(result, CancelledError);
    assert.equal([stats.active, stats.connecting, stats.waiting, stats.idle], [0, 0, 0, 0]);
    if (!stage.serverBlind) await eventually(() => allClosed(server));
    await server.close();
  });
}

test('cancelled while waiting in the queue: the waiter leaves, the holder is unaffected', async () => {
  let release: () => void = () => {};
  const server = await startHttpServer((_req, socket) => {
    release = () => socket.write(ok('held'));
  });
  const { result, stats } = await withPool(server, { maxConnections: 1 }, function* (client, transport) {
    const holder = createTask(client.get('/'));
    yield* until(() => server.connections.length === 1);
    const waiter = createTask(client.get('/'));
    yield* until(() => transport.stats().waiting === 1);
    waiter.cancel();
    const [w] = yield* gather(waiter, { returnExceptions: true });
    const waitingAfter = transport.stats().waiting;
    release();
    const h = yield* holder;
    return [w instanceof CancelledError, waitingAfter, h.text];
  });
  assert.equal(result, [true, 0, 'held']);
  assert.equal(stats, { active: 0, idle: 1, connecting: 0, waiting: 0, opened: 1, reused: 0 });
  await server.close();
});

test('a waiter handed a connection but cancelled before it runs gives it back', async () => {
  let release: () => void = () => {};
  const server = await startHttpServer((req, socket) => {
    if (req.index > 0) return void socket.write(ok('later'));
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'); // the head now, the body on release()
    release = () => socket.write('first');
  });
  const { result, stats } = await withPool(server, { maxConnections: 1 }, function* (client, transport) {
    const response = yield* client.stream('GET', '/');
    const waiter = createTask(client.get('/'));
    yield* until(() => transport.stats().waiting === 1);
    release();
    yield* response.aread(); // releases: the connection is handed to `waiter` …
    waiter.cancel(); // … which is cancelled before it gets to run
    const [w] = yield* gather(waiter, { returnExceptions: true });
    const after = transport.stats();
    const again = yield* client.get('/');
    return [w instanceof CancelledError, after.active, after.idle, again.text, again.extensions.reused];
  });
  assert.equal(result, [true, 0, 1, 'later', true]);
  assert.equal([stats.active, stats.opened], [0, 1]);
  await server.close();
});

test('a waiter handed the room of a closed connection opens its own', async () => {
  const server = await startHttpServer((_req, socket) => setTimeout(() => socket.write(ok('x', 'Connection: close\r\n')), 5));
  const { result, stats } = await withPool(server, { maxConnections: 1 }, function* (client) {
    const rs = yield* gather(client.get('/'), client.get('/'), client.get('/'));
    return rs.map((r) => r.extensions.connectionId !== undefined);
  });
  assert.equal(result, [true, true, true]);
  assert.is(server.connections.length, 3);
  assert.equal([stats.active, stats.opened, stats.waiting], [0, 3, 0]);
  await server.close();
});

test('a closed response (body unread) closes its connection and frees the slot', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('0123456789')));
  const { result, stats } = await withPool(server, {}, function* (client, transport) {
    const r = yield* client.stream('GET', '/');
    const during = transport.stats().active;
    yield* r.aclose();
    return during;
  });
  assert.is(result, 1);
  assert.equal([stats.active, stats.idle, stats.opened], [0, 0, 1]);
  await eventually(() => allClosed(server));
  await server.close();
});

// --- closing ---------------------------------------------------------------------

test('closing the pool fails waiters and later requests, and closes every connection', async () => {
  const server = await startHttpServer(() => {});
  await run((function* () {
    const pool = new ConnectionPool(originOf(new URL(`http://127.0.0.1:${server.port}/`)), { limits: { maxConnections: 1 } });
    const url = `http://127.0.0.1:${server.port}/`;
    const holder = createTask(pool.handleRequest(new Request('GET', url)));
    yield* until(() => server.connections.length === 1);
    const waiter = createTask(pool.handleRequest(new Request('GET', url)));
    yield* until(() => pool.stats().waiting === 1);
    assert.match(pool.toString(), /OPEN active=1 idle=0 connecting=0 waiting=1/);
    pool.close();
    pool.close();
    const [h, w] = yield* gather(holder, waiter, { returnExceptions: true });
    assert.instance(h, RemoteProtocolError);
    assert.match(String(w), /pool .* has been closed/);
    assert.is(pool.state, 'CLOSED');
    assert.equal(pool.connections, []);
    try {
      yield* pool.handleRequest(new Request('GET', url));
      assert.unreachable();
    } catch (err) {
      assert.match(String(err), /has been closed/);
    }
  })());
  await eventually(() => allClosed(server));
  await server.close();
});

test('https connections are pooled too', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('s')), { tls: testCert });
  const { stats } = await withPool(
    server,
    {},
    function* (client) {
      yield* client.get('/');
      yield* client.get('/');
    },
    'https',
  );
  assert.equal([stats.opened, stats.reused], [1, 1]);
  await server.close();
});

// --- the trace -----------------------------------------------------------------

test('under a TraceRecorder the pool marks acquire, connect, reuse, release and close on a lane per connection', async () => {
  const server = await startHttpServer((_req, socket) => socket.write(ok('x')));
  const recorder = new TraceRecorder();
  await run((function* () {
    currentTask()!.setName('main');
    const client = new AsyncClient({ baseUrl: `http://127.0.0.1:${server.port}` });
    yield* client.get('/');
    yield* client.get('/');
    const a = createTask(client.get('/'), { name: 'a' });
    const b = createTask(client.get('/'), { name: 'b' });
    yield* gather(a, b);
    yield* client.aclose();
  })(), { trace: recorder });
  await server.close();
  // Connection ids are process-wide: name the lanes #1, #2 in order of appearance.
  const lanes: string[] = [];
  const marks = recorder.marks.map((m) => {
    const lane = String(m.lane);
    if (!lanes.includes(lane)) lanes.push(lane);
    return `#${lanes.indexOf(lane) + 1} ${m.kind} ${m.detail}`;
  });
  const origin = `http://127.0.0.1:${server.port}`;
  assert.equal(marks, [
    // two sequential GETs: one connection, opened then kept alive
    '#1 acquire main', `#1 connect ${origin}`, '#1 release idle',
    '#1 acquire main', '#1 reuse kept alive', '#1 release idle',
    // a concurrent pair: a takes the idle connection, b opens a second one
    '#1 acquire a', '#1 reuse kept alive',
    '#2 acquire b', `#2 connect ${origin}`,
    '#1 release idle', '#2 release idle',
    // aclose()
    '#1 close pool closed', '#2 close pool closed',
  ]);
  assert.ok(lanes.every((lane) => new RegExp(`^connection #\\d+ ${origin}$`).test(lane)), lanes.join());
  const times = recorder.marks.map((m) => m.time);
  assert.equal(times, [...times].sort((x, y) => x - y), 'stamped with the loop clock, in order');
});

test.run();
