/**
 * Synchronization primitives — asyncio/locks.py (and mixins.py).
 *
 * Lock, Event, Condition, Semaphore, BoundedSemaphore and Barrier, with asyncio 3.13's
 * semantics. None of them is thread-safe, and none needs to be: only one task runs at a
 * time, so "atomic" simply means "no `yield*` in between".
 *
 * ## How a task waits
 *
 * Every primitive parks a task the same way: it makes a Future, puts it in a FIFO of
 * waiters, and `yield* fut`. Waking is `fut.setResult(…)`, which only *schedules* the
 * task. Between the wake-up and the moment the task runs, anything can happen —
 * above all, the task can be cancelled. That window is where asyncio's primitives had
 * their bugs (lost wake-ups, phantom holders), and why each `catch` below says which
 * invariant it restores.
 *
 * The FIFO is a `Set<Future>`: a JS Set iterates in insertion order, adds at the end
 * and deletes any member in O(1) — exactly a deque with `remove()`, which a cancelled
 * waiter needs (asyncio's `self._waiters.remove(fut)`).
 */
import type { Coro } from './coroutines.ts';
import type { EventLoop } from './loop.ts';
import type { Future } from './futures.ts';
import type { NonSuppressingContextManager } from './contextlib.ts';
import { getRunningLoop } from './events.ts';
import { BrokenBarrierError, CancelledError, RuntimeError, ValueError } from './exceptions.ts';

/**
 * A primitive belongs to the loop of the first task that waits on it; using it from
 * another loop is an error, since that loop could never run the futures it parks.
 * asyncio: `mixins._LoopBoundMixin`.
 */
export class _LoopBound {
  #loop: EventLoop | null = null;

  /** @internal The running loop, checked against (or bound as) this primitive's loop. */
  _getLoop(): EventLoop {
    const loop = getRunningLoop();
    if (this.#loop === null) this.#loop = loop;
    if (this.#loop !== loop) {
      throw new RuntimeError(`${this.toString()} is bound to a different event loop: a primitive can be used by the tasks of one loop only.`);
    }
    return loop;
  }
}

/** The first waiter in FIFO order, or undefined. */
function first<T>(waiters: Set<T>): T | undefined {
  for (const waiter of waiters) return waiter;
  return undefined;
}

function hasLiveWaiter(waiters: Set<Future<unknown>>): boolean {
  for (const fut of waiters) if (!fut.cancelled()) return true;
  return false;
}

function describe(name: string, extra: string, waiters: number): string {
  return `<${name} [${extra}${waiters > 0 ? `, waiters:${waiters}` : ''}]>`;
}

/**
 * A mutual-exclusion lock: at most one task holds it.
 *
 * Invariants:
 * - `#locked` is true exactly while a task holds the lock. A waiter woken by
 *   `release()` does not hold it yet: it sets `#locked` itself when it runs, so a
 *   woken-then-cancelled waiter never becomes a phantom holder.
 * - Fairness (asyncio 3.13): a newcomer takes a free lock only if no waiter is still
 *   live (every future in `#waiters` cancelled). A lock released to a woken waiter is
 *   free but not up for grabs: that waiter's future is done, not cancelled.
 * - No lost wake-up: whenever the lock is free and a live waiter exists, the first
 *   waiter's future is done (woken) or will be woken by the task that next leaves
 *   `acquire()` — see the `catch` there.
 *
 * @example
 * const lock = new Lock();
 * yield* asyncWith(lock, function* () {
 *   // one task at a time here
 * });
 * @see asyncio `asyncio.Lock`
 */
export class Lock extends _LoopBound implements NonSuppressingContextManager<void> {
  #locked = false;
  #waiters = new Set<Future<true>>();

