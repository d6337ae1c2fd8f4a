/**
 * Iteration across the border: aiter() reading async generators, Readables and
 * events.on from coroutines; forEach; toAsyncIterable handing Queues, readers,
 * asCompleted and HTTP bodies to `for await`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter, on } from 'node:events';
import { Readable } from 'node:stream';
import { AsyncIterableReader, aiter, forEach, toAsyncIterable, type CoroIterator } from '../lib/iteration.ts';
import { asCompleted } from '../lib/wait.ts';
import { Queue } from '../lib/queues.ts';
import { createTask, sleep, type Task } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import { run } from '../lib/runners.ts';
import { asyncWith } from '../lib/contextlib.ts';
import { wrapPromise } from '../lib/promises.ts';
import { CancelledError, RuntimeError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import type { EventLoop } from '../lib/loop.ts';
import { AsyncClient } from '../lib/http/client.ts';
import { allClosed, startHttpServer, until } from './_support/http-servers.ts';
import { caught, manualLoop, runVirtual, thrown, trace } from './_support/virtual.ts';

const END = { done: true, value: undefined };

/** Everything a CoroIterator yields, read with the documented loop idiom. */
function* drain<T>(it: CoroIterator<T>): Coro<T[]> {
  const out: T[] = [];
  for (let r = yield* it.next(); !r.done; r = yield* it.next()) out.push(r.value);
  return out;
}

/** Async code: everything a for await yields (stopping after `limit` items). */
async function collect<T>(iterable: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

/** An async generator whose items are released one by one from outside (`release(v)`). */
function gated(): { source: AsyncGenerator<string>; release: (v: string) => void; waiting: () => number; log: string[] } {
  const gates: Array<(v: string) => void> = [];
  const log: string[] = [];
  const source = (async function* () {
    try {
      for (;;) {
        const v = await new Promise<string>((resolve) => gates.push(resolve));
        if (v === 'end') return;
        yield v;
      }
    } finally {
      log.push('finally');
    }
  })();
  return { source, release: (v) => gates.shift()!(v), waiting: () => gates.length, log };
}

// ---- aiter ----

test('aiter: a coroutine reads an async generator one item at a time, then done for good', async () => {
  let asked = 0;
  async function* numbers() {
    for (let i = 1; i <= 3; i++) {
      asked++;
      await null;
      yield i;
    }
  }
  await runVirtual((function* () {
    const it = aiter(numbers());
    assert.instance(it, AsyncIterableReader);
    assert.is(it.getLoop(), getRunningLoop());
    assert.equal(yield* drain(it), [1, 2, 3]);
    assert.is(it.state, 'EXHAUSTED');
    assert.equal(yield* it.next(), END);
    assert.is(asked, 3, 'the source is not asked again once it said done');
  })());
});

test('aiter: a rejecting next() throws the very error — an Error or not', async () => {
  const boom = new Error('boom');
  async function* failing(reason: unknown) {
    yield 'first';
    throw reason;
  }
  await runVirtual((function* () {
    const it = aiter(failing(boom));
    assert.equal(yield* it.next(), { done: false, value: 'first' });
    assert.is(yield* caught(() => it.next()), boom);
    const odd = { code: 42 };
    const it2 = aiter(failing(odd));
    yield* it2.next();
    assert.is(yield* caught(() => it2.next()), odd);
    const syncThrow: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          throw boom;
        },
      }),
    };
    assert.is(yield* caught(() => aiter(syncThrow).next()), boom);
  })());
});

test('aiter: a real stream.Readable, read to the end and left early (the stream is destroyed)', async () => {
  await run((function* () {
    const all = yield* drain(aiter<string>(Readable.from(['a', 'b', 'c'])));
    assert.equal(all, ['a', 'b', 'c']);
    const readable = Readable.from(['x', 'y', 'z']);
    const it = aiter<string>(readable);
    assert.equal(yield* it.next(), { done: false, value: 'x' });
    assert.equal(yield* it.return(), END);
    assert.ok(readable.destroyed);
    assert.is(it.state, 'CLOSED');
    assert.equal(yield* it.next(), END);
    assert.equal(yield* it.return(), END, 'idempotent');
  })());
});

