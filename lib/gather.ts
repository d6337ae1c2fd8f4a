/**
 * gather — asyncio.gather, from asyncio/tasks.py (a file of its own here, so that
 * tasks.ts stays about the Task).
 *
 * `yield* gather(a, b, c)` runs the awaitables concurrently and returns their results
 * in argument order, typed as a tuple. Semantics, as asyncio's:
 * - the first error is thrown to the awaiter at once, but the other children keep
 *   running — nobody cancels them (TaskGroup is the construct that does);
 * - with `{returnExceptions: true}` errors are returned in place of results;
 * - cancelling the gather cancels every child that is not done;
 * - the same awaitable given twice is run once, and its result appears twice.
 */
import { Future } from './futures.ts';
import type { EventLoop } from './loop.ts';
import { getRunningLoop } from './events.ts';
import { CancelledError } from './exceptions.ts';
import { isCoroutine } from './coroutines.ts';
import { type Awaitable, ensureFuture } from './tasks.ts';

export interface GatherOptions {
  /** Return errors (and CancelledErrors) as results instead of throwing the first. */
  returnExceptions?: boolean;
}

/** The result type of an awaitable. */
export type ResultOf<A> = A extends Future<infer T> ? T : A extends Generator<unknown, infer T, unknown> ? T : never;

type Results<A extends readonly unknown[]> = { -readonly [K in keyof A]: ResultOf<A[K]> };
type ResultsOrErrors<A extends readonly unknown[]> = { -readonly [K in keyof A]: ResultOf<A[K]> | Error };

/**
 * The future `gather` returns. Cancelling it cancels the children; it ends cancelled
 * once they have all finished.
 */
export class GatheringFuture<T> extends Future<T> {
  readonly #children: readonly Future<unknown>[];
  /** @internal Set when cancel() reached at least one child. */
  _cancelRequested = false;

  constructor(children: readonly Future<unknown>[], loop: EventLoop) {
    super(loop);
    this.#children = children;
  }

  /** @internal The futures gathered, in argument order (the call graph follows them). */
  _children(): readonly Future<unknown>[] {
    return this.#children;
  }

  /** Cancels every child not yet done; true if at least one was. asyncio: `_GatheringFuture.cancel`. */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let cancelledAny = false;
    for (const child of this.#children) {
      if (child.cancel(msg)) cancelledAny = true;
    }
    // The outer future is cancelled later, when the children report back (see onChildDone).
    if (cancelledAny) this._cancelRequested = true;
    return cancelledAny;
  }
}

/**
 * Runs awaitables concurrently; their results in argument order.
 *
 * @example
 * const [user, posts] = yield* gather(fetchUser(id), fetchPosts(id));
 * const results = yield* gather(tasks);                       // an array of awaitables
 * const settled = yield* gather(a, b, { returnExceptions: true });
 * @see asyncio `asyncio.gather(*aws, return_exceptions=False)`
 */
export function gather(): Future<[]>;
export function gather<const A extends readonly Awaitable<unknown>[]>(...aws: A): Future<Results<A>>;
export function gather<const A extends readonly Awaitable<unknown>[]>(...args: [...A, GatherOptions & { returnExceptions: true }]): Future<ResultsOrErrors<A>>;
export function gather<const A extends readonly Awaitable<unknown>[]>(...args: [...A, GatherOptions]): Future<Results<A>>;
export function gather<T>(aws: Iterable<Awaitable<T>>, options: GatherOptions & { returnExceptions: true }): Future<(T | Error)[]>;
export function gather<T>(aws: Iterable<Awaitable<T>>, options?: GatherOptions): Future<T[]>;
export function gather(...args: unknown[]): Future<any> {
  const [aws, options] = parseArguments(args);
  return gatherAll(aws, options.returnExceptions ?? false);
}

/** Splits `gather`'s arguments into the awaitables and the options. */
function parseArguments(args: unknown[]): [Awaitable<unknown>[], GatherOptions] {
  let options: GatherOptions = {};
  const last = args[args.length - 1];
  if (args.length > 0 && isOptions(last)) {
    options = last as GatherOptions;
    args = args.slice(0, -1);
  }
  // gather(array): a JS call cannot spread much past 100k arguments.
  if (args.length === 1 && Array.isArray(args[0])) return [args[0] as Awaitable<unknown>[], options];
  if (args.length === 1 && isIterableCollection(args[0])) return [[...(args[0] as Iterable<Awaitable<unknown>>)], options];
  return [args as Awaitable<unknown>[], options];
}

function isOptions(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !(value instanceof Future) && !isCoroutine(value)
    && !Array.isArray(value) && !(Symbol.iterator in value);
}

function isIterableCollection(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !(value instanceof Future) && !isCoroutine(value) && Symbol.iterator in value;
}

/**
 * gather's body, asyncio's `_gather`, in three steps: the outer future, on the loop of
 * the first awaitable; the one done-callback every child reports to
 * (`onChildDone`); a future for each awaitable, coroutines becoming tasks, with that
 * callback registered (`registerChildren`).
 */
