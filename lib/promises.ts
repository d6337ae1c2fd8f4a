/**
 * The Promise border — asyncio's `wrap_future` and `run_coroutine_threadsafe`, for
 * Node's Promises.
 *
 * Everything else in `lib/` is Promise-free: the loop steps generators, and a Promise
 * cannot be stepped, cancelled at an await point, or counted. This file is the narrow
 * door between the two worlds (DESIGN.md, "The Node world"):
 *
 *     Node Promise ──wrapPromise──▶ Future   (a coroutine waits on outside work)
 *     Future/Task  ──toPromise────▶ Promise  (async code waits on a coroutine)
 *     coroutine    ──loop.runCoroutine──▶ Promise (async code starts one on a running loop)
 *
 * ## An outside wait is counted, as a socket wait is
 *
 * The driver reports a deadlock when nothing is ready, no timer is armed and no I/O is
 * pending. A Promise is I/O from the loop's point of view: something outside will
 * settle it. So a pending `wrapPromise` future holds one count of the loop's I/O waits
 * (`_ioRef`) from its creation until the Promise settles or the future is cancelled —
 * exactly once, however it ends. Then a task awaiting a Promise is never reported as
 * deadlocked, and tasks waiting on yieldio futures nobody will set still are.
 *
 * ## Where the coroutine resumes
 *
 * The Promise's reaction runs in a microtask, outside any loop iteration. It only sets
 * the future's result, and that only appends the waiting task to the ready queue and
 * wakes the driver; the task's step runs in the loop's next iteration, inside a driver
 * tick. Resuming the coroutine in the microtask itself would run user code outside the
 * loop (no running loop, `currentTask()` wrong) and let a chain of Promises starve
 * sockets, since microtasks run before Node polls for I/O (docs/decisions.md).
 */
import type { EventLoop } from './loop.ts';
import { Future } from './futures.ts';
import { Task } from './tasks.ts';
import { getRunningLoop } from './events.ts';
import { CancelledError, RuntimeError } from './exceptions.ts';
import { describeValue } from './coroutines.ts';

/** What `wrapPromise` accepts: a Promise (any thenable), or a function of an AbortSignal returning one. */
export type PromiseSource<T> = PromiseLike<T> | ((signal: AbortSignal) => PromiseLike<T>);

/**
 * A Future settled by a Promise. Cancelling it aborts the signal handed to the
 * function form and ends the outside wait at once; the Promise's later outcome is
 * dropped (a rejection included: it is handled, so Node reports nothing).
 *
 * Invariant: `#counted` is true exactly while this future holds one of the loop's
 * I/O-wait counts — from construction until the first of settle or cancel.
 * @internal
 */
export class _PromiseFuture<T> extends Future<T> {
  #counted = true;
  #controller: AbortController | null;

  constructor(loop: EventLoop, controller: AbortController | null) {
    super(loop);
    this.#controller = controller;
    loop._ioRef();
    // The function form, still pending when run() ends (never awaited: a task awaiting
    // it is cancelled at shutdown, which cancels it), is reported and cancelled, which
    // aborts its signal — the outside work stops with the loop. A bare Promise is its
    // caller's: cancelling would stop nothing, so it is not tracked (and not paid for:
    // the registry costs ~20 % of an await, bench/border.ts P1). In debug mode the
    // report says where it was made, as for a Server or an AsyncClient.
    if (controller !== null) {
      const stack = loop.getDebug() ? new Error().stack ?? '' : '';
      loop._registerResource(this, 'a wrapPromise(fn) wait nobody awaited', stack, undefined, closeAtExit);
    }
  }

