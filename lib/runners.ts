/**
 * Runner and run — asyncio/runners.py.
 *
 * `await run(main())` is the one bridge from Node's world of Promises into yieldio's
 * world of coroutines: it makes a fresh loop, runs `main` as a task, and settles the
 * returned Promise with main's result or error. As in CPython it is written on top of
 * `Runner`: make a runner, `runner.run(main)`, then `runner.close()` whatever happened.
 *
 * A Runner owns one loop for several `run()` calls, one after another:
 *
 *   CREATED ──run() / getLoop()──▶ IDLE ──run()──▶ RUNNING ──main done──▶ IDLE
 *   IDLE ──close()──▶ CLOSING ──every other task done──▶ CLOSED
 *   CREATED ──close()──▶ CLOSED
 *
 * - CREATED: no loop yet (asyncio makes it lazily too).
 * - IDLE: the loop exists and nothing drives it. Tasks a previous `run()` left pending
 *   stay on it, frozen until the next `run()` or `close()`, as in asyncio.
 * - RUNNING: a driver runs the loop until the main task is done (asyncio's
 *   `run_until_complete`). A SIGINT cancels the main task (`#onInterrupt`).
 * - CLOSING: asyncio's `_cancel_all_tasks`: every task still pending is cancelled and
 *   awaited; an error one of them raises instead of finishing is reported.
 * - CLOSED: clients and servers never closed and exceptions no one retrieved have been
 *   reported, signal handlers removed (lib/signals.ts), the loop closed.
 *
 * A deadlock (the driver finds nothing ready, no timer, no I/O) while RUNNING is
 * recorded with a report of every pending task and what it waits on, then the tasks
 * are cancelled so their `finally` blocks run, and `run()` rejects with the report. In
 * CLOSING, or a second time while RUNNING (a task that ignores cancellation and waits
 * forever), it ends the drive at once.
 *
 * Ctrl-C, as asyncio.run does it: the first SIGINT cancels the main task; if the task
 * then ends cancelled, `run()` rejects with KeyboardInterrupt once its `finally` blocks
 * ran (and, for `run()`, once `close()` cancelled the other tasks). A main that catches
 * the CancelledError and returns makes `run()` resolve. A second SIGINT ends the
 * process. The process listener is shared by all runs in progress (lib/signals.ts).
 */
import { EventLoop, type ExceptionHandler, type LoopOptions } from './loop.ts';
import { Driver } from './driver.ts';
import { _getRunningLoop } from './events.ts';
import { checkCoroutine, type Coro } from './coroutines.ts';
import { DeadlockError, KeyboardInterrupt, RuntimeError } from './exceptions.ts';
import type { Future } from './futures.ts';
import type { Task } from './tasks.ts';
import { gather } from './gather.ts';
import { describeWaits } from './report.ts';
import { _hasSignalHandler, _listenForInterrupts, type InterruptResponse } from './signals.ts';
import type { TraceRecorder } from './trace.ts';

/** The options of `new Runner(options)`: the loop's, and how the runner treats it. */
export interface RunnerOptions extends LoopOptions {
  /** Installed before anything runs; see `loop.setExceptionHandler`. */
  exceptionHandler?: ExceptionHandler;
  /** Called with the new loop before anything runs (e.g. to set a task factory). */
  setup?: (loop: EventLoop) => void;
  /** Records a timeline of the run (trace.ts); export it with trace-export.ts. */
  trace?: TraceRecorder;
  /**
   * Ctrl-C (SIGINT) cancels the main task, as in asyncio (default true). With false,
   * SIGINT is left to Node: by default it ends the process at once.
   */
  handleSignals?: boolean;
}

/** The options of one `runner.run(coro, options)`. */
export interface RunnerRunOptions {
  /** Aborting it cancels the main task, with the abort reason as the message. */
  signal?: AbortSignal;
}

/** The options of `run(main, options)`: a Runner's and its one run's. */
export interface RunOptions extends RunnerOptions, RunnerRunOptions {}

/** The states of a Runner; see the file header. */
export type RunnerState = 'CREATED' | 'IDLE' | 'RUNNING' | 'CLOSING' | 'CLOSED';

