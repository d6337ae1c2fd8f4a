/**
 * Tasks and the task helpers — asyncio/tasks.py.
 *
 * A Task runs a coroutine. Each *step* resumes the coroutine once — `coro.next()`, or
 * `coro.throw(err)` to deliver an error — and looks at what it yielded:
 *
 * - a blocking Future (from `yield* fut`): wait for it; its completion wakes the task;
 * - nothing (a bare `yield`): run the next step on the next loop iteration;
 * - anything else: a mistake, reported by throwing a TypeError into the coroutine.
 *
 * When the coroutine returns, the task (itself a Future) finishes with its value; when
 * it throws, with that exception; when a CancelledError escapes, the task is cancelled.
 */
import { AsyncResource } from 'node:async_hooks';
import { Future, AWAITING, DONE } from './futures.ts';
import type { EventLoop } from './loop.ts';
import { getRunningLoop, _getRunningLoop } from './events.ts';
import { CancelledError, RuntimeError } from './exceptions.ts';
import { type Coro, checkCoroutine, describeValue, isCoroutine, sleepZero } from './coroutines.ts';
import { CURRENT, type Context, type ContextMapping } from './contextvars.ts';

export interface TaskOptions {
  /** The task's name (default `Task-N`). */
  name?: string;
  /**
   * Run the coroutine synchronously, inside `createTask`, up to its first real
   * suspension (asyncio 3.12's eager tasks). The task may be done on return.
   */
  eagerStart?: boolean;
  /**
   * Cancels the task when this AbortSignal aborts, with the abort reason as the
   * message; a signal aborted already cancels the task at its first step.
   */
  signal?: AbortSignal;
  /**
   * The context the task runs in a copy of (default: a copy of the current one, as
   * asyncio). CPython runs the task in this very context; see contextvars.ts.
   */
  context?: Context;
}

/**
 * A misuse error (a bad yield) waiting for the task's next step, pushed out of
 * `#pendingThrow` by a cancel(). The cancel wins at that step, as in asyncio; but if
 * uncancel() withdraws it first, the error must still be thrown in — CPython passes it
 * to the scheduled `__step` and keeps `_must_cancel` apart. A side table, because it
 * is rare and every Task would pay for a field.
 */
const displacedByCancel = new WeakMap<Task<any>, unknown>();

/** Tasks are numbered as asyncio numbers them: Task-1, Task-2, … */
let taskCounter = 0;

/**
 * A task's life, as the invariant block of `Task` describes it, as data: while the task
 * is PENDING (as a Future) it is SCHEDULED, RUNNING or WAITING; then FINISHED or
 * CANCELLED. Each row maps what happens to the next situation. The task keeps no field
 * for it (that would cost every task; the loop's ready queue, `_currentTask` and
 * `_futWaiter` already say it); the table documents `step()`, `handleYield()` and
 * `waitOn()`, and docs/diagrams/task.md is drawn from it by scripts/diagrams.ts.
 * `cancel()` moves nothing by itself: it cancels the awaited future (whose completion
 * wakes the task) or leaves an error for the next step to throw in.
 */
export const TASK_TRANSITIONS = {
  SCHEDULED: { step: 'RUNNING' },
  RUNNING: {
    bareYield: 'SCHEDULED',
    badYield: 'SCHEDULED',
    yieldPendingFuture: 'WAITING',
    return: 'FINISHED',
    throw: 'FINISHED',
    returnWithCancelPending: 'CANCELLED',
    throwCancelledError: 'CANCELLED',
  },
  WAITING: { futureDone: 'SCHEDULED' },
  FINISHED: {},
  CANCELLED: {},
} as const;

/** Where a task is in `TASK_TRANSITIONS`. */
export type TaskPhase = keyof typeof TASK_TRANSITIONS;

