import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gather, GatheringFuture } from '../lib/gather.ts';
import { Task, createTask, sleep } from '../lib/tasks.ts';
import { eagerTaskFactory } from '../lib/eager.ts';
import { getRunningLoop } from '../lib/events.ts';
import { CancelledError, RuntimeError } from '../lib/exceptions.ts';
import type { Coro } from '../lib/coroutines.ts';
import { collectErrors, drain, manualLoop, rejection, runVirtual, thrown, trace } from './_support/virtual.ts';

function* after<T>(seconds: number, value: T, t?: ReturnType<typeof trace>): Coro<T> {
  yield* sleep(seconds);
  t?.log(value);
  return value;
}

function* failAfter(seconds: number, error: Error): Coro<never> {
  yield* sleep(seconds);
  throw error;
}

test('results come in argument order, whatever order the children finish in', async () => {
  const t = trace();
  const results = await runVirtual((function* (): Coro<[string, number, boolean]> {
    return yield* gather(after(3, 'a', t), after(1, 2, t), after(2, true, t));
  })());
  assert.equal(t.entries, [2, true, 'a']);
  assert.equal(results, ['a', 2, true]);
});

test('the children run concurrently: total time is the longest, not the sum', async () => {
  const elapsed = await runVirtual((function* (): Coro<number> {
    const loop = getRunningLoop();
    const t0 = loop.time();
    yield* gather(sleep(1), sleep(2), sleep(3));
    return loop.time() - t0;
  })());
  assert.is(elapsed, 3);
});

test('gather() with nothing gives []', async () => {
  const results = await runVirtual((function* (): Coro<[]> {
    return yield* gather();
  })());
  assert.equal(results, []);
});

test('gather(array) accepts an array of awaitables, and any iterable', async () => {
  const [fromArray, fromSet] = await runVirtual((function* (): Coro<[number[], number[]]> {
    const a = yield* gather([after(2, 1), after(1, 2), after(0, 3)]);
    const b = yield* gather(new Set([after(1, 4), after(0, 5)]));
    return [a, b];
  })());
  assert.equal(fromArray, [1, 2, 3]);
  assert.equal(fromSet, [4, 5]);
});

test('the first error propagates at once; the other children keep running', async () => {
  const t = trace();
  const boom = new Error('boom');
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    const slow = createTask(after(5, 'slow finished', t));
    try {
      yield* gather(failAfter(1, boom), slow);
      assert.unreachable('gather should throw');
    } catch (err) {
      assert.is(err, boom);
      t.log(`caught at ${loop.time()}`);
    }
    assert.not.ok(slow.done(), 'the other child is not cancelled');
    assert.is(yield* slow, 'slow finished');
  })());
  assert.equal(t.entries, ['caught at 1', 'slow finished']);
});

test('a second failing child, after the first, is not reported as never retrieved', async () => {
  const { handler, contexts } = collectErrors();
  const first = new Error('first');
  await runVirtual((function* (): Coro<void> {
    const second = createTask(failAfter(2, new Error('second')));
    try {
      yield* gather(failAfter(1, first), second);
    } catch (err) {
      assert.is(err, first);
    }
    yield* sleep(5);
    assert.ok(second.done());
  })(), { exceptionHandler: handler });
  assert.equal(contexts, []);
});

test('{returnExceptions: true} returns errors in place of results', async () => {
  const boom = new Error('boom');
  const results = await runVirtual((function* (): Coro<unknown[]> {
    return yield* gather(after(2, 'a'), failAfter(1, boom), after(3, 'c'), { returnExceptions: true });
  })());
  assert.equal(results, ['a', boom, 'c']);
  assert.is(results[1], boom);
});