test('aiter: events.on — items emitted from outside the loop; no false deadlock while waiting; return() removes the listener', async () => {
  const emitter = new EventEmitter();
  await runVirtual((function* () {
    const it = aiter(on(emitter, 'tick'));
    const got: unknown[] = [];
    setImmediate(() => emitter.emit('tick', 1)); // outside work: the loop has nothing else to do meanwhile
    got.push((yield* it.next()).value);
    setImmediate(() => emitter.emit('tick', 2, 'two'));
    got.push((yield* it.next()).value);
    assert.equal(got, [[1], [2, 'two']]);
    assert.is(emitter.listenerCount('tick'), 1);
    yield* it.return();
    assert.is(emitter.listenerCount('tick'), 0);
  })());
});

test('aiter: a task cancelled mid-next loses no item — the next next() receives it, in order', async () => {
  const g = gated();
  await runVirtual((function* () {
    const it = aiter(g.source);
    const reader: Task<IteratorResult<string, undefined>> = createTask(it.next());
    yield* sleep(0);
    assert.is(g.waiting(), 1, 'the source is producing the first item');
    reader.cancel();
    assert.instance(yield* caught(() => reader), CancelledError);
    assert.is(getRunningLoop()._ioWaitCount(), 0, 'the cancelled wait no longer counts as outside work');
    assert.match(String(it), /an item kept/);
    g.release('a'); // the abandoned Promise settles with 'a'
    assert.equal(yield* it.next(), { done: false, value: 'a' });
    const second = createTask(it.next());
    yield* sleep(0);
    g.release('b');
    assert.equal(yield* second, { done: false, value: 'b' });
    const last = createTask(it.next());
    yield* sleep(0);
    g.release('end');
    assert.equal(yield* last, END);
    assert.equal(g.log, ['finally']);
  })());
});

test('aiter: return() with an item still on its way waits for the source and drops the item', async () => {
  const g = gated();
  await runVirtual((function* () {
    const it = aiter(g.source);
    const reader = createTask(it.next());
    yield* sleep(0);
    reader.cancel();
    yield* caught(() => reader);
    // An async generator queues return() behind the pending next(): release that item.
    const closing = createTask(it.return());
    yield* sleep(0);
    g.release('dropped');
    assert.equal(yield* closing, END);
    assert.equal(g.log, ['finally']);
    assert.equal(yield* it.next(), END);
  })());
});

test('aiter: asyncWith closes the source at the end of the body, also on an error', async () => {
  await runVirtual((function* () {
    const g = gated();
    const boom = new Error('body failed');
    const err = yield* caught(() => asyncWith(aiter(g.source), function* (it) {
      const first = createTask(it.next());
      yield* sleep(0);
      g.release('x');
      assert.equal(yield* first, { done: false, value: 'x' });
      throw boom;
    }));
    assert.is(err, boom);
    assert.equal(g.log, ['finally']);
  })());
});