/**
 * A Future that runs a coroutine.
 *
 * Invariants (beyond Future's):
 * - At any moment a pending task is in exactly one of these situations:
 *   *running* (its step is on the stack: `loop._currentTask === this`);
 *   *scheduled* (it is in the ready queue, at most once);
 *   *waiting* (`_futWaiter` is the future whose done-callback will schedule it).
 * - From its first wait until it is done, a task is in the loop's list `_tasks`
 *   (tasklist.ts); before that it is scheduled or running, and found there.
 * - `#pendingThrow`: an error the next step throws into the coroutine instead of
 *   resuming it. A CancelledError there is asyncio's `_must_cancel`: a cancel() that
 *   found no future to pass itself on to. Anything else is a bad-yield TypeError
 *   (one that a cancel() pushed aside waits in `displacedByCancel`).
 * - `#numCancelsRequested` counts cancel() calls not yet matched by uncancel()
 *   (asyncio 3.11+: what `timeout()` and TaskGroup use to tell their own cancellations
 *   from someone else's).
 * Fields are few on purpose: every task pays for each (W1, W5 in docs/benchmarks.md).
 * For the same reason the helper methods are TypeScript `private`, not `#private`: a
 * class with `#` methods stamps a hidden brand on each instance, one word per class
 * in the chain — 16 bytes per Task, 8 per Future, ~8 % of W1 (docs/decisions.md).
 */
export class Task<T = unknown> extends Future<T> {
  /** The coroutine; null once a task finished during its eager first step (see the constructor). */
  #coro: Coro<T> | null;
  /** A number until someone asks: `Task-N` is formatted lazily (saves a string per task). */
  #name: string | number;
  #numCancelsRequested = 0;
  #pendingThrow: unknown = undefined;
  /** @internal The future this task waits on, or null. */
  _futWaiter: Future<unknown> | null = null;
  /**
   * @internal The task's context (contextvars.ts): a snapshot of its creator's, taken
   * at creation, swapped in for each step and replaced by what the step set.
   */
  _context: ContextMapping;
  /** @internal Links in the loop's list of pending tasks (tasklist.ts). */
  _prevTask: Task<unknown> | null = null;
  /** @internal */ _nextTask: Task<unknown> | null = null;

  /** Use `createTask(coro)` or `loop.createTask(coro)`. */
  constructor(coro: Coro<T>, loop?: EventLoop, options?: TaskOptions) {
    checkCoroutine(coro, 'createTask()');
    super(loop);
    this.#coro = coro;
    this.#name = options?.name ?? ++taskCounter;
    this._context = options?.context !== undefined ? options.context._vars : CURRENT.vars;
    const ownLoop = this._loop;
    if (ownLoop.getDebug()) ownLoop._setCreationSite(this as Task<unknown>, creationSite());
    if (ownLoop._tracer !== null) ownLoop._tracer.taskCreated(this as Task<unknown>);
    if (options?.signal !== undefined) cancelOnAbort(this as Task<unknown>, options.signal);
    // Made here, inside the creator's step: Node copies the creator's AsyncLocalStorage
    // values into it, as asyncio copies the context.
    if (ownLoop._asyncLocalStorage) asyncScopes.set(this as Task<unknown>, new AsyncResource('yieldio.Task'));
    // asyncio 3.12 eager tasks: the first step runs now, inside createTask, while the
    // calling task is suspended (step() saves and restores `_currentTask`).
    if (options?.eagerStart && _getRunningLoop() === ownLoop) this.eagerStart();
    else ownLoop._scheduleRunnable(this);
  }

  /**
   * asyncio 3.12 `Task.__eager_start`: the first step, inside createTask. A task done
   * after it lets go of its coroutine at once, as CPython does (`getCoro()` is then
   * null): the finished generator is garbage before the next collection instead of
   * living as long as the task (W1 with eager tasks keeps 100k tasks alive).
   */
  private eagerStart(): void {
    // The creating task is suspended inside this call, neither waiting nor queued: list
    // it, so that `allTasks()` from the eager step still finds it (tasklist.ts).
    const parent = this._loop._currentTask;
    if (parent !== null && !this._loop._tasks.has(parent)) this._loop._tasks.add(parent);
    this._run();
    if (this.done()) this.#coro = null;
  }