function gatherAll(aws: readonly Awaitable<unknown>[], returnExceptions: boolean): Future<unknown[]> {
  if (aws.length === 0) return gatheredNothing();
  const children: Future<unknown>[] = new Array(aws.length);
  const outer = new GatheringFuture<unknown[]>(children, loopOf(aws[0]!));
  const total = children.length;
  let finished = 0;
  // results[0, collected) hold the results of the first children, collected as they
  // finish (see collectFront); the rest is read when the last child reports.
  const results: unknown[] = new Array(total);
  let collected = 0;
  // Set when a later awaitable is refused: the callbacks already queued by done children
  // (they cannot be removed any more) must then do nothing.
  let refused = false;

  const onChildDone = (child: Future<unknown>): void => {
    if (refused) return;
    finished++; // counts registrations: a future given twice reports twice
    if (outer.done()) return retrieveLateError(child);
    if (!returnExceptions) {
      if (child.cancelled()) return outer._cancelWith(child._makeCancelledError());
      if (child._hasException()) return outer.setException(child.exception());
    }
    collected = collectFront(children, results, collected);
    if (finished === total) finishGather(outer, children, results, collected);
  };
  try {
    registerChildren(aws, children, outer._loop, onChildDone);
  } catch (err) {
    refused = true;
    throw err;
  }
  return outer;
}

/** `gather()` of nothing: a future already done with `[]`. */
function gatheredNothing(): Future<unknown[]> {
  const outer = getRunningLoop().createFuture<unknown[]>();
  outer.setResult([]);
  return outer;
}

/** The loop a gather runs on: its first awaitable's, as in asyncio (later coroutines become tasks there). */
function loopOf(first: Awaitable<unknown>): EventLoop {
  return first instanceof Future ? first._loop : getRunningLoop();
}

/**
 * A child finished after the gather had already failed: looking at its error marks it
 * retrieved, so a second failure is not reported as "never retrieved" (asyncio does
 * the same).
 */
function retrieveLateError(child: Future<unknown>): void {
  if (!child.cancelled()) child.exception();
}

/**
 * Fills `children` with a future for each awaitable and registers `onChildDone` on each.
 * If an awaitable is refused (a future of another loop), unregisters what it registered
 * and throws; the caller mutes the callbacks that done children have queued already.
 */
function registerChildren(
  aws: readonly Awaitable<unknown>[],
  children: Future<unknown>[],
  loop: EventLoop,
  onChildDone: (child: Future<unknown>) => void,
): void {
  // One pass over the awaitables, registering as it goes: each child is touched once
  // here, not once to collect and again to register (100k tasks do not fit in the
  // CPU caches: the second pass cost W1 ~3 %; docs/benchmarks-core.md).
  // gather(c, c) must run the coroutine c once: a coroutine can be stepped by one task
  // only. Futures need no such care — one given twice simply gets two done-callbacks —
  // so only coroutines go through the Map (a Map over 100k tasks cost W1 ~20 %).
  let taskOf: Map<unknown, Future<unknown>> | null = null;
  for (let i = 0; i < children.length; i++) {
    const aw = aws[i] as Awaitable<unknown>;
    let fut = aw instanceof Future ? aw : taskOf?.get(aw);
    try {
      if (fut === undefined) {
        fut = ensureFuture(aw, loop);
        (taskOf ??= new Map()).set(aw, fut);
      } else if (fut._loop !== loop) {
        ensureFuture(fut, loop); // throws: futures of two loops
      }
    } catch (err) {
      // Nothing may stay registered for a gather that never was.
      for (let j = 0; j < i; j++) (children[j] as Future<unknown>).removeDoneCallback(onChildDone);
      throw err;
    }
    children[i] = fut;
    fut.addDoneCallback(onChildDone);
  }
}

/**
 * Reads the results of the children from `from` on, for as long as they are done with
 * one; returns how far it got. Called as children finish: when they finish in order
 * (the common case) each is read once, while it is still in the CPU cache, and the last
 * callback finds nothing left — no final pass over 100k tasks (W1: 0–4 %,
 * docs/benchmarks-core.md).
 */
function collectFront(children: readonly Future<unknown>[], results: unknown[], from: number): number {
  let i = from;
  while (i < children.length) {
    const child = children[i] as Future<unknown>;
    if (child.state !== 'FINISHED' || child._hasException()) break;
    results[i++] = child.result();
  }
  return i;
}

/**
 * All children are done: the results (or, with returnExceptions, the errors) in order.
 * `results` holds the first `collected` already.
 */
function finishGather(outer: GatheringFuture<unknown[]>, children: readonly Future<unknown>[], results: unknown[], collected: number): void {
  for (let i = collected; i < children.length; i++) {
    const child = children[i] as Future<unknown>;
    if (child.cancelled()) results[i] = child._makeCancelledError();
    else results[i] = child._hasException() ? child.exception() : child.result();
  }
  if (outer._cancelRequested) {
    // The gather itself was cancelled: that wins, whatever returnExceptions says.
    const firstCancelled = children.find((child) => child.cancelled());
    outer._cancelWith(firstCancelled?._makeCancelledError() ?? new CancelledError());
  } else {
    outer.setResult(results);
  }
}
