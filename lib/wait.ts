/**
 * waitFor, wait, asCompleted, shield — the waiting helpers of asyncio/tasks.py.
 *
 * Four ways to wait on something other than "one awaitable, until it is done":
 * - `waitFor(aw, seconds)`: one awaitable with a deadline; cancels it when time is up.
 * - `wait(futures, {timeout, returnWhen})`: several, until a condition holds; never
 *   cancels and never throws on timeout — it reports what is done and what is not.
 * - `asCompleted(aws, {timeout})`: several, one at a time, in the order they finish.
 * - `shield(aw)`: one, protected from the cancellation of the task awaiting it.
 *
 * Each helper only adds done-callbacks and a timer; none of them steps a coroutine or
 * touches a task's internals.
 */
import { _registerAwaits } from './callgraph.ts';
import { Future } from './futures.ts';
import { getRunningLoop } from './events.ts';
import type { TimerHandle } from './events.ts';
import { type Awaitable, ensureFuture } from './tasks.ts';
import { CancelledError, TimeoutError } from './exceptions.ts';
import { type Coro, isCoroutine } from './coroutines.ts';
import { withTimeout } from './timeouts.ts';
import { ValueError } from './locks.ts';

// ---- waitFor ----

/**
 * Awaits `aw` for at most `seconds` (null: no limit). When time is up, `aw` is
 * cancelled and awaited until it has actually finished, then a `TimeoutError` is
 * thrown — unless `aw` swallowed the cancellation and returned a value, which is then
 * returned. A coroutine runs inline, in the calling task, as in asyncio 3.12+ (where
 * `wait_for` is `async with timeout(...)`).
 *
 * `seconds <= 0` checks without waiting: a done future gives its result; anything else
 * is cancelled (a coroutine never starts) and awaited, then it is a TimeoutError.
 *
 * @example
 * try {
 *   const reply = yield* waitFor(fetchReply(), 2);
 * } catch (err) {
 *   if (err instanceof TimeoutError) console.log('no reply within 2 s');
 * }
 * @see asyncio `asyncio.wait_for(aw, timeout)`
 */
export function* waitFor<T>(aw: Awaitable<T>, seconds: number | null): Coro<T> {
  if (seconds !== null && seconds <= 0) return yield* checkNow(aw);
  return yield* withTimeout(seconds, function* () {
    return yield* aw;
  });
}

/** `waitFor(aw, 0)`: the result if it is already there, else cancel, wait, time out. */
function* checkNow<T>(aw: Awaitable<T>): Coro<T> {
  const fut = ensureFuture(aw);
  if (fut.done()) return fut.result();
  yield* cancelAndWait(fut);
  try {
    return fut.result();
  } catch (err) {
    if (err instanceof CancelledError) throw new TimeoutError('waitFor(): the timeout expired (timeout <= 0)', { cause: err });
    throw err;
  }
}

/** Cancels `fut` and waits until it is done — which may take it a while, or never happen. */
function* cancelAndWait(fut: Future<unknown>): Coro<void> {
  const waiter = fut._loop.createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult();
  };
  fut.addDoneCallback(release);
  try {
    fut.cancel();
    yield* waiter;
  } finally {
    fut.removeDoneCallback(release);
  }
}

// ---- wait ----

/** `wait()` returns as soon as any future is done (or cancelled). */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** `wait()` returns when any future fails with an error, or when all are done. */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/** `wait()` returns when all futures are done (the default). */
export const ALL_COMPLETED = 'ALL_COMPLETED';

export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

export interface WaitOptions {
  /** Seconds to wait at most (null or absent: no limit). On timeout wait() just returns. */
  timeout?: number | null;
  /** When to return (default ALL_COMPLETED). */
  returnWhen?: ReturnWhen;
}

/**
 * Waits for futures until `returnWhen` holds or `timeout` passes, and returns
 * `[done, pending]`. It never cancels anything and never throws on timeout: the
 * pending ones are simply still running. Coroutines are refused (as in asyncio 3.11+):
 * wrap each in `createTask()` so that you hold the task you will find in the sets.
 * Misuse throws at the call: an empty collection or an unknown `returnWhen` is a
 * ValueError, a coroutine or a single future a TypeError.
 *
 * @example
 * const [done, pending] = yield* wait([t1, t2, t3], { returnWhen: FIRST_COMPLETED, timeout: 5 });
 * for (const t of pending) t.cancel();
 * @see asyncio `asyncio.wait(aws, timeout=None, return_when=ALL_COMPLETED)`
 */
