import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, type ReturnWhen, asCompleted, shield, wait, waitFor } from '../lib/wait.ts';
import { createTask, currentTask, sleep } from '../lib/tasks.ts';
import type { Future } from '../lib/futures.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, TimeoutError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { ValueError } from '../lib/locks.ts';
import { collectErrors, runVirtual, thrown, trace, type Trace, caught } from './_support/virtual.ts';

const now = (): number => getRunningLoop().time();

function* after<T>(seconds: number, value: T, log?: Trace, name?: string): Coro<T> {
  try {
    yield* sleep(seconds);
  } catch (err) {
    log?.log(`${name}:cancelled@${now()}`);
    throw err;
  }
  log?.log(`${name}:done@${now()}`);
  return value;
}

function* failAfter(seconds: number, error: Error): Coro<never> {
  yield* sleep(seconds);
  throw error;
}

/** A future resolved by a timer, not by a task. */
function futureAt<T>(seconds: number, value: T): Future<T> {
  const fut = getRunningLoop().createFuture<T>();
  getRunningLoop().callLater(seconds, () => fut.setResult(value));
  return fut;
}

// ---- waitFor ----

test('waitFor: in time, the value', async () => {
  await runVirtual((function* () {
    assert.is(yield* waitFor(after(1, 'v'), 5), 'v');
    assert.is(yield* waitFor(createTask(after(1, 't')), 5), 't');
    assert.is(yield* waitFor(after(100, 'forever'), null), 'forever');
    assert.is(now(), 102);
  })());
});

test('waitFor: a coroutine runs inline, in the calling task (asyncio 3.12+)', async () => {
  await runVirtual((function* () {
    const me = currentTask();
    const seen = yield* waitFor((function* () {
      yield* sleep(0);
      return currentTask();
    })(), 1);
    assert.is(seen, me);
  })());
});

test('waitFor: time is up — the task is cancelled and awaited to its end, then TimeoutError', async () => {
  await runVirtual((function* () {
    const log = trace();
    const task = createTask((function* () {
      try {
        yield* sleep(10);
      } catch (err) {
        yield* sleep(1); // a slow cleanup: waitFor waits for it
        log.log(`task:cleaned@${now()}`);
        throw err;
      }
    })());
    const err = yield* caught(() => waitFor(task, 2));
    log.log(`waitFor:${(err as Error).name}@${now()}`);
    assert.instance((err as Error).cause, CancelledError);
    assert.ok(task.cancelled());
    assert.equal(log.entries, ['task:cleaned@3', 'waitFor:TimeoutError@3']);
    assert.is(currentTask()?.cancelling(), 0);
  })());
});

test('waitFor: a task that swallows the cancel and returns — its value is returned', async () => {
  await runVirtual((function* () {
    const task = createTask((function* () {
      try {
        yield* sleep(10);
      } catch {
        return 'late but fine';
      }
      return 'unreachable';
    })());
    assert.is(yield* waitFor(task, 1), 'late but fine');
    assert.is(now(), 1);
  })());
});

test('waitFor: a completed future gives its result without suspending', async () => {
  await runVirtual((function* () {
    const log = trace();
    createTask((function* () {
      log.log('other');
    })());
    const fut = getRunningLoop().createFuture<number>();
    fut.setResult(7);
    for (const seconds of [1, 0, -1, null]) assert.is(yield* waitFor(fut, seconds), 7);
    log.log('main');
    yield* sleep(0);
    assert.equal(log.entries, ['main', 'other']);
  })());
});

test('waitFor: errors of the awaitable pass through unchanged', async () => {
  await runVirtual((function* () {
    const boom = new Error('boom');
    assert.is(yield* caught(() => waitFor(failAfter(1, boom), 5)), boom);
    const failed = createTask(failAfter(0, boom));
    yield* sleep(0);
    yield* sleep(0);
    assert.is(yield* caught(() => waitFor(failed, 0)), boom);
  })());
});

test('waitFor(aw, 0): a coroutine is cancelled before it starts — TimeoutError', async () => {
  await runVirtual((function* () {
    const log = trace();
    const err = yield* caught(() => waitFor((function* () {
      log.log('started');
      yield* sleep(1);
    })(), 0));
    assert.instance(err, TimeoutError);
    assert.equal(log.entries, []);
    assert.is(now(), 0);
  })());
});

