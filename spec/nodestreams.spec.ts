import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Buffer } from 'node:buffer';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, Readable, Writable } from 'node:stream';
import { run } from '../lib/runners.ts';
import { allTasks, createTask, sleep } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, DeadlockError, IncompleteReadError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import type { EventLoop } from '../lib/loop.ts';
import { type StreamReader } from '../lib/streams.ts';
import { ConnectionResetError } from '../lib/exceptions.ts';
import { openDuplex, openReadable, openWritable } from '../lib/nodestreams.ts';

const s = (buf: Uint8Array): string => Buffer.from(buf).toString('latin1');
const ioWaits = (): number => getRunningLoop()._ioWaitCount();

// ---------------------------------------------------------------------------------
// Determinism and cleanup (as in streams.spec.ts)
//
// - Never sleep to "let something happen": wait on the stream's own event (`settled`,
//   `nextEvent`) or on a stream method that returns on it.
// - `yield* sleep(0)` only for what the loop guarantees: a task created before it has
//   run its first step (and so begun its wait) when the sleeping task resumes.
// - Child processes are killed and temp dirs removed after each test, passed or failed.
// ---------------------------------------------------------------------------------

const SAFETY_NET_MS = 10_000;
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

test.after.each(() => {
  for (const child of children) child.kill();
  children.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
});

/** Runs `body` as the main coroutine; a Node timer (never a loop timer: it would hide deadlocks) is the safety net. */
async function go<T>(body: () => Coro<T>): Promise<T> {
  let loop: EventLoop | null = null;
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    for (const child of children) child.kill();
    if (loop !== null && !loop.isClosed()) loop.callSoon(() => { for (const task of allTasks(loop!)) task.cancel('safety net'); });
  }, SAFETY_NET_MS);
  try {
    const result = await run(body(), { setup: (l) => { loop = l; } });
    if (hung) throw new Error('safety net: the test was still running after 10 s');
    return result;
  } finally {
    clearTimeout(guard);
  }
}

/** Waits for a Promise Node settles, counted as an I/O wait (as nodestreams.ts counts its own). */
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

/** The emitter's next `event`. Call it before what causes the event, in the same step. */
function nextEvent(emitter: NodeJS.EventEmitter, event: string): Promise<unknown[]> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args)));
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

/** Records uncaught exceptions (an unhandled 'error' event is one) while `body` runs. */
async function noUncaught(body: () => Promise<void>): Promise<void> {
  const uncaught: unknown[] = [];
  const spy = (err: unknown): void => void uncaught.push(err);
  process.on('uncaughtException', spy);
  try {
    await body();
  } finally {
    process.off('uncaughtException', spy);
  }
  assert.equal(uncaught, [], "no unhandled 'error' event");
}

/** `<StreamReader N bytes …>`: how many bytes wait in the reader. */
const buffered = (reader: StreamReader): number => Number(/<StreamReader (\d+) bytes/.exec(String(reader))![1]);

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yieldio-nodestreams-'));
  tempDirs.add(dir);
  return dir;
}

function spawnNode(source: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', source], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  return child;
}

// ---------------------------------------------------------------------------------
// openReadable
// ---------------------------------------------------------------------------------

test('openReadable over Readable.from: every reader method works; string and Uint8Array chunks become bytes', async () => {
  await go(function* () {
    const reader = openReadable(Readable.from(['first line\nsec', Buffer.from('ond line\nabc'), new Uint8Array([100, 101]), 'f\n', 'caf\u00e9 end']));
    assert.is(s(yield* reader.readline()), 'first line\n');
    assert.is(s(yield* reader.readline()), 'second line\n');
    assert.is(s(yield* reader.readexactly(3)), 'abc');
    assert.is(s(yield* reader.readuntil('\n')), 'def\n');
    assert.equal([...(yield* reader.read())], [...Buffer.from('caf\u00e9 end', 'utf8')], 'a string chunk as its UTF-8 bytes');
    assert.is(reader.atEof(), true);
    assert.is((yield* reader.read()).length, 0);
    assert.is(ioWaits(), 0);
  });
});

