import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Task, allTasks, createTask, currentTask, ensureFuture, sleep } from '../lib/tasks.ts';
import { AWAITING, DONE, Future } from '../lib/futures.ts';
import { getRunningLoop } from '../lib/events.ts';
import { run } from '../lib/runners.ts';
import { CancelledError, RuntimeError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import type { EventLoop } from '../lib/loop.ts';
import { drain, manualLoop, rejection, runVirtual, spin, thrown, trace } from './_support/virtual.ts';

// ---- stepping: what a coroutine may yield ----

test('a bare yield gives up one loop iteration: two tasks interleave', async () => {
  const t = trace();
  function* worker(name: string): Coro<void> {
    t.log(`${name}1`);
    yield;
    t.log(`${name}2`);
    yield;
    t.log(`${name}3`);
  }
  await runVirtual((function* (): Coro<void> {
    const a = createTask(worker('a'));
    const b = createTask(worker('b'));
    yield* a;
    yield* b;
  })());
  assert.equal(t.entries, ['a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
});

test('a bare yield costs exactly one runOnce() on a hand-driven loop', () => {
  const loop = manualLoop();
  const t = trace();
  loop.createTask((function* (): Coro<void> {
    t.log(1);
    yield;
    t.log(2);
  })());
  loop.runOnce();
  assert.equal(t.entries, [1]);
  loop.runOnce();
  assert.equal(t.entries, [1, 2]);
});

test('a task waits on a yielded blocking future and resumes with its result', () => {
  const loop = manualLoop();
  const fut = loop.createFuture<string>();
  const t = trace();
  const task = loop.createTask((function* (): Coro<string> {
    t.log('waiting');
    const v = yield* fut;
    t.log(`got ${v}`);
    return v + '!';
  })());
  spin(loop, 5);
  assert.equal(t.entries, ['waiting'], 'it sleeps until the future is done');
  assert.is(task._futWaiter, fut);
  assert.is(loop._readyCount(), 0);
  fut.setResult('x');
  spin(loop, 2);
  assert.equal(t.entries, ['waiting', 'got x']);
  assert.is(task.result(), 'x!');
});

/** Runs `body` in a task on a hand-driven loop and returns what it caught at its yield. */
function caughtAtYield(yielded: (loop: EventLoop) => unknown): unknown {
  const loop = manualLoop();
  let caught: unknown = 'nothing caught';
  const task = loop.createTask((function* (): Coro<string> {
    try {
      yield yielded(loop);
    } catch (err) {
      caught = err;
    }
    return 'went on';
  })());
  drain(loop);
  assert.is(task.result(), 'went on', 'the coroutine can catch the error and go on');
  return caught;
}

test('yield fut (instead of yield* fut) throws a TypeError that says to use yield*', () => {
  const err = caughtAtYield((loop) => loop.createFuture());
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /yield\* fut/);
  assert.match((err as Error).message, /instead of `yield\*`/);
});

test('a bad-yield error survives a cancel() withdrawn by uncancel() before the next step', () => {
  // CPython passes the TypeError to the scheduled step and keeps the cancel apart: a
  // cancel wins while it stands, and once withdrawn the TypeError is still thrown in.
  for (const order of ['cancel after the bad yield', 'cancel before the bad yield'] as const) {
    const loop = manualLoop();
    const seen: string[] = [];
    let task: Task<void> | null = null;
    task = loop.createTask((function* (): Coro<void> {
      if (order === 'cancel before the bad yield') task!.cancel();
      try {
        yield 42 as never;
      } catch (err) {
        seen.push((err as Error).name);
      }
    })());
    loop.runOnce(); // the bad yield: a TypeError is due at the next step
    if (order === 'cancel after the bad yield') task.cancel();
    assert.is(task.uncancel(), 0);
    loop.runOnce();
    assert.equal(seen, ['TypeError'], order);
    assert.ok(task.done() && !task.cancelled());
  }
});

test('a standing cancel() wins over a pending bad-yield error, as in asyncio', () => {
  const loop = manualLoop();
  const seen: string[] = [];
  const task = loop.createTask((function* (): Coro<void> {
    try {
      yield 42 as never;
    } catch (err) {
      seen.push((err as Error).name);
    }
  })());
  loop.runOnce();
  task.cancel();
  loop.runOnce();
  assert.equal(seen, ['CancelledError']);
  assert.is(task.uncancel(), 0, 'withdrawn only after the step: nothing is thrown in later');
  assert.ok(task.done());
});

test('a future forwarded by code that steps a coroutine by hand is awaited, as in CPython', async () => {
  // `r = inner.next(); yield r.value` hands up the pending future that inner's
  // `yield* fut` produced; CPython accepts it (the future carries its blocking flag).
  function* forward<T>(inner: Coro<T>): Coro<T> {
    let r = inner.next();
    while (!r.done) {
      let sent: unknown;
      let error: unknown;
      let threw = false;
      try {
        sent = yield r.value;
      } catch (err) {
        error = err;
        threw = true;
      }
      r = threw ? inner.throw(error) : inner.next(sent);
    }
    return r.value;
  }
  // A wrapper that copies each IteratorResult instead of passing it up.
  function copying<T>(inner: Coro<T>): Coro<T> {
    return {
      next: (v?: unknown) => { const r = inner.next(v); return { done: r.done, value: r.value } as IteratorResult<unknown, T>; },
      throw: (e: unknown) => inner.throw(e),
      return: (v: T) => inner.return(v),
      [Symbol.iterator]() { return this; },
    } as Coro<T>;
  }
  const result = await runVirtual((function* (): Coro<string> {
    const a = yield* forward((function* (): Coro<string> { yield* sleep(0.01); return 'forwarded'; })());
    const b = yield* copying((function* (): Coro<string> { yield* sleep(0.01); return 'copied'; })());
    return `${a} ${b}`;
  })());
  assert.is(result, 'forwarded copied');
});

test('after a step that throws, the shared DONE result keeps nothing alive', async () => {
  const big = { payload: 'x'.repeat(1000) };
  await rejection(runVirtual((function* (): Coro<void> {
    const fut = getRunningLoop().createFuture<typeof big>();
    fut.setResult(big);
    yield* fut; // read through DONE
    throw new Error('after reading');
  })()));
  assert.is(DONE.value, undefined);
  assert.is(AWAITING.value, undefined);
});

test('setResult() and setException() on a task are refused: its outcome is its coroutine', () => {
  const loop = manualLoop();
  const task = loop.createTask((function* (): Coro<number> { yield; return 1; })());
  for (const call of [() => task.setResult(2), () => task.setException(new Error('x'))]) {
    const err = thrown(call);
    assert.instance(err, RuntimeError);
    assert.match((err as Error).message, /coroutine/);
  }
  drain(loop);
  assert.is(task.result(), 1);
});

test('yield of a task (instead of yield*) is the same mistake, and the task still runs', () => {
  const loop = manualLoop();
  let caught: unknown;
  const t = trace();
  loop.createTask((function* (): Coro<void> {
    const child = loop.createTask((function* (): Coro<void> { t.log('child ran'); })());
    try {
      yield child;
    } catch (err) {
      caught = err;
    }
  })());
  drain(loop);
  assert.instance(caught, TypeError);
  assert.match((caught as Error).message, /yield\*/);
  assert.equal(t.entries, ['child ran']);
});

test('yielding a generator throws a TypeError that says yield* coro()', () => {
  const err = caughtAtYield(() => (function* () {})());
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /yield\* coro\(\)/);
});

test('yielding a number throws a TypeError naming the number', () => {
  const err = caughtAtYield(() => 3);
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /the number 3/);
  assert.match((err as Error).message, /yield\* x/);
});