test('waitFor(aw, 0): a task that swallows the cancel, or fails on it', async () => {
  await runVirtual((function* () {
    const stubborn = createTask((function* () {
      try {
        yield* sleep(10);
      } catch {
        yield* sleep(1);
        return 'kept';
      }
    })());
    yield* sleep(0);
    assert.is(yield* waitFor(stubborn, 0), 'kept');
    assert.is(now(), 1);
    const boom = new Error('cleanup failed');
    const failing = createTask((function* () {
      try {
        yield* sleep(10);
      } catch {
        throw boom;
      }
    })());
    yield* sleep(0);
    assert.is(yield* caught(() => waitFor(failing, -5)), boom);
  })());
});

test('waitFor: an outside cancel is a CancelledError, and the inner task is cancelled too', async () => {
  await runVirtual((function* () {
    const log = trace();
    const inner = createTask(after(10, 'x', log, 'inner'));
    const outer = createTask(waitFor(inner, 5));
    yield* sleep(1);
    outer.cancel();
    const err = yield* caught(() => outer);
    assert.instance(err, CancelledError);
    assert.not.instance(err, TimeoutError);
    assert.ok(inner.cancelled());
    assert.equal(log.entries, ['inner:cancelled@1']);
  })());
});

test('waitFor(aw, 0): cancelled while waiting for the cancellation to finish', async () => {
  await runVirtual((function* () {
    const inner = createTask((function* () {
      try {
        yield* sleep(10);
      } catch {
        yield* sleep(5);
      }
    })());
    yield* sleep(0);
    const outer = createTask(waitFor(inner, 0));
    yield* sleep(1);
    outer.cancel();
    assert.instance(yield* caught(() => outer), CancelledError);
    assert.not.ok(inner.done(), 'the inner task goes on with its cleanup');
  })());
});

// ---- wait ----

test('wait: ALL_COMPLETED (the default) returns when all are done, failures included', async () => {
  await runVirtual((function* () {
    const a = createTask(after(1, 'a'));
    const b = createTask(failAfter(2, new Error('b')));
    const c = futureAt(3, 'c');
    const [done, pending] = yield* wait([a, b, c]);
    assert.is(now(), 3);
    assert.equal([...done].sort(), [a, b, c].sort());
    assert.is(done.size, 3);
    assert.is(pending.size, 0);
    assert.instance(b.exception(), Error);
    const [done2] = yield* wait([a], { returnWhen: ALL_COMPLETED });
    assert.ok(done2.has(a));
  })());
});

test('wait: FIRST_COMPLETED returns at the first; the others keep running, uncancelled', async () => {
  await runVirtual((function* () {
    const a = createTask(after(2, 'a'));
    const b = createTask(after(1, 'b'));
    const [done, pending] = yield* wait([a, b], { returnWhen: FIRST_COMPLETED });
    assert.is(now(), 1);
    assert.equal([...done], [b]);
    assert.equal([...pending], [a]);
    assert.is(yield* a, 'a');
  })());
});