/**
 * Runs `main` on a fresh event loop and returns a Promise of its result: a Runner that
 * runs it once and closes. The Promise rejects with main's error, a DeadlockError, or
 * KeyboardInterrupt after a Ctrl-C (see Runner.run).
 *
 * @example
 * function* main(): Coro<number> { yield* sleep(0.1); return 42; }
 * const answer = await run(main());
 * await run(main(), { signal: AbortSignal.timeout(5000) }); // cancelled after 5 s
 * @see asyncio `asyncio.run(main(), debug=None)`
 */
export function run<T>(main: Coro<T>, options: RunOptions = {}): Promise<T> {
  if (_getRunningLoop() !== null) {
    throw new RuntimeError('run() cannot be called from a running event loop: inside a coroutine, await the coroutine with `yield* coro()` or start it with createTask(coro()).');
  }
  checkCoroutine(main, 'run()');
  const runner = new Runner(options);
  return runThenClose(runner, runner.run(main, options));
}

/**
 * `with Runner() as runner: return runner.run(main)`: close() runs however run() ended,
 * and an error of its own wins, as one raised in `__exit__` does.
 */
async function runThenClose<T>(runner: Runner, result: Promise<T>): Promise<T> {
  try {
    return await result;
  } finally {
    await runner.close();
  }
}

/**
 * One event loop for several coroutines run one after another, then closed — for a
 * test suite, a REPL, or a program that enters yieldio more than once. `run(main)` is
 * `new Runner()`, `runner.run(main)`, `runner.close()`.
 *
 * @example
 * await using runner = new Runner({ debug: true });
 * const config = await runner.run(loadConfig());
 * await runner.run(serve(config)); // same loop: what loadConfig() left running goes on
 * @see asyncio `asyncio.Runner(debug=None)` (3.11+), used as `with Runner() as runner:`
 */
export class Runner implements AsyncDisposable {
  #state: RunnerState = 'CREATED';
  readonly #options: RunnerOptions;
  /** Null while CREATED; the loop from then on (closed once CLOSED). */
  #loop: EventLoop | null = null;
  /** The main task of the latest run(), for close() (see `#cancelAllTasks`). */
  #lastMain: Task<unknown> | null = null;
  /** Did a SIGINT cancel this run's main task? asyncio's `_interrupt_count`. */
  #interrupt: 'NONE' | 'MAIN_CANCELLED' = 'NONE';
  /** close()'s Promise, once CLOSING (a second close() waits for the same end). */
  #closing: Promise<void> | null = null;

  constructor(options: RunnerOptions = {}) {
    this.#options = options;
  }

  /**
   * The runner's state (see the file header).
   *
   * @example
   * if (runner.state !== 'CLOSED') await runner.close();
   * @see asyncio `Runner._state` (private there)
   */
  get state(): RunnerState {
    return this.#state;
  }

  /**
   * The runner's loop, made on first use (with the options given to the constructor).
   *
   * @example
   * const loop = runner.getLoop();
   * loop.addSignalHandler('SIGTERM', () => stopping.set());
   * @see asyncio `Runner.get_loop()`
   */
  getLoop(): EventLoop {
    return this.#init('getLoop');
  }

  /**
   * Runs `coro` as the main task on the runner's loop until it is done, and returns a
   * Promise of its result. Tasks it started and left pending stay on the loop for the
   * next run() (or close()). On Ctrl-C the main task is cancelled; if it ends
   * cancelled the Promise rejects with KeyboardInterrupt, and a second Ctrl-C ends the
   * process (see lib/signals.ts). `options.signal` aborting cancels it too.
   *
   * @example
   * const runner = new Runner();
   * const a = await runner.run(fetchAll(urls));
   * const b = await runner.run(summarise(a));
   * await runner.close();
   * @see asyncio `Runner.run(coro)`
   */
  run<T>(coro: Coro<T>, options: RunnerRunOptions = {}): Promise<T> {
    checkCoroutine(coro, 'Runner.run()');
    if (_getRunningLoop() !== null) {
      throw new RuntimeError('Runner.run() cannot be called from a running event loop: inside a coroutine, await the coroutine with `yield* coro()` or start it with createTask(coro()).');
    }
    if (this.#state === 'RUNNING') {
      throw new RuntimeError('Runner.run() is already running a coroutine on this runner: await the first runner.run() before starting the next, or start more work inside it with createTask().');
    }
    const loop = this.#init('run');
    const main = loop.createTask(coro, options.signal === undefined ? undefined : { signal: options.signal });
    return this.#runMain(loop, main);
  }

