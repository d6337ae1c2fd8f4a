/**
 * Queues — asyncio/queues.py.
 *
 * `Queue` is a FIFO for passing items between tasks, with back-pressure: given a
 * `maxsize`, `put()` waits while the queue is full. `PriorityQueue` hands out the
 * smallest item first, `LifoQueue` the newest. All three share one algorithm and
 * differ only in the storage hooks `_put`, `_get`, `_qsize` (as in asyncio).
 *
 * ## Waiting, waking, and the window in between
 *
 * A blocked getter parks a future in `#getters`; `putNowait()` pops the first live one
 * and sets its result. That wakes the getter's task *later*: the item stays in the
 * queue meanwhile, and the getter re-checks `empty()` in a loop when it runs. If it is
 * cancelled in that window, it must pass the wake-up to the next getter — otherwise an
 * item sits in the queue while a getter sleeps (a lost wake-up). Putters mirror this.
 *
 * ## Shutdown (asyncio 3.13)
 *
 * `shutdown()` makes `put()` throw QueueShutDown at once, and `get()` once the queue is
 * empty; `shutdown(true)` empties it first, crediting `taskDone()` for each dropped
 * item so `join()` returns. Every blocked getter and putter is woken to re-check.
 */
import type { Coro } from './coroutines.ts';
import type { Future } from './futures.ts';
import { Deque } from './deque.ts';
import { QueueEmpty, QueueFull, QueueShutDown, ValueError } from './exceptions.ts';
import { Event, _LoopBound } from './locks.ts';

/**
 * A FIFO queue between tasks, bounded by `maxsize` (0 or less: unbounded).
 *
 * Invariants:
 * - `#getters` / `#putters` hold the futures of parked tasks, oldest first (a Set: a
 *   FIFO with O(1) removal, see locks.ts). A waiter is removed when woken; a cancelled
 *   one removes itself, and one found done is skipped.
 * - Only the queue's emptiness or fullness matters to a waiter: after a wake-up it
 *   loops and re-checks, so a spurious wake-up is harmless and a missing one is not.
 * - `#unfinished` counts items put and not yet `taskDone()`; `#finished` is set
 *   exactly when it is 0.
 * - `#shutdown` only goes from false to true.
 *
 * @example
 * const q = new Queue<string>(10);
 * createTask((function* () { yield* q.put('job'); })());
 * const job = yield* q.get();
 * q.taskDone();
 * @see asyncio `asyncio.Queue(maxsize=0)`
 */
export class Queue<T> extends _LoopBound {
  readonly #maxsize: number;
  #getters = new Set<Future<void>>();
  #putters = new Set<Future<void>>();
  #unfinished = 0;
  readonly #finished = new Event();
  #shutdown = false;
  /** The items, oldest first. Subclasses keep their own storage (see the hooks). */
  readonly #items = new Deque<T>();

  constructor(maxsize = 0) {
    super();
    this.#maxsize = maxsize;
    this.#finished.set();
  }

  // ---- storage: a subclass overrides these three (asyncio's _put/_get/qsize) ----

  /** Stores an item (the queue has room). @internal */
  protected _put(item: T): void {
    this.#items.push(item);
  }

  /** Takes the next item out (the queue is not empty). @internal */
  protected _get(): T {
    return this.#items.shift() as T;
  }

  /** Number of items in the queue. asyncio: `Queue.qsize()`. */
  qsize(): number {
    return this.#items.length;
  }

  // ---- the public API ----

  /** The bound given to the constructor (0: none). asyncio: `Queue.maxsize`. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** True if the queue holds no item. asyncio: `Queue.empty()`. */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** True if `maxsize` items are queued (never, for an unbounded queue). asyncio: `Queue.full()`. */
  full(): boolean {
    return this.#maxsize > 0 && this.qsize() >= this.#maxsize;
  }

