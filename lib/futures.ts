/**
 * Future — asyncio/futures.py.
 *
 * A Future is a box for a result that does not exist yet. Some code sets the result
 * (or an exception, or cancels it); other code waits for it with `yield* fut`.
 *
 * States (a named union, never booleans):
 *
 *     PENDING ──setResult/setException──▶ FINISHED
 *        └──────────cancel()────────────▶ CANCELLED
 *
 * Invariants — one slot, `#result`, serves every state (a future is allocated per
 * await, so each field costs; see the W3/W5 rows of docs/benchmarks.md):
 * - PENDING: `#result` is unset; `#callbacks` collects done-callbacks: null for none,
 *   the callback itself for one (nearly every future: the one task awaiting it — no
 *   array allocated, W3), an array for more.
 * - FINISHED: `#result` is the result, or the exception when `#hasException`.
 * - CANCELLED: `#result` is the message given to `cancel(msg)`, replaced by the
 *   CancelledError itself once one is made (so every awaiter sees the same error).
 * - Leaving PENDING happens once; a second attempt throws InvalidStateError naming
 *   the state. Done-callbacks are then *scheduled* with the loop, never called inline,
 *   so `setResult()` never runs foreign code on the caller's stack.
 * - Done: `#callbacks` holds the callbacks scheduled when the future completed and not
 *   run yet — the future itself sits in the ready queue for them, once (see
 *   `scheduleCallbacks`) — or null. They no longer count as registered:
 *   `removeDoneCallback()` cannot reach them, as in asyncio, where they have already
 *   gone to `call_soon`.
 *
 * ## How `yield* fut` works (CPython's `Future.__await__`)
 *
 * A Future is its own iterator. `yield* fut` calls `fut.next()`:
 * - pending: the future hands the Task stepping the coroutine the shared marker
 *   `AWAITING`, an IteratorResult whose `value` is the future. `yield*` passes an inner
 *   iterator's result object up unchanged (ECMA-262 GeneratorYield of the inner
 *   result), through every level of a `yield*` chain, so `coro.next()` in the Task
 *   returns that very object. The task takes the future out of it, registers its
 *   wake-up as a done-callback and sleeps. When the future completes the task calls
 *   `coro.next()` again, which reaches `fut.next()` a second time:
 * - done: it returns `DONE`, the other shared IteratorResult, holding `this.result()`,
 *   so `yield*` evaluates to the result — or `result()` throws the stored exception
 *   into the coroutine. `yield*` reads the value at once; the Task empties the marker
 *   after each step so that it keeps no result alive.
 *
 * The iterator holds no state (it reads only the future's state), so one future can be
 * awaited by any number of coroutines at once, and no generator is allocated per
 * await (~20 % on ping-pong, ~120 bytes per parked task; see docs/benchmarks.md).
 * The marker is also what tells `yield* fut` from the mistake `yield fut`: a bare
 * `yield` makes the generator build a fresh IteratorResult, never `AWAITING`, and a
 * future yielded that way is an await only if it is the one whose `next()` filled the
 * marker — code that steps a coroutine by hand and hands its futures up (CPython marks
 * the future itself, `_asyncio_future_blocking`, to the same effect).
 * Nothing runs between `fut.next()` filling the marker and the Task emptying it (the
 * generator only suspends in between), so one shared object is enough — and it saves
 * both a per-future flag and an allocation per await (W3, docs/benchmarks-core.md).
 * The price: a result of `next()` is valid only until the next call of any future's
 * `next()`. `yield*`, for-of and the Task all read it at once; code that steps a
 * future by hand must too.
 */
import type { EventLoop } from './loop.ts';
import { CancelledError, InvalidStateError } from './exceptions.ts';
import { getRunningLoop } from './events.ts';
import { CURRENT } from './contextvars.ts';

/**
 * The states of the header's diagram, as data: each state's row maps a call to the state
 * it leads to (a call missing from a row is an InvalidStateError, or a no-op for
 * `cancel()`). docs/diagrams/future.md is drawn from this table by scripts/diagrams.ts.
 */