test('aiter: misuse says how to fix it', async () => {
  await runVirtual((function* () {
    const cases: [unknown, RegExp][] = [
      [[1, 2], /synchronous iterable is read with for…of/],
      [new Queue<number>(), /forEach\(queue/],
      [asCompleted([]), /yieldio iterator already/],
      [42, /got the number 42/],
      [null, /got null/],
    ];
    for (const [value, message] of cases) {
      const err = thrown(() => aiter(value as AsyncIterable<unknown>));
      assert.instance(err, TypeError);
      assert.match((err as Error).message, message);
    }
  })());
});

// ---- forEach ----

test('forEach: over an async generator, a Readable, a Queue (until shut down) and asCompleted', async () => {
  await runVirtual((function* () {
    const seen = trace();
    async function* gen() {
      yield 1;
      yield 2;
    }
    yield* forEach(gen(), function* (n) {
      seen.log(`gen:${n}`);
    });
    yield* forEach(Readable.from(['r']), function* (s) {
      seen.log(`readable:${s}`);
    });
    const q = new Queue<string>();
    const producer = createTask((function* () {
      yield* q.put('q1');
      yield* sleep(0);
      yield* q.put('q2');
      q.shutdown();
    })());
    yield* forEach(q, function* (item) {
      seen.log(`queue:${item}`);
      q.taskDone();
    });
    yield* producer;
    const slow = createTask(sleep(0.02, 'slow'));
    const fast = createTask(sleep(0.001, 'fast'));
    yield* forEach(asCompleted([slow, fast]), function* (task) {
      seen.log(`done:${task.result()}`);
    });
    assert.equal(seen.entries, ['gen:1', 'gen:2', 'readable:r', 'queue:q1', 'queue:q2', 'done:fast', 'done:slow']);
  })());
});

test('forEach: returning false stops and closes the source; a body error closes it and wins', async () => {
  const emitter = new EventEmitter();
  await runVirtual((function* () {
    const got: number[] = [];
    emitter.emit('n', 0); // not listened to yet: lost, as events.on would lose it
    setImmediate(() => {
      emitter.emit('n', 1);
      emitter.emit('n', 2);
      emitter.emit('n', 3);
    });
    yield* forEach(on(emitter, 'n'), function* ([n]) {
      got.push(n as number);
      if (n === 2) return false;
    });
    assert.equal(got, [1, 2]);
    assert.is(emitter.listenerCount('n'), 0, 'events.on listener removed');

    const boom = new Error('body');
    let closed = 0;
    const source: CoroIterator<number> = {
      *next() {
        return { done: false, value: 1 };
      },
      *return() {
        closed++;
        throw new Error('closing failed too');
      },
    };
    assert.is(yield* caught(() => forEach(source, function* () {
      throw boom;
    })), boom);
    assert.is(closed, 1);
  })());
});

test('forEach: a source error is thrown as it is, and the source is closed', async () => {
  const boom = new Error('source');
  await runVirtual((function* () {
    let closed = 0;
    const source: CoroIterator<number> = {
      *next() {
        throw boom;
      },
      *return() {
        closed++;
        return END as IteratorResult<number, undefined>;
      },
    };
    assert.is(yield* caught(() => forEach(source, function* () {})), boom);
    assert.is(closed, 1);
  })());
});

test('forEach: cancelled inside the body — the source is closed (its finally runs)', async () => {
  await runVirtual((function* () {
    const log: string[] = [];
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        log.push('closed');
      }
    }
    const worker = createTask(forEach(endless(), function* () {
      yield* sleep(100);
    }));
    yield* sleep(1);
    worker.cancel();
    assert.instance(yield* caught(() => worker), CancelledError);
    assert.equal(log, ['closed']);
    // Waiting on a Queue: the cancellation passes through; the queue is left usable.
    const q = new Queue<number>();
    const waiter = createTask(forEach(q, function* () {}));
    yield* sleep(1);
    waiter.cancel();
    assert.instance(yield* caught(() => waiter), CancelledError);
    q.putNowait(1);
    assert.is(q.getNowait(), 1);
  })());
});

test('forEach: misuse — not a source, or a next() that returns a Promise', async () => {
  await runVirtual((function* () {
    const err = yield* caught(() => forEach(42 as unknown as Queue<number>, function* () {}));
    assert.instance(err, TypeError);
    assert.match((err as Error).message, /forEach\(\) expects a yieldio iterator/);
    const promiseIterator = { next: () => Promise.resolve({ done: true, value: undefined }) };
    const err2 = yield* caught(() => forEach(promiseIterator as unknown as CoroIterator<number>, function* () {}));
    assert.instance(err2, TypeError);
    assert.match((err2 as Error).message, /returned a Promise, not a coroutine.*aiter\(iterable\)/);
  })());
});

// ---- toAsyncIterable ----

test('toAsyncIterable(queue): async code reads with for await until the queue is shut down', async () => {
  await run((function* () {
    const q = new Queue<number>();
    const reading = wrapPromise(collect(toAsyncIterable(q)));
    for (let i = 1; i <= 3; i++) yield* q.put(i);
    q.shutdown();
    assert.equal(yield* reading, [1, 2, 3]);
  })());
});

test('toAsyncIterable(queue, {loop}): a Queue handed to async code from outside the loop', async () => {
  let loop: EventLoop | null = null;
  const q = new Queue<string>();
  assert.instance(thrown(() => toAsyncIterable(q)), RuntimeError);
  assert.match((thrown(() => toAsyncIterable(q)) as Error).message, /pass \{ loop \}/);
  await run((function* () {
    loop = getRunningLoop();
    const consumer = (async () => {
      await null; // from here on, outside the loop
      return collect(toAsyncIterable(q, { loop: loop! }), 2);
    })();
    yield* q.put('a');
    yield* q.put('b');
    yield* q.put('never read');
    assert.equal(yield* wrapPromise(consumer), ['a', 'b']);
    assert.is(q.qsize(), 1, 'break leaves the queue as it is');
  })());
});

