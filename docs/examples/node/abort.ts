/**
 * docs/node.md, "AbortSignal across the border": createTask(coro, {signal}) and
 * run(main, {signal}) cancel on abort.
 * Real code: lib/tasks.ts → cancelOnAbort; lib/runners.ts → Runner.run.
 */
import { CancelledError, createTask, run, sleep, type Coro } from '../../../lib/index.ts';

function* work(name: string): Coro<void> {
  try {
    yield* sleep(3600);
  } finally {
    console.log(`${name}: finally`);
  }
}

function* main(): Coro<void> {
  // One AbortController can stop a whole batch of tasks.
  const batch = new AbortController();
  const tasks = ['a', 'b'].map((name) => createTask(work(name), { name, signal: batch.signal }));
  yield* sleep(0.01);
  batch.abort('batch stopped'); // the reason becomes the CancelledError's message
  for (const task of tasks) {
    try {
      yield* task;
    } catch (err) {
      if (!(err instanceof CancelledError)) throw err;
      console.log(`${task.getName()}: ${err.message}`);
    }
  }
  yield* work('main');
}

// run()'s own signal: here, a deadline for the whole program.
try {
  await run(main(), { signal: AbortSignal.timeout(50) });
} catch (err) {
  if (!(err instanceof CancelledError)) throw err;
  console.log(`run() rejected: ${err.message}`);
}

// expect:
// a: finally
// b: finally
// a: batch stopped
// b: batch stopped
// main: finally
// run() rejected: The operation was aborted due to timeout