  /** @internal Where the task was created (debug mode only). */
  get _sourceTraceback(): string | undefined {
    return this._loop._creationSite(this as Task<unknown>);
  }

  getName(): string {
    if (typeof this.#name === 'number') this.#name = `Task-${this.#name}`;
    return this.#name;
  }

  setName(name: string): void {
    this.#name = String(name);
  }

  /** The coroutine the task runs; null if it finished during its eager first step (asyncio 3.12). */
  getCoro(): Coro<T> | null {
    return this.#coro;
  }

  /**
   * An AbortSignal aborted when the task is done — cancelled (the reason is its
   * CancelledError) or finished — to hand to Promise APIs the task calls, so that
   * their work stops with the task. Made on first use: a task that never asks pays
   * nothing (a side table, not a field).
   *
   * @example
   * const res = yield* wrapPromise(fetch(url, { signal: currentTask()!.signal }));
   */
  get signal(): AbortSignal {
    let controller = taskControllers.get(this as Task<unknown>);
    if (controller === undefined) {
      controller = new AbortController();
      taskControllers.set(this as Task<unknown>, controller);
      if (this.done()) controller.abort(doneReason(this as Task<unknown>));
      else this.addDoneCallback(abortWhenDone);
    }
    return controller.signal;
  }

  /** Cancel requests not yet matched by `uncancel()`. asyncio 3.11+: `Task.cancelling`. */
  cancelling(): number {
    return this.#numCancelsRequested;
  }

  /** Decrements the cancel-request count; returns the new count. asyncio: `Task.uncancel`. */
  uncancel(): number {
    if (this.#numCancelsRequested > 0) {
      this.#numCancelsRequested--;
      // asyncio 3.13: once the count is back to zero, a pending cancel is withdrawn —
      // and a misuse error it had pushed aside is due again.
      if (this.#numCancelsRequested === 0 && this.#pendingThrow instanceof CancelledError) {
        this.#pendingThrow = displacedByCancel.get(this);
        displacedByCancel.delete(this);
      }
    }
    return this.#numCancelsRequested;
  }

  /** Refused, as in asyncio: a task's outcome is its coroutine's. */
  override setResult(_result: T): never {
    throw new RuntimeError(`setResult() on ${this.toString()}: a task finishes when its coroutine returns — return the value from the coroutine, or cancel() the task.`);
  }

  /** Refused, as in asyncio: a task's outcome is its coroutine's. */
  override setException(_exception: unknown): never {
    throw new RuntimeError(`setException() on ${this.toString()}: a task fails when its coroutine throws — throw from the coroutine, or cancel() the task.`);
  }

  /**
   * Requests cancellation: a CancelledError(msg) is thrown into the coroutine at its
   * next step, after the future it waits on is cancelled. The coroutine may catch it.
   * Returns false if the task is already done. asyncio: `Task.cancel`.
   */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    this.#numCancelsRequested++;
    if (this._loop._tracer !== null) this._loop._tracer.cancelRequested(this as Task<unknown>, msg);
    // Cancelling the awaited future wakes us with its CancelledError. We keep
    // `_futWaiter`: if it is a task that swallows the cancellation, the next cancel()
    // must reach it again.
    if (this._futWaiter !== null && this._futWaiter.cancel(msg)) return true;
    const pending = this.#pendingThrow;
    if (pending !== undefined && !(pending instanceof CancelledError)) displacedByCancel.set(this, pending);
    this.#pendingThrow = new CancelledError(msg);
    return true;
  }