test('yielding a Promise throws a TypeError naming a Promise', () => {
  const err = caughtAtYield(() => Promise.resolve(1));
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /a Promise/);
});

test('a bad yield that is not caught fails the task with the TypeError', () => {
  const loop = manualLoop();
  const task = loop.createTask((function* (): Coro<void> {
    yield 'oops';
  })());
  drain(loop);
  assert.instance(task.exception(), TypeError);
  assert.match(String(task.exception()), /the string "oops"/);
});

test('awaiting a future of another loop (a concurrent run()) throws a RuntimeError', async () => {
  let foreign: Future<string> | null = null;
  let caught: unknown;
  const first = runVirtual((function* (): Coro<string> {
    const loop = getRunningLoop();
    foreign = loop.createFuture<string>();
    // Counted as an I/O wait, so this loop idles instead of reporting a deadlock: the
    // wake-up comes from outside, as a socket callback would.
    loop._ioRef();
    try {
      return yield* foreign;
    } finally {
      loop._ioUnref();
    }
  })());
  const second = runVirtual((function* (): Coro<void> {
    for (let i = 0; foreign === null && i < 100; i++) yield;
    try {
      yield* foreign!;
    } catch (err) {
      caught = err;
    }
    // Completing it from here still wakes the other loop's task.
    foreign!.setResult('from the other loop');
  })());
  await second;
  assert.instance(caught, RuntimeError);
  assert.match((caught as Error).message, /different event loop/);
  assert.is(await first, 'from the other loop');
});

