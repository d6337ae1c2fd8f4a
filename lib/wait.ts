/**
 * waitFor, wait, asCompleted, shield — the waiting helpers of asyncio/tasks.py.
 *
 * Four ways to wait on something other than "one awaitable, until it is done":
 * - `waitFor(aw, seconds)`: one awaitable with a deadline; cancels it when time is up.
 * - `wait(futures, {timeout, returnWhen})`: several, until a condition holds; never
 *   cancels and never throws on timeout — it reports what is done and what is not.
 * - `asCompleted(aws, {timeout})`: several, one at a time, in the order they finish —
 *   their outcomes (plain iteration) or the futures themselves (the async form).
 * - `shield(aw)`: one, protected from the cancellation of the task awaiting it.
 *
 * Each helper only adds done-callbacks and a timer; none of them steps a coroutine or
 * touches a task's internals.
 */
import { _registerAwaits } from './callgraph.ts';
import { Future } from './futures.ts';
import { getRunningLoop, _getRunningLoop } from './events.ts';
import type { TimerHandle } from './events.ts';
import type { EventLoop } from './loop.ts';
import { type Awaitable, ensureFuture } from './tasks.ts';
import { CancelledError, RuntimeError, TimeoutError, ValueError } from './exceptions.ts';
import { type Coro, describeValue, isCoroutine } from './coroutines.ts';
import { withTimeout } from './timeouts.ts';
import { Queue } from './queues.ts';
import type { CoroIterator } from './iteration.ts';

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
  /**
   * Seconds after which every await not yet answered throws TimeoutError (null: never).
   * The awaitables themselves are left running.
   */
  timeout?: number | null;
}

/**
 * Runs the awaitables concurrently and lets you take their outcomes in the order they
 * finish. It has the two forms of CPython 3.13's `as_completed`:
 *
 * - **Plain iteration** (`for…of`) hands out one coroutine per awaitable. Awaiting one
 *   gives the outcome of the next awaitable to finish — whichever it is: the n-th
 *   coroutine *awaited* gets the n-th outcome, not the outcome of the n-th input, nor of
 *   the n-th coroutine handed out. Nothing is taken until a coroutine is awaited, so
 *   coroutines can be collected first and awaited later, or wrapped in tasks and awaited
 *   concurrently. A failure is thrown by the `yield*` that receives it.
 * - **The async form** (CPython's `async for`): the returned object's own `next()` is a
 *   coroutine returning an `IteratorResult` whose value is the *original* Future or Task
 *   that finished (a coroutine given as input is wrapped in a task, and that task is what
 *   you get). It never throws the awaitable's error: await the future to see it. Use the
 *   loop idiom below, `forEach()`, or `toAsyncIterable()` for `for await` in async code.
 *
 * Both forms share one count: one outcome per distinct awaitable, in all (duplicates
 * count once). Leaving a loop early and iterating again resumes where it stopped.
 *
 * Timeout: after `timeout` seconds, each await still to come (or waiting) throws
 * `TimeoutError` — once the outcomes that had arrived in time are taken. The awaitables
 * are *not* cancelled: they run on, and you may still await them yourself.
 *
 * Misuse throws at the call: a single Future or coroutine, or anything but a Future or
 * coroutine in the collection, is a TypeError; a Future of another event loop than the
 * running one is a ValueError (checked before any coroutine is wrapped in a task).
 *
 * @example
 * // plain iteration: outcomes, fastest first
 * for (const next of asCompleted([fetch(a), fetch(b), fetch(c)], { timeout: 10 })) {
 *   const page = yield* next; // throws the failure, or TimeoutError
 * }
 * @example
 * // the async form: the tasks themselves, as they finish
 * const finished = asCompleted(tasks);
 * for (let r = yield* finished.next(); !r.done; r = yield* finished.next()) {
 *   const task = r.value; // one of `tasks`, done
 *   console.log(task.getName(), task.exception() ?? task.result());
 * }
 * @see asyncio `asyncio.as_completed(aws, timeout=None)` — `for f in …` and `async for t in …`
 */
export function asCompleted<T>(aws: Iterable<Awaitable<T>>, options: AsCompletedOptions = {}): AsCompleted<T> {
  if (aws instanceof Future || isCoroutine(aws)) {
    throw new TypeError('asCompleted() expects a collection of awaitables (e.g. an array), not a single one: asCompleted([task]).');
  }
  return new AsCompleted(aws, options.timeout ?? null);
}