  /**
   * The loop runs a due step through this (a Task is its own ready-queue handle).
   * With a tracer (`run(main, {trace})`) the step is recorded, and with
   * `{asyncLocalStorage: true}` it runs in the task's Node async scope; with neither
   * this costs two field checks (docs/benchmarks.md, "tracing off").
   * @internal
   */
  override _run(): void {
    // Done, and in the ready queue: its done-callbacks are due (Future._run). A task
    // is there for a step only while pending — it finishes only inside its own step.
    if (this.done()) return super._run();
    const tracer = this._loop._tracer;
    if (tracer === null && !this._loop._asyncLocalStorage) return this.step();
    tracer?.stepStarted(this as Task<unknown>, this._futWaiter);
    const scope = asyncScopes.get(this as Task<unknown>);
    if (scope === undefined) this.step();
    else scope.runInAsyncScope(this.step, this);
    tracer?.stepEnded(this as Task<unknown>);
  }

  /**
   * One step of the coroutine — asyncio's `Task.__step`. Never throws: whatever the
   * coroutine throws becomes the task's outcome.
   */
  private step(): void {
    const error = this.#pendingThrow;
    if (error !== undefined) {
      this.#pendingThrow = undefined;
      if (error instanceof CancelledError) displacedByCancel.delete(this); // the cancel won
    }
    this._futWaiter = null;
    const loop = this._loop;
    const previousTask = loop._currentTask;
    loop._currentTask = this as Task<unknown>;
    // The step runs in the task's context; what it sets stays the task's (contextvars.ts).
    // Nearly always the two are the same snapshot (no variable set anywhere, or none
    // since this task's creation): then nothing is written (W3 at parity, bench/ab.ts).
    const outerContext = CURRENT.vars;
    if (this._context !== outerContext) CURRENT.vars = this._context;
    let result: IteratorResult<unknown, T>;
    try {
      const coro = this.#coro as Coro<T>; // null only once done, and a done task never steps
      result = error === undefined ? coro.next() : coro.throw(error);
    } catch (err) {
      loop._currentTask = previousTask;
      CURRENT.vars = outerContext;
      AWAITING.value = DONE.value = undefined;
      this.finishWithError(err);
      return;
    }
    loop._currentTask = previousTask;
    const stepContext = CURRENT.vars;
    if (stepContext !== outerContext) {
      this._context = stepContext;
      CURRENT.vars = outerContext;
    }
    // The shared `yield*` results (futures.ts header) have been read: empty them before
    // anything else runs, so that they keep nothing alive. First take the future a
    // `yield*` left in AWAITING, if any.
    const awaited = AWAITING.value;
    AWAITING.value = DONE.value = undefined;
    if (result === AWAITING) {
      this.waitOn(awaited as Future<unknown>);
    } else if (result.done) {
      this.finishWithResult(result.value);
    } else {
      this.handleYield(result.value, awaited);
    }
  }

  private finishWithResult(value: T): void {
    this._loop._tasks.delete(this as Task<unknown>);
    const pending = this.#pendingThrow;
    if (pending instanceof CancelledError) {
      // cancel() arrived during the last step and the coroutine returned before seeing
      // it: asyncio reports the task as cancelled, not finished.
      this.#pendingThrow = undefined;
      this._cancelWith(pending);
    } else {
      super.setResult(value);
    }
  }

  private finishWithError(err: unknown): void {
    this._loop._tasks.delete(this as Task<unknown>);
    // Awaiting a cancelled task rethrows the very CancelledError that stopped it.
    if (err instanceof CancelledError) this._cancelWith(err);
    else super.setException(err);
  }