test('a stream with an encoding set gives strings: they are read back as the bytes, in that encoding', async () => {
  await go(function* () {
    const bytes = Buffer.from([0xe9, 0xff, 0x00, 0x0a, 0x80]);
    for (const encoding of ['latin1', 'hex', 'base64'] as const) {
      const source = new PassThrough();
      source.setEncoding(encoding);
      const reader = openReadable(source);
      source.end(bytes);
      assert.equal([...(yield* reader.read())], [...bytes], encoding);
    }
  });
});

test('an object-mode chunk that is not bytes: the read throws a TypeError saying so, and the stream is destroyed', async () => {
  await noUncaught(() => go(function* () {
    const source = Readable.from([Buffer.from('ok\n'), 42]);
    const closed = nextEvent(source, 'close');
    const reader = openReadable(source);
    const err = yield* caught(reader.read());
    assert.instance(err, TypeError);
    assert.match(err.message, /gave a number, not bytes.*Buffers, Uint8Arrays or strings/);
    yield* settled(closed);
    assert.is(source.destroyed, true);
    assert.is(yield* caught(reader.readline()), err, 'every later read throws it');
  }));
});

test('a read waits on a stream fed later from outside the loop: an I/O wait, never a deadlock', async () => {
  const line = await go(function* () {
    const source = new PassThrough();
    const reader = openReadable(source);
    const task = createTask(reader.readline());
    yield* sleep(0);
    assert.is(ioWaits(), 1, 'the waiting read counts');
    setTimeout(() => source.write('from a Node timer\n'), 20); // the producer, not a synchronisation
    const got = yield* task;
    assert.is(ioWaits(), 0);
    return s(got);
  });
  assert.is(line, 'from a Node timer\n');
});

test('flow control: a producer faster than the reader is paused above 2 × limit and resumed at the limit', async () => {
  const limit = 1024;
  const chunk = 256;
  const total = 64 * 1024;
  await go(function* () {
    let produced = 0;
    const source = new Readable({
      read() { // as fast as Node asks: a chunk at once, every time
        if (produced >= total) return void this.push(null);
        produced += chunk;
        this.push(Buffer.alloc(chunk, 97));
      },
    });
    const pauses: number[] = [];
    const resumes: number[] = [];
    const reader = openReadable(source, { limit });
    source.on('pause', () => pauses.push(buffered(reader)));
    source.on('resume', () => resumes.push(buffered(reader)));
    // Nothing reads yet: the reader fills up and pauses the source (wait for that).
    if (!source.isPaused()) yield* settled(nextEvent(source, 'pause'));
    assert.is(source.isPaused(), true);
    assert.ok(produced < total, 'the producer was stopped');
    let got = 0;
    for (let i = 0; i < 10_000; i++) {
      const data = yield* reader.read(100);
      if (data.length === 0) break;
      got += data.length;
    }
    assert.is(got, total);
    assert.ok(pauses.length >= 2, `paused again and again (${pauses.length})`);
    for (const size of pauses) assert.ok(size > 2 * limit && size <= 2 * limit + chunk, `paused at ${size} bytes`);
    // A resume comes from a read that brought the buffer to the limit, or one that must wait.
    for (const size of resumes.slice(1)) assert.ok(size <= limit, `resumed at ${size} bytes`);
  });
});

test("an 'error' while a read waits is thrown in the reading task, never as an unhandled 'error' event", async () => {
  await noUncaught(() => go(function* () {
    const source = new PassThrough();
    const reader = openReadable(source);
    const task = createTask(reader.readline());
    yield* sleep(0);
    const closed = nextEvent(source, 'close');
    const boom = new Error('boom');
    source.destroy(boom);
    assert.is(yield* caught(task), boom);
    assert.is(ioWaits(), 0);
    yield* settled(closed); // the 'error' event was emitted before 'close'
    assert.is(yield* caught(reader.read()), boom, 'every later read throws it');
  }));
});