  /**
   * Puts `item`, waiting while the queue is full. Throws QueueShutDown after
   * `shutdown()`, also if that happens while waiting. asyncio: `Queue.put()`.
   * @example
   * yield* q.put(item);   // back-pressure: waits for room
   */
  *put(item: T): Coro<void> {
    while (this.full()) {
      if (this.#shutdown) throw new QueueShutDown();
      const putter = this._getLoop().createFuture<void>();
      this.#putters.add(putter);
      try {
        yield* putter;
      } catch (err) {
        // Cancelled while parked (or another error): leave the FIFO (getNowait() or
        // shutdown() may have removed us already). If getNowait() had woken us — there
        // is room for an item we will not put — pass the wake-up on to the next putter.
        putter.cancel();
        this.#putters.delete(putter);
        if (!this.full() && !putter.cancelled()) this.#wakeUpNext(this.#putters);
        throw err;
      }
    }
    this.putNowait(item);
  }

  /**
   * Puts `item` without waiting; throws QueueFull if full, QueueShutDown after
   * `shutdown()`. asyncio: `Queue.put_nowait()`.
   * @example
   * try { q.putNowait(item); } catch (e) { if (e instanceof QueueFull) drop(item); }
   */
  putNowait(item: T): void {
    if (this.#shutdown) throw new QueueShutDown();
    if (this.full()) throw new QueueFull();
    this._put(item);
    this.#unfinished++;
    this.#finished.clear();
    this.#wakeUpNext(this.#getters);
  }

  /**
   * Removes and returns the next item, waiting while the queue is empty. Throws
   * QueueShutDown once the queue is shut down and empty. asyncio: `Queue.get()`.
   * @example
   * const item = yield* q.get();
   */
  *get(): Coro<T> {
    while (this.empty()) {
      if (this.#shutdown) throw new QueueShutDown();
      const getter = this._getLoop().createFuture<void>();
      this.#getters.add(getter);
      try {
        yield* getter;
      } catch (err) {
        // Cancelled while parked: leave the FIFO. If putNowait() had already woken us for
        // an item we will not take, wake the next getter, or that item waits in the
        // queue while getters sleep (a lost wake-up).
        getter.cancel();
        this.#getters.delete(getter);
        if (!this.empty() && !getter.cancelled()) this.#wakeUpNext(this.#getters);
        throw err;
      }
    }
    return this.getNowait();
  }

  /**
   * Removes and returns the next item without waiting; throws QueueEmpty if empty
   * (QueueShutDown if also shut down). asyncio: `Queue.get_nowait()`.
   * @example
   * const item = q.empty() ? null : q.getNowait();
   */
  getNowait(): T {
    if (this.empty()) {
      if (this.#shutdown) throw new QueueShutDown();
      throw new QueueEmpty();
    }
    const item = this._get();
    this.#wakeUpNext(this.#putters);
    return item;
  }

  /**
   * Marks one item taken with `get()` as processed; `join()` returns when every put
   * item was. Throws ValueError if called more often than items were put.
   * asyncio: `Queue.task_done()`.
   * @example
   * const job = yield* q.get();
   * try { yield* handle(job); } finally { q.taskDone(); }
   */
  taskDone(): void {
    if (this.#unfinished <= 0) throw new ValueError('taskDone() called more times than there were items put.');
    this.#unfinished--;
    if (this.#unfinished === 0) this.#finished.set();
  }

  /**
   * Waits until every item put has been marked with `taskDone()`.
   * asyncio: `Queue.join()`.
   * @example
   * yield* q.join();   // all work finished
   */
  *join(): Coro<void> {
    if (this.#unfinished > 0) yield* this.#finished.wait();
  }

  /**
   * Shuts the queue down: `put()` throws QueueShutDown from now on, `get()` once the
   * queue is empty. With `immediate`, the queue is emptied at once (each dropped item
   * counts as `taskDone()`, so `join()` returns). Blocked putters and getters wake and
   * re-check. asyncio 3.13: `Queue.shutdown(immediate=False)`.
   * @example
   * q.shutdown();        // consumers drain what is left, then get QueueShutDown
   * q.shutdown(true);    // drop the backlog now
   */
  shutdown(immediate = false): void {
    this.#shutdown = true;
    if (immediate) {
      while (!this.empty()) {
        this._get();
        if (this.#unfinished > 0) this.#unfinished--;
      }
      if (this.#unfinished === 0) this.#finished.set();
    }
    wakeAll(this.#getters);
    wakeAll(this.#putters);
  }

  /** Removes waiters oldest first until a live one is found, and wakes it. */
  #wakeUpNext(waiters: Set<Future<void>>): void {
    for (const fut of waiters) {
      waiters.delete(fut);
      if (!fut.done()) {
        fut.setResult(undefined);
        return;
      }
    }
  }

  override toString(): string {
    const parts = [`maxsize=${this.#maxsize}`, `qsize=${this.qsize()}`];
    if (this.#getters.size > 0) parts.push(`getters[${this.#getters.size}]`);
    if (this.#putters.size > 0) parts.push(`putters[${this.#putters.size}]`);
    if (this.#unfinished > 0) parts.push(`tasks=${this.#unfinished}`);
    if (this.#shutdown) parts.push('shutdown');
    return `<${this.constructor.name} ${parts.join(' ')}>`;
  }
}

function wakeAll(waiters: Set<Future<void>>): void {
  for (const fut of waiters) if (!fut.done()) fut.setResult(undefined);
  waiters.clear();
}

/**
 * Compares like Python's `<` on the values a PriorityQueue usually holds: numbers
 * (and bigints) numerically, strings by code unit, arrays lexicographically element
 * by element (Python's tuples: `[priority, seq, item]`, a shorter prefix first).
 * Anything else — or a number against a string — throws a TypeError, as Python does.
 *
 * @example
 * pythonCompare([1, 'b'], [1, 'a']);   // > 0
 * @see Python's ordering of int, str and tuple
 */
export function pythonCompare(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      // Python compares tuples with == first, so equal elements of any type are fine.
      if (a[i] === b[i]) continue;
      const c = pythonCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  const ta = typeof a;
  const numeric = (t: string) => t === 'number' || t === 'bigint';
  if ((numeric(ta) && numeric(typeof b)) || (ta === 'string' && typeof b === 'string')) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  throw new TypeError(`PriorityQueue cannot compare ${describeKind(a)} with ${describeKind(b)}: give a compare function (new PriorityQueue(maxsize, {compare})).`);
}

function describeKind(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

/**
 * Options of PriorityQueue (keyword-only in spirit: asyncio has none; `compare` stands in
 * for defining `__lt__` on the items).
 * @example
 * new PriorityQueue<Job>(0, { compare: (a, b) => a.deadline - b.deadline });
 */
export interface PriorityQueueOptions<T> {
  /** Negative if `a` comes out first, positive if `b` does. Default: `pythonCompare`. */
  compare?: (a: T, b: T) => number;
}

/**
 * A queue that hands out the smallest item first (a binary min-heap, as `heapq`).
 * Items are compared with `pythonCompare` unless a `compare` function is given. Equal
 * items come out in no particular order: for FIFO among equal priorities, put
 * `[priority, sequenceNumber, item]`, as one does in Python.
 *
 * @example
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, 'low']); q.putNowait([1, 'high']);
 * q.getNowait();   // [1, 'high']
 * @see asyncio `asyncio.PriorityQueue(maxsize=0)`
 */
export class PriorityQueue<T> extends Queue<T> {
  readonly #compare: (a: T, b: T) => number;
  readonly #heap: T[] = [];

  constructor(maxsize = 0, options: PriorityQueueOptions<T> = {}) {
    super(maxsize);
    this.#compare = options.compare ?? pythonCompare;
  }

  /** @internal */
  protected override _put(item: T): void {
    heapPush(this.#heap, item, this.#compare);
  }

  /** @internal */
  protected override _get(): T {
    return heapPop(this.#heap, this.#compare);
  }

  override qsize(): number {
    return this.#heap.length;
  }
}

/**
 * A queue that hands out the newest item first (a stack).
 *
 * @example
 * const q = new LifoQueue<number>();
 * q.putNowait(1); q.putNowait(2);
 * q.getNowait();   // 2
 * @see asyncio `asyncio.LifoQueue(maxsize=0)`
 */
export class LifoQueue<T> extends Queue<T> {
  readonly #stack: T[] = [];

  /** @internal */
  protected override _put(item: T): void {
    this.#stack.push(item);
  }

  /** @internal */
  protected override _get(): T {
    return this.#stack.pop() as T;
  }

  override qsize(): number {
    return this.#stack.length;
  }
}

// ---- a binary min-heap on an array, generic over a comparator (heapq.heappush/heappop) ----
// lib/heap.ts is the loop's timer heap, specialised for TimerHandles; this one is small
// and generic. heap[i]'s children are heap[2i+1] and heap[2i+2]; each parent <= its children.

function heapPush<T>(heap: T[], item: T, compare: (a: T, b: T) => number): void {
  let i = heap.length;
  heap.push(item);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (compare(item, heap[parent] as T) >= 0) break;
    heap[i] = heap[parent] as T;
    i = parent;
  }
  heap[i] = item;
}

function heapPop<T>(heap: T[], compare: (a: T, b: T) => number): T {
  const top = heap[0] as T;
  const last = heap.pop() as T;
  if (heap.length === 0) return top;
  // Sift `last` down from the root: move the smaller child up until `last` fits.
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= heap.length) break;
    if (child + 1 < heap.length && compare(heap[child + 1] as T, heap[child] as T) < 0) child++;
    if (compare(heap[child] as T, last) >= 0) break;
    heap[i] = heap[child] as T;
    i = child;
  }
  heap[i] = last;
  return top;
}
