/**
 * docs/testing.md, "A hang is a test failure": the deadlock report.
 * Real code: lib/runners.ts → runUntilComplete; lib/report.ts → describeWaits.
 *
 * A test whose tasks wait on each other, or on something nobody will ever set, hangs
 * in asyncio until the CI job is killed. Here the driver sees that nothing is ready, no
 * timer is armed and no outside wait is pending, and run() rejects at once with a
 * DeadlockError naming each task and what it waits on — on virtual time too. A wait on
 * the outside world (a socket, a Promise) is not a deadlock; a real-time watchdog
 * (`run(main, { signal: AbortSignal.timeout(ms) })`) bounds that.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { CancelledError, createTask, currentTask, DeadlockError, Queue, run, wrapPromise, type Coro } from '../../../lib/index.ts';
import { test } from './harness.ts';

// ---- the code under test ----

/** Doubles every job put on `jobs` into `results` — with a bug: a 0 is skipped without taskDone(). */
function* worker(jobs: Queue<number>, results: number[]): Coro<void> {
  for (;;) {
    const job = yield* jobs.get();
    if (job === 0) continue; // the bug: join() will wait for this job for ever
    results.push(job * 2);
    jobs.taskDone();
  }
}

/** Puts the jobs on a queue, waits until each is done, and returns the results. */
function* processAll(input: number[]): Coro<number[]> {
  const jobs = new Queue<number>();
  const results: number[] = [];
  const workers = [1, 2].map((i) => createTask(worker(jobs, results), { name: `worker-${i}` }));
  for (const n of input) jobs.putNowait(n);
  yield* jobs.join();
  for (const w of workers) w.cancel();
  return results;
}

// ---- the tests ----

await test('no zero: the jobs are done', async () => {
  assert.deepEqual(await run(processAll([1, 2, 3]), { virtualTime: true }), [2, 4, 6]);
});

await test('a zero: join() can never return, and run() says so instead of hanging', async () => {
  const err = await run((function* (): Coro<number[]> {
    currentTask()!.setName('main');
    return yield* processAll([1, 0, 3]);
  })(), { virtualTime: true }).catch((e: unknown) => e);
  assert.ok(err instanceof DeadlockError);
  console.log(err.message);
});

await test('a wait on the outside world is no deadlock: a watchdog in real time bounds it', async () => {
  const err = await run((function* (): Coro<void> {
    yield* wrapPromise((signal) => delay(3_600_000, 'a reply', { signal })); // an hour: as good as never
  })(), { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
  assert.ok(err instanceof CancelledError);
  console.log(String(err));
});

// expect:
// ok   no zero: the jobs are done
// deadlock: nothing is ready, no timer is armed and no I/O is pending, so these tasks can never resume:
//   main, waiting on <Future pending>
//   worker-1, waiting on <Future pending>
//   worker-2, waiting on <Future pending>
// ok   a zero: join() can never return, and run() says so instead of hanging
// CancelledError: The operation was aborted due to timeout
// ok   a wait on the outside world is no deadlock: a watchdog in real time bounds it
