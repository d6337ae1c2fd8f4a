/**
 * Iteration across the border — asyncio's `aiter()` / `anext()` and `async for`, between
 * coroutines and the async iterables of Node.
 *
 * ## One protocol for "the next item may take a while"
 *
 * Python has one kind of asynchronous iteration: `__anext__` returns an awaitable, and
 * `async for` awaits it. JS has `for await`, but its `next()` returns a Promise, which a
 * coroutine cannot step. yieldio's counterpart is the {@link CoroIterator}: an object
 * whose `next()` is a *coroutine* returning an `IteratorResult`, read in a coroutine as
 *
 *     for (let r = yield* it.next(); !r.done; r = yield* it.next()) use(r.value);
 *
 * or with `forEach(it, function* (item) { … })`. `asCompleted()`'s async form, the
 * HTTP response body iterators (`aiterBytes`, `aiterText`) and the readers `aiter()`
 * makes all speak it. Two adapters cross the border, one each way:
 *
 *     AsyncIterable (async generator, Readable, events.on) ──aiter──▶ CoroIterator
 *     CoroIterator or Queue ──toAsyncIterable──▶ AsyncIterable (for await)
 *
 * Like `lib/promises.ts`, this file is a border and may use Promises; `aiter()` passes
 * each one through `wrapPromise`, so a coroutine waiting for the next item counts as
 * an outside wait (the deadlock report stays exact) and cancelling it cancels the wait.
 *
 * ## An abandoned `next()` must not lose its item
 *
 * When the task waiting in `reader.next()` is cancelled, the source is not told: a
 * Promise cannot be taken back. An async generator asked for its next item goes on to
 * its next `yield` and settles the Promise with that item; `events.on` hands the next
 * event to the oldest unanswered `next()`. Dropping that Promise would lose the item
 * silently. The reader keeps it instead, and the next call of `next()` — from any task —
 * receives it before anything newer is asked of the source. (`return()` does drop it:
 * the reader is leaving.)
 */
import type { EventLoop } from './loop.ts';
import type { Coro } from './coroutines.ts';
import { describeValue } from './coroutines.ts';
import { getRunningLoop, _getRunningLoop } from './events.ts';
import { RuntimeError, QueueShutDown } from './exceptions.ts';
import { Queue } from './queues.ts';
import { wrapPromise, _isThenable } from './promises.ts';

/**
 * An iterator whose `next()` is a coroutine: yieldio's asynchronous iterator
 * (Python's `__anext__`). `return()`, if present, lets go of the source early and is
 * called by `forEach()` and `toAsyncIterable()` when the loop is left before the end;
 * `getLoop()`, if present, names the loop its coroutines run on.
 *
 * @example
 * const it: CoroIterator<string> = aiter(lines);
 * for (let r = yield* it.next(); !r.done; r = yield* it.next()) console.log(r.value);
 * @see asyncio: an asynchronous iterator (`__anext__`, and `aclose()` for `return()`)
 */
export interface CoroIterator<T> {
  next(): Coro<IteratorResult<T, undefined>>;
  return?(): Coro<IteratorResult<T, undefined>>;
  getLoop?(): EventLoop;
}

/** The end of an iteration (a fresh object each time: a caller may keep or change it). */
function end(): IteratorReturnResult<undefined> {
  return { done: true, value: undefined };
}

// ---- aiter: an AsyncIterable read from a coroutine ----

/** A source's `next()` as a Promise that never rejects: its outcome, tagged. */
type Step<T> = { ok: true; result: IteratorResult<T> } | { ok: false; error: unknown };

/**
 * Reads a JS async iterable one item at a time from a coroutine: what `aiter()` returns.
 *
 * States: OPEN → EXHAUSTED (the source said done) or CLOSED (`return()`); in either
 * end state `next()` returns `{done: true}` without asking the source.
 * Invariants:
 * - `#kept`: the step of a `next()` whose waiting task was cancelled (see the file
 *   header), still to be delivered by the next call; null otherwise, and always null
 *   once the reader has ended.
 * - `#loop`: the loop whose futures the waits use (the one running at `aiter()`).
 *
 * It is also an async context manager that closes the source on exit (Python's
 * `contextlib.aclosing`). Meant for one reader at a time, as any iterator: calls of
 * `next()` that overlap are passed to the source as they come (an async generator
 * queues them), and an item kept from a cancelled call goes to the next call made.
 *
 * @example
 * yield* asyncWith(aiter(readable), function* (chunks) {
 *   for (let r = yield* chunks.next(); !r.done; r = yield* chunks.next()) {
 *     if (isLast(r.value)) break; // exit() calls return(): the stream is destroyed
 *   }
 * });
 * @see asyncio `aiter(x)` / `anext(it)` inside `async with contextlib.aclosing(x)`
 */
