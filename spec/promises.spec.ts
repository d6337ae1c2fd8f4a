import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { wrapPromise, toPromise } from '../lib/promises.ts';
import { run } from '../lib/runners.ts';
import { createTask, currentTask, sleep, type Task } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, DeadlockError, RuntimeError } from '../lib/exceptions.ts';
import type { EventLoop } from '../lib/loop.ts';
import type { Coro } from '../lib/coroutines.ts';
import { collectErrors, rejection, runVirtual, thrown, trace } from './_support/virtual.ts';

/** A Promise and the functions that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// ---- wrapPromise ----

test('wrapPromise: yield* returns what the Promise fulfils with', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yieldio-'));
  const file = path.join(dir, 'a.txt');
  fs.writeFileSync(file, 'hello from fs');
  try {
    const text = await run((function* (): Coro<string> {
      return yield* wrapPromise(fs.promises.readFile(file, 'utf8'));
    })());
    assert.is(text, 'hello from fs');
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('wrapPromise: a rejection is thrown into the coroutine as the very error object, stack intact', async () => {
  const boom = new Error('driver failed');
  const stack = boom.stack;
  const caught = await run((function* (): Coro<unknown> {
    try {
      yield* wrapPromise(Promise.reject(boom));
    } catch (err) {
      return err;
    }
    return null;
  })());
  assert.is(caught, boom);
  assert.is((caught as Error).stack, stack);
});

test('wrapPromise: a rejection with a non-Error value arrives as that value', async () => {
  const caught = await run((function* (): Coro<unknown> {
    try {
      yield* wrapPromise(Promise.reject('just a string'));
    } catch (err) {
      return err;
    }
    return null;
  })());
  assert.is(caught, 'just a string');
});

test('wrapPromise: a task waiting on a pending Promise is not reported as deadlocked', async () => {
  const d = deferred<number>();
  setTimeout(() => d.resolve(7), 20);
  const value = await run((function* (): Coro<number> {
    return yield* wrapPromise(d.promise);
  })());
  assert.is(value, 7);
});

test('wrapPromise: a real deadlock is still reported while no Promise is pending', async () => {
  const err = await rejection(run((function* (): Coro<void> {
    yield* wrapPromise(Promise.resolve(1)); // an outside wait that ended
    yield* getRunningLoop().createFuture<void>(); // nobody will set this
  })()));
  assert.instance(err, DeadlockError);
});

test('wrapPromise: a deadlock elsewhere is reported once the pending Promise settles', async () => {
  const d = deferred<void>();
  setTimeout(() => d.resolve(), 5);
  const err = await rejection(run((function* (): Coro<void> {
    const stuck = createTask((function* (): Coro<void> { yield* getRunningLoop().createFuture<void>(); })(), { name: 'stuck' });
    yield* wrapPromise(d.promise);
    yield* stuck;
  })()));
  assert.instance(err, DeadlockError);
  assert.match((err as Error).message, /stuck/);
});

test('wrapPromise: the coroutine resumes in a loop iteration, never inside the microtask', async () => {
  await run((function* (): Coro<void> {
    const loop = getRunningLoop();
    const me = currentTask();
    yield* wrapPromise(Promise.resolve());
    // Inside a step: the loop is running and the task is current.
    assert.ok(loop.isRunning());
    assert.is(currentTask(), me);
  })());
});

test('wrapPromise: a thenable that is not a Promise is followed too', async () => {
  const thenable: PromiseLike<string> = { then(onOk) { onOk?.('from a thenable'); return thenable as never; } };
  assert.is(await run((function* (): Coro<string> { return yield* wrapPromise(thenable); })()), 'from a thenable');
});

test('wrapPromise: a thenable whose then() throws: the coroutine gets the error, and the outside wait ends', async () => {
  const boom = new Error('then() failed');
  const thenable = { then(): never { throw boom; } } as PromiseLike<number>;
  const [caught, waits] = await run((function* (): Coro<[unknown, number]> {
    let err: unknown = null;
    try {
      yield* wrapPromise(thenable);
    } catch (e) {
      err = e;
    }
    return [err, getRunningLoop()._ioWaitCount()];
  })());
  assert.is(caught, boom);
  assert.is(waits, 0, 'the wait counted at creation was released');
});

test('wrapPromise: a future set by hand before its Promise settles drops the late outcome, with no unhandled rejection', async () => {
  const d = deferred<number>();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const [value, waits] = await run((function* (): Coro<[number, number]> {
      const fut = wrapPromise(d.promise);
      fut.setResult(5); // misuse, but not fatal
      const v = yield* fut;
      d.resolve(1);
      yield* wrapPromise(d.promise.then(() => undefined)); // after fut's own reaction
      return [v, getRunningLoop()._ioWaitCount()];
    })());
    assert.is(value, 5);
    assert.is(waits, 0, 'the wait ended when the Promise settled');
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, []);
});

test('wrapPromise: bad input is a TypeError saying what it accepts', async () => {
  await run((function* (): Coro<void> {
    const err = thrown(() => wrapPromise(42 as unknown as Promise<number>));
    assert.instance(err, TypeError);
    assert.match((err as Error).message, /expects a Promise or a function/);
  })());
});

test('wrapPromise: outside a running loop it says so', () => {
  assert.instance(thrown(() => wrapPromise(Promise.resolve(1))), RuntimeError);
});

test('wrapPromise(fn): fn gets an AbortSignal, aborted with a CancelledError when the awaiting task is cancelled', async () => {
  let seen: AbortSignal | null = null;
  const err = await rejection(run((function* (): Coro<void> {
    const waiter = createTask((function* (): Coro<void> {
      yield* wrapPromise((signal) => {
        seen = signal;
        return new Promise<void>(() => {}); // never settles
      });
    })());
    yield* sleep(0);
    waiter.cancel('give up');
    yield* waiter;
  })()));
  assert.instance(err, CancelledError);
  assert.ok(seen !== null && (seen as AbortSignal).aborted);
  const reason = (seen as unknown as AbortSignal).reason;
  assert.instance(reason, CancelledError);
  assert.is((reason as Error).message, 'give up');
});

test('wrapPromise: a Promise that never settles, plus a cancel: the task is cancelled and run() ends', async () => {
  const t = trace();
  const result = await run((function* (): Coro<string> {
    const waiter = createTask((function* (): Coro<void> {
      try {
        yield* wrapPromise(new Promise<void>(() => {}));
      } finally {
        t.log('finally');
      }
    })());
    yield* sleep(0);
    waiter.cancel();
    try {
      yield* waiter;
    } catch (err) {
      t.log((err as Error).name);
    }
    return 'done';
  })());
  assert.is(result, 'done');
  assert.equal(t.entries, ['finally', 'CancelledError']);
});

test('wrapPromise: a Promise that rejects after its future was cancelled is dropped, with no unhandled rejection', async () => {
  const d = deferred<void>();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const { handler, contexts } = collectErrors();
  try {
    await run((function* (): Coro<void> {
      const fut = wrapPromise(d.promise);
      fut.cancel();
      yield* sleep(0);
    })(), { exceptionHandler: handler });
    d.reject(new Error('too late'));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, []);
  assert.equal(contexts, []);
});

test('wrapPromise: a Promise settling after run() ended is dropped without touching the closed loop', async () => {
  const d = deferred<number>();
  let loop: EventLoop | null = null;
  await run((function* (): Coro<void> {
    loop = getRunningLoop();
    wrapPromise(d.promise); // never awaited
  })());
  d.resolve(1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok((loop as unknown as EventLoop).isClosed());
});

test('wrapPromise(fn): a synchronous throw from fn becomes the future\'s exception', async () => {
  const boom = new Error('sync');
  const caught = await run((function* (): Coro<unknown> {
    try {
      yield* wrapPromise(() => { throw boom; });
    } catch (err) {
      return err;
    }
    return null;
  })());
  assert.is(caught, boom);
});

test('wrapPromise(fn): fn returning a non-Promise is a TypeError in the awaiting coroutine', async () => {
  const caught = await run((function* (): Coro<unknown> {
    try {
      yield* wrapPromise((() => 5) as unknown as () => Promise<number>);
    } catch (err) {
      return err;
    }
    return null;
  })());
  assert.instance(caught, TypeError);
  assert.match((caught as Error).message, /must return a Promise/);
});

test('wrapPromise: a Promise rejecting with a CancelledError cancels the future', async () => {
  const caught = await run((function* (): Coro<unknown> {
    const fut = wrapPromise(Promise.reject(new CancelledError('from outside')));
    try {
      yield* fut;
    } catch (err) {
      assert.ok(fut.cancelled());
      return err;
    }
    return null;
  })());
  assert.instance(caught, CancelledError);
});

test('wrapPromise: 10k concurrent waits all complete, and the wait count returns to zero', async () => {
  let loop: EventLoop | null = null;
  const sum = await run((function* (): Coro<number> {
    loop = getRunningLoop();
    const tasks: Task<number>[] = [];
    for (let i = 0; i < 10_000; i++) {
      tasks.push(createTask((function* (): Coro<number> {
        return yield* wrapPromise(new Promise<number>((resolve) => setImmediate(resolve, i)));
      })()));
    }
    const values = yield* gather(tasks);
    assert.is(getRunningLoop()._ioWaitCount(), 0);
    return values.reduce((a, b) => a + b, 0);
  })());
  assert.is(sum, (10_000 * 9_999) / 2);
  assert.ok(loop !== null);
});

// ---- toPromise ----

test('toPromise: a task\'s result reaches async code', async () => {
  await run((function* (): Coro<void> {
    const task = createTask((function* (): Coro<number> { yield* sleep(0.001); return 5; })());
    const p = toPromise(task);
    assert.instance(p, Promise);
    assert.is(yield* wrapPromise(p), 5);
  })());
});

test('toPromise: an error retrieved through the Promise is not reported as never retrieved', async () => {
  const { handler, contexts } = collectErrors();
  const boom = new Error('task failed');
  let caught: Promise<unknown> | null = null;
  await runVirtual((function* (): Coro<void> {
    const task = createTask((function* (): Coro<void> { yield* sleep(1); throw boom; })());
    // The handler is attached at once, as async code awaiting it would: a rejection
    // with no handler by the end of the Node turn is an unhandled rejection.
    caught = rejection(toPromise(task));
    yield* sleep(2);
  })(), { exceptionHandler: handler });
  assert.is(await caught!, boom);
  assert.equal(contexts, []);
});

test('toPromise: a cancelled future rejects with CancelledError; a done one settles after its loop closed', async () => {
  let cancelled: Promise<unknown> | null = null;
  let finished: Task<string> | null = null;
  await run((function* (): Coro<void> {
    const fut = getRunningLoop().createFuture<number>();
    cancelled = rejection(toPromise(fut)); // handled at once (see above)
    fut.cancel('nope');
    finished = createTask((function* (): Coro<string> { return 'ok'; })());
    yield* finished;
  })());
  assert.instance(await cancelled!, CancelledError);
  assert.is(await toPromise(finished!), 'ok');
});

test('toPromise: a future left pending on a closed loop rejects with a clear error', async () => {
  let fut: ReturnType<EventLoop['createFuture']> | null = null;
  await run((function* (): Coro<void> { fut = getRunningLoop().createFuture(); })());
  const err = await rejection(toPromise(fut!));
  assert.instance(err, RuntimeError);
  assert.match((err as Error).message, /closed event loop/);
});

test('toPromise: a coroutine is refused with a hint at runCoroutine', () => {
  const err = thrown(() => toPromise((function* () {})() as never));
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /runCoroutine/);
});

// ---- loop.runCoroutine ----

test('loop.runCoroutine: async code hands a coroutine to a running loop and awaits its result', async () => {
  const t = trace();
  const result = await run((function* (): Coro<number> {
    const loop = getRunningLoop();
    // A Node callback (outside any loop iteration) calls into the loop.
    const fromOutside = new Promise<number>((resolve, reject) => {
      setTimeout(async () => {
        try {
          resolve(await loop.runCoroutine((function* (): Coro<number> {
            t.log(currentTask() !== null ? 'in a task' : 'no task');
            yield* sleep(0.001);
            return 21;
          })()));
        } catch (err) {
          reject(err);
        }
      }, 1);
    });
    const v = yield* wrapPromise(fromOutside);
    return v * 2;
  })());
  assert.is(result, 42);
  assert.equal(t.entries, ['in a task']);
});

test('loop.runCoroutine: the coroutine\'s error rejects the Promise', async () => {
  const boom = new Error('inside');
  const err = await run((function* (): Coro<unknown> {
    const p = getRunningLoop().runCoroutine((function* (): Coro<void> { yield; throw boom; })());
    return yield* wrapPromise(p.then(() => null, (e: unknown) => e));
  })());
  assert.is(err, boom);
});

test('loop.runCoroutine: on a closed loop the Promise rejects with a clear error', async () => {
  let loop: EventLoop | null = null;
  await run((function* (): Coro<void> { loop = getRunningLoop(); })());
  const err = await rejection(loop!.runCoroutine((function* (): Coro<void> {})()));
  assert.instance(err, RuntimeError);
  assert.match((err as Error).message, /closed event loop/);
});

test('loop.runCoroutine: a function instead of a coroutine rejects (a Promise API does not throw)', async () => {
  await run((function* (): Coro<void> {
    const p = getRunningLoop().runCoroutine((function* () {}) as never);
    const err = yield* wrapPromise(p.then(() => null, (e: unknown) => e));
    assert.instance(err, TypeError);
  })());
});

test('loop.runCoroutine: {signal} cancels the task when aborted', async () => {
  await run((function* (): Coro<void> {
    const controller = new AbortController();
    const p = getRunningLoop().runCoroutine((function* (): Coro<void> { yield* sleep(3600); })(), { signal: controller.signal });
    yield* sleep(0);
    controller.abort('stop');
    const err = yield* wrapPromise(p.then(() => null, (e: unknown) => e));
    assert.instance(err, CancelledError);
    assert.is((err as Error).message, 'stop');
  })());
});

// ---- AbortSignal on tasks ----

test('createTask {signal}: an abort cancels the task with the reason as message', async () => {
  await runVirtual((function* (): Coro<void> {
    const controller = new AbortController();
    const task = createTask((function* (): Coro<void> { yield* sleep(10); })(), { signal: controller.signal });
    yield* sleep(1);
    controller.abort(new Error('user left'));
    const err = yield* wrapPromise(toPromise(task).then(() => null, (e: unknown) => e));
    assert.instance(err, CancelledError);
    assert.is((err as Error).message, 'user left');
  })());
});

test('createTask {signal}: an already-aborted signal cancels the task before its first step', async () => {
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const task = createTask((function* (): Coro<void> { t.log('body ran'); })(), { signal: AbortSignal.abort('early') });
    try {
      yield* task;
    } catch (err) {
      t.log(`${(err as Error).name}: ${(err as Error).message}`);
    }
    assert.ok(task.cancelled());
  })());
  assert.equal(t.entries, ['CancelledError: early']);
});

test('createTask {signal}: the abort listener is removed once the task is done', async () => {
  const controller = new AbortController();
  let listeners = 0;
  const add = controller.signal.addEventListener.bind(controller.signal);
  const remove = controller.signal.removeEventListener.bind(controller.signal);
  controller.signal.addEventListener = ((...a: Parameters<typeof add>) => { listeners++; add(...a); }) as typeof add;
  controller.signal.removeEventListener = ((...a: Parameters<typeof remove>) => { listeners--; remove(...a); }) as typeof remove;
  await runVirtual((function* (): Coro<void> {
    const tasks = [0, 1, 2].map(() => createTask((function* (): Coro<void> { yield* sleep(1); })(), { signal: controller.signal }));
    assert.is(listeners, 3);
    yield* gather(tasks);
    yield* sleep(0);
  })());
  assert.is(listeners, 0);
});

test('task.signal: made on demand, aborted with the CancelledError when the task is cancelled', async () => {
  await runVirtual((function* (): Coro<void> {
    let signal: AbortSignal | null = null;
    const task = createTask((function* (): Coro<void> {
      signal = currentTask()!.signal;
      yield* sleep(10);
    })());
    yield* sleep(1);
    assert.ok(signal !== null && !(signal as AbortSignal).aborted);
    task.cancel('enough');
    yield* sleep(0);
    yield* sleep(0);
    const s = signal as unknown as AbortSignal;
    assert.ok(s.aborted);
    assert.instance(s.reason, CancelledError);
    assert.is((s.reason as Error).message, 'enough');
  })());
});

test('task.signal: aborted when the task finishes; asked after that, it is aborted already', async () => {
  await runVirtual((function* (): Coro<void> {
    let signal: AbortSignal | null = null;
    const task = createTask((function* (): Coro<number> { signal = currentTask()!.signal; return 1; })());
    yield* task;
    yield* sleep(0);
    assert.ok((signal as unknown as AbortSignal).aborted);
    assert.ok(task.signal.aborted);
    assert.is(task.signal, signal);
  })());
});

test('wrapPromise: a wait never awaited and still pending when run() ends is reported once and cancelled, which aborts its signal', async () => {
  const { handler, contexts } = collectErrors();
  let signal: AbortSignal | null = null;
  let awaited: AbortSignal | null = null;
  await run((function* (): Coro<void> {
    wrapPromise((s) => { signal = s; return new Promise<void>(() => {}); }); // forgotten
    const waiter = createTask((function* (): Coro<void> {
      yield* wrapPromise((s) => { awaited = s; return new Promise<void>(() => {}); });
    })());
    yield* sleep(0);
    assert.ok(!waiter.done());
  })(), { exceptionHandler: handler });
  // The awaited one was cancelled with its task at shutdown: nothing to report.
  assert.equal(contexts.map((c) => c.message), ['a wrapPromise(fn) wait nobody awaited was never closed; closed at the end of run()']);
  assert.ok((signal as unknown as AbortSignal).aborted);
  assert.ok((awaited as unknown as AbortSignal).aborted);
});

test('wrapPromise: in debug mode the report of a wait nobody awaited says where it was made', async () => {
  const { handler, contexts } = collectErrors();
  await run((function* (): Coro<void> {
    wrapPromise(() => new Promise<void>(() => {})); // forgotten
  })(), { exceptionHandler: handler, debug: true });
  assert.is(contexts.length, 1);
  assert.match(contexts[0]!.message, /^a wrapPromise\(fn\) wait nobody awaited created at .*promises\.spec\.ts:\d+.* was never closed; closed at the end of run\(\)/);
});

test('loop.runCoroutine: async code that sets a future after awaiting the coroutine is not mistaken for a deadlock', async () => {
  const value = await run((function* (): Coro<string> {
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    void (async () => {
      await loop.runCoroutine((function* (): Coro<void> {})());
      fut.setResult('set from async code');
    })();
    return yield* fut;
  })());
  assert.is(value, 'set from async code');
});

test('createTask {signal}: something other than an AbortSignal is a TypeError saying what is expected', async () => {
  await runVirtual((function* (): Coro<void> {
    const err = thrown(() => createTask((function* (): Coro<void> {})(), { signal: {} as AbortSignal }));
    assert.instance(err, TypeError);
    assert.match((err as Error).message, /must be an AbortSignal/);
  })());
});

test.run();