export const FUTURE_TRANSITIONS = {
  PENDING: { setResult: 'FINISHED', setException: 'FINISHED', cancel: 'CANCELLED' },
  FINISHED: {},
  CANCELLED: {},
} as const;

export type FutureState = keyof typeof FUTURE_TRANSITIONS;

/** A done-callback: called (via the loop) with the future once it is done. */
export type DoneCallback<T> = (fut: Future<T>) => void;

/**
 * Something the loop can run from its ready queue without a Handle: a Task whose next
 * step is due (see loop.ts). Futures accept one in place of a done-callback.
 */
export interface Runnable {
  /** @internal */
  _run(): void;
}

/**
 * The IteratorResult a pending future's `next()` returns, with the future as its value
 * (see the header). Only a Task's step reads it, and empties it at once so that it
 * never keeps a future alive.
 * @internal
 */
export const AWAITING: { readonly done: false; value: Future<unknown> | undefined } = { done: false, value: undefined };

/**
 * The IteratorResult a done future's `next()` returns, with its result (see the header);
 * emptied by the Task after each step.
 * @internal
 */
export const DONE: { readonly done: true; value: unknown } = { done: true, value: undefined };

export class Future<T = unknown> implements Iterator<unknown, T, unknown>, Runnable {
  #state: FutureState = 'PENDING';
  #result: unknown = undefined;
  #hasException = false;
  // Typed loosely on purpose: a precise `DoneCallback<T>` here would make Future<T>
  // invariant in T, and a Future<number> could no longer be passed as a Future<unknown>.
  #callbacks: DoneCallback<any> | Runnable | Array<DoneCallback<any> | Runnable> | null = null;
  /** @internal */ readonly _loop: EventLoop;

  /** A pending future bound to `loop` (default: the running loop). Prefer `loop.createFuture()`. */
  constructor(loop?: EventLoop) {
    this._loop = loop ?? getRunningLoop();
  }

  /** PENDING, CANCELLED or FINISHED. */
  get state(): FutureState {
    return this.#state;
  }

  done(): boolean {
    return this.#state !== 'PENDING';
  }

  cancelled(): boolean {
    return this.#state === 'CANCELLED';
  }

  getLoop(): EventLoop {
    return this._loop;
  }