  /**
   * Anything yielded other than `yield* fut` itself: a bare `yield`, or a mistake.
   * `awaited` is the future whose `next()` filled the AWAITING marker during the step.
   */
  private handleYield(value: unknown, awaited: Future<unknown> | undefined): void {
    if (value === undefined) {
      // A bare `yield` (sleep(0)): give the other ready callbacks one turn.
      this._loop._scheduleRunnable(this);
    } else if (value === awaited) {
      // That pending future, handed up by code that steps an inner coroutine by hand
      // (`r = inner.next(); yield r.value`) or wraps its results: an await all the same.
      // CPython accepts it too, by the `_asyncio_future_blocking` flag `__await__` set.
      this.waitOn(awaited);
    } else if (value instanceof Future) {
      this.throwInNextStep(new TypeError(`${this.toString()} got ${value.toString()} from \`yield\`: \`yield\` was used instead of \`yield*\` — write \`yield* fut\` to await a future.`));
    } else if (isCoroutine(value)) {
      this.throwInNextStep(new TypeError(`${this.toString()} got a generator from \`yield\`: use \`yield* coro()\` to await a coroutine — \`yield\` hands it to the loop, which cannot run it.`));
    } else {
      this.throwInNextStep(new TypeError(`${this.toString()} got a bad yield: ${describeValue(value)}. A coroutine awaits with \`yield* x\` (x a Future, Task or coroutine); a bare \`yield\` gives up one loop iteration.`));
    }
  }

  /** The coroutine awaits the pending future `fut`: sleep until its done-callback wakes us. */
  private waitOn(fut: Future<unknown>): void {
    // Nearly every await: a future of this loop, not this task, no cancel() arrived
    // during the step. One test for all three keeps the hop short; the branches below
    // are the exceptions, in turn. (The registration is written twice on purpose: the
    // straight-line version — checks, then one registration, then the cancel test —
    // measured 20 % slower on W3: `bench/ab.ts w3`, docs/benchmarks-core.md.)
    if (fut._loop === this._loop && fut !== this && this.#pendingThrow === undefined) {
      this._futWaiter = fut;
      fut._addDoneCallback(this);
      // A waiting task is in no queue: the loop's list is how it is found (tasklist.ts).
      if (!this._loop._tasks.has(this as Task<unknown>)) this._loop._tasks.add(this as Task<unknown>);
    } else if (fut._loop !== this._loop) {
      this.throwInNextStep(new RuntimeError(`${this.toString()} awaited ${fut.toString()}, which belongs to a different event loop: a future can only be awaited by tasks of the loop that created it.`));
    } else if (fut === this) {
      this.throwInNextStep(new RuntimeError(`${this.toString()} cannot await itself: it would wait forever.`));
    } else {
      this._futWaiter = fut;
      fut._addDoneCallback(this);
      if (!this._loop._tasks.has(this as Task<unknown>)) this._loop._tasks.add(this as Task<unknown>);
      // A cancel() during this very step: pass it on to the new waiter right away.
      const pending = this.#pendingThrow;
      if (pending instanceof CancelledError && fut.cancel(pending.message || undefined)) this.#pendingThrow = undefined;
    }
  }

  /** A mistake: the next step throws `error` into the coroutine (a cancel() still wins). */
  private throwInNextStep(error: Error): void {
    if (this.#pendingThrow instanceof CancelledError) displacedByCancel.set(this, error);
    else this.#pendingThrow = error;
    this._loop._scheduleRunnable(this);
  }

  override toString(): string {
    return `<Task ${this._describeState()} name=${this.getName()}>`;
  }
}

/** `run(main, {asyncLocalStorage: true})`: each task's Node async scope (a side table: other runs pay nothing). */
const asyncScopes = new WeakMap<Task<unknown>, AsyncResource>();

/** The controllers behind `task.signal`, for the few tasks that asked. */
const taskControllers = new WeakMap<Task<unknown>, AbortController>();

function abortWhenDone(task: Future<unknown>): void {
  taskControllers.get(task as Task<unknown>)?.abort(doneReason(task as Task<unknown>));
}

/** Why a done task's signal aborted: its CancelledError, or that it finished. */
function doneReason(task: Task<unknown>): unknown {
  if (task.cancelled()) return task._makeCancelledError();
  return new Error(`${task.toString()} finished`);
}

/**
 * `createTask(coro, {signal})`: an abort cancels the task, with the reason as the
 * message. The listener goes when the task is done, so a long-lived signal shared by
 * many tasks does not collect one listener per task for ever.
 */
function cancelOnAbort(task: Task<unknown>, signal: AbortSignal): void {
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`createTask(): the signal option must be an AbortSignal (e.g. controller.signal), got ${describeValue(signal)}.`);
  }
  const onAbort = (): void => {
    task.cancel(abortMessage(signal.reason));
  };
  if (signal.aborted) return onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  task.addDoneCallback(() => signal.removeEventListener('abort', onAbort));
}

