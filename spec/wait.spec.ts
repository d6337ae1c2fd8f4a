import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, type ReturnWhen, type AsCompleted, asCompleted, shield, wait, waitFor } from '../lib/wait.ts';
import { Task, allTasks, createTask, currentTask, sleep } from '../lib/tasks.ts';
import type { Future } from '../lib/futures.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, RuntimeError, TimeoutError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { ValueError } from '../lib/exceptions.ts';
import { collectErrors, manualLoop, runVirtual, thrown, trace, type Trace, caught } from './_support/virtual.ts';

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

/** Drains the async form: the futures it yields, in order. */
function* finishedOrder<T>(it: AsCompleted<T>): Coro<Future<T>[]> {
  const out: Future<T>[] = [];
  for (let r = yield* it.next(); !r.done; r = yield* it.next()) out.push(r.value);
  return out;
}

test('asCompleted, plain: outcomes come in completion order, not argument order', async () => {
  await runVirtual((function* () {
    const log = trace();
    const slow = createTask(after(3, 'slow'));
    const aws = [slow, after(1, 'fast'), futureAt(2, 'middle')];
    for (const next of asCompleted(aws)) log.log(`${yield* next}@${now()}`);
    assert.equal(log.entries, ['fast@1', 'middle@2', 'slow@3']);
  })());
});

test('asCompleted, plain: the first coroutine awaited gets the first outcome, whichever was handed out first', async () => {
  await runVirtual((function* () {
    const [first, second] = [...asCompleted([after(1, 'a'), after(2, 'b')])];
    assert.is(yield* second!, 'a');
    assert.is(now(), 1);
    assert.is(yield* first!, 'b');
    assert.is(now(), 2);
  })());
});

test('asCompleted, plain: coroutines taken at once and awaited later still get outcomes in completion order', async () => {
  await runVirtual((function* () {
    const [first, second] = [...asCompleted([after(2, 'b'), after(1, 'a')])];
    yield* sleep(5); // both finished meanwhile; nothing was taken yet
    assert.is(yield* second!, 'a');
    assert.is(yield* first!, 'b');
  })());
});

test('asCompleted, plain: the coroutines can be awaited concurrently, as tasks', async () => {
  await runVirtual((function* () {
    const order = trace();
    const waiters = [...asCompleted([after(2, 'b'), after(1, 'a')])].map((next, i) =>
      createTask((function* () {
        const v = yield* next;
        order.log(`${i}:${v}@${now()}`);
        return v;
      })()));
    const [done] = yield* wait(waiters);
    assert.equal(new Set([...done].map((t) => t.result())), new Set(['a', 'b']));
    // Each waiter began its get() in creation order, so waiter 0 got the first outcome.
    assert.equal(order.entries, ['0:a@1', '1:b@2']);
  })());
});