test('a task awaiting itself gets a RuntimeError', async () => {
  let caught: unknown;
  const result = await runVirtual((function* (): Coro<string> {
    const me = currentTask() as Task<string>;
    try {
      yield* me;
    } catch (err) {
      caught = err;
    }
    return 'survived';
  })());
  assert.instance(caught, RuntimeError);
  assert.match((caught as Error).message, /cannot await itself/);
  assert.is(result, 'survived');
});

// ---- creating tasks ----

test('createTask(generatorFunction) is a TypeError telling to call it', async () => {
  let caught: unknown;
  await runVirtual((function* (): Coro<void> {
    function* worker(): Coro<void> {}
    caught = thrown(() => createTask(worker as unknown as Coro<void>));
  })());
  assert.instance(caught, TypeError);
  assert.match((caught as Error).message, /generator function worker: call it/);
  assert.match((caught as Error).message, /worker\(\)/);
});

test('createTask(coro) with no running loop says a running loop is needed', () => {
  const err = thrown(() => createTask((function* () {})()));
  assert.instance(err, RuntimeError);
  assert.match((err as Error).message, /running event loop/);
});

test('createTask() of something that is no coroutine names what it got', () => {
  const fn = (): void => {};
  assert.match(String(thrown(() => createTask(fn as unknown as Coro<void>))), /the function fn/);
  assert.match(String(thrown(() => createTask(Promise.resolve() as unknown as Coro<void>))), /async functions/);
});

test('tasks are named Task-N in creation order; setName/getName; getCoro', () => {
  const loop = manualLoop();
  const coro = (function* () {})();
  const a = loop.createTask(coro);
  const b = loop.createTask((function* () {})());
  const n = Number(/^Task-(\d+)$/.exec(a.getName())?.[1]);
  assert.ok(n > 0, a.getName());
  assert.is(b.getName(), `Task-${n + 1}`);
  b.setName('worker');
  assert.is(b.getName(), 'worker');
  assert.is(String(b), '<Task pending name=worker>');
  assert.is(a.getCoro(), coro);
  assert.is(loop.createTask((function* () {})(), { name: 'named' }).getName(), 'named');
});

test('eagerStart runs the body synchronously up to its first suspension', async () => {
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const parent = currentTask();
    const task = createTask((function* (): Coro<void> {
      t.log('child start');
      assert.is.not(currentTask(), parent, 'the child is the current task');
      yield;
      t.log('child end');
    })(), { eagerStart: true });
    t.log('created');
    assert.is(currentTask(), parent, 'the caller is current again');
    yield* task;
  })());
  assert.equal(t.entries, ['child start', 'created', 'child end']);
});

test('eagerStart: a task that never suspends is done when createTask returns', async () => {
  await runVirtual((function* (): Coro<void> {
    const task = createTask((function* (): Coro<number> { return 7; })(), { eagerStart: true });
    assert.ok(task.done());
    assert.is(task.result(), 7);
    assert.not.ok(allTasks().has(task));
  })());
});

