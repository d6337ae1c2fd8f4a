/**
 * Queue and Lock against native async/await with a minimal promise-based peer.
 *
 * - benchQueue: one producer, four consumers, through a bounded queue (maxsize 1000,
 *   so both directions park: consumers on empty, the producer on full). The end is
 *   signalled with one sentinel per consumer, so the peer needs no shutdown().
 * - benchLock: 100 tasks × 10k acquire/release with a critical section that never
 *   suspends. A lock whose acquire finds it free does not suspend in yieldio, so to
 *   measure *contention* the tasks start queued behind a held lock: from then on every
 *   release hands the lock to the next waiter (3.13 fairness; the peer hands it over
 *   directly) and the releasing task's next acquire has to queue — a convoy in which
 *   every acquire parks and every release wakes.
 *
 * Each returns per-operation medians (ns per item, ns per acquire/release) over five
 * alternating runs (bench/harness.ts `pair`). `scale` shrinks the counts for a smoke
 * test: `benchQueue(0.001)`.
 */
import { run } from '../lib/runners.ts';
import { createTask, sleep } from '../lib/tasks.ts';
import { gather } from '../lib/gather.ts';
import { Queue } from '../lib/queues.ts';
import { Lock } from '../lib/locks.ts';
import { Deque } from '../lib/deque.ts';
import type { Coro } from '../lib/coroutines.ts';
import { pair } from './harness.ts';

export interface LocksQueuesResult {
  name: string;
  yieldioNs: number;
  nativeNs: number;
}

const RUNS = 5;
const CONSUMERS = 4;
const MAXSIZE = 1000;
const DONE = -1;

export async function benchQueue(scale = 1): Promise<LocksQueuesResult> {
  const items = Math.max(1, Math.round(1_000_000 * scale));
  const [yieldioNs, nativeNs] = await pair(RUNS, () => timed(items, () => run(yieldioPipeline(items))), () => timed(items, () => nativePipeline(items)));
  return { name: `Queue: 1 producer → ${CONSUMERS} consumers, ${items} items`, yieldioNs, nativeNs };
}

export async function benchLock(scale = 1): Promise<LocksQueuesResult> {
  const tasks = 100;
  const rounds = Math.max(1, Math.round(10_000 * scale));
  const ops = tasks * rounds;
  const [yieldioNs, nativeNs] = await pair(RUNS, () => timed(ops, () => run(yieldioConvoy(tasks, rounds))), () => timed(ops, () => nativeConvoy(tasks, rounds)));
  return { name: `Lock: ${tasks} tasks × ${rounds} acquire/release, contended`, yieldioNs, nativeNs };
}

/** Runs `fn`, checks it did all the work, returns ns per operation. */
async function timed(ops: number, fn: () => Promise<number>): Promise<number> {
  const start = performance.now();
  const done = await fn();
  const ns = ((performance.now() - start) * 1e6) / ops;
  if (done !== ops) throw new Error(`benchmark did ${done} operations, expected ${ops}`);
  return ns;
}

// ---- the pipeline ----

function* yieldioPipeline(items: number): Coro<number> {
  const q = new Queue<number>(MAXSIZE);
  function* consumer(): Coro<number> {
    let n = 0;
    while ((yield* q.get()) !== DONE) n++;
    return n;
  }
  const consumers = Array.from({ length: CONSUMERS }, () => createTask(consumer()));
  for (let i = 0; i < items; i++) yield* q.put(i);
  for (let i = 0; i < CONSUMERS; i++) yield* q.put(DONE);
  const counts = yield* gather(consumers);
  return counts.reduce((a, b) => a + b, 0);
}

async function nativePipeline(items: number): Promise<number> {
  const q = new PromiseQueue<number>(MAXSIZE);
  async function consumer(): Promise<number> {
    let n = 0;
    while ((await q.get()) !== DONE) n++;
    return n;
  }
  const consumers = Array.from({ length: CONSUMERS }, consumer);
  for (let i = 0; i < items; i++) await q.put(i);
  for (let i = 0; i < CONSUMERS; i++) await q.put(DONE);
  const counts = await Promise.all(consumers);
  return counts.reduce((a, b) => a + b, 0);
}

/** The minimal bounded promise queue: an item goes straight to a waiting getter. */
class PromiseQueue<T> {
  readonly #items = new Deque<T>();
  readonly #getters = new Deque<(item: T) => void>();
  readonly #putters = new Deque<() => void>();
  constructor(readonly maxsize: number) {}

  async put(item: T): Promise<void> {
    while (this.#items.length >= this.maxsize) await new Promise<void>((resolve) => this.#putters.push(resolve));
    const getter = this.#getters.shift();
    if (getter) getter(item);
    else this.#items.push(item);
  }

  get(): Promise<T> {
    if (this.#items.length > 0) {
      const item = this.#items.shift() as T;
      this.#putters.shift()?.();
      return Promise.resolve(item);
    }
    return new Promise<T>((resolve) => this.#getters.push(resolve));
  }
}

// ---- the lock convoy ----

function* yieldioConvoy(tasks: number, rounds: number): Coro<number> {
  const lock = new Lock();
  let ops = 0;
  function* worker(): Coro<void> {
    for (let i = 0; i < rounds; i++) {
      yield* lock.acquire();
      ops++;
      lock.release();
    }
  }
  yield* lock.acquire();
  const workers = Array.from({ length: tasks }, () => createTask(worker()));
  yield* sleep(0);   // every worker runs once and queues behind the held lock
  lock.release();
  yield* gather(workers);
  return ops;
}

async function nativeConvoy(tasks: number, rounds: number): Promise<number> {
  const lock = new PromiseLock();
  let ops = 0;
  async function worker(): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await lock.acquire();
      ops++;
      lock.release();
    }
  }
  await lock.acquire();
  const workers = Array.from({ length: tasks }, worker);   // each queues at once: the lock is held
  lock.release();
  await Promise.all(workers);
  return ops;
}

const RESOLVED = Promise.resolve();

/** The minimal FIFO promise lock: release() hands the lock straight to the next waiter. */
class PromiseLock {
  #locked = false;
  readonly #waiters = new Deque<() => void>();

  acquire(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return RESOLVED;
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();   // still locked: ownership passes to `next`
    else this.#locked = false;
  }
}