test('results are right however the finishing order mixes in-order, out-of-order and failed children', async () => {
  // gather collects the results at the front as the children finish and reads the rest
  // at the end (lib/gather.ts): every interleaving must give the same array.
  const boom = new Error('boom');
  const results = await runVirtual((function* (): Coro<unknown[]> {
    return yield* gather([
      after(1, 'a'), after(2, 'b'), failAfter(4, boom), after(3, 'd'), after(6, 'e'), after(5, 'f'), after(7, 'g'),
    ], { returnExceptions: true });
  })());
  assert.equal(results, ['a', 'b', boom, 'd', 'e', 'f', 'g']);
  const reversed = await runVirtual((function* (): Coro<number[]> {
    return yield* gather([5, 4, 3, 2, 1].map((d) => after(d, d)));
  })());
  assert.equal(reversed, [5, 4, 3, 2, 1]);
});

test('{returnExceptions: true} works with an array too, and returns a cancelled child as its CancelledError', async () => {
  const results = await runVirtual((function* (): Coro<unknown[]> {
    const victim = createTask(after(10, 'never'));
    const canceller = createTask((function* (): Coro<string> {
      yield* sleep(1);
      victim.cancel('cut');
      return 'cancelled it';
    })());
    return yield* gather([victim, canceller], { returnExceptions: true });
  })());
  assert.instance(results[0], CancelledError);
  assert.is((results[0] as Error).message, 'cut');
  assert.is(results[1], 'cancelled it');
});

test('a child cancelled (not through the gather) cancels the gather', async () => {
  let caught: unknown;
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const victim = createTask(after(10, 'never'));
    const other = createTask(after(2, 'other done', t));
    const g = gather(victim, other);
    const loop = getRunningLoop();
    loop.callLater(1, () => victim.cancel('from outside'));
    try {
      yield* g;
    } catch (err) {
      caught = err;
    }
    assert.ok(g.cancelled());
    assert.not.ok(other.done(), 'the other child is left running');
    yield* other;
  })());
  assert.instance(caught, CancelledError);
  assert.is((caught as Error).message, 'from outside');
  assert.equal(t.entries, ['other done']);
});

test('cancelling the task awaiting a gather cancels every child', async () => {
  const t = trace();
  let children: Task<unknown>[] = [];
  await runVirtual((function* (): Coro<void> {
    children = [1, 2, 3].map((s) => createTask((function* (): Coro<void> {
      try {
        yield* sleep(s * 10);
      } finally {
        t.log(`child ${s} finally`);
      }
    })()));
    const waiter = createTask((function* (): Coro<void> {
      try {
        yield* gather(...children);
      } catch (err) {
        t.log(`waiter ${(err as Error).name}`);
        throw err;
      }
    })());
    yield* sleep(1);
    waiter.cancel();
    try {
      yield* waiter;
    } catch (err) {
      assert.instance(err, CancelledError);
    }
  })());
  assert.ok(children.every((c) => c.cancelled()));
  assert.equal(t.entries, ['child 1 finally', 'child 2 finally', 'child 3 finally', 'waiter CancelledError']);
});

test('gather.cancel() cancels the children; the gather ends cancelled once they report back', () => {
  const loop = manualLoop();
  const a = loop.createFuture<number>();
  const b = loop.createFuture<number>();
  let g!: GatheringFuture<unknown>;
  loop.createTask((function* (): Coro<void> { g = gather(a, b) as GatheringFuture<unknown>; })());
  loop.runOnce();
  assert.ok(g.cancel('all'));
  assert.ok(a.cancelled() && b.cancelled());
  assert.not.ok(g.done(), 'cancelled later, when the children report back');
  drain(loop);
  assert.ok(g.cancelled());
  assert.is((thrown(() => g.result()) as Error).message, 'all');
  assert.is(g.cancel(), false, 'false once done');
});

test('gather.cancel() returns false when every child is already done', () => {
  const loop = manualLoop();
  const a = loop.createFuture<number>();
  a.setResult(1);
  let g!: GatheringFuture<unknown>;
  loop.createTask((function* (): Coro<void> { g = gather(a) as GatheringFuture<unknown>; })());
  loop.runOnce();
  assert.is(g.cancel(), false);
  drain(loop);
  assert.equal(g.result(), [1]);
});