export function wait<F extends Future<unknown>>(futures: Iterable<F>, options: WaitOptions = {}): Coro<[Set<F>, Set<F>]> {
  const set = checkWaitArguments(futures, options);
  return waitUntil(set, options.timeout ?? null, options.returnWhen ?? ALL_COMPLETED);
}

function checkWaitArguments<F extends Future<unknown>>(futures: Iterable<F>, options: WaitOptions): Set<F> {
  if (futures instanceof Future || isCoroutine(futures)) {
    throw new TypeError('wait() expects a collection of futures (e.g. an array of tasks), not a single one: wait([task]).');
  }
  const set = new Set(futures);
  if (set.size === 0) throw new ValueError('wait() of an empty collection: give it at least one future or task.');
  for (const f of set as Set<unknown>) {
    if (isCoroutine(f)) throw new TypeError('wait() does not take coroutines (as asyncio 3.11+): wrap each one with createTask(coro) and wait on the tasks.');
    if (!(f instanceof Future)) throw new TypeError(`wait() expects futures or tasks, got ${String(f)}.`);
  }
  const when = options.returnWhen ?? ALL_COMPLETED;
  if (when !== FIRST_COMPLETED && when !== FIRST_EXCEPTION && when !== ALL_COMPLETED) {
    throw new ValueError(`wait(): invalid returnWhen ${String(when)}; use FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED.`);
  }
  return set;
}