  /**
   * The result; throws the stored exception, a CancelledError if cancelled, or
   * InvalidStateError while pending. Looking marks an exception as retrieved.
   */
  result(): T {
    if (this.#state === 'FINISHED') {
      if (!this.#hasException) return this.#result as T;
      this._loop._forgetUnretrieved(this);
      throw this.#result;
    }
    if (this.#state === 'CANCELLED') throw this._makeCancelledError();
    throw new InvalidStateError('result() of a PENDING future: the result is not ready yet — wait for it with `yield* fut` first.');
  }

  /** The exception set on the future, or null if it finished with a result. */
  exception(): unknown {
    if (this.#state === 'FINISHED') {
      if (!this.#hasException) return null;
      this._loop._forgetUnretrieved(this);
      return this.#result;
    }
    if (this.#state === 'CANCELLED') throw this._makeCancelledError();
    throw new InvalidStateError('exception() of a PENDING future: it is not done yet — wait for it with `yield* fut` first.');
  }

  setResult(result: T): void {
    this.checkPending('setResult()');
    this.#result = result;
    this.#state = 'FINISHED';
    this.scheduleCallbacks();
  }

  setException(exception: unknown): void {
    this.checkPending('setException()');
    if (exception instanceof CancelledError) {
      // asyncio refuses this too: cancellation is a state, not an error to store.
      throw new TypeError('setException() with a CancelledError: call cancel() to cancel a future.');
    }
    this.#result = exception;
    this.#hasException = true;
    this.#state = 'FINISHED';
    this._loop._noteUnretrieved(this, exception);
    this.scheduleCallbacks();
  }

  /**
   * Cancels the future and schedules its callbacks. Returns false if it was already
   * done (nothing changes), true otherwise.
   */
  cancel(msg?: string): boolean {
    if (this.#state !== 'PENDING') return false;
    this.#state = 'CANCELLED';
    this.#result = msg;
    this.scheduleCallbacks();
    return true;
  }

  /**
   * @internal Cancels with a given CancelledError, which awaiters will see: a Task whose
   * coroutine raised one, a gather whose child was cancelled.
   */
  _cancelWith(error: CancelledError): void {
    this.checkPending('cancel()');
    this.#state = 'CANCELLED';
    this.#result = error;
    this.scheduleCallbacks();
  }

  /** Adds a callback run (via `callSoon`) with this future once it is done; at once if done. */
  addDoneCallback(fn: DoneCallback<T>): void {
    this._addDoneCallback(fn);
  }

  /** @internal Also accepts a Runnable (a Task's wake-up) — see `Runnable`. */
  _addDoneCallback(fn: DoneCallback<T> | Runnable): void {
    if (this.#state !== 'PENDING') {
      // Done already: asyncio's call_soon, at this point of the ready queue (not with
      // the callbacks scheduled at completion, which may still be waiting their turn).
      this._loop._scheduleRunnable(typeof fn === 'function' ? new DoneCallbackHandle(fn, this) : fn);
    } else if (this.#callbacks === null) {
      this.#callbacks = fn;
    } else if (Array.isArray(this.#callbacks)) {
      this.#callbacks.push(fn);
    } else {
      this.#callbacks = [this.#callbacks, fn];
    }
  }

  /** Removes every registration of `fn`; returns how many were removed. */
  removeDoneCallback(fn: DoneCallback<T>): number {
    const callbacks = this.#callbacks;
    if (callbacks === null || this.#state !== 'PENDING') return 0;
    if (!Array.isArray(callbacks)) {
      if (callbacks !== fn) return 0;
      this.#callbacks = null;
      return 1;
    }
    const kept = callbacks.filter((cb) => cb !== fn);
    this.#callbacks = kept;
    return callbacks.length - kept.length;
  }

  /** @internal FINISHED with an exception (which may be any value, even null). */
  _hasException(): boolean {
    return this.#hasException;
  }

  /** The CancelledError that `result()` of a cancelled future throws. @internal */
  _makeCancelledError(): CancelledError {
    if (this.#result instanceof CancelledError) return this.#result;
    const error = new CancelledError(this.#result as string | undefined);
    this.#result = error;
    return error;
  }

  // ---- the iterator protocol: `yield* fut` (see the header) ----

  next(): IteratorResult<unknown, T> {
    if (this.#state === 'PENDING') {
      // Debug mode: every generator frame of the awaiting chain is on the stack right
      // now — the one moment the coroutine chain can be seen (callgraph.ts).
      if (this._loop._recordAwaitSites) this._loop._recordAwaitSite();
      AWAITING.value = this;
      return AWAITING;
    }
    DONE.value = this.result();
    return DONE as IteratorReturnResult<T>;
  }

  /**
   * `coro.throw(err)` while the coroutine is inside `yield* fut` arrives here; throwing
   * it again makes it surface at the `yield*` expression, where the coroutine can catch
   * it (how a Task delivers an error it was told to throw in).
   */
  throw(err: unknown): IteratorResult<unknown, T> {
    throw err;
  }

  // `value` is not optional: TypeScript folds the parameter type of return() into the
  // type of `yield* fut`, which would become `T | undefined`.
  return(value: T): IteratorResult<unknown, T> {
    return { done: true, value };
  }

  [Symbol.iterator](): this {
    return this;
  }

  toString(): string {
    return `<${this.constructor.name} ${this._describeState()}>`;
  }

  /** @internal `pending`, `cancelled`, `finished result=…` or `finished exception=…`. */
  _describeState(): string {
    if (this.#state === 'PENDING') return 'pending';
    if (this.#state === 'CANCELLED') return 'cancelled';
    if (this.#hasException) return `finished exception=${safeString(this.#result)}`;
    const r = safeString(this.#result);
    return `finished result=${r.length > 40 ? r.slice(0, 40) + '…' : r}`;
  }

  private checkPending(what: string): void {
    if (this.#state !== 'PENDING') {
      throw new InvalidStateError(`${what} on a ${this.#state} future: a future leaves PENDING only once (${this.toString()}).`);
    }
  }

  /**
   * The future is done: its callbacks are due. asyncio calls `call_soon` for each, which
   * puts them side by side at the end of the ready queue. Here the future itself takes
   * that place, once, and runs them in order when its turn comes (`_run`): the same
   * order, without a Handle per callback (W1 schedules one per child of the gather;
   * docs/benchmarks-core.md). One waiting task — nearly every future — is woken
   * directly: it is a Runnable already (W3).
   */
  private scheduleCallbacks(): void {
    const callbacks = this.#callbacks;
    if (callbacks === null) return;
    if (typeof callbacks === 'object' && !Array.isArray(callbacks)) {
      this.#callbacks = null;
      this._loop._scheduleRunnable(callbacks);
    } else {
      this._loop._scheduleRunnable(this);
    }
  }

  /**
   * @internal The ready queue reached this done future: run the callbacks it scheduled
   * when it completed. (A Task overrides `_run` with its step and comes here once done.)
   */
  _run(): void {
    const callbacks = this.#callbacks;
    if (callbacks === null) return;
    this.#callbacks = null;
    // A single callback (each child of a gather has one) is run without the array
    // `_takeDueCallbacks` would make for it.
    if (!Array.isArray(callbacks)) return this._runCallback(callbacks as DoneCallback<any> | Runnable);
    for (let i = 0; i < callbacks.length; i++) this._runCallback(callbacks[i] as DoneCallback<any> | Runnable);
  }

  /**
   * @internal The callbacks scheduled at completion and not run yet, in order, taken
   * from the future: what `_run` would call. Debug mode runs them through this one by
   * one, to time each as asyncio times each handle (loop.ts `#runTimed`).
   */
  _takeDueCallbacks(): ReadonlyArray<DoneCallback<any> | Runnable> {
    const callbacks = this.#callbacks;
    if (callbacks === null) return [];
    this.#callbacks = null;
    return Array.isArray(callbacks) ? callbacks : [callbacks];
  }

  /**
   * @internal One due callback: a function (an error goes to the exception handler and
   * the others still run), or a waiting task's step.
   */
  _runCallback(fn: DoneCallback<any> | Runnable): void {
    if (typeof fn !== 'function') return fn._run();
    // A callback runs in the context current around the loop; what it sets must not
    // stay there for every later callback and task (contextvars.ts).
    const outer = CURRENT.vars;
    try {
      fn(this);
    } catch (err) {
      reportCallbackError(fn, this, err);
    } finally {
      CURRENT.vars = outer;
    }
  }
}

/**
 * `String(value)`, or `[object Object]`-style when that throws (an object without a
 * prototype, a throwing toString): describing a future must never fail.
 */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** An error thrown by a done-callback: to the loop's exception handler; the loop goes on. */
function reportCallbackError(fn: DoneCallback<any>, future: Future<any>, err: unknown): void {
  future._loop.callExceptionHandler({
    message: `Exception in done-callback ${fn.name || '(anonymous)'} of ${future.toString()}`,
    exception: err,
    future,
  });
}

/**
 * A callback added to a future that is done already, on its way through the ready
 * queue: `callSoon(fn, fut)` without the Handle's argument array and rest-parameter
 * copy. Like a Handle, an error thrown by the callback goes to the loop's exception
 * handler and the loop goes on.
 */
class DoneCallbackHandle implements Runnable {
  readonly #fn: DoneCallback<any>;
  readonly #future: Future<any>;

  constructor(fn: DoneCallback<any>, future: Future<any>) {
    this.#fn = fn;
    this.#future = future;
  }

  _run(): void {
    const outer = CURRENT.vars; // as in Future._runCallback
    try {
      this.#fn(this.#future);
    } catch (err) {
      reportCallbackError(this.#fn, this.#future, err);
    } finally {
      CURRENT.vars = outer;
    }
  }

  toString(): string {
    return `<done-callback ${this.#fn.name || '(anonymous)'}>`;
  }
}

/** True if `value` is a yieldio Future (or Task). asyncio: `futures.isfuture`. */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}