test('a cancelled gather ends cancelled even if the children swallow the cancellation', async () => {
  let caught: unknown;
  const t = trace();
  await runVirtual((function* (): Coro<void> {
    const stubborn = createTask((function* (): Coro<string> {
      try {
        yield* sleep(10);
      } catch {
        t.log('swallowed');
      }
      return 'kept going';
    })());
    const g = gather(stubborn, { returnExceptions: true });
    yield;
    g.cancel();
    try {
      yield* g;
    } catch (err) {
      caught = err;
    }
    assert.is(stubborn.result(), 'kept going');
  })());
  assert.equal(t.entries, ['swallowed']);
  assert.instance(caught, CancelledError);
});

test('the same coroutine given twice runs once; its result appears twice', async () => {
  const t = trace();
  const results = await runVirtual((function* (): Coro<unknown[]> {
    const c = after(1, 'once', t);
    return yield* gather(c, c, after(0, 'other'));
  })());
  assert.equal(t.entries, ['once']);
  assert.equal(results, ['once', 'once', 'other']);
});

test('the same future or task given twice appears twice', async () => {
  const t = trace();
  const results = await runVirtual((function* (): Coro<unknown[]> {
    const task = createTask(after(1, 'task', t));
    const fut = getRunningLoop().createFuture<string>();
    fut.setResult('fut');
    return yield* gather(task, fut, task, fut);
  })());
  assert.equal(t.entries, ['task']);
  assert.equal(results, ['task', 'fut', 'task', 'fut']);
});

test('gather of futures of two different loops is a RuntimeError', async () => {
  const foreign = manualLoop().createFuture();
  const err = await rejection(runVirtual((function* (): Coro<void> {
    yield* gather(getRunningLoop().createFuture(), foreign);
  })()));
  assert.instance(err, RuntimeError);
  assert.match((err as Error).message, /different event loop/);
});

test('a gather refused half-way leaves no callback on the children it had already taken', async () => {
  // gather registers on each child as it goes (one pass); a refusal must undo that, or
  // a later failure of `mine` would set the abandoned gather's future and be reported
  // as an exception nobody retrieved.
  const { handler, contexts } = collectErrors();
  const foreign = manualLoop().createFuture();
  await runVirtual((function* (): Coro<void> {
    getRunningLoop().setExceptionHandler(handler);
    const mine = getRunningLoop().createFuture<number>();
    const err = thrown(() => gather(mine, mine, foreign));
    assert.instance(err, RuntimeError);
    mine.setException(new Error('later'));
    yield;
    yield;
    mine.exception(); // retrieved by us: the only report would be the abandoned gather's
  })());
  assert.equal(contexts, []);
});

test('a gather refused after a child that is already done: the queued callback of that child stays silent', async () => {
  // A done child's callback is queued at once and cannot be removed; it must not act
  // for the gather that was refused (it once read an unfilled slot and threw).
  const { handler, contexts } = collectErrors();
  await runVirtual((function* (): Coro<void> {
    getRunningLoop().setExceptionHandler(handler);
    const done = getRunningLoop().createFuture<number>();
    done.setResult(1);
    assert.instance(thrown(() => gather(done, 42 as unknown as Coro<number>)), TypeError);
    yield* sleep(0.01);
  })());
  assert.equal(contexts, []);
});

test('the same with an eager child that finished in its first step', async () => {
  const { handler, contexts } = collectErrors();
  await runVirtual((function* (): Coro<void> {
    getRunningLoop().setExceptionHandler(handler);
    const quick = (function* (): Coro<number> { return 1; })();
    assert.instance(thrown(() => gather(quick, 'oops' as unknown as Coro<number>)), TypeError);
    yield* sleep(0.01);
  })(), { setup: (loop) => loop.setTaskFactory(eagerTaskFactory) });
  assert.equal(contexts, []);
});

test('gather of a non-awaitable is a TypeError', async () => {
  const err = await rejection(runVirtual((function* (): Coro<void> {
    yield* gather(42 as unknown as Coro<number>);
  })()));
  assert.instance(err, TypeError);
});

test.run();
