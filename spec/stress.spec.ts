/**
 * The scheduler under load (issue #5): failing callbacks, a million live tasks, and a
 * million synchronous completions in a row. Counts are bounded; timing is only a loose
 * sanity bound.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTask, type Task } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { getRunningLoop } from '../lib/events.ts';
import { eagerTaskFactory } from '../lib/eager.ts';
import type { Future } from '../lib/futures.ts';
import type { ExceptionContext } from '../lib/loop.ts';
import type { Coro } from '../lib/coroutines.ts';
import { runVirtual } from './_support/virtual.ts';

test('callbacks that throw go to the exception handler and the loop keeps running the rest', async () => {
  const reports: ExceptionContext[] = [];
  let ran = 0;
  await runVirtual((function* (): Coro<void> {
    const loop = getRunningLoop();
    for (let i = 0; i < 1000; i++) {
      loop.callSoon(() => { throw new Error(`bad ${i}`); });
      loop.callSoon(() => void ran++);
      loop.callLater(i / 1000, () => { throw new Error(`late ${i}`); });
    }
    const fut = loop.createFuture<void>();
    fut.addDoneCallback(() => { throw new Error('done-callback'); });
    fut.setResult();
    yield* sleepAll(1.5);
  })(), { exceptionHandler: (_loop, context) => void reports.push(context) });
  assert.is(ran, 1000);
  assert.is(reports.length, 2001);
  assert.is((reports[0]!.exception as Error).message, 'bad 0');
  assert.ok(reports.some((r) => /done-callback/.test(String(r.exception))));
});

function* sleepAll(seconds: number): Coro<void> {
  const loop = getRunningLoop();
  const fut = loop.createFuture<void>();
  loop.callLater(seconds, () => fut.setResult());
  yield* fut;
}

test('one million live tasks parked on one future all finish when it is set', async () => {
  const N = 1_000_000;
  const started = performance.now();
  const total = await runVirtual((function* (): Coro<number> {
    const gate = getRunningLoop().createFuture<number>();
    function* parked(): Coro<number> { return yield* gate; }
    const tasks: Task<number>[] = new Array(N);
    for (let i = 0; i < N; i++) tasks[i] = createTask(parked());
    yield; // every task takes its first step and parks
    assert.is(getRunningLoop()._tasks.size, N, 'every parked task is listed as waiting');
    assert.is(getRunningLoop()._allTasks().size, N + 1, 'and main, running, is pending too');
    gate.setResult(1);
    const results = yield* gather(tasks);
    let sum = 0;
    for (const r of results) sum += r;
    return sum;
  })());
  assert.is(total, N);
  assert.ok(performance.now() - started < 60_000, 'loose sanity bound');
});

test('a million synchronous completions in a row do not grow the stack', async () => {
  const N = 1_000_000;
  const count = await runVirtual((function* (): Coro<number> {
    const done = getRunningLoop().createFuture<number>();
    done.setResult(1);
    let sum = 0;
    // Awaiting a done future returns at once, inside the same step: a loop, not recursion.
    for (let i = 0; i < N; i++) sum += yield* done;
    // Eager tasks that never suspend finish inside createTask; awaiting them is immediate.
    function* sync(): Coro<number> { return 1; }
    for (let i = 0; i < N; i++) sum += yield* createTask(sync());
    return sum;
  })(), { setup: (loop) => loop.setTaskFactory(eagerTaskFactory) });
  assert.is(count, 2 * N);
});

test('a chain of a million futures, each set from the previous one\'s done-callback, runs without recursion', async () => {
  const N = 1_000_000;
  const last = await runVirtual((function* (): Coro<number> {
    const loop = getRunningLoop();
    const futures: Future<number>[] = [];
    for (let i = 0; i < N; i++) futures.push(loop.createFuture<number>());
    for (let i = 0; i + 1 < N; i++) {
      const next = futures[i + 1]!;
      futures[i]!.addDoneCallback((f) => next.setResult(f.result() + 1));
    }
    futures[0]!.setResult(1);
    return yield* futures[N - 1]!;
  })());
  assert.is(last, N);
});

test.run();
