/**
 * Step 6 of docs/walkthrough.md — how the loop lives inside Node's (the driver).
 * Real code: lib/driver.ts → Driver.#tick, Driver.#handBack; lib/runners.ts → run.
 *
 * Real time here, not virtual: the point is what Node gets to do meanwhile.
 */
import { getRunningLoop, run, sleep, DeadlockError, type Coro } from '../../lib/index.ts';

function* spinner(): Coro<void> {
  // A task that never waits on anything but sleep(0) still lets Node run: the driver
  // hands back with setImmediate at the end of each 5 ms slice, after Node's I/O.
  let nodeRan = false;
  setImmediate(() => (nodeRan = true));
  let spins = 0;
  while (!nodeRan) {
    spins++;
    yield* sleep(0);
  }
  console.log(`a Node setImmediate ran while a task spun on sleep(0): ${spins > 1 ? 'yes' : 'no'}`);
}

function* sleeper(): Coro<void> {
  // While the loop waits for its only timer, it holds one Node setTimeout and nothing
  // else: the thread is free, and Node's own timers fire in between.
  setTimeout(() => console.log('  Node setTimeout(10 ms) fired while yieldio slept'), 10);
  yield* sleep(0.05);
  console.log('  yieldio sleep(0.05) over');
}

function* stuck(): Coro<void> {
  // Nothing will ever complete this future: no timer, no socket, no other task.
  const never = getRunningLoop().createFuture<void>();
  try {
    yield* never;
  } finally {
    console.log('  finally ran: the deadlocked task was cancelled so it could clean up');
  }
}

await run(spinner());
await run(sleeper());
try {
  await run(stuck());
} catch (err) {
  console.log(err instanceof DeadlockError, (err as Error).message);
}

// expect:
// a Node setImmediate ran while a task spun on sleep(0): yes
//   Node setTimeout(10 ms) fired while yieldio slept
//   yieldio sleep(0.05) over
//   finally ran: the deadlocked task was cancelled so it could clean up
// true deadlock: nothing is ready, no timer is armed and no I/O is pending, so these tasks can never resume:
//   Task-3, waiting on <Future pending>
