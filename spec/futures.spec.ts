import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AWAITING, Future, isFuture } from '../lib/futures.ts';
import { Task } from '../lib/tasks.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, InvalidStateError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { collectErrors, manualLoop, runVirtual, spin, thrown, trace } from './_support/virtual.ts';

test('a new future is PENDING and not done', () => {
  const fut = new Future<number>(manualLoop());
  assert.is(fut.state, 'PENDING');
  assert.is(fut.done(), false);
  assert.is(fut.cancelled(), false);
  assert.is(String(fut), '<Future pending>');
});

test('a future needs a loop: without one and outside run() it says so', () => {
  const err = thrown(() => new Future());
  assert.match(String(err), /no running event loop/);
});

test('getLoop() is the loop given to the constructor and createFuture()', () => {
  const loop = manualLoop();
  assert.is(new Future(loop).getLoop(), loop);
  assert.is(loop.createFuture().getLoop(), loop);
});

test('setResult() makes it FINISHED and result() returns the value', () => {
  const fut = new Future<string>(manualLoop());
  fut.setResult('ok');
  assert.is(fut.state, 'FINISHED');
  assert.ok(fut.done());
  assert.is(fut.result(), 'ok');
  assert.is(fut.exception(), null);
  assert.is(String(fut), '<Future finished result=ok>');
});

test('a long result is shortened in the description', () => {
  const fut = new Future<string>(manualLoop());
  fut.setResult('x'.repeat(100));
  assert.is(String(fut), `<Future finished result=${'x'.repeat(40)}…>`);
});

test('result() of a PENDING future throws InvalidStateError naming the state', () => {
  const fut = new Future(manualLoop());
  const err = thrown(() => fut.result());
  assert.instance(err, InvalidStateError);
  assert.match((err as Error).message, /PENDING/);
  const err2 = thrown(() => fut.exception());
  assert.instance(err2, InvalidStateError);
  assert.match((err2 as Error).message, /PENDING/);
});

test('a second setResult() throws InvalidStateError naming the state; the first result stays', () => {
  const fut = new Future<number>(manualLoop());
  fut.setResult(1);
  const err = thrown(() => fut.setResult(2));
  assert.instance(err, InvalidStateError);
  assert.match((err as Error).message, /FINISHED/);
  assert.is(fut.result(), 1);
  assert.instance(thrown(() => fut.setException(new Error('x'))), InvalidStateError);
});

test('setResult() or setException() after cancel() throws InvalidStateError naming CANCELLED', () => {
  const fut = new Future<number>(manualLoop());
  fut.cancel();
  const err = thrown(() => fut.setResult(1));
  assert.instance(err, InvalidStateError);
  assert.match((err as Error).message, /CANCELLED/);
  assert.match(String(thrown(() => fut.setException(new Error('late')))), /CANCELLED/);
});

test('setException() stores the error: result() throws it, exception() returns it', () => {
  const fut = new Future(manualLoop());
  const boom = new Error('boom');
  fut.setException(boom);
  assert.is(fut.state, 'FINISHED');
  assert.is(thrown(() => fut.result()), boom);
  assert.is(fut.exception(), boom);
  assert.is(String(fut), '<Future finished exception=Error: boom>');
});

test('setException() accepts non-Error values, even null', () => {
  const fut = new Future(manualLoop());
  fut.setException(null);
  assert.is(fut._hasException(), true);
  assert.is(thrown(() => fut.result()), null);
});

test('setException(CancelledError) is refused: cancellation is a state', () => {
  const fut = new Future(manualLoop());
  const err = thrown(() => fut.setException(new CancelledError()));
  assert.instance(err, TypeError);
  assert.match((err as Error).message, /cancel\(\)/);
  assert.is(fut.state, 'PENDING');
});

test('cancel(msg) makes it CANCELLED; result() and exception() throw CancelledError(msg)', () => {
  const fut = new Future(manualLoop());
  assert.is(fut.cancel('stop'), true);
  assert.is(fut.state, 'CANCELLED');
  assert.ok(fut.cancelled());
  assert.ok(fut.done());
  const err = thrown(() => fut.result());
  assert.instance(err, CancelledError);
  assert.is((err as Error).message, 'stop');
  // The same error every time, so every awaiter sees one object.
  assert.is(thrown(() => fut.exception()), err);
  assert.is(String(fut), '<Future cancelled>');
});

