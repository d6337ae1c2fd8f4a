/**
 * docs/node.md, "Promise APIs from a coroutine": wrapPromise, in its two forms.
 * Real code: lib/promises.ts → wrapPromise, _PromiseFuture; lib/tasks.ts → Task.signal.
 *
 * Reads and writes a file in a temp dir with fs.promises, then shows what cancelling a
 * task does to the Promise work it waits on.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CancelledError, TimeoutError, createTask, currentTask, run, sleep, waitFor, wrapPromise, type Coro,
} from '../../../lib/index.ts';

function* files(): Coro<void> {
  const dir = yield* wrapPromise(mkdtemp(join(tmpdir(), 'yieldio-')));
  try {
    const path = join(dir, 'hello.txt');
    yield* wrapPromise(writeFile(path, 'hello from fs.promises\n'));
    const text = yield* wrapPromise(readFile(path, 'utf8')); // typed string
    console.log(text.trimEnd());
    try {
      yield* wrapPromise(readFile(join(dir, 'missing.txt'), 'utf8'));
    } catch (err) {
      console.log('rejected with', (err as NodeJS.ErrnoException).code); // the very error object
    }
  } finally {
    yield* wrapPromise(rm(dir, { recursive: true }));
  }
}

function* slowCall(): Coro<string> {
  try {
    // The function form: the signal aborts when the task waiting here is cancelled.
    return yield* wrapPromise((signal) => {
      signal.addEventListener('abort', () => console.log(`signal aborted: ${signal.reason}`));
      return delay(10_000, 'too late', { signal });
    });
  } finally {
    console.log('slowCall: finally');
  }
}

function* main(): Coro<void> {
  yield* files();

  const task = createTask(slowCall());
  yield* sleep(0.01);
  task.cancel('the user gave up');
  try {
    yield* task;
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
    console.log(`${err.name}: ${err.message}`);
  }

  // task.signal: aborted when the task ends, so every call made with it stops with the task.
  try {
    yield* waitFor(createTask(poll()), 0.01);
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    console.log('waitFor: TimeoutError');
  }
}

function* poll(): Coro<void> {
  const signal = currentTask()!.signal;
  signal.addEventListener('abort', () => console.log('task.signal aborted: the 10 s timer is cleared'));
  yield* wrapPromise(delay(10_000, 'tick', { signal }));
}

await run(main());

// expect:
// hello from fs.promises
// rejected with ENOENT
// signal aborted: CancelledError: the user gave up
// slowCall: finally
// CancelledError: the user gave up
// waitFor: TimeoutError
// task.signal aborted: the 10 s timer is cleared