test('eagerStart outside the running loop falls back to a scheduled start', () => {
  const loop = manualLoop();
  const t = trace();
  loop.createTask((function* (): Coro<void> { t.log('ran'); })(), { eagerStart: true });
  assert.equal(t.entries, []);
  loop.runOnce();
  assert.equal(t.entries, ['ran']);
});

test('a task finishes with the value its coroutine returns, or the error it throws', () => {
  const loop = manualLoop();
  const ok = loop.createTask((function* (): Coro<number> { yield; return 1; })());
  const boom = new Error('boom');
  const bad = loop.createTask((function* (): Coro<number> { yield; throw boom; })());
  drain(loop);
  assert.is(ok.result(), 1);
  assert.is(bad.exception(), boom);
  assert.is(String(ok), '<Task finished result=1 name=' + ok.getName() + '>');
});

test('yield* task returns its result, or throws its error into the awaiter', async () => {
  const boom = new Error('child failed');
  let caught: unknown;
  const result = await runVirtual((function* (): Coro<number> {
    const good = createTask((function* (): Coro<number> { yield* sleep(1); return 2; })());
    const bad = createTask((function* (): Coro<number> { yield* sleep(1); throw boom; })());
    try {
      yield* bad;
    } catch (err) {
      caught = err;
    }
    return yield* good;
  })());
  assert.is(caught, boom);
  assert.is(result, 2);
});

test('a done task in the ready queue runs its done-callbacks, never another step', () => {
  const loop = manualLoop();
  let steps = 0;
  const seen: string[] = [];
  const task = loop.createTask((function* () { steps++; })());
  task.addDoneCallback(() => seen.push('first'));
  task.addDoneCallback(() => seen.push('second'));
  loop.runOnce(); // the step: the task finishes and queues itself for its callbacks
  assert.ok(task.done());
  assert.equal(seen, []);
  loop.runOnce();
  assert.equal(seen, ['first', 'second']);
  task._run(); // nothing left to run: a no-op, not a second step
  assert.is(steps, 1);
  assert.equal(seen, ['first', 'second']);
});

// ---- cancellation ----

test('cancel(msg) throws CancelledError(msg) into the coroutine and cancels the future it waits on', () => {
  const loop = manualLoop();
  const fut = loop.createFuture();
  let caught: unknown;
  const task = loop.createTask((function* (): Coro<void> {
    try {
      yield* fut;
    } catch (err) {
      caught = err;
      throw err;
    }
  })());
  loop.runOnce();
  assert.is(task.cancel('stop it'), true);
  assert.ok(fut.cancelled(), 'the awaited future is cancelled at once');
  assert.is(caught, undefined, 'the coroutine sees it at its next step');
  drain(loop);
  assert.instance(caught, CancelledError);
  assert.is((caught as Error).message, 'stop it');
  assert.ok(task.cancelled());
  assert.is(thrown(() => task.result()), caught, 'result() rethrows the very error');
});

test('a coroutine may catch the cancellation, go on, and return a value', () => {
  const loop = manualLoop();
  const t = trace();
  const task = loop.createTask((function* (): Coro<string> {
    try {
      yield* loop.createFuture();
    } catch (err) {
      t.log(`caught ${(err as Error).name}`);
    }
    yield;
    t.log('went on');
    return 'done anyway';
  })());
  loop.runOnce();
  task.cancel();
  drain(loop);
  assert.equal(t.entries, ['caught CancelledError', 'went on']);
  assert.not.ok(task.cancelled());
  assert.is(task.result(), 'done anyway');
  assert.is(task.cancelling(), 1, 'the request is still counted until uncancel()');
});

test('cancelling()/uncancel() count the requests', () => {
  const loop = manualLoop();
  const task = loop.createTask((function* (): Coro<void> { yield* loop.createFuture(); })());
  loop.runOnce();
  assert.is(task.cancelling(), 0);
  task.cancel();
  task.cancel();
  assert.is(task.cancelling(), 2);
  assert.is(task.uncancel(), 1);
  assert.is(task.uncancel(), 0);
  assert.is(task.uncancel(), 0, 'never below zero');
});