test('cancel() returns false once the future is done, and changes nothing', () => {
  const loop = manualLoop();
  const done = new Future<number>(loop);
  done.setResult(1);
  assert.is(done.cancel(), false);
  assert.is(done.result(), 1);
  const cancelled = new Future(loop);
  cancelled.cancel('first');
  assert.is(cancelled.cancel('second'), false);
  assert.is((thrown(() => cancelled.result()) as Error).message, 'first');
});

test('done-callbacks are scheduled with the loop, not called inside setResult()', () => {
  const loop = manualLoop();
  const fut = new Future<number>(loop);
  const seen: number[] = [];
  fut.addDoneCallback((f) => seen.push(f.result()));
  fut.setResult(7);
  assert.equal(seen, [], 'not run inline');
  assert.is(loop._readyCount(), 1);
  loop.runOnce();
  assert.equal(seen, [7]);
});

test('done-callbacks run in registration order, each with the future', () => {
  const loop = manualLoop();
  const fut = new Future<string>(loop);
  const t = trace();
  fut.addDoneCallback((f) => t.log(`a:${f.result()}`));
  fut.addDoneCallback((f) => t.log(`b:${f.result()}`));
  fut.addDoneCallback((f) => t.log(`c:${f === fut}`));
  fut.setResult('v');
  loop.runOnce();
  assert.equal(t.entries, ['a:v', 'b:v', 'c:true']);
});

test('a done-callback added to a done future is scheduled, not called at once', () => {
  const loop = manualLoop();
  const fut = new Future(loop);
  fut.cancel();
  let calls = 0;
  fut.addDoneCallback(() => calls++);
  assert.is(calls, 0);
  loop.runOnce();
  assert.is(calls, 1);
});

test('cancel() and setException() schedule the done-callbacks too', () => {
  const loop = manualLoop();
  const a = new Future(loop);
  const b = new Future(loop);
  const t = trace();
  a.addDoneCallback((f) => t.log(`a cancelled=${f.cancelled()}`));
  b.addDoneCallback((f) => t.log(`b ${String(f.exception())}`));
  a.cancel();
  b.setException(new Error('x'));
  assert.equal(t.entries, []);
  loop.runOnce();
  assert.equal(t.entries, ['a cancelled=true', 'b Error: x']);
});

test('removeDoneCallback() removes every registration and returns the count', () => {
  const loop = manualLoop();
  const fut = new Future(loop);
  let a = 0;
  let b = 0;
  const cbA = (): void => void a++;
  const cbB = (): void => void b++;
  assert.is(fut.removeDoneCallback(cbA), 0, 'nothing registered yet');
  fut.addDoneCallback(cbA);
  fut.addDoneCallback(cbB);
  fut.addDoneCallback(cbA);
  assert.is(fut.removeDoneCallback(cbA), 2);
  assert.is(fut.removeDoneCallback(cbA), 0);
  fut.setResult(undefined);
  spin(loop, 1);
  assert.is(a, 0);
  assert.is(b, 1);
  assert.is(fut.removeDoneCallback(cbB), 0, 'callbacks are gone once scheduled');
});

test('callbacks scheduled at completion keep the place call_soon would give them', () => {
  // asyncio queues each callback with call_soon when the future completes; yieldio queues
  // the future once and runs them from there (futures.ts scheduleCallbacks). The order
  // against handles scheduled before and after must be the same.
  const loop = manualLoop();
  const fut = new Future<number>(loop);
  const t = trace();
  fut.addDoneCallback(() => t.log('cb1'));
  fut.addDoneCallback(() => t.log('cb2'));
  loop.callSoon(() => t.log('before'));
  fut.setResult(1);
  loop.callSoon(() => t.log('after'));
  // Added once done: call_soon at this point, after 'after', not beside cb1 and cb2.
  fut.addDoneCallback(() => t.log('late'));
  loop.runOnce();
  assert.equal(t.entries, ['before', 'cb1', 'cb2', 'after', 'late']);
  assert.is(loop._readyCount(), 0, 'all of it ran in one iteration, as in asyncio');
});

test('a callback already scheduled cannot be removed (it has gone to call_soon in asyncio)', () => {
  const loop = manualLoop();
  const fut = new Future(loop);
  let calls = 0;
  const cb = (): void => void calls++;
  fut.addDoneCallback(cb);
  fut.setResult(undefined);
  assert.is(fut.removeDoneCallback(cb), 0);
  loop.runOnce();
  assert.is(calls, 1);
});