/** The CancelledError message for an abort reason (an Error's message, or the value as text). */
function abortMessage(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}

/** Where a task was created (debug mode): the stack without yieldio's own frames. */
function creationSite(): string {
  const stack = new Error().stack ?? '';
  return stack.split('\n').slice(1).filter((line) => !/[\\/]lib[\\/](tasks|loop|futures)\.[tj]s/.test(line)).slice(0, 8).join('\n');
}

/** Something `yield*` can wait for: a Future (or Task) or a coroutine. */
export type Awaitable<T> = Future<T> | Coro<T>;

/**
 * Wraps a coroutine in a task on the running loop and schedules it.
 *
 * @example
 * const task = createTask(worker(1), { name: 'worker-1' });
 * const result = yield* task;
 * @see asyncio `asyncio.create_task(coro, name=...)`
 */
export function createTask<T>(coro: Coro<T>, options?: TaskOptions): Task<T> {
  const loop = _getRunningLoop();
  if (loop === null) {
    checkCoroutine(coro, 'createTask()');
    throw new RuntimeError('createTask() needs a running event loop: call it from a coroutine inside run(main()), or start the program with run(coro).');
  }
  return loop.createTask(coro, options);
}

/**
 * A Future for `aw`: a Future is returned as it is, a coroutine is wrapped in a task.
 * asyncio: `asyncio.ensure_future`.
 */
export function ensureFuture<T>(aw: Awaitable<T>, loop?: EventLoop): Future<T> {
  if (aw instanceof Future) {
    if (loop !== undefined && aw._loop !== loop) {
      throw new RuntimeError(`ensureFuture(): ${aw.toString()} belongs to a different event loop than the one given.`);
    }
    return aw;
  }
  if (isCoroutine(aw)) return (loop ?? getRunningLoop()).createTask(aw as Coro<T>);
  throw new TypeError(`ensureFuture() expects a Future, Task or coroutine, but got ${describeValue(aw)}.`);
}

/**
 * The task running right now, or null (e.g. inside a plain callback).
 * asyncio: `asyncio.current_task()`.
 */
export function currentTask(loop?: EventLoop): Task<unknown> | null {
  return (loop ?? getRunningLoop())._currentTask;
}

/** The tasks of the loop that are not done yet. asyncio: `asyncio.all_tasks()`. */
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  return (loop ?? getRunningLoop())._allTasks();
}

function setResultUnlessCancelled<T>(fut: Future<T>, result: T): void {
  if (!fut.cancelled()) fut.setResult(result);
}

/**
 * Suspends the calling coroutine for `seconds`, then returns `result`.
 * `sleep(0)` is a bare yield — one loop iteration, no timer — as in asyncio.
 *
 * @example
 * yield* sleep(0.5);
 * const v = yield* sleep(1, 'value');
 * @see asyncio `asyncio.sleep(delay, result=None)`
 */
export function sleep(seconds: number): Coro<undefined>;
export function sleep<T>(seconds: number, result: T): Coro<T>;
export function sleep<T>(seconds: number, result?: T): Coro<T | undefined> {
  if (seconds > 0) return sleepFor(seconds, result);
  if (Number.isNaN(seconds)) throw new TypeError('sleep() needs a number of seconds, got NaN.');
  return sleepZero(result);
}

function* sleepFor<T>(seconds: number, result: T): Coro<T> {
  const loop = getRunningLoop();
  const fut = loop.createFuture<T>();
  const timer = loop.callLater(seconds, setResultUnlessCancelled, fut, result);
  try {
    return yield* fut;
  } finally {
    // Cancelled while sleeping: the timer must not keep the loop (or a deadline) alive.
    timer.cancel();
  }
}