test('uncancel() back to zero withdraws a cancel that was not delivered yet (3.13)', () => {
  const loop = manualLoop();
  const t = trace();
  const task = loop.createTask((function* (): Coro<string> {
    t.log('body ran');
    yield;
    return 'finished';
  })());
  task.cancel();
  task.uncancel();
  drain(loop);
  assert.equal(t.entries, ['body ran']);
  assert.is(task.result(), 'finished');
});

test('cancel() of a done task returns false', () => {
  const loop = manualLoop();
  const task = loop.createTask((function* (): Coro<number> { return 1; })());
  loop.runOnce();
  assert.is(task.cancel(), false);
  assert.is(task.cancelling(), 0);
  assert.is(task.result(), 1);
});

test('a task cancelled before its first step never runs its body', () => {
  const loop = manualLoop();
  const t = trace();
  const task = loop.createTask((function* (): Coro<void> {
    t.log('body');
  })());
  assert.ok(task.cancel('early'));
  drain(loop);
  assert.equal(t.entries, []);
  assert.ok(task.cancelled());
  assert.is((thrown(() => task.result()) as Error).message, 'early');
});

test('cancel during the step in which the task awaits: the new future is cancelled at once', () => {
  const loop = manualLoop();
  const fut = loop.createFuture();
  let caught: unknown;
  const task = loop.createTask((function* (): Coro<string> {
    currentTask()!.cancel('self');
    try {
      yield* fut;
    } catch (err) {
      caught = err;
    }
    return 'after';
  })());
  loop.runOnce();
  assert.ok(fut.cancelled(), 'cancelled in the same step it was awaited');
  drain(loop);
  assert.is((caught as Error).message, 'self');
  assert.is(task.result(), 'after');
});

test('cancel during a step that then yields bare: CancelledError at the next step', () => {
  const loop = manualLoop();
  const t = trace();
  const task = loop.createTask((function* (): Coro<void> {
    currentTask()!.cancel();
    t.log('still running');
    yield;
    t.log('never');
  })());
  drain(loop);
  assert.equal(t.entries, ['still running']);
  assert.ok(task.cancelled());
});

test('cancel during the last step, which returns: the task ends cancelled, not finished', () => {
  const loop = manualLoop();
  const task = loop.createTask((function* (): Coro<number> {
    currentTask()!.cancel('late');
    return 5;
  })());
  loop.runOnce();
  assert.ok(task.cancelled());
  assert.is((thrown(() => task.result()) as Error).message, 'late');
});

test('cancel wins over a pending bad-yield error', () => {
  const loop = manualLoop();
  let caught: unknown;
  const task = loop.createTask((function* (): Coro<void> {
    try {
      yield 42;
    } catch (err) {
      caught = err;
    }
  })());
  loop.runOnce(); // the bad yield: a TypeError is due at the next step
  task.cancel('first');
  drain(loop);
  assert.instance(caught, CancelledError);
});

test('a bad yield while a cancel is due: the cancel is still delivered', () => {
  const loop = manualLoop();
  let caught: unknown;
  loop.createTask((function* (): Coro<void> {
    currentTask()!.cancel();
    try {
      yield 42;
    } catch (err) {
      caught = err;
    }
  })());
  drain(loop);
  assert.instance(caught, CancelledError);
});

test('cancelling a task that awaits a task which swallows the cancel: the outer gets the inner result', () => {
  const loop = manualLoop();
  const t = trace();
  const inner = loop.createTask((function* (): Coro<string> {
    try {
      yield* loop.createFuture();
    } catch {
      t.log('inner swallowed');
    }
    return 'inner result';
  })());
  const outer = loop.createTask((function* (): Coro<string> {
    const r = yield* inner;
    t.log(`outer got ${r}`);
    return r;
  })());
  spin(loop, 2);
  assert.ok(outer.cancel());
  assert.is(inner.cancelling(), 1, 'the cancel reached the inner task');
  drain(loop);
  assert.equal(t.entries, ['inner swallowed', 'outer got inner result']);
  assert.is(outer.result(), 'inner result');
  assert.is(outer.cancelling(), 1);
});