test('inside a batch: removing a later callback does not stop it; cancelling a later-woken task does', () => {
  // asyncio: both are already in the ready queue (call_soon). The callback still runs;
  // the task's step runs too, but throws the CancelledError in (its future is done,
  // so the cancel is left for the step: _must_cancel).
  const loop = manualLoop();
  const fut = new Future<string>(loop);
  const t = trace();
  const second = (): void => t.log('second ran');
  let task: Task<void> | null = null;
  fut.addDoneCallback(() => {
    t.log(`removed ${fut.removeDoneCallback(second)}`);
    task!.cancel('from the first callback');
  });
  fut.addDoneCallback(second);
  task = loop.createTask((function* (): Coro<void> {
    try {
      yield* fut;
      t.log('task resumed normally');
    } catch (err) {
      t.log(`task got ${(err as Error).name}: ${(err as Error).message}`);
    }
  })());
  loop.runOnce(); // the task waits on fut (after the two callbacks)
  fut.setResult('v');
  loop.runOnce();
  assert.equal(t.entries, ['removed 0', 'second ran', 'task got CancelledError: from the first callback']);
});

test('a waiting task and callbacks on one future wake in registration order', () => {
  const loop = manualLoop();
  const fut = new Future<string>(loop);
  const t = trace();
  fut.addDoneCallback(() => t.log('callback before'));
  loop.createTask((function* (): Coro<void> {
    t.log(`task got ${yield* fut}`);
  })());
  loop.runOnce(); // the task's first step: it waits on fut
  fut.addDoneCallback(() => t.log('callback after'));
  fut.setResult('v');
  loop.runOnce();
  assert.equal(t.entries, ['callback before', 'task got v', 'callback after']);
});

test('a done-callback that throws goes to the exception handler; the others still run', () => {
  const loop = manualLoop();
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  const fut = new Future(loop);
  let after = 0;
  fut.addDoneCallback(function failing() {
    throw new Error('cb failed');
  });
  fut.addDoneCallback(() => after++);
  fut.setResult(1);
  loop.runOnce();
  assert.is(after, 1);
  assert.is(contexts.length, 1);
  assert.match(contexts[0]!.message, /done-callback failing/);
  assert.is((contexts[0]!.exception as Error).message, 'cb failed');
  assert.is(contexts[0]!.future, fut);
});

test('yield* fut returns the result once it is set', async () => {
  const seen: unknown[] = [];
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.setResult(42));
    seen.push(yield* fut);
  })());
  assert.equal(seen, [42]);
});

test('yield* fut throws the stored exception into the coroutine', async () => {
  const boom = new Error('boom');
  let caught: unknown;
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.setException(boom));
    try {
      yield* fut;
    } catch (err) {
      caught = err;
    }
  })());
  assert.is(caught, boom);
});

test('yield* of a future that is already done does not suspend', async () => {
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    fut.setResult('now');
    loop.callSoon(() => t.log('callback'));
    t.log(yield* fut);
    t.log('after');
    yield;
  })());
  assert.equal(t.entries, ['now', 'after', 'callback']);
});

test('yield* of a cancelled future throws its CancelledError', async () => {
  let caught: unknown;
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const fut = loop.createFuture();
    loop.callSoon(() => fut.cancel('gone'));
    try {
      yield* fut;
    } catch (err) {
      caught = err;
    }
  })());
  assert.instance(caught, CancelledError);
  assert.is((caught as Error).message, 'gone');
});

test('one future awaited by several tasks wakes them all in order', async () => {
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const fut = loop.createFuture<string>();
    const waiter = (name: string) => (function* (): Coro<void> {
      t.log(`${name}:${yield* fut}`);
    })();
    const a = loop.createTask(waiter('a'));
    const b = loop.createTask(waiter('b'));
    yield;
    fut.setResult('go');
    yield* a;
    yield* b;
  })());
  assert.equal(t.entries, ['a:go', 'b:go']);
});

test('the iterator protocol: return() ends it, throw() rethrows, [Symbol.iterator] is itself', () => {
  const fut = new Future<number>(manualLoop());
  assert.is(fut[Symbol.iterator](), fut);
  assert.equal(fut.return(5), { done: true, value: 5 });
  const boom = new Error('in');
  assert.is(thrown(() => fut.throw(boom)), boom);
  const step = fut.next();
  assert.equal(step.done, false);
  assert.is(step.value, fut);
  assert.is(step, AWAITING, 'next() on a pending future returns the shared await marker');
  AWAITING.value = undefined;
});

test('isFuture() is true for futures and tasks only', async () => {
  const loop = manualLoop();
  assert.ok(isFuture(new Future(loop)));
  assert.ok(isFuture(new Task((function* () {})(), loop)));
  assert.not.ok(isFuture({ then() {} }));
  assert.not.ok(isFuture(null));
});


test.run();