/**
 * What `asCompleted()` returns: iterable (the plain form) and a `CoroIterator` — an
 * iterator whose `next()` is a coroutine (the async form, lib/iteration.ts). CPython
 * 3.13's `_AsCompletedIterator`.
 *
 * How it works, as in CPython: every child's done-callback puts the child into a
 * `Queue`; every await — of either form — is one `get()` from it. So outcomes go to
 * awaits in the order the awaits *begin*, and a cancelled await leaves its outcome in
 * the queue for the next (Queue.get's own cancellation rule). The timeout puts one
 * `null` per child still running; the get that finds a `null` throws TimeoutError.
 *
 * Invariants:
 * - `#todo`: the children not yet finished that still count; emptied by the timeout.
 *   A child leaves it exactly once, so each puts exactly one entry in `#done`.
 * - `#done`: finished children, oldest first, then one `null` per child the timeout
 *   cut off. Children + nulls = the number of children.
 * - `#left`: how many awaits may still be handed out, by either form. Entries put in
 *   `#done` in all equal awaits handed out in all, so every await finds one; an await
 *   cancelled before its `get()` returned leaves its entry to a later one (or unclaimed).
 * - `#timer`: armed while children remain and a timeout was given; disarmed when the
 *   last child finishes.
 */
export class AsCompleted<T> implements Iterable<Coro<T>>, CoroIterator<Future<T>> {
  readonly #loop: EventLoop;
  readonly #done = new Queue<Future<T> | null>();
  readonly #todo: Set<Future<T>>;
  #left: number;
  #timer: TimerHandle | null = null;
  readonly #onCompletion = (f: Future<T>): void => this.#handleCompletion(f);

  /** Use `asCompleted(aws, {timeout})`. */
  constructor(aws: Iterable<Awaitable<T>>, seconds: number | null) {
    const unique = [...new Set(aws)];
    this.#loop = loopFor(unique);
    this.#todo = new Set(unique.map((aw) => ensureFuture(aw, this.#loop)));
    this.#left = this.#todo.size;
    for (const f of this.#todo) f.addDoneCallback(this.#onCompletion);
    if (this.#todo.size > 0 && seconds !== null) this.#timer = this.#loop.callLater(seconds, () => this.#handleTimeout());
  }

  /** The loop the children run on (what `toAsyncIterable()` steps the async form on). */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /**
   * The plain form: one coroutine per awaitable, each returning the next outcome.
   * Returns a fresh view each time, over the same count, so a `for…of` left with
   * `break` can be resumed by another.
   */
  [Symbol.iterator](): Iterator<Coro<T>, undefined> {
    return {
      next: () => (this.#take() ? { done: false, value: this.#nextResult() } : { done: true, value: undefined }),
    };
  }

  /**
   * The async form: the next child to finish — the Future or Task itself — or
   * `{done: true}` once every child was handed out. Throws TimeoutError after the
   * timeout. asyncio: `_AsCompletedIterator.__anext__`.
   */
  *next(): Coro<IteratorResult<Future<T>, undefined>> {
    if (!this.#take()) return { done: true, value: undefined };
    return { done: false, value: yield* this.#nextDone() };
  }

  /** Counts one await handed out; false when all were. */
  #take(): boolean {
    if (this.#left === 0) return false;
    this.#left--;
    return true;
  }

  /** One await of the plain form: the next outcome, thrown if it is a failure. */
  *#nextResult(): Coro<T> {
    return (yield* this.#nextDone()).result();
  }

  /** Waits for the next finished child (in the order the waits began). */
  *#nextDone(): Coro<Future<T>> {
    const f = yield* this.#done.get();
    if (f === null) throw new TimeoutError('asCompleted(): the timeout expired before another awaitable finished');
    return f;
  }

  #handleCompletion(f: Future<T>): void {
    // Not in #todo: the timer fired first while this callback was already queued
    // (a callback cannot be removed once scheduled); the timeout has spoken for f.
    if (!this.#todo.delete(f)) return;
    this.#done.putNowait(f);
    if (this.#todo.size === 0) this.#timer?.cancel();
  }

  #handleTimeout(): void {
    for (const f of this.#todo) {
      f.removeDoneCallback(this.#onCompletion);
      this.#done.putNowait(null);
    }
    this.#todo.clear();
  }

  toString(): string {
    return `<AsCompleted running=${this.#todo.size} ready=${this.#done.qsize()} left=${this.#left}>`;
  }
}

/**
 * The loop `asCompleted()` works on: the running one, else (async code handing tasks
 * to `toAsyncIterable`) the loop of the futures given. Every input is checked before any
 * coroutine is wrapped, so a refused call leaves no task behind.
 */
function loopFor<T>(aws: Awaitable<T>[]): EventLoop {
  let loop = _getRunningLoop();
  for (const aw of aws) {
    if (aw instanceof Future) {
      loop ??= aw._loop;
      if (aw._loop !== loop) {
        throw new ValueError(`asCompleted(): ${aw.toString()} belongs to a different event loop than ${_getRunningLoop() === null ? 'the other futures given' : 'the running one'}; all of them must belong to one loop.`);
      }
    } else if (!isCoroutine(aw)) {
      const hint = (aw as unknown) instanceof Promise ? ': wrap it with wrapPromise(promise)' : '';
      throw new TypeError(`asCompleted() expects futures, tasks or coroutines, got ${describeValue(aw)}${hint}.`);
    }
  }
  if (loop === null) {
    throw new RuntimeError('asCompleted() of coroutines needs a running event loop: call it from a coroutine inside run(main()).');
  }
  return loop;
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