test("an 'error' while nobody reads is stored; the next read throws it", async () => {
  await noUncaught(() => go(function* () {
    const source = new PassThrough();
    const reader = openReadable(source);
    const closed = nextEvent(source, 'close');
    source.destroy(new Error('nobody was reading'));
    yield* settled(closed);
    assert.match((yield* caught(reader.readexactly(1))).message, /nobody was reading/);
  }));
});

test("a stream destroyed without an error reads as EOF (as a socket closed without FIN)", async () => {
  await go(function* () {
    const source = new PassThrough();
    const reader = openReadable(source);
    source.write('partial');
    const task = createTask(reader.readline());
    yield* sleep(0);
    source.destroy();
    assert.is(s(yield* task), 'partial');
    assert.is(reader.atEof(), true);
  });
});

test('a stream already ended, errored or closed at open: the reader says so at once', async () => {
  await noUncaught(() => go(function* () {
    const ended = new PassThrough();
    const endEvent = nextEvent(ended, 'end');
    ended.end();
    ended.resume();
    yield* settled(endEvent);
    assert.is((yield* openReadable(ended).read()).length, 0);

    const errored = new PassThrough();
    errored.on('error', () => {});
    const erroredClose = nextEvent(errored, 'close');
    errored.destroy(new Error('before open'));
    yield* settled(erroredClose);
    assert.match((yield* caught(openReadable(errored).read())).message, /before open/);

    const closed = new PassThrough();
    const closeEvent = nextEvent(closed, 'close');
    closed.destroy();
    yield* settled(closeEvent);
    const reader = openReadable(closed);
    assert.instance(yield* caught(reader.readexactly(1)), IncompleteReadError);
  }));
});

test('cancelling a waiting read or drain leaves the I/O count right: a later deadlock is still reported', async () => {
  const err = await go(function* () {
    const source = new PassThrough();
    const reader = openReadable(source);
    const read = createTask(reader.readline());
    yield* sleep(0);
    assert.is(ioWaits(), 1);
    read.cancel();
    assert.instance(yield* caught(read), CancelledError);
    assert.is(ioWaits(), 0);

    const stuck = new Writable({ highWaterMark: 1, write() { /* never completes */ } });
    const writer = openWritable(stuck);
    writer.write('xx');
    const drain = createTask(writer.drain());
    yield* sleep(0);
    assert.is(ioWaits(), 1);
    drain.cancel();
    assert.instance(yield* caught(drain), CancelledError);
    assert.is(ioWaits(), 0);

    source.write('after cancel\n');
    assert.is(s(yield* reader.readline()), 'after cancel\n', 'the next read works');
    yield* getRunningLoop().createFuture<void>(); // nobody sets it, and nothing outside is awaited
  }).catch((e: unknown) => e);
  assert.instance(err, DeadlockError);
});

test('misuse: what is not a Node stream is refused with a TypeError saying what to pass', () => {
  assert.throws(() => openReadable(42 as never), /openReadable\(\) takes a Node Readable .*got number/);
  assert.throws(() => openReadable(new ReadableStream() as never), /web ReadableStream: convert it with stream\.Readable\.fromWeb/);
  assert.throws(() => openWritable(new WritableStream() as never), /web WritableStream: convert it with stream\.Writable\.fromWeb/);
  assert.throws(() => openDuplex(null as never), /openDuplex\(\) takes a Node Duplex .*got null/);
});

// ---------------------------------------------------------------------------------
// openWritable
// ---------------------------------------------------------------------------------