test('wait: FIRST_EXCEPTION returns at the first failure — a cancellation is not one', async () => {
  await runVirtual((function* () {
    const boom = new Error('boom');
    const cancelled = createTask(after(5, 'x'));
    const ok = createTask(after(1, 'ok'));
    const bad = createTask(failAfter(2, boom));
    const slow = createTask(after(10, 'slow'));
    getRunningLoop().callLater(0.5, () => cancelled.cancel());
    const [done, pending] = yield* wait([cancelled, ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
    assert.is(now(), 2);
    assert.equal(new Set(done), new Set([cancelled, ok, bad]));
    assert.equal([...pending], [slow]);
    assert.is(bad.exception(), boom);
    // Without failures FIRST_EXCEPTION waits for all.
    const [done2, pending2] = yield* wait([slow, createTask(after(1, 'y'))], { returnWhen: FIRST_EXCEPTION });
    assert.is(done2.size, 2);
    assert.is(pending2.size, 0);
    assert.is(now(), 10);
  })());
});

test('wait: a timeout returns what is done and what is pending — no error, no cancel', async () => {
  await runVirtual((function* () {
    const a = createTask(after(1, 'a'));
    const b = createTask(after(10, 'b'));
    const [done, pending] = yield* wait([a, b], { timeout: 3 });
    assert.is(now(), 3);
    assert.equal([...done], [a]);
    assert.equal([...pending], [b]);
    assert.not.ok(b.cancelled());
    assert.is(yield* b, 'b');
    const [, none] = yield* wait([b], { timeout: null });
    assert.is(none.size, 0);
  })());
});

test('wait: futures already done — it returns on the next iteration; duplicates count once', async () => {
  await runVirtual((function* () {
    const fut = getRunningLoop().createFuture<number>();
    fut.setResult(1);
    const [done, pending] = yield* wait([fut, fut]);
    assert.equal([...done], [fut]);
    assert.is(pending.size, 0);
  })());
});

test('wait: cancelled while waiting — CancelledError; its timer and callbacks are gone', async () => {
  await runVirtual((function* () {
    const a = createTask(after(10, 'a'));
    const waiter = createTask(wait([a], { timeout: 5 }));
    yield* sleep(1);
    waiter.cancel();
    assert.instance(yield* caught(() => waiter), CancelledError);
    assert.not.ok(a.cancelled(), 'wait() never cancels what it waits on');
    assert.is(getRunningLoop()._liveTimerCount(), 1, 'only a\'s sleep is left');
  })());
});

test('wait: misuse is refused at the call, with a message saying how to fix it', async () => {
  await runVirtual((function* () {
    const t = createTask(sleep(0));
    const cases: [() => unknown, unknown, RegExp][] = [
      [() => wait([]), ValueError, /empty/],
      [() => wait([sleep(1) as unknown as Future<unknown>]), TypeError, /createTask\(coro\)/],
      [() => wait(t as unknown as Future<unknown>[]), TypeError, /not a single one/],
      [() => wait([42 as unknown as Future<unknown>]), TypeError, /got 42/],
      [() => wait([t], { returnWhen: 'SOMETIMES' as ReturnWhen }), ValueError, /invalid returnWhen SOMETIMES/],
    ];
    for (const [call, type, message] of cases) {
      const err = thrown(call);
      assert.instance(err, type as typeof Error);
      assert.match((err as Error).message, message);
    }
    yield* t;
  })());
});

// ---- asCompleted ----

test('asCompleted: futures settle in completion order, not argument order', async () => {
  await runVirtual((function* () {
    const log = trace();
    const slow = createTask(after(3, 'slow'));
    const aws = [slow, after(1, 'fast'), futureAt(2, 'middle')];
    for (const next of asCompleted(aws)) log.log(`${yield* next}@${now()}`);
    assert.equal(log.entries, ['fast@1', 'middle@2', 'slow@3']);
  })());
});

test('asCompleted: the futures can be taken all at once and awaited later', async () => {
  await runVirtual((function* () {
    const [first, second] = [...asCompleted([after(2, 'b'), after(1, 'a')])];
    yield* sleep(5);
    assert.is(yield* second!, 'b');
    assert.is(yield* first!, 'a');
  })());
});

test('asCompleted: an error or a cancellation surfaces at its turn', async () => {
  await runVirtual((function* () {
    const boom = new Error('boom');
    const victim = createTask(after(10, 'v'));
    getRunningLoop().callLater(2, () => victim.cancel('gone'));
    const it = asCompleted([failAfter(1, boom), victim, after(3, 'ok')]);
    const results: unknown[] = [];
    for (const next of it) {
      try {
        results.push(yield* next);
      } catch (err) {
        results.push(err);
      }
    }
    assert.is(results[0], boom);
    assert.instance(results[1], CancelledError);
    assert.is((results[1] as Error).message, 'gone');
    assert.is(results[2], 'ok');
  })());
});

test('asCompleted: after the timeout the rest throw TimeoutError; nothing is cancelled', async () => {
  await runVirtual((function* () {
    const log = trace();
    const slow = createTask(after(10, 'slow'));
    const results: unknown[] = [];
    for (const next of asCompleted([after(1, 'fast'), slow, after(20, 'slower')], { timeout: 5 })) {
      try {
        results.push(yield* next);
      } catch (err) {
        results.push(`${(err as Error).name}@${now()}`);
      }
      log.log(now());
    }
    assert.equal(results, ['fast', 'TimeoutError@5', 'TimeoutError@5']);
    assert.not.ok(slow.cancelled());
    assert.is(yield* slow, 'slow');
  })());
});

test('asCompleted: all done before the timeout — the timer is disarmed', async () => {
  await runVirtual((function* () {
    for (const next of asCompleted([after(1, 1), after(2, 2)], { timeout: 100 })) yield* next;
    assert.is(getRunningLoop()._liveTimerCount(), 0);
  })());
});

test('asCompleted: a completion queued just as the timer fires is ignored', async () => {
  await runVirtual((function* () {
    const fut = getRunningLoop().createFuture<string>();
    getRunningLoop().callLater(1, () => fut.setResult('too late')); // due with the timeout, and first
    const [only] = [...asCompleted([fut], { timeout: 1 })];
    assert.instance(yield* caught(() => only!), TimeoutError);
    assert.is(fut.result(), 'too late');
  })());
});

test('asCompleted: a hand-out cancelled by its awaiter passes its turn to the next', async () => {
  await runVirtual((function* () {
    const [first, second] = [...asCompleted([after(1, 'a'), after(2, 'b')])];
    first!.cancel();
    assert.is(yield* second!, 'a');
  })());
});

test('asCompleted: empty input, duplicates and misuse', async () => {
  await runVirtual((function* () {
    assert.equal([...asCompleted([])], []);
    const t = createTask(after(1, 'x'));
    const handed = [...asCompleted([t, t])];
    assert.is(handed.length, 1);
    assert.is(yield* handed[0]!, 'x');
    const err = thrown(() => asCompleted(t as unknown as Future<string>[]));
    assert.instance(err, TypeError);
    assert.match((err as Error).message, /not a single one/);
  })());
});

// ---- shield ----

test('shield: the caller is cancelled, the inner task runs on to its end', async () => {
  await runVirtual((function* () {
    const log = trace();
    const inner = createTask(after(5, 'saved', log, 'inner'));
    const caller = createTask((function* () {
      try {
        return yield* shield(inner);
      } catch (err) {
        log.log(`caller:${(err as Error).name}@${now()}`);
        throw err;
      }
    })());
    yield* sleep(1);
    caller.cancel();
    assert.instance(yield* caught(() => caller), CancelledError);
    assert.is(yield* inner, 'saved');
    assert.equal(log.entries, ['caller:CancelledError@1', 'inner:done@5']);
  })());
});

test('shield: an error of the inner task after the caller was cancelled goes to the exception handler', async () => {
  const errors = collectErrors();
  const boom = new Error('failed unobserved');
  await runVirtual((function* () {
    const caller = createTask((function* () {
      yield* shield(failAfter(2, boom));
    })());
    yield* sleep(1);
    caller.cancel();
    yield* caught(() => caller);
    yield* sleep(5);
  })(), { exceptionHandler: errors.handler });
  assert.is(errors.contexts.length, 1);
  assert.is(errors.contexts[0]!.exception, boom);
  assert.match(errors.contexts[0]!.message, /exception was never retrieved/);
});

test('shield: awaited later by someone else, the inner error is not reported', async () => {
  const errors = collectErrors();
  await runVirtual((function* () {
    const boom = new Error('seen');
    const inner = createTask(failAfter(2, boom));
    const caller = createTask((function* () {
      yield* shield(inner);
    })());
    yield* sleep(1);
    caller.cancel();
    yield* caught(() => caller);
    assert.is(yield* caught(() => inner), boom);
  })(), { exceptionHandler: errors.handler });
  assert.is(errors.contexts.length, 0);
});

test('shield: uncancelled, the result, the error and the inner cancellation pass through', async () => {
  await runVirtual((function* () {
    assert.is(yield* shield(after(1, 'v')), 'v');
    const boom = new Error('boom');
    assert.is(yield* caught(() => shield(failAfter(1, boom))), boom);
    const inner = createTask(after(10, 'x'));
    getRunningLoop().callLater(1, () => inner.cancel());
    assert.instance(yield* caught(() => shield(inner)), CancelledError);
    const done = getRunningLoop().createFuture<number>();
    done.setResult(3);
    assert.is(shield(done), done, 'a done future needs no shield');
  })());
});

test('shield: the caller is cancelled in the same iteration the inner fails — dropped, not reported', async () => {
  const errors = collectErrors();
  await runVirtual((function* () {
    const inner = getRunningLoop().createFuture<number>();
    const caller = createTask((function* () {
      yield* shield(inner);
    })());
    yield* sleep(0);
    getRunningLoop().callSoon(() => {
      caller.cancel();
      inner.setException(new Error('simultaneous'));
    });
    assert.instance(yield* caught(() => caller), CancelledError);
    yield* sleep(0);
  })(), { exceptionHandler: errors.handler });
  assert.is(errors.contexts.length, 0);
});

test.run();
