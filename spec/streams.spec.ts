import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Buffer } from 'node:buffer';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { run } from '../lib/runners.ts';
import { allTasks, createTask, currentTask, sleep, type Task } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, ConnectionResetError, DeadlockError, IncompleteReadError, LimitOverrunError, RuntimeError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { asyncWith } from '../lib/contextlib.ts';
import type { EventLoop, ExceptionContext } from '../lib/loop.ts';
import { Queue } from '../lib/queues.ts';
import {
  DEFAULT_LIMIT, StreamReader, StreamWriter, openConnection, startServer, _ChunkBuffer,
  type ClientConnectedHandler, type OpenConnectionOptions, type Server, type StartServerOptions,
} from '../lib/streams.ts';
import { closedPort, hasIpv6Loopback, startBytesServer as startBytesServerUntracked, testCert, type BytesServer } from './_support/servers.ts';
import { rng } from './_support/bytes.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const s = (buf: Uint8Array): string => Buffer.from(buf).toString('latin1');
const ioWaits = (): number => getRunningLoop()._ioWaitCount();

// ---------------------------------------------------------------------------------
// Determinism and cleanup
//
// These specs talk over real loopback sockets, so they must not depend on how fast
// the machine is (CI: two shared cores, other spec files running). The rules:
//
// - Never poll, never sleep to "let something happen": wait on the event itself — a
//   future completed by the socket's or server's own event (`settled`, `endOf`), a
//   stream method that returns on it (`read()` at EOF, `waitClosed()`), a handler
//   signalling through a Queue (`following`).
// - `yield* sleep(0)` only for what the loop guarantees: a task created before it has
//   run its first step when the sleeping task resumes (runOnce runs the handles ready
//   when the iteration began, in order; a bare yield goes to the back of the queue).
// - An I/O-wait count is checked only where the task holding the wait has provably
//   left it: its `finally` (`_ioUnref`) ran in the same task before the `yield*` we
//   resumed from could return, or before the task we awaited finished.
// - Everything a test opens is tracked (`connect`, `serve`, `track`, the bytes
//   servers) and destroyed after each test, passed or failed, so a failing assertion
//   can never leave a socket that keeps the process alive.
// ---------------------------------------------------------------------------------

/** The safety net (never the synchronisation): a test still running after this fails. */
const SAFETY_NET_MS = 10_000;

const openSockets = new Set<net.Socket>();
const openServers = new Set<Server>();
const openBytesServers = new Set<BytesServer>();

/** Destroys every socket and server this file's tests opened that is still open. */
async function closeEverything(): Promise<void> {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
  for (const server of openServers) {
    server.close(); // a no-op unless still serving
    server.abortClients();
  }
  openServers.clear();
  const bytesServers = [...openBytesServers];
  openBytesServers.clear();
  await Promise.all(bytesServers.map((srv) => srv.close())); // destroys their connections too
}

test.after.each(closeEverything);
test.after(closeEverything); // the last net: nothing outlives the suite

/** openConnection, with the socket tracked for the cleanup. */
function* connect(host: string, port: number, options?: OpenConnectionOptions): Coro<[StreamReader, StreamWriter]> {
  const pair = yield* openConnection(host, port, options);
  openSockets.add(pair[1].transport);
  return pair;
}

/** startServer, with the server (and so its connections) tracked for the cleanup. */
function* serve(handler: ClientConnectedHandler, host: string | null, port: number, options?: StartServerOptions): Coro<Server> {
  return track(yield* startServer(handler, host, port, options));
}

function track(server: Server): Server {
  openServers.add(server);
  return server;
}

/** servers.ts's startBytesServer, with the server tracked for the cleanup. */
async function startBytesServer(...args: Parameters<typeof startBytesServerUntracked>): Promise<BytesServer> {
  const srv = await startBytesServerUntracked(...args);
  openBytesServers.add(srv);
  return srv;
}

/**
 * Runs `body` as the main coroutine through the real driver.
 *
 * The safety net is a Node timer outside the loop, not a yieldio `timeout()`: an armed
 * loop timer would keep the driver from ever reporting a deadlock, and several specs
 * here pin exactly that (a wait on a socket is not a deadlock; one on a reader nobody
 * feeds is). If the test hangs, its sockets and servers are destroyed and its tasks
 * cancelled, and the test fails saying so.
 */
async function go<T>(body: () => Coro<T>, options: Parameters<typeof run>[1] = {}): Promise<T> {
  let loop: EventLoop | null = null;
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    void closeEverything();
    if (loop !== null && !loop.isClosed()) loop.callSoon(() => { for (const task of allTasks(loop!)) task.cancel('safety net'); });
  }, SAFETY_NET_MS);
  try {
    const result = await run(body(), { ...options, setup: (l) => { loop = l; options.setup?.(l); } });
    if (hung) throw new Error(`safety net: the test was still running after ${SAFETY_NET_MS / 1000} s`);
    return result;
  } catch (err) {
    if (hung) throw new Error(`safety net: the test was still running after ${SAFETY_NET_MS / 1000} s (its sockets were destroyed, its tasks cancelled)`, { cause: err });
    throw err;
  } finally {
    clearTimeout(guard);
  }
}

/**
 * Waits for a Promise that Node settles (an accept, a socket event). It counts as an
 * I/O wait, as streams.ts counts its own, so the driver idles instead of reporting a
 * deadlock. The promise's callback runs outside any loop iteration: completing the
 * future there wakes the driver, like any socket event.
 */