  /**
   * Cancels every task still pending on the loop and waits for them (their `finally`
   * blocks run), reports what nobody closed or retrieved, removes the loop's signal
   * handlers and closes the loop. Rejects with a DeadlockError if the cancelled tasks
   * can never finish. Calling it again waits for the same end; a closed runner cannot run.
   *
   * @example
   * const runner = new Runner();
   * try { await runner.run(main()); } finally { await runner.close(); }
   * @see asyncio `Runner.close()`
   */
  close(): Promise<void> {
    switch (this.#state) {
      case 'RUNNING':
        throw new RuntimeError('Runner.close() while runner.run() is in progress: await the run first (an AbortSignal given to run() can cancel it).');
      case 'CREATED':
        this.#state = 'CLOSED';
        return Promise.resolve();
      case 'CLOSED':
        return Promise.resolve();
      case 'CLOSING':
        return this.#closing as Promise<void>;
      case 'IDLE':
        this.#state = 'CLOSING';
        this.#closing = this.#shutdown(this.#loop as EventLoop);
        return this.#closing;
    }
  }

  /**
   * `await using runner = new Runner()`: close() when the block ends.
   *
   * @example
   * { await using runner = new Runner(); await runner.run(main()); } // closed here
   * @see asyncio `Runner.__exit__` (`with Runner() as runner:`)
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** CREATED → IDLE: makes the loop (asyncio's `_lazy_init`); refuses once closing. */
  #init(where: string): EventLoop {
    if (this.#state === 'CLOSING' || this.#state === 'CLOSED') {
      throw new RuntimeError(`Runner.${where}() after close(): a closed Runner's loop is gone for good — make a new Runner.`);
    }
    if (this.#loop !== null) return this.#loop;
    const options = this.#options;
    const loop = new EventLoop(options);
    if (options.exceptionHandler) loop.setExceptionHandler(options.exceptionHandler);
    options.trace?.attach(loop);
    try {
      options.setup?.(loop);
    } catch (err) {
      loop.close(); // removes any signal handler setup added, whose keep-alive would hold the process
      throw err;
    }
    this.#loop = loop;
    this.#state = 'IDLE';
    return loop;
  }

  /** IDLE → RUNNING → IDLE: drives the loop until `main` is done, listening for Ctrl-C. */
  async #runMain<T>(loop: EventLoop, main: Task<T>): Promise<T> {
    this.#state = 'RUNNING';
    this.#lastMain = main;
    this.#interrupt = 'NONE';
    const stopListening = this.#options.handleSignals === false ? null : _listenForInterrupts(() => this.#onInterrupt(loop, main));
    let deadlock: DeadlockError | null;
    try {
      deadlock = await runUntilComplete(loop, main, (again) => this.#onStuck(loop, again));
    } finally {
      stopListening?.();
      this.#state = 'IDLE';
    }
    return this.#outcome(main, deadlock);
  }