test('asCompleted, plain: an error or a cancellation is thrown at its turn', async () => {
  await runVirtual((function* () {
    const boom = new Error('boom');
    const victim = createTask(after(10, 'v'));
    getRunningLoop().callLater(2, () => victim.cancel('gone'));
    const results: unknown[] = [];
    for (const next of asCompleted([failAfter(1, boom), victim, after(3, 'ok')])) {
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

test('asCompleted, plain: an await cancelled while waiting takes nothing — the next await gets the outcome', async () => {
  await runVirtual((function* () {
    const [first, second] = [...asCompleted([after(1, 'a'), after(2, 'b')])];
    const doomed = createTask((function* () {
      return yield* first!;
    })());
    yield* sleep(0.5);
    doomed.cancel();
    assert.instance(yield* caught(() => doomed), CancelledError);
    assert.is(yield* second!, 'a');
  })());
});

test('asCompleted, async form: yields the original tasks and futures as they finish; coroutines become tasks', async () => {
  await runVirtual((function* () {
    const task = createTask(after(3, 'task'));
    const fut = futureAt(1, 'future');
    const coro = after(2, 'coro');
    const got = yield* finishedOrder(asCompleted<string>([task, coro, fut]));
    assert.is(got.length, 3);
    assert.is(got[0], fut);
    assert.instance(got[1], Task);
    assert.is.not(got[1], coro as unknown);
    assert.is((got[1] as Task<string>).getCoro(), coro, 'the task wraps the coroutine given');
    assert.is(got[2], task);
    assert.equal(got.map((f) => f.result()), ['future', 'coro', 'task']);
  })());
});

test('asCompleted, async form: a failed or cancelled child is yielded, not thrown; awaiting it throws', async () => {
  await runVirtual((function* () {
    const boom = new Error('boom');
    const bad = createTask(failAfter(1, boom));
    const victim = createTask(after(10, 'v'));
    getRunningLoop().callLater(2, () => victim.cancel());
    const got = yield* finishedOrder(asCompleted<string>([victim, bad]));
    assert.equal(got, [bad, victim]);
    assert.is(yield* caught(() => bad), boom);
    assert.ok(victim.cancelled());
  })());
});

test('asCompleted: after the timeout the awaits still to come throw TimeoutError; nothing is cancelled', async () => {
  await runVirtual((function* () {
    const slow = createTask(after(10, 'slow'));
    const slower = createTask(after(20, 'slower'));
    const results: unknown[] = [];
    for (const next of asCompleted([after(1, 'fast'), slow, slower], { timeout: 5 })) {
      try {
        results.push(yield* next);
      } catch (err) {
        results.push(`${(err as Error).name}@${now()}`);
      }
    }
    assert.equal(results, ['fast', 'TimeoutError@5', 'TimeoutError@5']);
    assert.not.ok(slow.cancelled() || slower.cancelled());
    assert.is(yield* slow, 'slow', 'left running: it finishes on its own');
  })());
});

test('asCompleted: outcomes that arrived in time are taken before the TimeoutErrors', async () => {
  await runVirtual((function* () {
    const it = [...asCompleted([after(10, 'late'), after(1, 'early')], { timeout: 5 })];
    yield* sleep(6); // the timeout has fired; nobody awaited yet
    assert.is(yield* it[0]!, 'early');
    assert.instance(yield* caught(() => it[1]!), TimeoutError);
    assert.is(now(), 6, 'no wait: the timeout already answered');
  })());
});

test('asCompleted, async form: the timeout throws from next(), once per child cut off, then done', async () => {
  await runVirtual((function* () {
    const slow = createTask(after(10, 'slow'));
    const fast = createTask(after(1, 'fast'));
    const it = asCompleted([slow, createTask(after(20, 'slower')), fast], { timeout: 5 });
    const r = yield* it.next();
    assert.equal(r, { done: false, value: fast });
    for (let i = 0; i < 2; i++) {
      assert.instance(yield* caught(() => it.next()), TimeoutError);
      assert.is(now(), 5);
    }
    assert.equal(yield* it.next(), { done: true, value: undefined });
    assert.not.ok(slow.cancelled());
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

test('asCompleted: inputs already done come first, in input order, on the next iteration', async () => {
  await runVirtual((function* () {
    const doneFut = getRunningLoop().createFuture<string>();
    doneFut.setResult('future');
    const doneTask = createTask(after(0, 'task'));
    yield* sleep(0);
    yield* sleep(0);
    assert.ok(doneTask.done());
    const values: string[] = [];
    for (const next of asCompleted<string>([after(1, 'later'), doneTask, doneFut])) values.push(yield* next);
    assert.equal(values, ['task', 'future', 'later']);
    assert.equal(yield* finishedOrder(asCompleted<string>([doneFut, doneTask])), [doneFut, doneTask]);
    assert.is(now(), 1);
  })());
});

test('asCompleted: duplicates count once, futures and coroutine objects alike', async () => {
  await runVirtual((function* () {
    const t = createTask(after(1, 'x'));
    const handed = [...asCompleted([t, t])];
    assert.is(handed.length, 1);
    assert.is(yield* handed[0]!, 'x');
    const c = after(1, 'ham');
    const values: string[] = [];
    for (const next of asCompleted([c, c, after(2, 'spam')])) values.push(yield* next);
    assert.equal(values, ['ham', 'spam']);
    assert.equal((yield* finishedOrder(asCompleted([t, t, t]))), [t]);
  })());
});

test('asCompleted: empty input — nothing to hand out, in either form, and no timer', async () => {
  await runVirtual((function* () {
    assert.equal([...asCompleted([], { timeout: 1 })], []);
    assert.equal(yield* asCompleted([], { timeout: 1 }).next(), { done: true, value: undefined });
    assert.is(getRunningLoop()._liveTimerCount(), 0);
  })());
});

test('asCompleted: a loop left early resumes where it stopped; both forms share one count', async () => {
  await runVirtual((function* () {
    const it = asCompleted([after(1, 0), after(2, 1), after(3, 2), after(4, 3)]);
    const collected: number[] = [];
    for (const next of it) {
      collected.push(yield* next);
      if (collected.length === 2) break;
    }
    for (const next of it) {
      collected.push(yield* next);
      break;
    }
    const rest = yield* finishedOrder(it);
    assert.equal([...collected, ...rest.map((f) => f.result())], [0, 1, 2, 3]);
    assert.equal([...it], []);
  })());
});

test('asCompleted: a future of another loop is refused before any coroutine is wrapped', async () => {
  const other = manualLoop();
  const foreign = other.createFuture<string>();
  await runVirtual((function* () {
    const log = trace();
    const coro = (function* () {
      log.log('started');
      return 'x';
    })();
    const err = thrown(() => asCompleted<string>([coro, foreign]));
    assert.instance(err, ValueError);
    assert.match((err as Error).message, /different event loop/);
    yield* sleep(0);
    assert.equal(log.entries, [], 'the coroutine was not started');
    assert.is(allTasks().size, 1, 'no task was created');
  })());
  other.close();
});

test('asCompleted: outside a running loop it uses the futures\' loop; coroutines alone need a running loop', () => {
  const loop = manualLoop();
  const fut = loop.createFuture<string>();
  assert.is(asCompleted([fut]).getLoop(), loop);
  const it = asCompleted([fut]);
  assert.match(String(it), /<AsCompleted running=1 ready=0 left=1>/);
  const another = manualLoop();
  const mixed = thrown(() => asCompleted([fut, another.createFuture<string>()]));
  assert.instance(mixed, ValueError);
  assert.match((mixed as Error).message, /different event loop than the other futures given/);
  another.close();
  const coro = sleep(0);
  const err = thrown(() => asCompleted([coro]));
  assert.instance(err, RuntimeError);
  assert.match((err as Error).message, /running event loop/);
  loop.close();
});

test('asCompleted: misuse is refused at the call, with a message saying how to fix it', async () => {
  await runVirtual((function* () {
    const t = createTask(after(1, 'x'));
    const cases: [() => unknown, RegExp][] = [
      [() => asCompleted(t as unknown as Future<string>[]), /not a single one/],
      [() => asCompleted(sleep(1) as unknown as Future<string>[]), /not a single one/],
      [() => asCompleted([42 as unknown as Future<number>]), /got the number 42/],
      [() => asCompleted([Promise.resolve(1) as unknown as Future<number>]), /wrapPromise\(promise\)/],
    ];
    for (const [call, message] of cases) {
      const err = thrown(call);
      assert.instance(err, TypeError);
      assert.match((err as Error).message, message);
    }
    yield* t;
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
