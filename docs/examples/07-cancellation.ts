/**
 * Step 7 of docs/walkthrough.md — cancellation, and counting it.
 * Real code: lib/tasks.ts → Task.cancel, Task.uncancel; lib/timeouts.ts → Timeout.exit;
 * lib/taskgroups.ts → TaskGroup.exit.
 */
import {
  asyncWith, CancelledError, createTask, currentTask, ExceptionGroup, getRunningLoop, run, sleep,
  TaskGroup, timeout, TimeoutError, type Coro,
} from '../../lib/index.ts';

const now = (): string => `t=${getRunningLoop().time().toFixed(0)}`;

function* napper(name: string, seconds: number): Coro<string> {
  try {
    yield* sleep(seconds);
    return `${name} woke`;
  } catch (err) {
    if (err instanceof CancelledError) console.log(`  ${now()} ${name}: CancelledError at its yield*${err.message ? ` ("${err.message}")` : ''}`);
    throw err; // a CancelledError must be rethrown (see docs/decisions.md)
  }
}

function* failing(): Coro<never> {
  yield* sleep(1);
  throw new Error('child failed');
}

function* main(): Coro<void> {
  // 1. cancel(): a CancelledError is thrown in at the task's current yield*.
  const t = createTask(napper('t', 10));
  yield* sleep(1);
  t.cancel('stop');
  console.log(`${now()} after cancel(): cancelling() = ${t.cancelling()}`);
  try {
    yield* t;
  } catch (err) {
    console.log(`${now()} awaiting it rethrows the same error: ${(err as Error).name} "${(err as Error).message}"`);
  }

  // 2. timeout(): the Timeout cancels us, then turns *its own* cancellation into a TimeoutError.
  try {
    yield* asyncWith(timeout(2), function* () {
      yield* napper('body', 5);
    });
  } catch (err) {
    console.log(`${now()} TimeoutError: ${err instanceof TimeoutError}; main's cancelling() is back to ${currentTask()!.cancelling()}`);
  }

  // 3. Someone else's cancel inside a timeout stays a CancelledError: the count tells.
  const victim = createTask(
    (function* (): Coro<void> {
      yield* asyncWith(timeout(5), function* () {
        yield* napper('victim', 10);
      });
    })(),
  );
  yield* sleep(1);
  victim.cancel('from outside');
  try {
    yield* victim;
  } catch (err) {
    console.log(`${now()} the victim ends with ${(err as Error).name}, not TimeoutError`);
  }

  // 4. TaskGroup: a failing child cancels its siblings and the body, then all failures surface together.
  try {
    yield* asyncWith(new TaskGroup(), function* (tg) {
      tg.createTask(napper('sibling', 10));
      tg.createTask(failing());
      yield* napper('body', 10);
    });
  } catch (err) {
    const group = err as ExceptionGroup;
    console.log(`${now()} ${group.name}: ${group.exceptions.map((e) => (e as Error).message).join(', ')}; cancelling() = ${currentTask()!.cancelling()}`);
  }
}

await run(main(), { virtualTime: true });

// expect:
// t=1 after cancel(): cancelling() = 1
//   t=1 t: CancelledError at its yield* ("stop")
// t=1 awaiting it rethrows the same error: CancelledError "stop"
//   t=3 body: CancelledError at its yield*
// t=3 TimeoutError: true; main's cancelling() is back to 0
//   t=4 victim: CancelledError at its yield* ("from outside")
// t=4 the victim ends with CancelledError, not TimeoutError
//   t=5 sibling: CancelledError at its yield*
//   t=5 body: CancelledError at its yield*
// t=5 ExceptionGroup: child failed; cancelling() = 0
