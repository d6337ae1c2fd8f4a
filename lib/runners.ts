/**
 * run — asyncio/runners.py.
 *
 * `await run(main())` is the one bridge from Node's world of Promises into yieldio's
 * world of coroutines: it makes a fresh loop, runs `main` as a task, and settles the
 * returned Promise with main's result or error.
 *
 * The runner's life, as explicit states:
 *
 *   MAIN ──main done──▶ SHUTDOWN ──every other task done──▶ CLOSED
 *
 * - MAIN: the driver runs the loop until the main task is done.
 * - SHUTDOWN: asyncio's `_cancel_all_tasks`: every task still pending is cancelled and
 *   awaited; an error one of them raises instead of finishing is reported.
 * - CLOSED: in debug mode, clients and servers never closed are reported (loop.ts
 *   `_reportLeaks`); then exceptions no one retrieved; the loop is closed, the Promise
 *   settles.
 *
 * A deadlock (the driver finds nothing ready, no timer, no I/O) in MAIN is recorded
 * with a report of every pending task and what it waits on, then the tasks are
 * cancelled so their `finally` blocks run, and `run()` rejects with the report. In
 * SHUTDOWN, or a second time in MAIN (a task that ignores cancellation and waits
 * forever), it ends the run at once.
 */
import { EventLoop, type ExceptionHandler, type LoopOptions } from './loop.ts';
import { Driver } from './driver.ts';
import { _getRunningLoop } from './events.ts';
import { checkCoroutine, type Coro } from './coroutines.ts';
import { DeadlockError, RuntimeError } from './exceptions.ts';
import type { Task } from './tasks.ts';
import { gather } from './gather.ts';
import { describeWaits } from './report.ts';
import type { TraceRecorder } from './trace.ts';

export interface RunOptions extends LoopOptions {
  /** Installed before main starts; see `loop.setExceptionHandler`. */
  exceptionHandler?: ExceptionHandler;
  /** Called with the new loop before main starts (e.g. to set a task factory). */
  setup?: (loop: EventLoop) => void;
  /** Records a timeline of the run (trace.ts); export it with trace-export.ts. */
  trace?: TraceRecorder;
}

type RunnerState = 'MAIN' | 'SHUTDOWN' | 'CLOSED';

/**
 * Runs `main` on a fresh event loop and returns a Promise of its result.
 *
 * @example
 * function* main(): Coro<number> { yield* sleep(0.1); return 42; }
 * const answer = await run(main());
 * @see asyncio `asyncio.run(main(), debug=None)`
 */
export function run<T>(main: Coro<T>, options: RunOptions = {}): Promise<T> {
  if (_getRunningLoop() !== null) {
    throw new RuntimeError('run() cannot be called from a running event loop: inside a coroutine, await the coroutine with `yield* coro()` or start it with createTask(coro()).');
  }
  checkCoroutine(main, 'run()');
  return new Promise<T>((resolve, reject) => {
    new Runner<T>(main, options, resolve, reject);
  });
}

class Runner<T> {
  #state: RunnerState = 'MAIN';
  readonly #loop: EventLoop;
  readonly #driver: Driver;
  readonly #main: Task<T>;
  #deadlock: DeadlockError | null = null;
  readonly #resolve: (value: T) => void;
  readonly #reject: (error: unknown) => void;

  constructor(main: Coro<T>, options: RunOptions, resolve: (value: T) => void, reject: (error: unknown) => void) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#loop = new EventLoop(options);
    if (options.exceptionHandler) this.#loop.setExceptionHandler(options.exceptionHandler);
    options.trace?.attach(this.#loop);
    options.setup?.(this.#loop);
    this.#driver = new Driver(this.#loop, {
      onStuck: () => this.#onStuck(),
      onStopped: () => this.#close(),
    });
    this.#main = this.#loop.createTask(main);
    this.#main.addDoneCallback(() => this.#shutdown());
    this.#driver.start();
  }

  /** MAIN → SHUTDOWN: cancel what is left and wait for it (runs inside the loop). */
  #shutdown(): void {
    this.#state = 'SHUTDOWN';
    const remaining = [...this.#loop._allTasks()];
    if (remaining.length === 0) return this.#driver.requestStop();
    for (const task of remaining) task.cancel();
    gather(remaining, { returnExceptions: true }).addDoneCallback(() => {
      for (const task of remaining) {
        if (!task.cancelled() && task._hasException()) {
          this.#loop.callExceptionHandler({
            message: `unhandled exception during run() shutdown in ${task.toString()}`,
            exception: task.exception(),
            task,
          });
        }
      }
      this.#driver.requestStop();
    });
  }

  #onStuck(): void {
    const error = new DeadlockError(
      `deadlock: nothing is ready, no timer is armed and no I/O is pending, so these tasks can never resume:\n${describeWaits(this.#loop)}`,
    );
    if (this.#state === 'MAIN' && this.#deadlock === null) {
      this.#deadlock = error;
      // Cancel them so their `finally` blocks run; the main task's end starts SHUTDOWN.
      for (const task of this.#loop._allTasks()) task.cancel('deadlock');
    } else {
      // In SHUTDOWN, or stuck again after those cancels (a task caught its
      // CancelledError and waits again): cancelling once more would loop forever.
      this.#deadlock ??= error;
      this.#driver.requestStop();
    }
  }

  /** → CLOSED: settle the Promise (outside any loop iteration). */
  #close(): void {
    this.#state = 'CLOSED';
    const main = this.#main;
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    if (this.#deadlock !== null) outcome = { ok: false, error: this.#deadlock };
    else if (!main.done()) outcome = { ok: false, error: new RuntimeError('run() ended before its main task finished.') };
    else {
      try {
        outcome = { ok: true, value: main.result() };
      } catch (error) {
        outcome = { ok: false, error };
      }
    }
    // Retrieving main's outcome first keeps its own error out of the report below.
    if (main.done() && !main.cancelled()) main.exception();
    this.#loop._reportLeaks(); // debug mode: clients and servers never closed
    this.#loop._reportAllUnretrieved();
    this.#loop.close();
    if (outcome.ok) this.#resolve(outcome.value);
    else this.#reject(outcome.error);
  }
}