function* settled<T>(promise: Promise<T>): Coro<T> {
  const loop = getRunningLoop();
  const fut = loop.createFuture<T>();
  promise.then(
    (value) => { if (!fut.done()) fut.setResult(value); },
    (err: unknown) => { if (!fut.done()) fut.setException(err); },
  );
  loop._ioRef();
  try {
    return yield* fut;
  } finally {
    loop._ioUnref();
  }
}

/** The socket's 'end' (the peer's FIN); rejects if it closes without one (a reset). */
function endOf(socket: net.Socket): Promise<void> {
  if (socket.readableEnded) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve());
    socket.once('close', () => reject(new Error('the socket closed without an end (reset?)')));
  });
}

/**
 * The socket's next 'close'. Call it in the same step as what will close the socket,
 * before yielding: no Node event can run in between, so none is missed.
 */
function nextClose(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/**
 * Wraps a connection handler so a test can follow its connections: each handler puts
 * its writer on `accepted` as it starts, then runs `handler` in that same step — so
 * when the test's `yield* accepted.get()` returns, the handler has reached its first
 * wait (a read is already counted). `tasks` are the handlers' tasks: once one is
 * awaited, every `finally` it ran (the I/O-wait releases) is behind us.
 */
function following(handler: ClientConnectedHandler): { handler: ClientConnectedHandler; accepted: Queue<StreamWriter>; tasks: Task<unknown>[] } {
  const accepted = new Queue<StreamWriter>();
  const tasks: Task<unknown>[] = [];
  return {
    accepted,
    tasks,
    handler: function* (reader, writer) {
      tasks.push(currentTask()!);
      accepted.putNowait(writer);
      yield* handler(reader, writer);
    },
  };
}

/**
 * How many bytes the kernel can take from a writer whose peer never reads: the
 * ceilings its send and receive buffers can grow to (Linux: the third field of
 * tcp_wmem and tcp_rmem), or 64 MiB where unknown. Node's write buffer stays above its
 * high-water mark past this — however late the kernel moves bytes on a loaded machine.
 */
function kernelBufferCeiling(): number {
  try {
    const max = (name: string): number => Number(fs.readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
    const total = max('tcp_wmem') + max('tcp_rmem');
    if (Number.isFinite(total) && total > 0) return total;
  } catch {
    // not Linux: use the fallback
  }
  return 64 * 2 ** 20;
}

/**
 * Writes more than the kernel can hold for a peer that does not read, so that drain()
 * must wait for that peer: until it reads, Node keeps more than its high-water mark.
 */
function overfill(writer: StreamWriter): void {
  const chunk = Buffer.alloc(64 * 1024, 120); // written by reference: no memory per write
  const total = kernelBufferCeiling() + 2 ** 20;
  for (let written = 0; written < total; written += chunk.length) writer.write(chunk);
  assert.is(writer.transport.writableNeedDrain, true, 'the socket buffer filled up');
}

/** Throws what `body` throws, or fails. */
function* caught(body: Coro<unknown>): Coro<any> {
  try {
    yield* body;
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

/** Feeds `pieces` to `reader`, one per loop iteration, then EOF (if `eof`). */
function* feeder(reader: StreamReader, pieces: Uint8Array[], eof = true): Coro<void> {
  for (const piece of pieces) {
    reader.feedData(piece);
    yield* sleep(0);
  }
  if (eof) reader.feedEof();
}

const bytewise = (text: string): Buffer[] => [...b(text)].map((byte) => Buffer.from([byte]));

function randomSplits(text: string, seed: number): Buffer[] {
  const all = b(text);
  const random = rng(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < all.length;) {
    const n = 1 + Math.floor(random() * 5);
    out.push(all.subarray(at, at + n));
    at += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// The receive buffer and the reader, fed by hand
// ---------------------------------------------------------------------------------

test('ChunkBuffer: take() returns a view when one chunk holds the bytes, copies across chunks', () => {
  const buf = new _ChunkBuffer();
  const first = b('hello ');
  buf.push(first);
  buf.push(b(''));
  buf.push(b('world'));
  assert.is(buf.size, 11);
  const he = buf.take(2);
  assert.is(he.buffer, first.buffer, 'a view of the first chunk');
  assert.is(s(he), 'he');
  assert.is(s(buf.take(6)), 'llo wo');
  assert.is(buf.indexOf(b('ld'), 0), 1);
  assert.is(buf.startsWith(b('rl'), 0), true);
  assert.is(buf.startsWith(b('rlx'), 0), false);
  assert.is(s(buf.takeAll()), 'rld');
  assert.is(buf.size, 0);
  assert.is(buf.takeAll().length, 0);
});

test('ChunkBuffer: a separator is found anywhere, also straddling seams, from any offset', () => {
  const text = 'ab\r\n\r\ncd\r\nxx\r\n\r\n';
  for (const pieces of [[b(text)], bytewise(text), randomSplits(text, 1), randomSplits(text, 2)]) {
    const buf = new _ChunkBuffer();
    for (const p of pieces) buf.push(p);
    for (let from = 0; from <= text.length; from++) {
      assert.is(buf.indexOf(b('\r\n\r\n'), from), text.indexOf('\r\n\r\n', from), `from ${from}`);
      assert.is(buf.indexOf(b('\n'), from), text.indexOf('\n', from));
    }
    assert.is(buf.indexOf(b('zz'), 0), -1);
    assert.is(buf.startsWith(b('cd'), 6), true);
  }
});

test('ChunkBuffer: consuming many small chunks compacts the list', () => {
  const buf = new _ChunkBuffer();
  for (let i = 0; i < 5000; i++) buf.push(Buffer.from([i & 0xff]));
  for (let i = 0; i < 4000; i++) assert.is(buf.take(1)[0], i & 0xff);
  assert.is(buf.size, 1000);
  assert.is(buf.indexOf(Buffer.from([4000 & 0xff]), 0), 0);
  buf.drop(1000);
  assert.is(buf.size, 0);
});

test('readline, readuntil and readexactly give the same answers whole, bytewise and in random splits', async () => {
  const text = 'first line\nHTTP/1.1 200 OK\r\nA: b\r\n\r\n0123456789tail';
  const splits = [[b(text)], bytewise(text), randomSplits(text, 7), randomSplits(text, 42)];
  for (const pieces of splits) {
    const got = await go(function* () {
      const reader = new StreamReader();
      createTask(feeder(reader, pieces));
      const out: string[] = [];
      out.push(s(yield* reader.readline()));
      out.push(s(yield* reader.readuntil('\r\n\r\n')));
      out.push(s(yield* reader.readexactly(10)));
      out.push(s(yield* reader.read()));
      out.push(String(reader.atEof()));
      return out;
    });
    assert.equal(got, ['first line\n', 'HTTP/1.1 200 OK\r\nA: b\r\n\r\n', '0123456789', 'tail', 'true']);
  }
});

test('readexactly throws IncompleteReadError with the partial bytes at EOF', async () => {
  await go(function* () {
    const reader = new StreamReader();
    createTask(feeder(reader, bytewise('abc')));
    const err = yield* caught(reader.readexactly(5));
    assert.instance(err, IncompleteReadError);
    assert.is(s(err.partial), 'abc');
    assert.is(err.expected, 5);
    assert.is(reader.atEof(), true);
    assert.is((yield* reader.readexactly(0)).length, 0);
    assert.throws(() => reader.readexactly(-1).next(), (e: unknown) => e instanceof RangeError);
  });
});

test('readuntil throws IncompleteReadError (expected null) at EOF without the separator; readline returns the partial line', async () => {
  await go(function* () {
    const reader = new StreamReader();
    reader.feedData(b('no separator'));
    reader.feedEof();
    const err = yield* caught(reader.readuntil('\r\n'));
    assert.instance(err, IncompleteReadError);
    assert.is(s(err.partial), 'no separator');
    assert.is(err.expected, null);
    const r2 = new StreamReader();
    r2.feedData(b('last'));
    r2.feedEof();
    assert.is(s(yield* r2.readline()), 'last');
    assert.is(s(yield* r2.readline()), '');
    assert.throws(() => r2.readuntil('').next(), (e: unknown) => e instanceof RangeError);
  });
});

test('readuntil past the limit: LimitOverrunError, nothing consumed (separator not found / found too far)', async () => {
  await go(function* () {
    const reader = new StreamReader(4);
    reader.feedData(b('abcdefgh'));
    const err = yield* caught(reader.readuntil('\n'));
    assert.instance(err, LimitOverrunError);
    assert.match(err.message, /not found/);
    assert.is(err.consumed, 8);
    assert.is(s(yield* reader.readexactly(8)), 'abcdefgh', 'nothing was consumed');
    reader.feedData(b('0123456\nok\n'));
    const err2 = yield* caught(reader.readuntil('\n'));
    assert.match(err2.message, /found, but chunk is longer than limit/);
    assert.is(err2.consumed, 7);
  });
});

test('readline past the limit discards the long line and throws; the next line reads fine', async () => {
  await go(function* () {
    const reader = new StreamReader(4);
    reader.feedData(b('0123456\nok\n'));
    const err = yield* caught(reader.readline());
    assert.instance(err, LimitOverrunError);
    assert.is(s(yield* reader.readline()), 'ok\n');
    reader.feedData(b('waytoolong'));
    yield* caught(reader.readline());
    assert.is(reader.atEof(), false);
    reader.feedData(b('x\n'));
    assert.is(s(yield* reader.readline()), 'x\n', 'everything before was dropped');
  });
});

test('read(-1) collects every chunk until EOF; read(n) returns at most n, a view of one chunk', async () => {
  await go(function* () {
    const reader = new StreamReader();
    createTask(feeder(reader, [b('a'), b('bc'), b('def')]));
    assert.is(s(yield* reader.read()), 'abcdef');
    assert.is((yield* reader.read()).length, 0, 'at EOF read() returns empty');
    assert.is((yield* reader.read(10)).length, 0);
    const r2 = new StreamReader();
    const chunk = b('0123456789');
    r2.feedData(chunk);
    const head = yield* r2.read(4);
    assert.is(s(head), '0123');
    assert.is(head.buffer, chunk.buffer, 'no copy');
    assert.is((yield* r2.read(0)).length, 0);
    r2.feedData(new Uint8Array([65, 66]));
    assert.is(s(yield* r2.read(100)), '456789AB', 'spanning chunks, up to n');
    r2.feedData(b('x'));
    r2.feedEof();
    assert.is(s(yield* r2.read()), 'x', 'one chunk left: returned as is');
  });
});

test('a second coroutine reading while one waits gets a RuntimeError', async () => {
  await go(function* () {
    const reader = new StreamReader();
    const first = createTask(reader.read(10));
    yield* sleep(0);
    const err = yield* caught(reader.readline());
    assert.instance(err, RuntimeError);
    assert.match(err.message, /already waiting/);
    reader.feedData(b('hi'));
    assert.is(s(yield* first), 'hi');
  });
});

test('setException wakes the waiting read with the error, and every later read throws it', async () => {
  await go(function* () {
    const reader = new StreamReader();
    const waiting = createTask(reader.read());
    yield* sleep(0);
    const boom = new Error('boom');
    reader.setException(boom);
    assert.is(yield* caught(waiting), boom);
    assert.is(reader.exception(), boom);
    for (const op of [reader.read(1), reader.readline(), reader.readexactly(1), reader.readuntil('x')]) {
      assert.is(yield* caught(op), boom);
    }
    assert.throws(() => { reader.feedEof(); reader.feedData(b('late')); }, /after feedEof/);
  });
});

test('an error set in the same step as the data that woke a read is thrown by the read, not waited past', async () => {
  await go(function* () {
    // The waiter is woken by the data and cleared, so setException finds no waiter:
    // the read, resuming with more to wait for, must throw instead of waiting forever.
    for (const op of [(r: StreamReader) => r.read(), (r: StreamReader) => r.readexactly(10), (r: StreamReader) => r.readline()]) {
      const reader = new StreamReader();
      const waiting = createTask(op(reader));
      yield* sleep(0);
      const boom = new Error('boom');
      reader.feedData(b('part'));
      reader.setException(boom);
      assert.is(yield* caught(waiting), boom);
    }
  });
});

test('cancelling a read leaves the reader consistent: the next read gets the data', async () => {
  await go(function* () {
    const reader = new StreamReader();
    const task = createTask(reader.readexactly(4));
    yield* sleep(0);
    reader.feedData(b('ab'));
    task.cancel();
    assert.instance(yield* caught(task), CancelledError);
    reader.feedData(b('cd'));
    assert.is(s(yield* reader.readexactly(4)), 'abcd');
    assert.match(String(reader), /<StreamReader 0 bytes>/);
  });
});

test('flow control: the transport pauses above 2 × limit and resumes at or below the limit', async () => {
  await go(function* () {
    const trace: string[] = [];
    const reader = new StreamReader(4);
    reader._setTransport({ pause: () => trace.push('pause'), resume: () => trace.push('resume') });
    reader.feedData(b('12345678'));
    assert.equal(trace, [], 'exactly 2 × limit: not paused');
    reader.feedData(b('9'));
    assert.equal(trace, ['pause']);
    assert.match(String(reader), /paused/);
    yield* reader.read(3);
    assert.equal(trace, ['pause'], '6 bytes left: still above the limit');
    yield* reader.read(2);
    assert.equal(trace, ['pause', 'resume']);
    reader.feedData(b('abcdefghij'));
    assert.equal(trace, ['pause', 'resume', 'pause']);
    const task = createTask(reader.readexactly(20));
    yield* sleep(0);
    assert.equal(trace, ['pause', 'resume', 'pause', 'resume'], 'a read that needs more resumes before waiting');
    assert.is(ioWaits(), 1, 'a reader with a transport counts as an I/O wait');
    reader.feedData(b('0123456789'));
    assert.is((yield* task).length, 20);
    assert.is(ioWaits(), 0);
    assert.throws(() => new StreamReader(0), (e: unknown) => e instanceof RangeError);
    assert.is(new StreamReader().limit, DEFAULT_LIMIT);
  });
});

test('a read on a reader nobody feeds is a deadlock, not an I/O wait', async () => {
  const err = await go(function* () {
    yield* new StreamReader().read();
  }).catch((e: unknown) => e);
  assert.instance(err, DeadlockError);
});

// ---------------------------------------------------------------------------------
// Over loopback sockets
// ---------------------------------------------------------------------------------

function* echoHandler(reader: StreamReader, writer: StreamWriter): Coro<void> {
  for (;;) {
    const line = yield* reader.readline();
    if (line.length === 0) break;
    writer.write(line);
    yield* writer.drain();
  }
  writer.close();
  yield* writer.waitClosed();
}

test('echo round trip: startServer + openConnection; the I/O count returns to 0', async () => {
  await go(function* () {
    const echo = following(echoHandler);
    const server = yield* serve(echo.handler, '127.0.0.1', 0);
    assert.is(ioWaits(), 1, 'a listening server is an I/O source');
    assert.is(server.isServing(), true);
    assert.is(server.sockets.length, 1);
    const [reader, writer] = yield* connect('127.0.0.1', server.port);
    writer.write('hello\n');
    writer.writelines([b('wor'), 'ld\n', '']);
    yield* writer.drain();
    assert.is(s(yield* reader.readline()), 'hello\n');
    assert.is(s(yield* reader.readline()), 'world\n');
    assert.is(server.connections.size, 1);
    const [host, port] = writer.getExtraInfo('peername') as [string, number];
    assert.is(host, '127.0.0.1');
    assert.is(port, server.port);
    assert.is((writer.getExtraInfo('sockname') as [string, number])[0], '127.0.0.1');
    assert.is(writer.getExtraInfo('socket'), writer.transport);
    assert.is(writer.getExtraInfo('peercert', 'none'), 'none');
    assert.is(writer.transport.listenerCount('error') >= 1, true, "an 'error' listener for the whole life");
    writer.close();
    assert.is(writer.isClosing(), true);
    writer.close();
    yield* writer.waitClosed();
    assert.match(String(writer), /closed tcp/);
    server.close();
    yield* server.waitClosed();
    assert.is(server.isServing(), false);
    assert.is(server.sockets.length, 0);
    // The handler's own waitClosed() releases its I/O wait only when its task resumes.
    // server.waitClosed() returning says the handler's socket closed, not that this
    // task has run since: that would hang on the order in which one socket 'close'
    // queues the two wake-ups. Once the handler's task is done, its `finally` has run:
    // the count below is exact whatever that order.
    assert.is(echo.tasks.length, 1);
    yield* echo.tasks[0]!;
    assert.is(ioWaits(), 0);
  });
});

test('read(-1) reads a response to EOF from an exact-bytes server', async () => {
  // Part two is sent only once the client asks for it, while its read(-1) is waiting.
  const srv = await startBytesServer((socket) => {
    socket.write('part one, ');
    socket.once('data', () => socket.end('part two'));
  });
  try {
    await go(function* () {
      const [reader, writer] = yield* connect('127.0.0.1', srv.port);
      const reading = createTask(reader.read());
      yield* sleep(0); // its first step ran: the read(-1) waits for EOF
      assert.is(reading.done(), false);
      writer.write('more');
      assert.is(s(yield* reading), 'part one, part two');
      assert.is(reader.atEof(), true);
      assert.is(ioWaits(), 0);
      writer.close();
      yield* writer.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

test('writeEof half-closes: the server reads to EOF, then answers', async () => {
  await go(function* () {
    const server = yield* serve(function* (reader, writer) {
      const all = yield* reader.read();
      writer.write(`got ${all.length} bytes`);
      writer.close();
    }, '127.0.0.1', 0);
    const [reader, writer] = yield* connect('127.0.0.1', server.port);
    assert.is(writer.canWriteEof(), true);
    writer.write('12345');
    writer.writeEof();
    writer.writeEof();
    assert.throws(() => writer.write('more'), /after writeEof/);
    assert.is(s(yield* reader.read()), 'got 5 bytes');
    yield* writer.waitClosed();
    server.close();
    yield* server.waitClosed();
  });
});

test('drain() waits while the peer does not read, and returns once it does', async () => {
  const srv = await startBytesServer((socket) => socket.pause());
  try {
    await go(function* () {
      const [, writer] = yield* connect('127.0.0.1', srv.port);
      const peer = yield* settled(srv.connection(0));
      overfill(writer); // the peer never reads: no 'drain' can come before it does
      const trace: string[] = [];
      writer.transport.once('drain', () => trace.push("socket 'drain'"));
      const draining = createTask((function* () {
        yield* writer.drain();
        trace.push('drain() returned');
      })());
      yield* sleep(0); // its first step ran: drain() now waits
      assert.is(draining.done(), false, 'drain waits for the slow reader');
      assert.is(ioWaits(), 1, 'a drain is an I/O wait');
      trace.push('peer reads');
      peer.resume();
      yield* draining;
      assert.equal(trace, ['peer reads', "socket 'drain'", 'drain() returned']);
      assert.is(ioWaits(), 0);
      yield* writer.drain();
      writer.close();
      yield* writer.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

test('cancelling a drain() takes it off the list and the I/O count; a later drain still works', async () => {
  const srv = await startBytesServer((socket) => socket.pause());
  try {
    await go(function* () {
      const [, writer] = yield* connect('127.0.0.1', srv.port);
      const peer = yield* settled(srv.connection(0));
      overfill(writer); // c cannot finish before the peer reads
      const a = createTask(writer.drain());
      const c = createTask(writer.drain());
      yield* sleep(0); // both ran their first step: both wait
      assert.is(ioWaits(), 2);
      a.cancel();
      assert.instance(yield* caught(a), CancelledError);
      assert.is(ioWaits(), 1);
      peer.resume();
      yield* c;
      assert.is(ioWaits(), 0);
      writer.close();
      yield* writer.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

test('ECONNREFUSED reaches the awaiting task as the thrown error', async () => {
  const port = await closedPort();
  await go(function* () {
    const err = yield* caught(connect('127.0.0.1', port));
    assert.is(err.code, 'ECONNREFUSED');
    assert.match(err.message, /ECONNREFUSED/);
    assert.is(ioWaits(), 0);
  });
});

test('a DNS failure is thrown in the task', async () => {
  await go(function* () {
    const err = yield* caught(connect('no-such-host.invalid', 80));
    assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes(err.code), String(err.code));
    assert.is(ioWaits(), 0);
  });
});

test('a server that resets the connection: the waiting read throws ECONNRESET, and so do drain, write and waitClosed', async () => {
  const srv = await startBytesServer((socket) => socket.write('some data'));
  try {
    await go(function* () {
      const [reader, writer] = yield* connect('127.0.0.1', srv.port);
      const peer = yield* settled(srv.connection(0));
      assert.is(s(yield* reader.read(100)), 'some data');
      // The reset comes only now: sent earlier, it could overtake the data (Linux drops
      // unread bytes on a reset) or reach a reader not yet waiting.
      const reading = createTask(reader.read(100));
      yield* sleep(0); // its first step ran: the read waits
      assert.is(reading.done(), false);
      peer.resetAndDestroy();
      const err = yield* caught(reading);
      assert.is(err.code, 'ECONNRESET');
      assert.is(reader.exception(), err);
      assert.is(yield* caught(writer.drain()), err);
      assert.throws(() => writer.write('x'), (e: any) => e === err);
      assert.is(yield* caught(writer.waitClosed()), err);
      assert.is(writer.isClosing(), true);
      assert.is(ioWaits(), 0);
    });
  } finally {
    await srv.close();
  }
});

test("a reset while nobody reads is stored, never an unhandled 'error' event; the next read throws it", async () => {
  const uncaught: unknown[] = [];
  const spy = (e: unknown): void => { uncaught.push(e); };
  process.on('uncaughtException', spy);
  const srv = await startBytesServer(() => {});
  try {
    await go(function* () {
      const [reader, writer] = yield* connect('127.0.0.1', srv.port);
      const peer = yield* settled(srv.connection(0));
      const closed = nextClose(writer.transport); // before the reset: its 'close' cannot be missed
      peer.resetAndDestroy();
      yield* settled(closed); // the 'error' and 'close' came while no read, drain or waitClosed waited
      assert.is(writer.isClosing(), true);
      assert.is((yield* caught(reader.readline())).code, 'ECONNRESET');
      assert.is((yield* caught(writer.drain())).code, 'ECONNRESET');
    });
  } finally {
    process.off('uncaughtException', spy);
    await srv.close();
  }
  assert.equal(uncaught, []);
});

test('the peer closing cleanly over TLS: reads see EOF; once the socket closed, write and drain throw ConnectionResetError', async () => {
  const tlsSrv = await startBytesServer((socket) => socket.end(), { tls: testCert });
  try {
    await go(function* () {
      // TLS does not stay half-open: the peer's close closes our socket too.
      const [reader, writer] = yield* connect('127.0.0.1', tlsSrv.port, { tls: { ca: testCert.cert } });
      assert.is((yield* reader.read()).length, 0);
      yield* writer.waitClosed(); // returns on the socket's 'close', which EOF brings over TLS
      assert.is(writer.isClosing(), true);
      assert.throws(() => writer.write('x'), (e: unknown) => e instanceof ConnectionResetError);
      const err = yield* caught(writer.drain());
      assert.instance(err, ConnectionResetError);
      assert.is(err.code, 'ECONNRESET');
      yield* writer.waitClosed();
    });
  } finally {
    await tlsSrv.close();
  }
});

test('the peer closing cleanly over TCP: reads see EOF; close() and waitClosed() (twice) end it; a write after close() throws', async () => {
  const srv = await startBytesServer((socket) => socket.end());
  try {
    await go(function* () {
      const [reader, writer] = yield* connect('127.0.0.1', srv.port);
      assert.is((yield* reader.read()).length, 0);
      writer.close();
      yield* writer.waitClosed();
      yield* writer.waitClosed();
      assert.throws(() => writer.write('x'), /after close/);
    });
  } finally {
    await srv.close();
  }
});

test('cancelling a task blocked in a socket read: the I/O count returns to 0 and the next read works', async () => {
  const srv = await startBytesServer(() => {});
  try {
    await go(function* () {
      const [reader, writer] = yield* connect('127.0.0.1', srv.port);
      const peer = yield* settled(srv.connection(0));
      const task = createTask(reader.readline());
      yield* sleep(0); // its first step ran: the read waits
      assert.is(ioWaits(), 1, 'the blocked read is one I/O wait');
      task.cancel();
      assert.instance(yield* caught(task), CancelledError);
      assert.is(ioWaits(), 0);
      peer.write('after cancel\n');
      assert.is(s(yield* reader.readline()), 'after cancel\n');
      assert.is(ioWaits(), 0);
      writer.close();
      yield* writer.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

test('flow control over a socket: paused while more than 2 × limit is buffered, resumed by reading', async () => {
  const total = 256 * 1024;
  const srv = await startBytesServer((socket) => socket.end(Buffer.alloc(total, 97)));
  try {
    await go(function* () {
      const [reader, writer] = yield* connect('127.0.0.1', srv.port, { limit: 8 * 1024 });
      // Nothing reads yet, so the reader pauses the socket once 16 KiB are buffered,
      // and nothing resumes it: wait for that 'pause' (at once if it already came).
      const socket = writer.transport;
      if (!socket.isPaused()) yield* settled(new Promise((resolve) => socket.once('pause', resolve)));
      assert.is(socket.isPaused(), true);
      let got = 0;
      for (let i = 0; i < 1000 && got < total; i++) got += (yield* reader.read(4096)).length;
      assert.is(got, total);
      assert.is(socket.isPaused(), false);
      assert.is((yield* reader.read()).length, 0);
      writer.close();
      yield* writer.waitClosed();
    });
  } finally {
    await srv.close();
  }
});

test('server close(): stops listening at once; waitClosed() waits for the open connections', async () => {
  await go(function* () {
    let handlerDone = false;
    const { handler, accepted } = following(function* (reader, writer) {
      yield* reader.read();
      writer.close();
      handlerDone = true; // in the step that closes: before its socket can close
    });
    const server = yield* serve(handler, '127.0.0.1', 0);
    const port = server.port;
    const [, writer] = yield* connect('127.0.0.1', port);
    yield* accepted.get(); // the handler started, and in that step began waiting in read()
    assert.is(ioWaits(), 2, 'the listening server and the blocked handler read');
    server.close();
    server.close();
    assert.is(ioWaits(), 1, 'the blocked handler read; the server no longer counts');
    assert.is((yield* caught(connect('127.0.0.1', port))).code, 'ECONNREFUSED');
    const closing = createTask(server.waitClosed());
    yield* sleep(0); // its first step ran: it waits, and cannot finish while we keep our end open
    assert.is(closing.done(), false, 'a connection is still open');
    assert.match(String(server), /closing 127\.0\.0\.1:\d+ 1 connections/);
    writer.close();
    yield* closing;
    assert.is(handlerDone, true);
    assert.is(server.connections.size, 0);
    assert.is(server.address().port, port, 'the address is kept after close');
    yield* server.waitClosed();
    // The handler's read ended (its `finally` ran) before it closed the connection.
    assert.is(ioWaits(), 0);
  });
});

test('closeClients() and abortClients() end the open connections', async () => {
  await go(function* () {
    const { handler, accepted, tasks } = following(function* (reader) { yield* reader.read(); });
    const server = yield* serve(handler, '127.0.0.1', 0);
    const [r1] = yield* connect('127.0.0.1', server.port);
    yield* accepted.get();
    assert.is(server.connections.size, 1);
    server.closeClients();
    assert.is((yield* r1.read()).length, 0, 'closed: EOF');
    // Our EOF can come before the server side's 'close': its handler, woken by that
    // 'close', is done once the connection is gone from the server.
    yield* tasks[0]!;
    const [r2] = yield* connect('127.0.0.1', server.port);
    yield* accepted.get();
    assert.is(server.connections.size, 1);
    server.abortClients();
    try {
      assert.is((yield* r2.read()).length, 0);
    } catch (err) {
      assert.is((err as { code: string }).code, 'ECONNRESET');
    }
    yield* server.exit();
    yield* tasks[1]!; // done: its read's `finally` ran
    assert.is(ioWaits(), 0);
  });
});

test('a handler that throws: reported to the loop exception handler, and its connection closed', async () => {
  const reports: ExceptionContext[] = [];
  await go(function* () {
    const server = yield* serve(function* () {
      yield* sleep(0);
      throw new Error('handler failed');
    }, '127.0.0.1', 0);
    const [reader] = yield* connect('127.0.0.1', server.port);
    assert.is((yield* reader.read()).length, 0, 'the server closed the connection');
    // The handler's task closed the connection and reported in one step: our EOF,
    // which that close caused, cannot come before the report.
    assert.is(reports.length, 1);
    assert.match(reports[0]!.message, /client_connected_cb/);
    assert.match(String(reports[0]!.exception), /handler failed/);
    server.close();
    yield* server.waitClosed();
  }, { exceptionHandler: (_loop, context) => { reports.push(context); } });
});

test('a task waiting for a client while the server listens is not a deadlock', async () => {
  const got = await go(function* () {
    const fut = getRunningLoop().createFuture<string>();
    const server = yield* serve(function* (reader, writer) {
      fut.setResult(s(yield* reader.readline()));
      writer.close();
    }, '127.0.0.1', 0);
    const port = server.port;
    // A client made outside the loop, as another process would. setImmediate runs only
    // after this tick, which ends with main waiting on `fut` and only the listening
    // server counted: the moment the driver must idle rather than report a deadlock.
    setImmediate(() => {
      const sock = net.connect(port, '127.0.0.1', () => sock.end('from outside\n'));
      openSockets.add(sock);
      sock.on('error', () => {});
    });
    const line = yield* fut;
    server.close();
    yield* server.waitClosed();
    return line;
  });
  assert.is(got, 'from outside\n');
});

test('serveForever(): returns after close(), and on cancellation closes the server', async () => {
  await go(function* () {
    const server = yield* serve(echoHandler, '127.0.0.1', 0);
    const serving = createTask(server.serveForever());
    yield* sleep(0);
    assert.instance(yield* caught(server.serveForever()), RuntimeError);
    server.close();
    yield* serving;
    assert.instance(yield* caught(server.serveForever()), RuntimeError);
    const s2 = yield* serve(echoHandler, '127.0.0.1', 0);
    const t2 = createTask(s2.serveForever());
    yield* sleep(0);
    t2.cancel();
    assert.instance(yield* caught(t2), CancelledError);
    assert.is(s2.isServing(), false);
    assert.is(yield* s2.enter(), s2);
    assert.is(ioWaits(), 0);
  });
});

test('listening on a port in use throws EADDRINUSE in the task; a Server is an async context manager', async () => {
  await go(function* () {
    const server = yield* serve(echoHandler, '127.0.0.1', 0);
    yield* asyncWith(server, function* (srv) {
      const err = yield* caught(serve(echoHandler, '127.0.0.1', srv.port));
      assert.is(err.code, 'EADDRINUSE');
      assert.is(ioWaits(), 1);
    });
    assert.is(server.isServing(), false);
    assert.is(ioWaits(), 0);
  });
});

test('an IPv6 loopback (::1) round trip, if available', async () => {
  if (!(await hasIpv6Loopback())) return;
  await go(function* () {
    const server = yield* serve(echoHandler, '::1', 0);
    const [reader, writer] = yield* connect('::1', server.port);
    writer.write('six\n');
    assert.is(s(yield* reader.readline()), 'six\n');
    assert.is((writer.getExtraInfo('peername') as [string, number])[0], '::1');
    writer.close();
    yield* server.exit();
  });
});

// ---------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------

test('TLS: a self-signed server is refused by default with a certificate error', async () => {
  const srv = await startBytesServer((socket) => socket.end('never read'), { tls: testCert });
  try {
    await go(function* () {
      const err = yield* caught(connect('127.0.0.1', srv.port, { tls: true }));
      assert.is(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(err.message, /self[- ]signed/);
      assert.is(ioWaits(), 0);
    });
  } finally {
    await srv.close();
  }
});

test('TLS: with the test CA trusted, an echo round trip works (by IP and by host name)', async () => {
  await go(function* () {
    const server = yield* serve(echoHandler, '127.0.0.1', 0, { tls: testCert });
    for (const host of ['127.0.0.1', 'localhost']) {
      const [reader, writer] = yield* connect(host, server.port, { tls: { ca: testCert.cert } });
      writer.write('secret\n');
      assert.is(s(yield* reader.readline()), 'secret\n');
      assert.is(writer.canWriteEof(), false);
      assert.throws(() => writer.writeEof(), /not supported on TLS/);
      assert.is((writer.getExtraInfo('peercert') as { subject: { CN: string } }).subject.CN, 'localhost');
      assert.ok(writer.getExtraInfo('cipher'));
      assert.match(String(writer), /open tls/);
      writer.close();
      yield* writer.waitClosed();
    }
    yield* server.exit();
    assert.is(ioWaits(), 0);
  });
});

test('connect abandoned: an AbortSignal, or cancellation, destroys the socket and frees the I/O count', async () => {
  // A TCP server that never answers the TLS handshake: the connect stays pending.
  const srv = await startBytesServer((socket) => socket.resume());
  try {
    await go(function* () {
      const controller = new AbortController();
      const attempt = createTask(caught(connect('127.0.0.1', srv.port, { tls: true, signal: controller.signal })));
      yield* settled(srv.connection(0)); // TCP is up; the handshake never completes
      assert.is(ioWaits(), 1, 'the pending connect is one I/O wait');
      controller.abort(new Error('gave up'));
      const err = yield* attempt;
      assert.is(err.message, 'gave up');
      assert.is(ioWaits(), 0);
      const aborted = AbortSignal.abort(new Error('already'));
      assert.is((yield* caught(connect('127.0.0.1', srv.port, { signal: aborted }))).message, 'already');
      // That one never opened a socket: the next connection the server accepts is the task's.
      const task = createTask(connect('127.0.0.1', srv.port, { tls: true }));
      const peer = yield* settled(srv.connection(1));
      assert.is(ioWaits(), 1, 'the pending connect is one I/O wait');
      task.cancel();
      assert.instance(yield* caught(task), CancelledError);
      assert.is(ioWaits(), 0);
      yield* settled(endOf(peer)); // the peer sees the close: a FIN, not a reset
      assert.is(peer.readableEnded, true);
    });
  } finally {
    await srv.close();
  }
});

// ---------------------------------------------------------------------------------
// Debug mode: a server never closed
// ---------------------------------------------------------------------------------

/** Runs `body`; returns what it returned and every report of the exception handler. */
async function reportsOf<T>(debug: boolean, body: () => Coro<T>): Promise<{ value: T; reports: string[] }> {
  const reports: string[] = [];
  const value = await go(body, { debug, exceptionHandler: (_loop, context: ExceptionContext) => void reports.push(context.message) });
  return { value, reports };
}

test('debug mode: a server never closed is reported at the end of run(), with where it was made', async () => {
  const { value: server, reports } = await reportsOf(true, function* () {
    return track(yield* startServer(echoHandler, '127.0.0.1', 0)); // ← the creation site the report names
  });
  assert.is(reports.length, 1, reports.join('\n'));
  assert.match(reports[0]!, new RegExp(`^Server created at .*streams\\.spec\\.ts:\\d+:\\d+\\)? was never closed \\(still listening on 127\\.0\\.0\\.1:${server.port}, 0 connections open\\)`));
  assert.not.match(reports[0]!, /[\\/]lib[\\/]streams\.ts/); // yieldio's own frames are left out
  server.close(); // the loop is gone; only Node's listener is left to stop
});

test('debug mode: a server closed, or one that failed to listen, is not reported; debug off still reports and closes one left open', async () => {
  const closed = await reportsOf(true, function* () {
    const server = track(yield* startServer(echoHandler, '127.0.0.1', 0));
    yield* asyncWith(server, function* (srv) {
      const err = yield* caught(startServer(echoHandler, '127.0.0.1', srv.port)); // EADDRINUSE
      assert.is(err.code, 'EADDRINUSE');
    });
  });
  assert.equal(closed.reports, []);
  const off = await reportsOf(false, function* () {
    return track(yield* startServer(echoHandler, '127.0.0.1', 0));
  });
  assert.equal(off.reports.map((r) => r.replace(/:\d+/, ':PORT')), ['Server was never closed (still listening on 127.0.0.1:PORT, 0 connections open); closed at the end of run()']);
  assert.is(off.value.isServing(), false);
});

test.run();