test("drain() honours a Writable's back-pressure: it returns once the slow _write calls caught up", async () => {
  await go(function* () {
    const loop = getRunningLoop();
    const trace: string[] = [];
    const slow = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _encoding, callback) {
        trace.push(`_write ${chunk}`);
        // Completes later, outside the loop: only the counted drain wait keeps run() from a deadlock report.
        setImmediate(() => {
          trace.push(`done ${chunk} (io waits ${loop._ioWaitCount()})`);
          callback();
        });
      },
    });
    const writer = openWritable(slow);
    writer.write('ab');
    yield* writer.drain();
    trace.push('drain: below the highWaterMark, at once');
    writer.write('cdef');
    assert.is(slow.writableNeedDrain, true);
    trace.push('drain begins');
    yield* writer.drain();
    trace.push('drain returned');
    assert.equal(trace, [
      '_write ab', 'drain: below the highWaterMark, at once', 'drain begins',
      'done ab (io waits 1)', '_write cdef', 'done cdef (io waits 1)', 'drain returned',
    ]);
    assert.is(ioWaits(), 0);
    writer.close();
    yield* writer.waitClosed();
  });
});

test("a Writable's 'error' is thrown by waitClosed, drain and the next write, never as an unhandled event", async () => {
  await noUncaught(() => go(function* () {
    const failing = new Writable({ write(_chunk, _encoding, callback) { callback(new Error('disk full')); } });
    const closed = nextEvent(failing, 'close');
    const writer = openWritable(failing);
    writer.write('x');
    const err = yield* caught(writer.waitClosed());
    assert.match(err.message, /disk full/);
    assert.is(yield* caught(writer.drain()), err);
    assert.throws(() => writer.write('y'), (e: unknown) => e === err);
    yield* settled(closed);
  }));
});

test('close() ends a Writable, waitClosed() returns once it finished; writeEof() ends it too', async () => {
  await go(function* () {
    const sink = new PassThrough(); // nobody reads it: it finishes, and never closes
    const writer = openWritable(sink);
    assert.is(writer.transport, sink);
    assert.is(writer.getExtraInfo('pipe'), sink);
    assert.is(writer.getExtraInfo('peername', 'none'), 'none');
    assert.is(writer.canWriteEof(), true);
    assert.match(String(writer), /<StreamWriter open pipe>/);
    writer.writelines(['a', 'b', Buffer.from('c')]);
    writer.writeEof();
    writer.writeEof();
    assert.throws(() => writer.write('more'), /after writeEof/);
    writer.close();
    yield* writer.waitClosed();
    assert.is(sink.writableFinished, true);
    assert.is(writer.isClosing(), true);
    assert.match(String(writer), /<StreamWriter closed pipe>/);
    yield* writer.drain(); // finished cleanly: nothing is left to drain
    assert.is(s(sink.read() as Buffer), 'abc');
  });
});

test('a Writable destroyed before it finished: a waiting drain throws ConnectionResetError', async () => {
  await go(function* () {
    const stuck = new Writable({ highWaterMark: 1, write() { /* never completes */ } });
    const writer = openWritable(stuck);
    writer.write('xx');
    const drain = createTask(writer.drain());
    yield* sleep(0);
    stuck.destroy();
    assert.instance(yield* caught(drain), ConnectionResetError);
    yield* writer.waitClosed();
    assert.throws(() => writer.write('late'), (e: unknown) => e instanceof ConnectionResetError);
    const finished = new PassThrough();
    finished.destroy();
    assert.is(openWritable(finished).isClosing(), true, 'a stream already destroyed at open starts closed');
  });
});

test('process.stdout and process.stderr are flushed by close(), never ended; writeEof() is refused', async () => {
  await go(function* () {
    for (const stdio of [process.stdout, process.stderr]) {
      const name = stdio === process.stdout ? 'process.stdout' : 'process.stderr';
      const listeners = stdio.listenerCount('error');
      const writer = openWritable(stdio);
      assert.is(writer.canWriteEof(), false);
      assert.throws(() => writer.writeEof(), new RegExp(`not supported on ${name.replace('.', '\\.')}.*Use close\\(\\)`));
      writer.close();
      yield* writer.waitClosed();
      assert.is(stdio.writableEnded, false, `${name} stays open for console.log`);
      assert.is(stdio.listenerCount('error'), listeners, 'its listeners came off');
      assert.match(String(writer), new RegExp(`<StreamWriter closed ${name.replace('.', '\\.')}>`));
      assert.throws(() => writer.write('x'), /after close/);
    }
  });
});