  /** The Promise settled: pass its outcome on, unless the future was cancelled first. */
  _settle(ok: boolean, value: unknown): void {
    if (!this.#release()) return; // cancelled already: the outcome has no one to go to
    this.#controller = null;
    if (this._loop.isClosed()) return; // its run() is over: nothing can be scheduled
    // Set by hand (misuse): an InvalidStateError thrown here, inside the Promise's
    // reaction, would be an unhandled rejection — fatal in Node. Drop the outcome.
    if (this.done()) return;
    if (ok) this.setResult(value as T);
    else if (value instanceof CancelledError) this.cancel(value.message || undefined);
    else this.setException(value);
  }

  override cancel(msg?: string): boolean {
    if (!super.cancel(msg)) return false;
    this.#release();
    const controller = this.#controller;
    this.#controller = null;
    // The reason is the CancelledError itself, so an aborted fetch() rejects with it.
    controller?.abort(new CancelledError(msg));
    return true;
  }

  /** Ends the outside wait; false if it had ended already. */
  #release(): boolean {
    if (!this.#counted) return false;
    this.#counted = false;
    this._loop._ioUnref();
    if (this.#controller !== null) this._loop._resourceClosed(this);
    return true;
  }

  override toString(): string {
    return `<Future ${this._describeState()} wrapping a Promise>`;
  }
}

/**
 * A Future that follows a Promise: `yield* wrapPromise(p)` returns the value `p`
 * fulfils with, or throws what it rejects with (the very object, stack intact).
 *
 * Give a function instead of a Promise to make the work cancellable: it is called at
 * once with an AbortSignal, which is aborted (with a CancelledError as its reason) if
 * the future is cancelled — as it is when the task awaiting it is cancelled.
 *
 * While pending the future counts as an outside wait, so the loop never reports a
 * task waiting on a Promise as deadlocked (see the file header).
 *
 * @example
 * const text = yield* wrapPromise(fs.promises.readFile(path, 'utf8'));
 * const res = yield* wrapPromise((signal) => fetch(url, { signal }));
 * @see asyncio `asyncio.wrap_future(concurrent_future)`
 */
export function wrapPromise<T>(source: PromiseSource<T>, loop: EventLoop = getRunningLoop()): Future<Awaited<T>> {
  if (typeof source === 'function') {
    const controller = new AbortController();
    const fut = new _PromiseFuture<Awaited<T>>(loop, controller);
    let promise: PromiseLike<T>;
    try {
      promise = source(controller.signal);
    } catch (err) {
      // As an async function would: a synchronous throw becomes the rejection.
      fut._settle(false, err);
      return fut;
    }
    if (!_isThenable(promise)) {
      fut._settle(false, new TypeError(`wrapPromise(fn): fn must return a Promise, but it returned ${describeValue(promise)}.`));
      return fut;
    }
    follow(promise, fut);
    return fut;
  }
  if (!_isThenable(source)) {
    throw new TypeError(`wrapPromise() expects a Promise or a function (signal) => Promise, but got ${describeValue(source)}. A yieldio Future or coroutine is awaited directly with \`yield*\`.`);
  }
  const fut = new _PromiseFuture<Awaited<T>>(loop, null);
  follow(source, fut);
  return fut;
}

/** `_closeLeftovers` calls this with the future as `this`. */
function closeAtExit(this: _PromiseFuture<unknown>): void {
  this.cancel('run() ended before the Promise settled');
}

function follow<T>(promise: PromiseLike<T>, fut: _PromiseFuture<Awaited<T>>): void {
  try {
    promise.then(
      (value) => fut._settle(true, value),
      (reason) => fut._settle(false, reason),
    );
  } catch (err) {
    // A thenable whose then() throws: its failure, as `await` would see it — and the
    // wait counted in the constructor ends here rather than never.
    fut._settle(false, err);
  }
}

/** Is `value` a Promise or any thenable? (`await` and `Promise.resolve` ask the same.) @internal */
export function _isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * A Promise of a Future's or Task's outcome, for async code: it fulfils with the
 * result, rejects with the exception (which then counts as retrieved: no "never
 * retrieved" report), or rejects with a CancelledError if the future was cancelled.
 * Works for a future of any loop, running or done.
 *
 * @example
 * const task = loop.createTask(work());
 * const value = await toPromise(task);
 * @see asyncio `asyncio.wrap_future` in the other direction (`concurrent.futures`' result())
 */
export function toPromise<T>(awaitable: Future<T>): Promise<T> {
  if (!(awaitable instanceof Future)) {
    const hint = awaitable !== null && typeof awaitable === 'object' && typeof (awaitable as Iterator<unknown>).next === 'function'
      ? ' For a coroutine, use loop.runCoroutine(coro) (a running loop) or run(coro) (a new one).'
      : '';
    throw new TypeError(`toPromise() expects a yieldio Future or Task, but got ${describeValue(awaitable)}.${hint}`);
  }
  return new Promise<T>((resolve, reject) => {
    const settle = (fut: Future<T>): void => {
      try {
        resolve(fut.result()); // marks an exception as retrieved, as asyncio's result() does
      } catch (err) {
        reject(err);
      }
    };
    if (awaitable.done()) settle(awaitable);
    else if (awaitable._loop.isClosed()) reject(new RuntimeError(`toPromise(): ${awaitable.toString()} is pending on a closed event loop, so it can never complete.`));
    else awaitable.addDoneCallback(settle);
  });
}

/** Options of `loop.runCoroutine`. */
export interface RunCoroutineOptions {
  /** Cancels the task when aborted (as `createTask(coro, {signal})`). */
  signal?: AbortSignal;
  /** The task's name. */
  name?: string;
}

/**
 * The body of `loop.runCoroutine(coro)`: a task on `loop`, and a Promise of its outcome.
 * @internal
 */
export function _runCoroutine<T>(loop: EventLoop, coro: Iterator<unknown, T, unknown> & Iterable<unknown>, options?: RunCoroutineOptions): Promise<T> {
  if (loop.isClosed()) {
    return Promise.reject(new RuntimeError('runCoroutine() on a closed event loop: its run() has ended. Start the coroutine with run(coro) instead, or keep the loop alive (a Runner) while async code hands it work.'));
  }
  let task: Task<T>;
  try {
    task = loop.createTask(coro as Generator<unknown, T, unknown>, options);
  } catch (err) {
    return Promise.reject(err); // a misuse (not a coroutine…): a Promise API rejects, it does not throw
  }
  return toPromise(task);
}