  /**
   * The loop is stuck while RUNNING (runUntilComplete has the report): cancel every
   * task so their `finally` blocks run — main's end then stops the drive — unless it
   * is stuck again after those cancels (a task caught its CancelledError and waits
   * again): cancelling once more would loop forever.
   */
  #onStuck(loop: EventLoop, again: boolean): 'KEEP_DRIVING' | 'STOP' {
    if (again) return 'STOP';
    for (const task of loop._allTasks()) task.cancel('deadlock');
    return 'KEEP_DRIVING';
  }

  /** main's outcome as run()'s. asyncio: `except CancelledError: ... raise KeyboardInterrupt()`. */
  #outcome<T>(main: Task<T>, deadlock: DeadlockError | null): T {
    // Retrieved in every case: main's own error is never reported as unretrieved.
    if (main.done() && !main.cancelled()) main.exception();
    if (deadlock !== null) throw deadlock;
    // Ctrl-C's cancel, and no other one still asked for (uncancel() back to 0): the
    // cancellation was the interrupt. A main that caught it and returned is not here.
    if (main.cancelled() && this.#interrupt === 'MAIN_CANCELLED' && main.uncancel() === 0) {
      throw new KeyboardInterrupt(undefined, { cause: cancelledErrorOf(main) });
    }
    return main.result();
  }

  /**
   * A SIGINT arrived (called from the process listener, outside the loop). asyncio:
   * `Runner._on_sigint`.
   */
  #onInterrupt(loop: EventLoop, main: Task<unknown>): InterruptResponse {
    // The loop's own SIGINT handler (addSignalHandler) owns Ctrl-C: in asyncio it
    // replaces the runner's handler.
    if (_hasSignalHandler(loop, 'SIGINT')) return 'NOT_MINE';
    if (this.#interrupt === 'NONE' && !main.done()) {
      this.#interrupt = 'MAIN_CANCELLED';
      main.cancel(); // queues the task's next step, which wakes the driver
      return 'CANCELLED_MAIN';
    }
    return 'END_PROCESS';
  }

  /** IDLE → CLOSING → CLOSED; the state is CLOSED however the shutdown ends. */
  async #shutdown(loop: EventLoop): Promise<void> {
    try {
      await this.#cancelAllTasks(loop);
    } finally {
      loop._closeLeftovers(); // clients, servers and Promise waits never closed
      loop._reportAllUnretrieved();
      loop.close(); // removes the signal handlers too
      this.#state = 'CLOSED';
    }
  }

  /**
   * asyncio's `_cancel_all_tasks`: cancel what is left, drive the loop until all of it
   * is done, and report an error one raised instead of stopping.
   */
  async #cancelAllTasks(loop: EventLoop): Promise<void> {
    // The last run() ended with its main task pending only if the loop got stuck twice
    // (#runMain): every task has ignored a cancel already; another would do the same.
    if (this.#lastMain !== null && !this.#lastMain.done()) return;
    const remaining = [...loop._allTasks()];
    if (remaining.length === 0) return;
    for (const task of remaining) task.cancel();
    const deadlock = await runUntilComplete(loop, gather(remaining, { returnExceptions: true }), () => 'STOP');
    if (deadlock !== null) throw deadlock;
    for (const task of remaining) {
      if (!task.cancelled() && task._hasException()) {
        loop.callExceptionHandler({
          message: `unhandled exception during run() shutdown in ${task.toString()}`,
          exception: task.exception(),
          task,
        });
      }
    }
  }
}

/**
 * Drives `loop` inside Node's until `until` is done — asyncio's `run_until_complete` —
 * and resolves once the driver stopped, outside any loop iteration, with the first
 * deadlock met (or null). When the loop is stuck, `onStuck` says whether to go on
 * (`again` is true from the second time on).
 */
function runUntilComplete(
  loop: EventLoop,
  until: Future<unknown>,
  onStuck: (again: boolean) => 'KEEP_DRIVING' | 'STOP',
): Promise<DeadlockError | null> {
  return new Promise((resolve) => {
    let first: DeadlockError | null = null;
    const driver: Driver = new Driver(loop, {
      onStuck: () => {
        const again = first !== null;
        first ??= new DeadlockError(
          `deadlock: nothing is ready, no timer is armed and no I/O is pending, so these tasks can never resume:\n${describeWaits(loop)}`,
        );
        if (onStuck(again) === 'STOP') driver.requestStop();
      },
      onStopped: () => resolve(first),
    });
    until.addDoneCallback(() => driver.requestStop());
    driver.start();
  });
}

/** The CancelledError a cancelled task raises. */
function cancelledErrorOf(task: Task<unknown>): unknown {
  try {
    task.result();
  } catch (error) {
    return error;
  }
  return undefined;
}