test('cancelling a task that awaits a cancelled task ends both cancelled, with the same error', () => {
  const loop = manualLoop();
  const inner = loop.createTask((function* (): Coro<void> { yield* loop.createFuture(); })());
  let seen: unknown;
  const outer = loop.createTask((function* (): Coro<void> {
    try {
      yield* inner;
    } catch (err) {
      seen = err;
      throw err;
    }
  })());
  spin(loop, 2);
  outer.cancel('msg');
  drain(loop);
  assert.ok(inner.cancelled());
  assert.ok(outer.cancelled());
  assert.is(seen, thrown(() => inner.result()), 'awaiting a cancelled task rethrows its CancelledError');
  assert.is((seen as Error).message, 'msg');
});

test('a task woken (scheduled) but not yet stepped is cancelled at that step', () => {
  const loop = manualLoop();
  const fut = loop.createFuture<number>();
  let caught: unknown;
  const task = loop.createTask((function* (): Coro<void> {
    try {
      yield* fut;
    } catch (err) {
      caught = err;
    }
  })());
  loop.runOnce();
  fut.setResult(1); // the task is now scheduled; its waiter is done
  assert.ok(task.cancel());
  drain(loop);
  assert.instance(caught, CancelledError);
});

// ---- helpers ----

test('ensureFuture: a future as it is, a coroutine as a task, anything else a TypeError', async () => {
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const fut = loop.createFuture();
    assert.is(ensureFuture(fut), fut);
    const task = ensureFuture((function* (): Coro<number> { return 3; })());
    assert.instance(task, Task);
    assert.is(yield* task, 3);
    assert.instance(thrown(() => ensureFuture(42 as unknown as Coro<number>)), TypeError);
    assert.instance(thrown(() => ensureFuture(fut, manualLoop())), RuntimeError);
  })());
});

test('currentTask() is the task whose step runs, null in a plain callback', async () => {
  let inCallback: unknown = 'unset';
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const me = currentTask();
    assert.ok(me instanceof Task);
    const child = createTask((function* (): Coro<unknown> { return currentTask(); })());
    assert.is(yield* child, child);
    assert.is(currentTask(), me);
    loop.callSoon(() => { inCallback = currentTask(); });
    yield;
  })());
  assert.is(inCallback, null);
});

test('allTasks() holds the pending tasks, not the done ones', async () => {
  await runVirtual((function* (): Coro<void> {
    const me = currentTask()!;
    const sleeper = createTask(sleep(10));
    const quick = createTask((function* () {})());
    yield;
    const tasks = allTasks();
    assert.ok(tasks.has(me));
    assert.ok(tasks.has(sleeper));
    assert.not.ok(tasks.has(quick));
    sleeper.cancel();
  })());
});

test('allTasks() also finds the tasks that have not waited yet: queued, spinning, running', async () => {
  // Only tasks that have waited on a future are in the loop's list (tasklist.ts); the
  // others must still be found, in the ready queue or on the stack.
  await runVirtual((function* (): Coro<void> {
    const me = currentTask()!; // running, and has never waited
    const fresh = createTask((function* () { yield* sleep(1); })());
    const spinner = createTask((function* () { for (;;) yield; })());
    assert.ok(allTasks().has(me), 'the running task, in its first step');
    assert.ok(allTasks().has(fresh), 'a task queued for its first step');
    yield;
    yield;
    assert.not.ok(getRunningLoop()._tasks.has(spinner), 'a bare yield is no wait: not listed');
    const tasks = allTasks();
    assert.ok(tasks.has(spinner), 'but found in the ready queue');
    assert.ok(tasks.has(fresh), 'a sleeping task is listed');
    assert.ok(getRunningLoop()._tasks.has(fresh));
    spinner.cancel();
    fresh.cancel();
  })());
});

