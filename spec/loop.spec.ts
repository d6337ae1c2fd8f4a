import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventLoop, defaultExceptionHandler } from '../lib/loop.ts';
import { Task, sleep } from '../lib/tasks.ts';
import { run } from '../lib/runners.ts';
import { getRunningLoop, _getRunningLoop } from '../lib/events.ts';
import { RuntimeError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import type { TimerHandle } from '../lib/events.ts';
import { captureStderr, collectErrors, drain, manualLoop, thrown, trace } from './_support/virtual.ts';

// ---- the ready queue ----

test('callSoon callbacks run in FIFO order', () => {
  const loop = manualLoop();
  const t = trace();
  for (const x of ['a', 'b', 'c', 'd']) loop.callSoon(() => t.log(x));
  loop.runOnce();
  assert.equal(t.entries, ['a', 'b', 'c', 'd']);
});

test('callbacks scheduled during an iteration run in the next one', () => {
  const loop = manualLoop();
  const t = trace();
  loop.callSoon(() => {
    t.log('first');
    loop.callSoon(() => t.log('scheduled by first'));
  });
  loop.callSoon(() => t.log('second'));
  loop.runOnce();
  assert.equal(t.entries, ['first', 'second']);
  assert.is(loop._readyCount(), 1);
  loop.runOnce();
  assert.equal(t.entries, ['first', 'second', 'scheduled by first']);
});

test('a callback that reschedules itself forever cannot starve the others', () => {
  const loop = manualLoop();
  const t = trace();
  const again = (): void => { t.log('spin'); loop.callSoon(again); };
  loop.callSoon(again);
  loop.callSoon(() => t.log('other'));
  loop.runOnce();
  loop.runOnce();
  assert.equal(t.entries, ['spin', 'other', 'spin']);
});

test('a cancelled handle is skipped', () => {
  const loop = manualLoop();
  const t = trace();
  loop.callSoon(() => t.log('a'));
  const h = loop.callSoon(() => t.log('b'));
  loop.callSoon(() => t.log('c'));
  h.cancel();
  loop.runOnce();
  assert.equal(t.entries, ['a', 'c']);
});

test('a callback can cancel a later handle of the same iteration', () => {
  const loop = manualLoop();
  const t = trace();
  loop.callSoon(() => { t.log('a'); later.cancel(); });
  const later = loop.callSoon(() => t.log('b'));
  loop.runOnce();
  assert.equal(t.entries, ['a']);
});

test('an error in a callback goes to the handler and the loop keeps going', () => {
  const loop = manualLoop();
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  const t = trace();
  loop.callSoon(() => t.log('before'));
  loop.callSoon(() => { throw new Error('bad callback'); });
  loop.callSoon(() => t.log('after'));
  loop.runOnce();
  assert.equal(t.entries, ['before', 'after']);
  assert.is(contexts.length, 1);
  assert.match(contexts[0]!.message, /Exception in callback/);
  assert.is((contexts[0]!.exception as Error).message, 'bad callback');
});

test('the handler gets the loop as its first argument', () => {
  const loop = manualLoop();
  let seenLoop: unknown;
  loop.setExceptionHandler((l) => { seenLoop = l; });
  loop.callSoon(() => { throw new Error('x'); });
  loop.runOnce();
  assert.is(seenLoop, loop);
});

test('an exception handler that throws falls back to the default handler', async () => {
  const loop = manualLoop();
  loop.setExceptionHandler(() => { throw new Error('handler broke'); });
  loop.callSoon(() => { throw new Error('original problem'); });
  const out = await captureStderr(() => loop.runOnce());
  assert.match(out, /Unhandled error in the exception handler/);
  assert.match(out, /handler broke/);
  assert.match(out, /original problem/, 'the original report is not lost');
});

test('setExceptionHandler(null) restores the default handler, which writes to stderr', async () => {
  const loop = manualLoop();
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  loop.setExceptionHandler(null);
  loop.callSoon(function broken() { throw new Error('to stderr'); });
  const out = await captureStderr(() => loop.runOnce());
  assert.equal(contexts, []);
  assert.match(out, /^yieldio: Exception in callback broken\nError: to stderr/);
});

test('the default handler prints a non-Error exception and the creation site', async () => {
  const loop = manualLoop();
  const out = await captureStderr(() => {
    defaultExceptionHandler(loop, { message: 'report', exception: 42, sourceTraceback: '    at somewhere.ts:1' });
    defaultExceptionHandler(loop, { message: 'bare message' });
  });
  assert.match(out, /yieldio: report\nnon-Error value thrown: 42\nThe task was created at:\n    at somewhere.ts:1\n/);
  assert.match(out, /yieldio: bare message\n$/);
});

test('_onWork is called when work arrives between iterations, not during one', () => {
  const loop = manualLoop();
  let wakes = 0;
  loop._onWork = () => void wakes++;
  loop.callSoon(() => {
    loop.callSoon(() => {});
    loop.callLater(1, () => {});
  });
  assert.is(wakes, 1);
  loop.runOnce();
  assert.is(wakes, 1, 'scheduling from inside an iteration needs no wake-up');
  loop.callLater(1, () => {});
  assert.is(wakes, 2);
});

// ---- timers ----

test('callLater/callAt timers run in deadline order, ties in scheduling order', () => {
  const loop = manualLoop();
  const t = trace();
  loop.callLater(2, () => t.log('later 2'));
  loop.callAt(1, () => t.log('at 1'));
  loop.callLater(1, () => t.log('later 1'));
  loop.callLater(0.5, (x: string) => t.log(x), 'arg 0.5');
  drain(loop);
  assert.equal(t.entries, ['arg 0.5', 'at 1', 'later 1', 'later 2']);
  assert.is(loop.time(), 2);
});

test('a timer does not run before its deadline', () => {
  const loop = manualLoop();
  const t = trace();
  loop.callLater(1, () => t.log('timer'));
  loop.runOnce();
  assert.equal(t.entries, []);
  assert.is(loop._nextTimerWhen(), 1);
  loop._advanceTo(1);
  loop.runOnce();
  assert.equal(t.entries, ['timer']);
  assert.is(loop._nextTimerWhen(), null);
});

test('an expired timer runs after the callbacks already ready', () => {
  const loop = manualLoop();
  const t = trace();
  loop.callAt(0, () => t.log('timer'));
  loop.callSoon(() => t.log('soon'));
  loop.runOnce();
  assert.equal(t.entries, ['soon', 'timer']);
});

test('callLater measures from loop.time(); callAt takes an absolute time', () => {
  const loop = manualLoop();
  loop._advanceTo(10);
  assert.is(loop.callLater(5, () => {}).when(), 15);
  assert.is(loop.callAt(12, () => {}).when(), 12);
});

test('callAt() with a NaN deadline is a TypeError', () => {
  assert.instance(thrown(() => manualLoop().callAt(NaN, () => {})), TypeError);
});

test('a cancelled timer does not run and no longer counts as live', () => {
  const loop = manualLoop();
  const t = trace();
  const a = loop.callLater(1, () => t.log('a'));
  loop.callLater(2, () => t.log('b'));
  assert.is(loop._liveTimerCount(), 2);
  a.cancel();
  a.cancel();
  assert.is(loop._liveTimerCount(), 1);
  assert.is(loop._nextTimerWhen(), 2, 'a cancelled timer is not the next deadline');
  drain(loop);
  assert.equal(t.entries, ['b']);
  assert.is(loop._liveTimerCount(), 0);
});

test('cancelling a timer after it ran does not disturb the count', () => {
  const loop = manualLoop();
  const timer = loop.callLater(1, () => {});
  drain(loop);
  assert.is(loop._liveTimerCount(), 0);
  timer.cancel();
  assert.is(loop._liveTimerCount(), 0);
});

test('cancelled timers are swept from the heap once they are the majority', () => {
  const loop = manualLoop();
  const timers: TimerHandle[] = [];
  for (let i = 0; i < 200; i++) timers.push(loop.callLater(100 + i, () => {}));
  // Cancel the 150 latest, so none of them is at the top of the heap.
  for (const timer of timers.slice(50)) timer.cancel();
  assert.is(loop._liveTimerCount(), 50);
  assert.ok(timers.slice(50).every((t) => t._scheduled), 'not yet removed');
  loop.runOnce();
  assert.ok(timers.slice(50).every((t) => !t._scheduled), 'swept out of the heap');
  assert.ok(timers.slice(0, 50).every((t) => t._scheduled));
  assert.is(loop._liveTimerCount(), 50);
  const t = trace();
  timers[0]!.cancel();
  loop.callLater(1, () => t.log('still works'));
  drain(loop);
  assert.equal(t.entries, ['still works']);
  assert.is(loop._liveTimerCount(), 0);
});

test('a few cancelled timers are left in place (dropped lazily)', () => {
  const loop = manualLoop();
  const timers: TimerHandle[] = [];
  for (let i = 0; i < 200; i++) timers.push(loop.callLater(100 + i, () => {}));
  for (const timer of timers.slice(150)) timer.cancel();
  loop.runOnce();
  assert.ok(timers.slice(150).every((t) => t._scheduled), 'below the sweep threshold');
  assert.is(loop._liveTimerCount(), 150);
});

// ---- time ----

test('loop.time() is monotonic seconds; virtual time starts at 0 and only moves forward', () => {
  const real = new EventLoop();
  const a = real.time();
  const b = real.time();
  assert.ok(b >= a);
  assert.not.ok(real._isVirtualTime());
  const virtual = manualLoop();
  assert.ok(virtual._isVirtualTime());
  assert.is(virtual.time(), 0);
  virtual._advanceTo(5);
  virtual._advanceTo(3);
  assert.is(virtual.time(), 5);
  real._advanceTo(1e9);
  assert.ok(real.time() < 1e9, 'a real clock cannot be moved');
});

test('a real-time timer within the clock resolution (1 ms) counts as expired', () => {
  const loop = new EventLoop();
  const t = trace();
  loop.callLater(0.0005, () => t.log('due'));
  loop.runOnce();
  assert.equal(t.entries, ['due']);
});

// ---- tasks, factory, state ----

test('createFuture() and createTask() bind to the loop', () => {
  const loop = manualLoop();
  assert.is(loop.createFuture().getLoop(), loop);
  const task = loop.createTask((function* (): Coro<number> { return 1; })());
  assert.instance(task, Task);
  assert.is(task.getLoop(), loop);
  assert.ok(loop._allTasks().has(task));
  loop.runOnce();
  assert.not.ok(loop._allTasks().has(task));
});

test('setTaskFactory() replaces how createTask() builds tasks; null restores it', () => {
  const loop = manualLoop();
  const made: string[] = [];
  loop.setTaskFactory((l, coro, options) => {
    made.push(options?.name ?? '?');
    return new Task(coro, l, options);
  });
  loop.createTask((function* () {})(), { name: 'via factory' });
  loop.setTaskFactory(null);
  loop.createTask((function* () {})(), { name: 'plain' });
  assert.equal(made, ['via factory']);
});

test('isRunning() is true only inside an iteration', () => {
  const loop = manualLoop();
  let inside = false;
  loop.callSoon(() => { inside = loop.isRunning(); });
  assert.not.ok(loop.isRunning());
  loop.runOnce();
  assert.ok(inside);
  assert.not.ok(loop.isRunning());
});

test('a closed loop refuses scheduling', () => {
  const loop = manualLoop();
  loop.callSoon(() => {});
  loop.callLater(1, () => {});
  loop.close();
  assert.ok(loop.isClosed());
  assert.is(loop._readyCount(), 0, 'pending callbacks are dropped');
  assert.is(loop._nextTimerWhen(), null, 'pending timers are dropped');
  for (const attempt of [
    () => loop.callSoon(() => {}),
    () => loop.callLater(1, () => {}),
    () => loop.callAt(1, () => {}),
    () => loop.createTask((function* () {})()),
  ]) {
    const err = thrown(attempt);
    assert.instance(err, RuntimeError);
    assert.match((err as Error).message, /closed/);
  }
});

test('close() of a running loop is refused', () => {
  const loop = manualLoop();
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  loop.callSoon(() => loop.close());
  loop.runOnce();
  assert.instance(contexts[0]?.exception, RuntimeError);
  assert.not.ok(loop.isClosed());
});

// ---- debug mode ----

test('debug mode reports a slow callback', () => {
  const loop = manualLoop({ debug: true });
  assert.ok(loop.getDebug());
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  loop.slowCallbackDuration = 0;
  loop.callSoon(function slowOne() {});
  loop.runOnce();
  assert.is(contexts.length, 1);
  assert.match(contexts[0]!.message, /^Executing <Handle slowOne> took \d+\.\d{3} seconds$/);
});

test('debug mode reports a slow task step by the task', () => {
  const loop = manualLoop();
  loop.setDebug(true);
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  loop.slowCallbackDuration = 0;
  loop.createTask((function* () {})(), { name: 'slowTask' });
  loop.runOnce();
  assert.match(contexts[0]!.message, /^Executing step of <Task .*name=slowTask> took/);
});

test('debug mode reports a slow done-callback by its name', () => {
  const loop = manualLoop({ debug: true });
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  loop.slowCallbackDuration = 0;
  const fut = loop.createFuture();
  fut.addDoneCallback(function onDone() {});
  fut.setResult(1);
  loop.runOnce();
  assert.match(contexts[0]!.message, /^Executing done-callback onDone of <Future finished result=1> took/);
  // A callback added once the future is done travels on its own handle.
  fut.addDoneCallback(function late() {});
  loop.runOnce();
  assert.match(contexts[1]!.message, /^Executing <done-callback late> took/);
});

test('debug mode times each done-callback of a batch on its own, and a task woken there as a step', () => {
  // A done future runs its callbacks from one queue entry (Future._run); asyncio would
  // time each call_soon handle, and so does debug mode.
  const loop = manualLoop({ debug: true });
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  loop.slowCallbackDuration = 0; // report everything, to see how each is named
  const fut = loop.createFuture<string>();
  fut.addDoneCallback(function first() {});
  loop.createTask((function* (): Coro<void> { yield* fut; })(), { name: 'waiter' });
  loop.runOnce(); // the task's first step: it waits on fut
  fut.addDoneCallback(function second() {});
  contexts.length = 0;
  fut.setResult('x');
  loop.runOnce();
  assert.equal(contexts.map((c) => c.message.replace(/ took .*/, '')), [
    'Executing done-callback first of <Future finished result=x>',
    'Executing step of <Task finished result=undefined name=waiter>',
    'Executing done-callback second of <Future finished result=x>',
  ]);
});

test('debug mode survives a result that String() cannot convert', () => {
  const loop = manualLoop({ debug: true });
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  loop.slowCallbackDuration = 0;
  const fut = loop.createFuture<object>();
  fut.addDoneCallback(() => {});
  fut.addDoneCallback(() => {});
  fut.setResult(Object.create(null) as object);
  loop.runOnce();
  assert.is(contexts.length, 2);
  assert.match(contexts[0]!.message, /of <Future finished result=\[object Object\]>/);
});

test('an error escaping a batch of iterations leaves the loop not running, and the running loop restored', () => {
  // Handles and tasks never throw out of `_run` (they report or store their errors);
  // this is the guard for the one that would: the loop must not stay "running".
  const loop = manualLoop();
  loop._scheduleRunnable({ _run(): void { throw new Error('escaped'); } });
  const err = thrown(() => loop._runIterations(128));
  assert.match(String(err), /escaped/);
  assert.not.ok(loop.isRunning());
  assert.is(_getRunningLoop(), null);
});

test('debug mode does not report callbacks faster than slowCallbackDuration', () => {
  const loop = manualLoop({ debug: true });
  const { handler, contexts } = collectErrors();
  loop.setExceptionHandler(handler);
  loop.slowCallbackDuration = 1000;
  loop.callSoon(() => {});
  loop.runOnce();
  assert.equal(contexts, []);
});

test('debug mode records where each task was created (_sourceTraceback)', () => {
  const debug = manualLoop({ debug: true });
  const task = debug.createTask((function* () {})());
  assert.match(task._sourceTraceback ?? '', /loop\.spec\.ts/);
  assert.not.match(task._sourceTraceback ?? '', /lib[\\/]tasks\.ts/);
  const plain = manualLoop();
  assert.is(plain.createTask((function* () {})())._sourceTraceback, undefined);
});

test('callSoon and callLater refuse a non-function where the mistake is made', () => {
  const loop = manualLoop();
  assert.throws(() => loop.callSoon(42 as unknown as () => void), /callSoon\(\) needs a function to call, got number/);
  assert.throws(() => loop.callLater(1, 'x' as unknown as () => void), /callAt\/callLater\(\) needs a function to call, got string/);
});

test('virtual time has no clock resolution: a timer 0.5 ms away fires when the clock reaches it', async () => {
  const after = await run((function* (): Coro<number> {
    yield* sleep(0.0005);
    return getRunningLoop().time();
  })(), { virtualTime: true });
  assert.is(after, 0.0005);
});

test.run();