test('toAsyncIterable(aiter(gen)): a round trip; break closes the generator', async () => {
  const log: string[] = [];
  async function* letters() {
    try {
      yield 'a';
      yield 'b';
      yield 'c';
    } finally {
      log.push('finally');
    }
  }
  await run((function* () {
    assert.equal(yield* wrapPromise(collect(toAsyncIterable(aiter(letters())))), ['a', 'b', 'c']);
    assert.equal(log, ['finally']);
    log.length = 0;
    const reader = aiter(letters());
    assert.equal(yield* wrapPromise(collect(toAsyncIterable(reader), 1)), ['a']);
    assert.equal(log, ['finally']);
    assert.is(reader.state, 'CLOSED');
  })());
});

test('toAsyncIterable(asCompleted(tasks)): for await gets the tasks as they finish, even from outside the loop', async () => {
  await run((function* () {
    const slow = createTask(sleep(0.02, 'slow'));
    const fast = createTask(sleep(0.001, 'fast'));
    const consumer = (async () => {
      await null; // outside the loop: asCompleted takes the tasks' loop
      const order: unknown[] = [];
      for await (const task of toAsyncIterable(asCompleted([slow, fast]))) order.push(task);
      return order;
    })();
    const order = yield* wrapPromise(consumer);
    assert.equal(order, [fast, slow]);
  })());
});

test('toAsyncIterable: a step error rejects with the very error; misuse is refused', async () => {
  const boom = new Error('step');
  await run((function* () {
    const failing: CoroIterator<number> = {
      *next() {
        throw boom;
      },
    };
    assert.is(yield* caught(() => wrapPromise(collect(toAsyncIterable(failing)))), boom);
    const promiseNext = { next: () => Promise.resolve(END) } as unknown as CoroIterator<number>;
    const err = yield* caught(() => wrapPromise(collect(toAsyncIterable(promiseNext))));
    assert.match((err as Error).message, /returned a Promise, not a coroutine/);
    async function* gen() {}
    const refused = thrown(() => toAsyncIterable(gen() as unknown as CoroIterator<number>));
    assert.instance(refused, TypeError);
    assert.match((refused as Error).message, /async iterable already/);
    assert.match((thrown(() => toAsyncIterable(7 as unknown as Queue<number>)) as Error).message, /got the number 7/);
  })());
});

test('toAsyncIterable: the source\'s own loop is used (getLoop), and the option wins over it', async () => {
  const other = manualLoop();
  const source: CoroIterator<number> = {
    *next() {
      return END as IteratorResult<number, undefined>;
    },
    getLoop: () => other,
  };
  await run((function* () {
    // Stepping on `other`, which never runs, would hang: the option points back to ours.
    assert.equal(yield* wrapPromise(collect(toAsyncIterable(source, { loop: getRunningLoop() }))), []);
  })());
  other.close();
});

// ---- HTTP response bodies ----

test('toAsyncIterable(response.aiterText()): a loopback body read with for await; break closes the response', async () => {
  const server = await startHttpServer((_req, socket) => {
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n');
    socket.write('3\r\none\r\n');
    setImmediate(() => socket.write('3\r\ntwo\r\n0\r\n\r\n'));
  });
  await run(asyncWith(new AsyncClient({ baseUrl: `http://127.0.0.1:${server.port}` }), function* (client) {
    const whole = yield* client.stream('GET', '/');
    assert.equal((yield* wrapPromise(collect(toAsyncIterable(whole.aiterText())))).join(''), 'onetwo');
    assert.is(whole.bodyState, 'CLOSED');

    const early = yield* client.stream('GET', '/');
    const chunks = yield* wrapPromise(collect(toAsyncIterable(early.aiterBytes()), 1));
    assert.ok(Buffer.from(chunks[0]!).toString().startsWith('one'));
    assert.is(early.bodyState, 'CLOSED', 'break called return(): the response is closed');
    assert.is(early.extensions.reused, true, 'the body read to the end had given its connection back');
    // Unread bytes on it: the connection is closed now, not when the client closes.
    yield* until(() => allClosed(server));
    assert.is(server.connections.length, 1);
  }));
  await server.close();
});

test.run();