test('allTasks() inside an eager first step still holds the suspended creator', async () => {
  let seen: Set<Task<unknown>> | null = null;
  await runVirtual((function* (): Coro<void> {
    const me = currentTask()!;
    const child = createTask((function* () { seen = allTasks(); })(), { eagerStart: true });
    assert.ok(child.done());
    assert.ok(seen!.has(me), 'the creator is neither queued nor waiting, but pending');
    assert.ok(seen!.has(child as Task<unknown>), 'and the eager task itself is running');
  })());
});

// ---- sleep ----

test('sleep(0) is a bare yield: no timer is armed', () => {
  const loop = manualLoop();
  const timers: number[] = [];
  loop.createTask((function* (): Coro<void> {
    for (let i = 0; i < 3; i++) {
      yield* sleep(0);
      timers.push(loop._liveTimerCount());
    }
  })());
  loop.runOnce();
  assert.is(loop._liveTimerCount(), 0);
  assert.is(loop._nextTimerWhen(), null);
  drain(loop);
  assert.equal(timers, [0, 0, 0]);
});

test('sleep(0) and a negative delay give up exactly one iteration', () => {
  const loop = manualLoop();
  const t = trace();
  loop.createTask((function* (): Coro<void> { yield* sleep(0); t.log('a'); yield* sleep(-1); t.log('b'); })());
  loop.createTask((function* (): Coro<void> { t.log('x'); yield; t.log('y'); yield; t.log('z'); })());
  drain(loop);
  assert.equal(t.entries, ['x', 'a', 'y', 'b', 'z']);
});

test('sleep(seconds, result) returns the result, for zero and non-zero delays', async () => {
  const got = await runVirtual((function* (): Coro<[string, number]> {
    const a = yield* sleep(0, 'zero');
    const b = yield* sleep(2, 42);
    return [a, b];
  })());
  assert.equal(got, ['zero', 42]);
});

test('sleep(NaN) is a TypeError', async () => {
  const err = await rejection(runVirtual((function* (): Coro<void> { yield* sleep(NaN); })()));
  assert.instance(err, TypeError);
});

test('equal deadlines fire in the order they were scheduled', async () => {
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const tasks = ['a', 'b', 'c', 'd'].map((name) => createTask((function* (): Coro<void> {
      yield* sleep(1);
      t.log(name);
    })()));
    for (const task of tasks) yield* task;
  })());
  assert.equal(t.entries, ['a', 'b', 'c', 'd']);
});

test('sleeps wake in deadline order and loop.time() never goes back', async () => {
  const t = trace();
  const times: number[] = [];
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const start = loop.time();
    const tasks = [3, 1, 2].map((s) => createTask((function* (): Coro<void> {
      yield* sleep(s);
      times.push(loop.time() - start);
      t.log(s);
    })()));
    for (const task of tasks) yield* task;
  })());
  assert.equal(t.entries, [1, 2, 3]);
  assert.equal(times, [1, 2, 3]);
});

test('cancelling a sleeping task cancels its timer', () => {
  const loop = manualLoop();
  const task = loop.createTask(sleep(100));
  loop.runOnce();
  assert.is(loop._liveTimerCount(), 1);
  task.cancel();
  loop.runOnce();
  assert.ok(task.cancelled());
  assert.is(loop._liveTimerCount(), 0);
  assert.is(loop._nextTimerWhen(), null);
  assert.is(loop.time(), 0, 'nothing waited for the deadline');
});

test('virtual time: sleep(3600) finishes at once and loop.time() advanced by 3600', async () => {
  const started = performance.now();
  const elapsed = await runVirtual((function* (): Coro<number> {
    const loop = getRunningLoop();
    const t0 = loop.time();
    yield* sleep(3600);
    return loop.time() - t0;
  })());
  assert.is(elapsed, 3600);
  assert.ok(performance.now() - started < 2000, 'no real hour went by');
});

test('real time: a short sleep takes at least about its delay', async () => {
  const started = performance.now();
  await run((function* (): Coro<void> { yield* sleep(0.005); })());
  assert.ok(performance.now() - started >= 4, 'loose lower bound');
});

test.run();