// ---------------------------------------------------------------------------------
// Real streams: a child process, files, a Transform
// ---------------------------------------------------------------------------------

test("a child process: its stdin through openWritable, its stdout through openReadable", async () => {
  const child = spawnNode(
    "process.stdin.on('data', (d) => process.stdout.write(String(d).toUpperCase()));" +
    "process.stdin.on('end', () => process.stdout.end('bye\\n'));",
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await go(function* () {
    const writer = openWritable(child.stdin!);
    const reader = openReadable(child.stdout!);
    writer.write('hello\n');
    yield* writer.drain();
    assert.is(s(yield* reader.readline()), 'HELLO\n', 'waiting on the child is an I/O wait, not a deadlock');
    writer.writelines(['a\n', 'b\n']);
    writer.close();
    yield* writer.waitClosed();
    assert.is(s(yield* reader.read()), 'A\nB\nbye\n');
    assert.is(yield* settled(exited), 0);
    assert.is(ioWaits(), 0);
  });
});

test('files: write with drain through fs.createWriteStream, read back line by line through fs.createReadStream', async () => {
  const file = path.join(tempDir(), 'lines.txt');
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}\n`);
  await go(function* () {
    const writer = openWritable(fs.createWriteStream(file, { highWaterMark: 1024 }));
    let waited = 0;
    for (const line of lines) {
      writer.write(line);
      if (writer.transport.writableNeedDrain) waited++;
      yield* writer.drain();
    }
    writer.close();
    yield* writer.waitClosed();
    assert.ok(waited > 0, 'drain had to wait for the file');
    assert.is(fs.readFileSync(file, 'latin1'), lines.join(''));

    const reader = openReadable(fs.createReadStream(file, { highWaterMark: 512 }), { limit: 256 });
    const read: string[] = [];
    for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) read.push(s(line));
    assert.equal(read, lines);
  });
});

test('openDuplex: a PassThrough echoes; writeEof ends the write side and reading goes on; close() closes it whole', async () => {
  await go(function* () {
    const duplex = new PassThrough();
    const [reader, writer] = openDuplex(duplex);
    assert.match(String(writer), /<StreamWriter open duplex>/);
    writer.write('ping\n');
    assert.is(s(yield* reader.readline()), 'ping\n');
    writer.write('tail');
    writer.writeEof();
    assert.is(writer.isClosing(), false, 'half-closed, not closed');
    assert.throws(() => writer.write('more'), /after writeEof/);
    assert.is(s(yield* reader.read()), 'tail');
    writer.close();
    yield* writer.waitClosed();
    assert.is(duplex.destroyed, true);
    assert.is(writer.isClosing(), true);
  });
});

test('openDuplex over a Transform (gzip): write in, read the result out; close() before the end destroys it', async () => {
  const text = 'yieldio '.repeat(10_000);
  await go(function* () {
    const [reader, writer] = openDuplex(zlib.createGzip());
    writer.write(text);
    yield* writer.drain();
    writer.writeEof();
    const gzipped = yield* reader.read();
    assert.is(zlib.gunzipSync(gzipped).toString(), text);
    writer.close();
    yield* writer.waitClosed();

    const [reader2, writer2] = openDuplex(new PassThrough());
    writer2.write('unread');
    writer2.close(); // end, then destroy once finished
    yield* writer2.waitClosed();
    assert.is(s(yield* reader2.read()), 'unread', 'what reached the reader is still read, then EOF');
  });
});

test.run();