  /** True while some task holds the lock. asyncio: `Lock.locked()`. */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Waits until the lock is free, then takes it; returns true. Waiters are served in
   * arrival order. asyncio: `Lock.acquire()`.
   * @example
   * yield* lock.acquire();
   * try { yield* work(); } finally { lock.release(); }
   */
  *acquire(): Coro<true> {
    if (!this.#locked && !hasLiveWaiter(this.#waiters)) {
      this.#locked = true;
      return true;
    }
    const fut = this._getLoop().createFuture<true>();
    this.#waiters.add(fut);
    try {
      try {
        yield* fut;
      } finally {
        this.#waiters.delete(fut);
      }
    } catch (err) {
      // Cancelled — either while waiting, or after release() woke us but before we ran.
      // In the second case the lock is free and no one else was woken; in the first,
      // release() may have found our cancelled future first and woken no one. Either
      // way: if the lock is free, wake the next waiter, or its wake-up is lost.
      if (!this.#locked) this.#wakeUpFirst();
      throw err;
    }
    this.#locked = true;
    return true;
  }

  /**
   * Releases the lock and wakes the first waiter. Throws RuntimeError if the lock is
   * not held. asyncio: `Lock.release()`.
   * @example
   * lock.release();
   */
  release(): void {
    if (!this.#locked) throw new RuntimeError('release() of an unlocked Lock: acquire it first.');
    this.#locked = false;
    this.#wakeUpFirst();
  }

  /** `asyncWith(lock, body)`: acquire. asyncio: `Lock.__aenter__`. */
  *enter(): Coro<void> {
    yield* this.acquire();
  }

  /** `asyncWith(lock, body)`: release, whatever the body did. asyncio: `Lock.__aexit__`. */
  *exit(_error?: unknown): Coro<void> {
    this.release();
  }

  /** Wakes the first waiter unless it is already done (woken, or cancelled and leaving). */
  #wakeUpFirst(): void {
    const fut = first(this.#waiters);
    if (fut !== undefined && !fut.done()) fut.setResult(true);
  }

  override toString(): string {
    return describe('Lock', this.#locked ? 'locked' : 'unlocked', this.#waiters.size);
  }
}

/**
 * A flag tasks can wait for: `set()` wakes every waiter, `clear()` lowers it again.
 *
 * Invariants: while `#value` is true, `#waiters` holds only futures already woken (their
 * tasks remove them when they run). A cancelled waiter just leaves: `set()` wakes every
 * waiter, so there is no single wake-up to lose.
 *
 * @example
 * const ready = new Event();
 * createTask((function* () { yield* sleep(1); ready.set(); })());
 * yield* ready.wait();
 * @see asyncio `asyncio.Event`
 */
export class Event extends _LoopBound {
  #value = false;
  #waiters = new Set<Future<true>>();

  /** True once `set()` was called (and `clear()` was not since). asyncio: `Event.is_set()`. */
  isSet(): boolean {
    return this.#value;
  }

  /** Sets the flag and wakes every waiter. asyncio: `Event.set()`. */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    for (const fut of this.#waiters) if (!fut.done()) fut.setResult(true);
  }

  /** Lowers the flag: later `wait()` calls block. asyncio: `Event.clear()`. */
  clear(): void {
    this.#value = false;
  }

  /**
   * Returns true at once if the flag is set, else waits for `set()`.
   * asyncio: `Event.wait()`.
   * @example
   * yield* event.wait();
   */
  *wait(): Coro<true> {
    if (this.#value) return true;
    const fut = this._getLoop().createFuture<true>();
    this.#waiters.add(fut);
    try {
      return yield* fut;
    } finally {
      this.#waiters.delete(fut);
    }
  }

  override toString(): string {
    return describe('Event', this.#value ? 'set' : 'unset', this.#waiters.size);
  }
}

/**
 * A condition variable: tasks holding the lock wait until another task `notify()`s.
 * Several conditions may share one Lock (pass it in).
 *
 * Invariants:
 * - `wait()` is entered and left with the lock held — also when cancelled: it takes
 *   the lock back before the CancelledError leaves, as in asyncio.
 * - A notification is never lost (asyncio 3.13): a waiter that leaves `wait()` with an
 *   error — it may have been notified just before — passes one notification on. A
 *   spurious wake-up may result, which the condition-variable contract allows (hence
 *   `waitFor`).
 *
 * @example
 * const cond = new Condition();
 * yield* asyncWith(cond, function* () {
 *   yield* cond.waitFor(() => items.length > 0);
 *   use(items.shift());
 * });
 * @see asyncio `asyncio.Condition`
 */
export class Condition extends _LoopBound implements NonSuppressingContextManager<void> {
  readonly #lock: Lock;
  #waiters = new Set<Future<false>>();

  /** A condition on `lock`, or on a new Lock of its own. asyncio: `Condition(lock=None)`. */
  constructor(lock?: Lock) {
    super();
    this.#lock = lock ?? new Lock();
  }

  /** asyncio: `Condition.locked()`. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /** Acquires the underlying lock. asyncio: `Condition.acquire()`. */
  acquire(): Coro<true> {
    return this.#lock.acquire();
  }

  /** Releases the underlying lock. asyncio: `Condition.release()`. */
  release(): void {
    this.#lock.release();
  }

  /** asyncio: `Condition.__aenter__`. */
  *enter(): Coro<void> {
    yield* this.#lock.acquire();
  }

  /** asyncio: `Condition.__aexit__`. */
  *exit(_error?: unknown): Coro<void> {
    this.#lock.release();
  }

  /**
   * Releases the lock, waits for a notification, takes the lock back; returns true.
   * Must be called with the lock held (else RuntimeError). asyncio: `Condition.wait()`.
   * @example
   * while (!ready) yield* cond.wait();
   */
  *wait(): Coro<true> {
    if (!this.locked()) throw new RuntimeError('wait() on a Condition whose lock is not held: acquire it first (asyncWith(cond, …)).');
    this.release();
    try {
      try {
        const fut = this._getLoop().createFuture<false>();
        this.#waiters.add(fut);
        try {
          yield* fut;
          return true;
        } finally {
          this.#waiters.delete(fut);
        }
      } finally {
        yield* this.#reacquire();
      }
    } catch (err) {
      // We may have been notified just before the error (a cancel() after notify()
      // woke us): pass one notification on, so it is not lost with us.
      this.#notify(1);
      throw err;
    }
  }

  /**
   * Takes the lock back on the way out of `wait()`, even through cancellations: the
   * caller's `asyncWith` will release it, so leaving without it would throw there.
   * The last CancelledError received is rethrown once the lock is held.
   */
  *#reacquire(): Coro<void> {
    let cancelled: CancelledError | null = null;
    for (;;) {
      try {
        yield* this.#lock.acquire();
        break;
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        cancelled = err;
      }
    }
    if (cancelled !== null) throw cancelled;
  }

  /**
   * Waits until `predicate()` is truthy, checking it first and after each wake-up;
   * returns its last value. Lock held, as for `wait()`. asyncio: `Condition.wait_for()`.
   * @example
   * const item = yield* cond.waitFor(() => queue.shift());
   */
  *waitFor<P>(predicate: () => P): Coro<P> {
    let result = predicate();
    while (!result) {
      yield* this.wait();
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiting tasks (they run once they get the lock back). Lock held,
   * else RuntimeError. asyncio: `Condition.notify(n=1)`.
   * @example
   * items.push(x); cond.notify();
   */
  notify(n = 1): void {
    if (!this.locked()) throw new RuntimeError('notify() on a Condition whose lock is not held: acquire it first.');
    this.#notify(n);
  }

  /** Wakes every waiting task. asyncio: `Condition.notify_all()`. */
  notifyAll(): void {
    this.notify(this.#waiters.size);
  }

  #notify(n: number): void {
    let woken = 0;
    for (const fut of this.#waiters) {
      if (woken >= n) break;
      if (!fut.done()) {
        woken++;
        fut.setResult(false);
      }
    }
  }

  override toString(): string {
    return describe('Condition', this.locked() ? 'locked' : 'unlocked', this.#waiters.size);
  }
}

/**
 * A counter of permits: `acquire()` takes one (waiting while there are none),
 * `release()` gives one back. `new Semaphore(n)` lets n tasks in at once.
 *
 * Invariants:
 * - `#value` counts free permits. A waiter woken by `#wakeUpNext()` is *handed* a
 *   permit: `#value` is decremented for it at wake-up time, so no newcomer can take
 *   the permit meant for it.
 * - A woken waiter that is cancelled before it runs gives its permit back and wakes
 *   the next (no lost permit, no phantom holder).
 * - FIFO (3.13): a newcomer waits if any live waiter is queued, even with permits free.
 *
 * @example
 * const sem = new Semaphore(3);   // at most 3 downloads at a time
 * yield* asyncWith(sem, function* () { yield* download(url); });
 * @see asyncio `asyncio.Semaphore(value=1)`
 */
export class Semaphore extends _LoopBound implements NonSuppressingContextManager<void> {
  /** @internal Free permits; see the invariants. */
  protected _value: number;
  #waiters = new Set<Future<true>>();

  constructor(value = 1) {
    super();
    if (value < 0) throw new ValueError(`Semaphore initial value must be >= 0, got ${value}.`);
    this._value = value;
  }

  /**
   * True if `acquire()` would wait: no permit free, or live waiters queued first.
   * asyncio: `Semaphore.locked()`.
   */
  locked(): boolean {
    return this._value === 0 || hasLiveWaiter(this.#waiters);
  }

  /**
   * Takes a permit, waiting (FIFO) while none is free; returns true.
   * asyncio: `Semaphore.acquire()`.
   * @example
   * yield* sem.acquire();
   * try { yield* work(); } finally { sem.release(); }
   */
  *acquire(): Coro<true> {
    if (!this.locked()) {
      this._value--;
      return true;
    }
    const fut = this._getLoop().createFuture<true>();
    this.#waiters.add(fut);
    try {
      try {
        yield* fut;
      } finally {
        this.#waiters.delete(fut);
      }
    } catch (err) {
      // Woken by #wakeUpNext() (which handed us a permit) but cancelled before we ran:
      // give the permit back, or it is lost. The `finally` below passes it on.
      if (fut.done() && !fut.cancelled()) this._value++;
      throw err;
    } finally {
      // Permits may be free while waiters queue behind us (FIFO made newcomers wait, or
      // we gave ours back above): hand out as many as there are.
      while (this._value > 0 && this.#wakeUpNext());
    }
    return true;
  }

  /** Gives a permit back and wakes the next waiter. asyncio: `Semaphore.release()`. */
  release(): void {
    this._value++;
    this.#wakeUpNext();
  }

  /** asyncio: `Semaphore.__aenter__`. */
  *enter(): Coro<void> {
    yield* this.acquire();
  }

  /** asyncio: `Semaphore.__aexit__`. */
  *exit(_error?: unknown): Coro<void> {
    this.release();
  }

  /** Hands a permit to the first waiter not yet woken; false if there is none. */
  #wakeUpNext(): boolean {
    for (const fut of this.#waiters) {
      if (!fut.done()) {
        this._value--;
        fut.setResult(true);
        return true;
      }
    }
    return false;
  }

  override toString(): string {
    return describe(this.constructor.name, this.locked() ? 'locked' : `unlocked, value:${this._value}`, this.#waiters.size);
  }
}

/**
 * A Semaphore that refuses to be released more often than acquired: a release that
 * would raise the count above the initial value throws ValueError.
 *
 * @example
 * const sem = new BoundedSemaphore(2);
 * sem.release();   // ValueError: released too many times
 * @see asyncio `asyncio.BoundedSemaphore(value=1)`
 */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;

  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  override release(): void {
    if (this._value >= this.#bound) throw new ValueError('BoundedSemaphore released too many times.');
    super.release();
  }
}

/**
 * The states of a Barrier (the diagram is on Barrier).
 * @example
 * if (barrier.state === 'DRAINING') console.log('a round is completing');
 * @see asyncio `locks._BarrierState`
 */
export type BarrierState = 'FILLING' | 'DRAINING' | 'RESETTING' | 'BROKEN';

/**
 * Lets `parties` tasks meet: each `wait()` blocks until `parties` tasks are waiting,
 * then all go on together, and the barrier can be used again.
 *
 *     FILLING ──last party arrives──▶ DRAINING ──last party leaves──▶ FILLING
 *        └──reset() with waiters──▶ RESETTING ──last party leaves──▶ FILLING
 *     any ──abort()──▶ BROKEN (wait() throws BrokenBarrierError until reset())
 *
 * Invariants (everything under `#cond`'s lock):
 * - `#count` is the number of tasks inside `wait()` past the entry gate.
 * - FILLING: `#count < parties`, those tasks wait for DRAINING. Newcomers enter.
 * - DRAINING / RESETTING: tasks are leaving; newcomers wait at the gate until the
 *   last one out (`#count` back to 0) returns the barrier to FILLING.
 * - A waiter cancelled while FILLING just leaves (`#count` drops); the barrier stays
 *   usable, as in asyncio.
 *
 * @example
 * const barrier = new Barrier(3);
 * // in each of three tasks:
 * const index = yield* barrier.wait();   // 0, 1 or 2: the order of arrival
 * @see asyncio `asyncio.Barrier(parties)`
 */
export class Barrier extends _LoopBound implements NonSuppressingContextManager<number> {
  readonly #cond = new Condition();
  readonly #parties: number;
  #state: BarrierState = 'FILLING';
  #count = 0;

  constructor(parties: number) {
    super();
    if (!(parties >= 1)) throw new ValueError(`Barrier parties must be >= 1, got ${parties}.`);
    this.#parties = parties;
  }

  /**
   * Waits until `parties` tasks are waiting; returns this task's arrival index (0 …
   * parties-1). Throws BrokenBarrierError if the barrier is aborted, or reset while
   * waiting. asyncio: `Barrier.wait()`.
   */
  *wait(): Coro<number> {
    yield* this.#cond.acquire();
    try {
      yield* this.#cond.waitFor(() => this.#state !== 'DRAINING' && this.#state !== 'RESETTING');
      if (this.#state === 'BROKEN') throw new BrokenBarrierError('Barrier aborted');
      const index = this.#count++;
      try {
        if (index + 1 === this.#parties) {
          this.#state = 'DRAINING';
          this.#cond.notifyAll();
        } else {
          yield* this.#cond.waitFor(() => this.#state !== 'FILLING');
          // (A fresh read: TypeScript cannot know that the wait above changed the state.)
          const state = this.#state as BarrierState;
          if (state === 'BROKEN' || state === 'RESETTING') throw new BrokenBarrierError('Barrier aborted or reset while waiting');
        }
        return index;
      } finally {
        this.#leave();
      }
    } finally {
      this.#cond.release();
    }
  }

  /** The last task out of a draining or resetting barrier makes it FILLING again. */
  #leave(): void {
    this.#count--;
    if (this.#count === 0) {
      if (this.#state === 'DRAINING' || this.#state === 'RESETTING') this.#state = 'FILLING';
      this.#cond.notifyAll();
    }
  }

  /**
   * Returns the barrier to its empty state; tasks waiting in it get BrokenBarrierError.
   * Also repairs a broken barrier. asyncio: `Barrier.reset()`.
   */
  *reset(): Coro<void> {
    yield* this.#cond.acquire();
    if (this.#count > 0) this.#state = 'RESETTING';
    else this.#state = 'FILLING';
    this.#cond.notifyAll();
    this.#cond.release();
  }

  /**
   * Breaks the barrier: waiting and future `wait()` calls throw BrokenBarrierError
   * until `reset()`. asyncio: `Barrier.abort()`.
   */
  *abort(): Coro<void> {
    yield* this.#cond.acquire();
    this.#state = 'BROKEN';
    this.#cond.notifyAll();
    this.#cond.release();
  }

  /** asyncio: `async with barrier as index` — enter is `wait()`. */
  enter(): Coro<number> {
    return this.wait();
  }

  /** Nothing to undo. asyncio: `Barrier.__aexit__`. */
  *exit(_error?: unknown): Coro<void> {}

  /** How many tasks must meet. asyncio: `Barrier.parties`. */
  get parties(): number {
    return this.#parties;
  }

  /** Tasks waiting in the barrier while it fills (0 otherwise). asyncio: `Barrier.n_waiting`. */
  get nWaiting(): number {
    return this.#state === 'FILLING' ? this.#count : 0;
  }

  /** True once aborted (until reset). asyncio: `Barrier.broken`. */
  get broken(): boolean {
    return this.#state === 'BROKEN';
  }

  /** The state, for inspection and reports. */
  get state(): BarrierState {
    return this.#state;
  }

  override toString(): string {
    return `<Barrier [${this.#state}, waiters:${this.nWaiting}/${this.#parties}]>`;
  }
}