/** The waiting of `wait()`: one waiter future, released by a done-callback or the timer. */
function* waitUntil<F extends Future<unknown>>(set: Set<F>, seconds: number | null, returnWhen: ReturnWhen): Coro<[Set<F>, Set<F>]> {
  const loop = getRunningLoop();
  const waiter = loop.createFuture<void>();
  const release = (): void => {
    if (!waiter.done()) waiter.setResult();
  };
  const timer = seconds === null ? null : loop.callLater(seconds, release);
  let left = set.size;
  const onCompletion = (f: Future<unknown>): void => {
    left--;
    const failed = !f.cancelled() && f._hasException();
    if (left <= 0 || returnWhen === FIRST_COMPLETED || (returnWhen === FIRST_EXCEPTION && failed)) release();
  };
  for (const f of set) f.addDoneCallback(onCompletion);
  _registerAwaits(waiter, 'wait', () => set);
  try {
    yield* waiter;
  } finally {
    // Whatever woke us (or cancelled us), the callbacks and the timer must not outlive us.
    timer?.cancel();
    for (const f of set) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<F>();
  const pending = new Set<F>();
  for (const f of set) (f.done() ? done : pending).add(f);
  return [done, pending];
}

// ---- asCompleted ----

export interface AsCompletedOptions {
  /** Seconds after which the futures not yet handed out throw TimeoutError (null: never). */
  timeout?: number | null;
}

/**
 * Runs the awaitables concurrently and hands out one future per awaitable; the n-th
 * future settles like the n-th awaitable to finish. After the timeout, the futures not
 * yet settled throw `TimeoutError` (the awaitables themselves are not cancelled).
 *
 * @example
 * for (const next of asCompleted([fetch(a), fetch(b), fetch(c)], { timeout: 10 })) {
 *   const page = yield* next; // fastest first
 * }
 * @see asyncio `asyncio.as_completed(aws, timeout=None)`
 */
export function asCompleted<T>(aws: Iterable<Awaitable<T>>, options: AsCompletedOptions = {}): AsCompleted<T> {
  if (aws instanceof Future || isCoroutine(aws)) {
    throw new TypeError('asCompleted() expects a collection of awaitables (e.g. an array), not a single one.');
  }
  return new AsCompleted(aws, options.timeout ?? null);
}

/**
 * The iterator `asCompleted()` returns.
 *
 * Invariants:
 * - `#todo`: the children not yet finished (emptied by the timeout).
 * - `#finished`: children that finished before anyone asked for them, in order.
 * - `#waiting`: futures handed out by `next()` and not yet settled, in order. At most
 *   one of `#finished` and `#waiting` holds live entries at a time.
 * - `#left`: how many more futures `next()` hands out (one per child in all).
 * - RUNNING → TIMED_OUT when the timer fires: every unsettled hand-out, now and later,
 *   throws TimeoutError.
 */
export class AsCompleted<T> implements Iterator<Future<T>, undefined> {
  #state: 'RUNNING' | 'TIMED_OUT' = 'RUNNING';
  readonly #todo: Set<Future<T>>;
  readonly #finished: Future<T>[] = [];
  readonly #waiting: Future<T>[] = [];
  #left: number;
  #timer: TimerHandle | null = null;
  readonly #onCompletion = (f: Future<T>): void => this.#deliver(f);

  /** Use `asCompleted(aws, {timeout})`. */
  constructor(aws: Iterable<Awaitable<T>>, seconds: number | null) {
    const loop = getRunningLoop();
    this.#todo = new Set([...new Set(aws)].map((aw) => ensureFuture(aw, loop)));
    this.#left = this.#todo.size;
    for (const f of this.#todo) f.addDoneCallback(this.#onCompletion);
    if (this.#todo.size > 0 && seconds !== null) this.#timer = loop.callLater(seconds, () => this.#onTimeout());
  }

  /** A future that settles like the next awaitable to finish. */
  next(): IteratorResult<Future<T>, undefined> {
    if (this.#left === 0) return { done: true, value: undefined };
    this.#left--;
    const slot = getRunningLoop().createFuture<T>();
    const ready = this.#finished.shift();
    if (ready !== undefined) copyOutcome(ready, slot);
    else if (this.#state === 'TIMED_OUT') slot.setException(new TimeoutError('asCompleted(): the timeout expired'));
    else this.#waiting.push(slot);
    return { done: false, value: slot };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** A child finished: settle the oldest hand-out still waiting, or keep it for the next. */
  #deliver(f: Future<T>): void {
    // A callback already queued when the timer fired: the timeout has spoken.
    if (this.#state === 'TIMED_OUT') return;
    this.#todo.delete(f);
    if (this.#todo.size === 0) this.#timer?.cancel();
    // A hand-out cancelled by its awaiter gives its turn to the next (as a cancelled
    // Queue.get() in asyncio leaves the item in the queue).
    let slot = this.#waiting.shift();
    while (slot !== undefined && slot.done()) slot = this.#waiting.shift();
    if (slot === undefined) this.#finished.push(f);
    else copyOutcome(f, slot);
  }

  #onTimeout(): void {
    this.#state = 'TIMED_OUT';
    for (const f of this.#todo) f.removeDoneCallback(this.#onCompletion);
    this.#todo.clear();
    for (const slot of this.#waiting.splice(0)) {
      if (!slot.done()) slot.setException(new TimeoutError('asCompleted(): the timeout expired'));
    }
  }
}

/** Settles `to` as `from` settled: same result, same error, or cancelled alike. */
function copyOutcome<T>(from: Future<T>, to: Future<T>): void {
  if (from.cancelled()) to._cancelWith(from._makeCancelledError());
  else if (from._hasException()) to.setException(from.exception());
  else to.setResult(from.result());
}

// ---- shield ----

/**
 * Protects `aw` from cancellation: cancelling the task that awaits the returned future
 * throws CancelledError in that task, but `aw` runs on. If `aw` then fails, nobody
 * awaits its error: it is reported to the loop's exception handler ("exception was
 * never retrieved") unless someone awaits `aw` itself later.
 *
 * @example
 * const save = createTask(saveToDisk(doc));
 * try {
 *   yield* shield(save);
 * } catch (err) {
 *   if (err instanceof CancelledError) { ... } // we stop waiting; the save goes on
 *   throw err;
 * }
 * @see asyncio `asyncio.shield(aw)`
 */
export function shield<T>(aw: Awaitable<T>): Future<T> {
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const outer = inner._loop.createFuture<T>();
  const onInnerDone = (): void => {
    if (!outer.cancelled()) copyOutcome(inner, outer);
    // Both ended in the same iteration: the awaiter is gone, so the error is dropped
    // as asyncio drops it (marked retrieved, not reported).
    else if (!inner.cancelled()) inner.exception();
  };
  // The awaiter was cancelled: stop forwarding, so an error of the inner task stays
  // unretrieved — and is reported — unless someone awaits the inner task itself.
  const onOuterDone = (): void => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(onOuterDone);
  _registerAwaits(outer, 'shield', () => [inner]);
  return outer;
}
