/**
 * docs/node.md, "The one rule": every outside wait is counted.
 * Real code: lib/promises.ts → wrapPromise; lib/runners.ts → runUntilComplete.
 *
 * A Promise bridged by hand, with createFuture() and then(), is invisible to the loop:
 * while the task waits, nothing is ready, no timer is armed and no I/O is counted, so
 * run() reports a deadlock that is not one. wrapPromise counts the wait.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DeadlockError, getRunningLoop, run, wrapPromise, type Coro } from '../../../lib/index.ts';

function* byHand(): Coro<string> {
  const fut = getRunningLoop().createFuture<string>();
  void delay(20, 'ready').then((value) => {
    if (!fut.done()) fut.setResult(value); // the loop cannot see this coming
  });
  return yield* fut;
}

function* counted(): Coro<string> {
  return yield* wrapPromise(delay(20, 'ready')); // an outside wait, counted as a socket wait is
}

try {
  await run(byHand());
} catch (err) {
  if (!(err instanceof DeadlockError)) throw err;
  console.log(err.message);
}
console.log('wrapPromise:', await run(counted()));

// expect:
// deadlock: nothing is ready, no timer is armed and no I/O is pending, so these tasks can never resume:
//   Task-1, waiting on <Future pending>
// wrapPromise: ready