export class AsyncIterableReader<T> implements CoroIterator<T> {
  #state: 'OPEN' | 'EXHAUSTED' | 'CLOSED' = 'OPEN';
  readonly #source: AsyncIterator<T>;
  readonly #loop: EventLoop;
  #kept: Promise<Step<T>> | null = null;

  /** Use `aiter(source)`. */
  constructor(source: AsyncIterator<T>, loop: EventLoop) {
    this.#source = source;
    this.#loop = loop;
  }

  /** OPEN, EXHAUSTED or CLOSED. */
  get state(): 'OPEN' | 'EXHAUSTED' | 'CLOSED' {
    return this.#state;
  }

  /** The loop this reader's waits run on. */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /**
   * The next item, or `{done: true}` once the source ended or `return()` was called.
   * A rejection of the source's `next()` is thrown as it is (the very object).
   * asyncio: `anext(it)`.
   */
  *next(): Coro<IteratorResult<T, undefined>> {
    if (this.#state !== 'OPEN') return end();
    const step = this.#kept ?? this.#askSource();
    this.#kept = null;
    let outcome: Step<T>;
    try {
      outcome = yield* wrapPromise(step, this.#loop);
    } catch (err) {
      // `step` never rejects, so only the cancellation of the waiting task lands here.
      // The source is still producing the item: keep its Promise for the next call.
      if (this.#state === 'OPEN') this.#kept = step;
      throw err;
    }
    if (!outcome.ok) throw outcome.error;
    if (outcome.result.done) {
      // A return() that ran while this next() waited has closed the reader: keep CLOSED.
      if (this.#state === 'OPEN') this.#state = 'EXHAUSTED';
      return end();
    }
    return { done: false, value: outcome.result.value };
  }

  /**
   * Stops reading: calls the source's `return()` (an async generator runs its `finally`
   * blocks, a Readable is destroyed, `events.on` removes its listener) and waits for it.
   * Does nothing if the reader has ended already. asyncio: `await agen.aclose()`.
   */
  *return(): Coro<IteratorResult<T, undefined>> {
    if (this.#state !== 'OPEN') return end();
    this.#state = 'CLOSED';
    this.#kept = null; // an item still on its way is dropped: nobody will read it
    if (typeof this.#source.return === 'function') {
      yield* wrapPromise(Promise.resolve(this.#source.return()), this.#loop);
    }
    return end();
  }

  /** `asyncWith(aiter(x), body)`: the body gets the reader itself. */
  *enter(): Coro<this> {
    return this;
  }

  /** Closes the source, whatever the body did. */
  *exit(): Coro<void> {
    yield* this.return();
  }

  /** The source's next item as a tagged Promise; a synchronous throw becomes a failure. */
  #askSource(): Promise<Step<T>> {
    let promise: PromiseLike<IteratorResult<T>>;
    try {
      promise = this.#source.next();
    } catch (error) {
      return Promise.resolve({ ok: false, error });
    }
    return Promise.resolve(promise).then(
      (result): Step<T> => ({ ok: true, result }),
      (error): Step<T> => ({ ok: false, error }),
    );
  }

  toString(): string {
    return `<AsyncIterableReader ${this.#state}${this.#kept === null ? '' : ' (an item kept)'}>`;
  }
}

/**
 * A reader for a JS async iterable — an async generator, a Node `Readable`,
 * `events.on(emitter, name)`, a web `ReadableStream` — whose `next()` is a coroutine, so
 * a coroutine reads it one item at a time. Waiting for an item is an outside wait: the
 * loop never reports it as a deadlock, and cancelling the waiting task cancels the wait
 * without losing the item (the next `next()` receives it). Leave early with
 * `yield* reader.return()`, or read with `forEach()`, or open it with `asyncWith()`,
 * which close the source for you.
 *
 * @example
 * const lines = aiter(readline.createInterface({ input: fs.createReadStream(path) }));
 * for (let r = yield* lines.next(); !r.done; r = yield* lines.next()) {
 *   yield* handle(r.value);
 * }
 * @see asyncio: the built-ins `aiter(x)` and `anext(it)`
 */
export function aiter<T>(source: AsyncIterable<T>, loop: EventLoop = getRunningLoop()): AsyncIterableReader<T> {
  if (!isAsyncIterable(source)) throw new TypeError(`aiter() expects an async iterable, got ${describeValue(source)}${notAsyncHint(source)}.`);
  return new AsyncIterableReader(source[Symbol.asyncIterator](), loop);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && value !== undefined && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** How to fix the common mix-ups of `aiter()` / `toAsyncIterable()`. */
function notAsyncHint(value: unknown): string {
  if (value instanceof Queue) return ': read a Queue with forEach(queue, …) or `yield* queue.get()`';
  if (isCoroIteratorLike(value)) return ': it looks like a yieldio iterator already — call `yield* it.next()`, or use forEach(it, …)';
  if (value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function') return ': a synchronous iterable is read with for…of';
  return '';
}

function isCoroIteratorLike(value: unknown): value is CoroIterator<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as CoroIterator<unknown>).next === 'function';
}

// ---- a Queue as a CoroIterator ----

/** Reads a Queue until it is shut down and empty (`get()` throws QueueShutDown). */
class QueueReader<T> implements CoroIterator<T> {
  readonly #queue: Queue<T>;
  constructor(queue: Queue<T>) {
    this.#queue = queue;
  }

  *next(): Coro<IteratorResult<T, undefined>> {
    try {
      return { done: false, value: yield* this.#queue.get() };
    } catch (err) {
      if (err instanceof QueueShutDown) return end();
      throw err;
    }
  }
  // No return(): a reader leaving early does not own the queue; others may read on.
}

/** What `forEach()` reads. */
export type IterationSource<T> = CoroIterator<T> | AsyncIterable<T> | Queue<T>;

/** The CoroIterator that reads `source`. */
function readerOf<T>(source: IterationSource<T>, caller: string): CoroIterator<T> {
  if (source instanceof Queue) return new QueueReader(source);
  if (isAsyncIterable(source)) return aiter(source);
  if (isCoroIteratorLike(source)) return source;
  throw new TypeError(`${caller} expects a yieldio iterator (next() returning a coroutine), an async iterable or a Queue, got ${describeValue(source)}${notAsyncHint(source)}.`);
}

// ---- forEach: a for…of over any of them ----

/**
 * Runs `body` on each item of `source`, one at a time, in the calling task: an
 * `async for` for coroutines. `source` is a CoroIterator (`asCompleted(…)`, a body
 * iterator, an `aiter()` reader), a JS async iterable (read through `aiter()`), or a
 * Queue (read until it is shut down and empty).
 *
 * The body returns `false` to stop early (as lodash's `forEach`); stopping, an error
 * thrown by the body, or a cancellation closes the source with its `return()` — an
 * async generator's `finally` runs, a stream is destroyed — as `for…of` does on
 * `break`. An error of the source itself is thrown as it is. If closing fails while an
 * error is already on its way, the first error wins (as in `for…of`).
 *
 * @example
 * yield* forEach(events.on(socket, 'message'), function* ([message]) {
 *   if (message === 'bye') return false;
 *   yield* reply(message);
 * });
 * @example
 * yield* forEach(jobs, function* (job) { // a Queue: ends when it is shut down
 *   try { yield* run(job); } finally { jobs.taskDone(); }
 * });
 * @see asyncio `async for item in source:` (with `contextlib.aclosing(source)`)
 */
export function* forEach<T>(source: IterationSource<T>, body: (item: T) => Coro<boolean | void>): Coro<void> {
  const it = readerOf(source, 'forEach()');
  let stopped: boolean;
  try {
    stopped = yield* drive(it, body);
  } catch (err) {
    yield* closeQuietly(it);
    throw err;
  }
  if (stopped) yield* close(it);
}

/** The loop of `forEach`: true if the body stopped it, false at the source's end. */
function* drive<T>(it: CoroIterator<T>, body: (item: T) => Coro<boolean | void>): Coro<boolean> {
  for (let r = yield* nextStep(it, 'forEach()'); !r.done; r = yield* nextStep(it, 'forEach()')) {
    if ((yield* body(r.value)) === false) return true;
  }
  return false;
}

function* close<T>(it: CoroIterator<T>): Coro<void> {
  if (typeof it.return === 'function') yield* it.return();
}

function* closeQuietly<T>(it: CoroIterator<T>): Coro<void> {
  try {
    yield* close(it);
  } catch {
    // Dropped: the error that ended the loop is the one to report (as for…of does).
  }
}

// ---- toAsyncIterable: a CoroIterator or Queue for `for await` ----

/** Options of `toAsyncIterable`. */
export interface ToAsyncIterableOptions {
  /**
   * The loop to run the steps on. Default: the source's own (`getLoop()`), else the
   * loop running at the call. Needed for a Queue handed to async code from outside the
   * loop (a Queue learns its loop only when first used).
   */
  loop?: EventLoop;
}

/**
 * An `AsyncIterable` over a yieldio source, for `for await` in async code: a
 * CoroIterator (an `aiter()` reader, `asCompleted(…)`'s async form, a response body's
 * `aiterBytes()` / `aiterText()`) or a `Queue` (items until it is shut down and empty).
 * Each step runs as a coroutine on the source's loop (`loop.runCoroutine`), so the loop
 * must be running while async code reads. Leaving the `for await` early (`break`, an
 * error in its body) calls the source's `return()` — a response body is closed, an
 * `aiter()` source is closed; a Queue is left as it is. A step's error rejects the
 * `next()` Promise with the very error. Steps run one at a time, in order.
 * (As in any async generator, an item that is itself a Promise is awaited.)
 *
 * @example
 * // in a coroutine: hand a body to a Node API that takes an async iterable
 * const r = yield* client.stream('GET', url);
 * yield* wrapPromise(pipeline(Readable.from(toAsyncIterable(r.aiterBytes())), fs.createWriteStream(path)));
 * @example
 * // in async code: read a Queue a coroutine fills
 * for await (const event of toAsyncIterable(queue, { loop })) console.log(event);
 * @see asyncio: no counterpart — Python has one kind of `async for`; this is the bridge
 * from yieldio's kind to the Promise kind (as `run_coroutine_threadsafe` is for one value)
 */
export function toAsyncIterable<T>(source: CoroIterator<T> | Queue<T>, options: ToAsyncIterableOptions = {}): AsyncIterableIterator<T> {
  let it: CoroIterator<T>;
  if (source instanceof Queue) it = new QueueReader(source);
  else if (isCoroIteratorLike(source) && !isAsyncIterable(source)) it = source;
  else throw new TypeError(`toAsyncIterable() expects a yieldio iterator (next() returning a coroutine) or a Queue, got ${describeValue(source)}${isAsyncIterable(source) ? ': it is an async iterable already — use it with for await directly' : ''}.`);
  const loop = options.loop ?? it.getLoop?.() ?? _getRunningLoop();
  if (loop === null) {
    throw new RuntimeError('toAsyncIterable(): no event loop to run the steps on. Call it inside a coroutine (the running loop is used), or pass { loop } — the loop the source belongs to.');
  }
  return steps(it, loop);
}

/**
 * The async generator behind `toAsyncIterable`: one `runCoroutine` per item. JS's own
 * machinery then queues overlapping `next()` calls and turns a `break` into `return()`,
 * which runs the `finally` below.
 */
async function* steps<T>(it: CoroIterator<T>, loop: EventLoop): AsyncGenerator<T, undefined, undefined> {
  let open = true; // false once the source ended or failed: then there is nothing to close
  try {
    for (;;) {
      let r: IteratorResult<T, undefined>;
      try {
        r = await loop.runCoroutine(nextStep(it, 'toAsyncIterable()'));
      } catch (err) {
        open = false;
        throw err;
      }
      if (r.done) {
        open = false;
        return undefined;
      }
      yield r.value;
    }
  } finally {
    if (open && typeof it.return === 'function') await loop.runCoroutine(it.return());
  }
}

/**
 * `it.next()`, checked: a `next()` returning a Promise belongs to a JS async iterator,
 * which `yield*` cannot wait on — say so, rather than "is not iterable".
 */
function nextStep<T>(it: CoroIterator<T>, caller: string): Coro<IteratorResult<T, undefined>> {
  const step: unknown = it.next();
  if (_isThenable(step)) {
    throw new TypeError(`${caller}: the source's next() returned a Promise, not a coroutine. A JS async iterator is read in a coroutine through aiter(iterable), and in async code with for await directly.`);
  }
  return step as Coro<IteratorResult<T, undefined>>;
}
