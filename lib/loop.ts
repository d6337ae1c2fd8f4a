/**
 * The event loop — asyncio/base_events.py.
 *
 * The loop owns three things:
 * - the ready queue: callbacks (Handles) and tasks whose next step is due, run in
 *   FIFO order;
 * - the timer heap: TimerHandles ordered by deadline;
 * - a count of the I/O waits in progress (a socket read, a connect…), so that "nothing
 *   ready, no timer, no I/O" can be recognised as a deadlock.
 *
 * `runOnce()` is one iteration, as `_run_once` in asyncio: move the expired timers to
 * the ready queue, then run the callbacks that were ready when the iteration began.
 * It is the only place where callbacks are called; everything else only appends to the
 * ready queue. A callback scheduled during an iteration runs in the next one.
 *
 * The loop knows nothing about Node: it never sleeps and never touches a Node timer.
 * Deciding when to call `runOnce()` — and handing control back to Node in between —
 * is the job of the driver (driver.ts), just as trio separates its run loop from the
 * host loop in guest mode. So specs can drive a loop by hand, and on virtual time.
 */
import { Deque } from './deque.ts';
import { Heap } from './heap.ts';
import { Handle, TimerHandle, _setRunningLoop } from './events.ts';
import { Future, type Runnable } from './futures.ts';
import { Task, type TaskOptions } from './tasks.ts';
import { RuntimeError, describeError } from './exceptions.ts';
import { TaskList } from './tasklist.ts';
import type { Coro } from './coroutines.ts';
import type { Tracer } from './trace.ts';
import { _runCoroutine, type RunCoroutineOptions } from './promises.ts';
import { _addSignalHandler, _removeSignalHandler, _removeAllSignalHandlers, type SignalName } from './signals.ts';
import { _takeCallOptions, type CallOptions } from './contextvars.ts';
import { VirtualClock } from './clock.ts';

/** What the exception handler receives, as asyncio's `context` dict. */
export interface ExceptionContext {
  message: string;
  exception?: unknown;
  future?: Future<unknown>;
  task?: Task<unknown>;
  handle?: Handle;
  /** Where the task was created (debug mode). */
  sourceTraceback?: string;
}

export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

export interface LoopOptions {
  /** Debug mode: slow callbacks are reported and tasks remember where they were created. */
  debug?: boolean;
  /**
   * Virtual time with the default threshold: short for `clock: new VirtualClock()`.
   */
  virtualTime?: boolean;
  /**
   * The clock `time()` reads and every timer runs on: a VirtualClock moves only when
   * nothing can run, or by hand (clock.ts says exactly when). For tests.
   */
  clock?: VirtualClock;
  /**
   * Give each task its own Node async context, so that an `AsyncLocalStorage` value
   * entered in one task (a request id a logging library reads) is seen by that task and
   * the tasks it creates, never by its siblings. Off by default: it costs a Node
   * AsyncResource per task (~0.8 µs) and a scope switch per step (~0.15 µs); per-task
   * values of yieldio's own are `ContextVar`s, which cost nothing like that.
   */
  asyncLocalStorage?: boolean;
}

/** A record of an exception nobody retrieved yet; see `_noteUnretrieved`. */
interface Unretrieved {
  readonly label: string;
  readonly exception: unknown;
  readonly sourceTraceback: string | undefined;
}

/** A client, server or outside wait not closed yet; see `_registerResource`. */
interface OpenResource {
  readonly kind: string;
  /** `new Error().stack` taken when it was made (debug mode), or ''. */
  readonly stack: string;
  /** What it still holds, for the report ("2 connections still open"), or null. */
  readonly detail: (() => string | null) | undefined;
  /** Closes it at once (called with the object as `this`), so that it keeps nothing of the process alive. */
  readonly close: ((this: object) => void) | undefined;
  /** False for routine cleanup nobody could have done by hand (a reader on process.stdin): closed, not reported. */
  readonly report: boolean;
}

/** A cancelled timer stays in the heap until popped; sweep when they are the majority. */
const MIN_CANCELLED_TIMERS_FOR_SWEEP = 100;

export class EventLoop {
  /** Handles and tasks to run, in order. Invariant: a task appears at most once. */
  #ready = new Deque<Runnable>(1024);
  #timers = new Heap<TimerHandle>();
  /** How many handles in `#timers` are cancelled (they are dropped lazily). */
  #cancelledTimers = 0;
  /** I/O waits in progress: each is a promise that some callback will come from Node. */
  #ioWaits = 0;
  #running = false;
  #closed = false;
  #debug: boolean;
  /** The virtual clock, or null: Node's monotonic clock. */
  readonly #clock: VirtualClock | null;
  #exceptionHandler: ExceptionHandler | null = null;
  #unretrieved = new Set<Unretrieved>();
  /** The record of each future whose exception nobody has looked at yet. */
  #unretrievedOf = new WeakMap<Future<unknown>, Unretrieved>();
  /** Debug mode: where each task was created (a WeakMap keeps the field off every Task). */
  #creationSites = new WeakMap<Task<unknown>, string>();
  /** Debug mode: the stack at each task's latest suspension (callgraph.ts). */
  #awaitSites = new WeakMap<Task<unknown>, string>();
  /** @internal True in debug mode: futures report where tasks suspend. */
  _recordAwaitSites = false;
  #finalizer = new FinalizationRegistry<Unretrieved>((record) => this.#reportUnretrieved(record));
  /** Clients, servers and outside waits of this loop not closed yet (`_closeLeftovers`). */
  #openResources = new Map<object, OpenResource>();

  /** Callbacks slower than this (seconds) are reported in debug mode. */
  slowCallbackDuration = 0.1;
  /** @internal The task whose step is running, or null. */
  _currentTask: Task<unknown> | null = null;
  /** @internal The tasks that wait or have waited on a future, until done (tasklist.ts). */
  readonly _tasks = new TaskList<Task<unknown>>();
  /** @internal asyncio's `_stopping`: the driver asked `_runIterations` to end after the current iteration. */
  _stopping = false;
  /** @internal Called when work arrives while the loop is between iterations (the driver's wake-up). */
  _onWork: (() => void) | null = null;
  /** @internal The recorder of `run(main, {trace})`, or null (tracing off). */
  _tracer: Tracer | null = null;
  /** @internal `asyncLocalStorage` was asked for: tasks run in Node async scopes of their own (tasks.ts). */
  readonly _asyncLocalStorage: boolean;
  /** The task factory (eager tasks); null builds a plain Task. */
  #taskFactory: ((loop: EventLoop, coro: Coro<unknown>, options?: TaskOptions) => Task<unknown>) | null = null;

  constructor(options: LoopOptions = {}) {
    this.#debug = options.debug ?? false;
    this._recordAwaitSites = this.#debug;
    this.#clock = options.clock ?? (options.virtualTime ? new VirtualClock() : null);
    this.#clock?._attach(this);
    this._asyncLocalStorage = options.asyncLocalStorage ?? false;
  }

  /** Monotonic time in seconds (virtual time in virtual mode). asyncio: `loop.time()`. */
  time(): number {
    return this.#clock === null ? performance.now() / 1000 : this.#clock.time();
  }

  /**
   * Schedules `fn(...args)` for the next loop iteration, after the callbacks already
   * waiting. asyncio: `loop.call_soon`.
   */
  callSoon<A extends unknown[]>(fn: (...args: A) => void, ...args: A): Handle;
  /** The same, with the callback run in `options.context` (asyncio's `context=`). */
  callSoon<A extends unknown[]>(fn: (...args: A) => void, ...args: [...A, CallOptions]): Handle;
  callSoon(fn: (...args: unknown[]) => void, ...args: unknown[]): Handle {
    this.#checkOpen();
    checkCallable(fn, 'callSoon');
    const context = args.length > 0 ? _takeCallOptions(args) : undefined;
    const handle = new Handle(fn, args, this, context);
    this.#ready.push(handle);
    if (!this.#running) this._onWork?.();
    return handle;
  }

  /** Schedules `fn(...args)` after `delay` seconds. asyncio: `loop.call_later`. */
  callLater<A extends unknown[]>(delay: number, fn: (...args: A) => void, ...args: A): TimerHandle;
  callLater<A extends unknown[]>(delay: number, fn: (...args: A) => void, ...args: [...A, CallOptions]): TimerHandle;
  callLater(delay: number, fn: (...args: unknown[]) => void, ...args: unknown[]): TimerHandle {
    return this.callAt(this.time() + delay, fn, ...args);
  }

  /** Schedules `fn(...args)` at loop time `when`. asyncio: `loop.call_at`. */
  callAt<A extends unknown[]>(when: number, fn: (...args: A) => void, ...args: A): TimerHandle;
  callAt<A extends unknown[]>(when: number, fn: (...args: A) => void, ...args: [...A, CallOptions]): TimerHandle;
  callAt(when: number, fn: (...args: unknown[]) => void, ...args: unknown[]): TimerHandle {
    this.#checkOpen();
    if (typeof when !== 'number' || Number.isNaN(when)) throw new TypeError(`callAt() needs a numeric deadline, got ${String(when)}.`);
    checkCallable(fn, 'callAt/callLater');
    const context = args.length > 0 ? _takeCallOptions(args) : undefined;
    const timer = new TimerHandle(when, fn, args, this, context);
    this.#timers.push(timer);
    if (!this.#running) this._onWork?.();
    return timer;
  }

  /** A new pending Future bound to this loop. asyncio: `loop.create_future`. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>(this);
  }

  /** Wraps `coro` in a Task scheduled on this loop. asyncio: `loop.create_task`. */
  createTask<T>(coro: Coro<T>, options?: TaskOptions): Task<T> {
    this.#checkOpen();
    if (this.#taskFactory !== null) return this.#taskFactory(this, coro, options) as Task<T>;
    return new Task(coro, this, options);
  }

  /**
   * Hands a coroutine to this loop from outside it — a Node callback, an `async`
   * function — and returns a Promise of its result. The coroutine runs as a task on
   * the loop's next iteration; the Promise rejects with its error, or with a
   * CancelledError if it is cancelled (e.g. by `options.signal`). On a closed loop the
   * Promise rejects with a RuntimeError.
   *
   * @example
   * server.on('request', async (req, res) => res.end(await loop.runCoroutine(handle(req))));
   * @see asyncio `asyncio.run_coroutine_threadsafe(coro, loop)` (one thread here)
   */
  runCoroutine<T>(coro: Coro<T>, options?: RunCoroutineOptions): Promise<T> {
    return _runCoroutine(this, coro, options);
  }

  /**
   * Sets the factory `createTask` uses, e.g. `eagerTaskFactory`; null restores the
   * default. asyncio: `loop.set_task_factory`.
   */
  setTaskFactory(factory: ((loop: EventLoop, coro: Coro<unknown>, options?: TaskOptions) => Task<unknown>) | null): void {
    this.#taskFactory = factory;
  }

  /**
   * Calls `fn(...args)` as a loop callback (`callSoon`, never inside the signal) each
   * time the process receives `sig`; a second handler for the same signal replaces the
   * first. While a loop has a handler the process stays up and Node's default action
   * for that signal (e.g. exiting on SIGTERM) is off; `removeSignalHandler` and the end
   * of `run()` restore it. A SIGINT handler takes Ctrl-C over from `run()` (lib/signals.ts).
   *
   * @example
   * const stop = loop.createFuture<void>();
   * loop.addSignalHandler('SIGTERM', () => stop.done() || stop.setResult());
   * yield* stop;
   * @see asyncio `loop.add_signal_handler(sig, callback, *args)`
   */
  addSignalHandler<A extends unknown[]>(sig: SignalName, fn: (...args: A) => void, ...args: A): void {
    _addSignalHandler(this, sig, fn, args);
  }

  /**
   * Removes the handler for `sig`, giving the signal its default action back; false if
   * there was none.
   *
   * @example
   * loop.removeSignalHandler('SIGTERM'); // true: a SIGTERM now ends the process again
   * @see asyncio `loop.remove_signal_handler(sig)`
   */
  removeSignalHandler(sig: SignalName): boolean {
    return _removeSignalHandler(this, sig);
  }

  setDebug(enabled: boolean): void {
    this.#debug = enabled;
    this._recordAwaitSites = enabled;
  }

  getDebug(): boolean {
    return this.#debug;
  }

  /** Replaces the default handler (which prints to stderr); null restores it. */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    this.#exceptionHandler = handler;
  }

  /**
   * Reports an error nobody can catch: a failing callback, an exception never
   * retrieved. A handler that itself throws falls back to the default one, since the
   * report must not be lost. asyncio: `loop.call_exception_handler`.
   */
  callExceptionHandler(context: ExceptionContext): void {
    if (this.#exceptionHandler !== null) {
      try {
        this.#exceptionHandler(this, context);
        return;
      } catch (err) {
        defaultExceptionHandler(this, { message: 'Unhandled error in the exception handler', exception: err });
      }
    }
    defaultExceptionHandler(this, context);
  }

  isClosed(): boolean {
    return this.#closed;
  }

  isRunning(): boolean {
    return this.#running;
  }

  /**
   * Closes the loop: later scheduling is an error. Pending timers are dropped and
   * signal handlers removed (as asyncio's unix loop does in `close()`), so nothing of
   * the loop keeps the process alive.
   */
  close(): void {
    if (this.#running) throw new RuntimeError('close() of a running event loop.');
    _removeAllSignalHandlers(this);
    this.#closed = true;
    this.#ready.clear();
    this.#timers.filter(() => false);
    this._onWork = null;
  }

  /**
   * One iteration: expired timers to the ready queue, then run what was ready when the
   * iteration began. asyncio: `BaseEventLoop._run_once`.
   */
  runOnce(): void {
    const previous = _setRunningLoop(this);
    this.#running = true;
    try {
      this.#iteration();
    } finally {
      this.#running = false;
      _setRunningLoop(previous);
    }
  }

  /**
   * @internal The driver's way in: iterations back to back — each exactly a `runOnce()`
   * — until the ready queue is empty, `_stopping` is set, or at least `budget` handles
   * have run (an iteration counts as one more, so a chain of expired timers is
   * counted too).
   *
   * Why not `runOnce()` in a loop: entering and leaving the running state (the
   * running-loop global, the try/finally) once per iteration costs ~10 % of a task
   * switch when each iteration runs a single task, as ping-pong does (W3,
   * docs/benchmarks-core.md).
   */
  _runIterations(budget: number): void {
    const previous = _setRunningLoop(this);
    this.#running = true;
    let ran = 0;
    try {
      do ran += this.#iteration() + 1;
      while (this.#ready.length > 0 && ran < budget && !this._stopping);
    } finally {
      this.#running = false;
      _setRunningLoop(previous);
    }
  }

  /** The body of `runOnce()`; returns how many handles it ran. */
  #iteration(): number {
    if (this.#timers.length > 0) {
      this.#sweepCancelledTimers();
      this.#moveExpiredTimers();
    }
    // Only the handles present now: those scheduled while running wait for the next
    // iteration, so a task that reschedules itself cannot starve the others.
    const ready = this.#ready;
    const ntodo = ready.length;
    let left = ntodo;
    if (this.#debug) {
      while (left-- > 0) this.#runTimed(ready.shift() as Runnable);
    } else {
      while (left-- > 0) (ready.shift() as Runnable)._run();
    }
    return ntodo;
  }

  // ---- for the driver and the runner ----

  /**
   * @internal Every task not yet done (`allTasks()`, and what `run()` cancels at exit):
   * the listed ones, and those that have not waited yet (tasklist.ts) — queued for a
   * step, or running it now.
   */
  _allTasks(): Set<Task<unknown>> {
    const tasks = new Set<Task<unknown>>(this._tasks);
    for (const runnable of this.#ready) {
      // A done task in the queue is there for its done-callbacks (Future._run).
      if (runnable instanceof Task && !runnable.done()) tasks.add(runnable);
    }
    const current = this._currentTask;
    if (current !== null && !current.done()) tasks.add(current);
    return tasks;
  }

  /** @internal Number of runnables in the ready queue. */
  _readyCount(): number {
    return this.#ready.length;
  }

  /** @internal Deadline of the earliest live timer, or null if there is none. */
  _nextTimerWhen(): number | null {
    this.#dropCancelledTop();
    return this.#timers.peek()?._when ?? null;
  }

  /** @internal I/O waits in progress. */
  _ioWaitCount(): number {
    return this.#ioWaits;
  }

  /** @internal True when the clock is virtual. */
  _isVirtualTime(): boolean {
    return this.#clock !== null;
  }

  /** @internal Virtual time only: jump the clock forward to `when`. */
  _advanceTo(when: number): void {
    this.#clock?._advanceTo(when);
  }

  /** @internal The seconds of real quiet before the virtual clock autojumps (null: real time). */
  _autojumpThreshold(): number | null {
    return this.#clock === null ? null : this.#clock.autojumpThreshold;
  }

  /** @internal `clock.jump()` from a test: timers may be due now; wake the driver. */
  _clockJumped(): void {
    if (!this.#running && !this.#closed) this._onWork?.();
  }

  /** @internal An I/O wait begins (streams call this before waiting on a socket). */
  _ioRef(): void {
    this.#ioWaits++;
  }

  /** @internal An I/O wait ended (its callback has been scheduled). */
  _ioUnref(): void {
    this.#ioWaits--;
  }

  /** @internal Queues a task's next step (a Task is its own handle: no allocation). */
  _scheduleRunnable(runnable: Runnable): void {
    this.#checkOpen();
    this.#ready.push(runnable);
    if (!this.#running) this._onWork?.();
  }

  /** @internal A timer in the heap was cancelled. */
  _timerHandleCancelled(timer: TimerHandle): void {
    if (timer._scheduled) this.#cancelledTimers++;
  }

  /** @internal Called by `Future.setException`; see `_forgetUnretrieved`. */
  _noteUnretrieved(fut: Future<unknown>, exception: unknown): void {
    const record: Unretrieved = {
      label: fut.toString(),
      exception,
      sourceTraceback: fut instanceof Task ? fut._sourceTraceback : undefined,
    };
    this.#unretrievedOf.set(fut, record);
    this.#unretrieved.add(record);
    // Reported when the future is garbage-collected unretrieved (asyncio's __del__), or
    // at the latest when run() ends — whichever comes first.
    this.#finalizer.register(fut, record, fut);
  }

  /** @internal Someone looked at the exception: it will not be reported. */
  _forgetUnretrieved(fut: Future<unknown>): void {
    const record = this.#unretrievedOf.get(fut);
    if (record === undefined) return;
    this.#unretrievedOf.delete(fut);
    this.#unretrieved.delete(record);
    this.#finalizer.unregister(fut);
  }

  /** @internal Debug mode: remember where `task` was created. */
  _setCreationSite(task: Task<unknown>, site: string): void {
    this.#creationSites.set(task, site);
  }

  /** @internal Where `task` was created, if recorded (debug mode). */
  _creationSite(task: Task<unknown>): string | undefined {
    return this.#creationSites.get(task);
  }

  /** @internal Debug mode: the current task is suspending; keep the stack. */
  _recordAwaitSite(): void {
    const task = this._currentTask;
    if (task !== null) this.#awaitSites.set(task, new Error().stack ?? '');
  }

  /** @internal The stack at `task`'s latest suspension, if recorded. */
  _awaitSite(task: Task<unknown>): string | undefined {
    return this.#awaitSites.get(task);
  }

  /** @internal Reports every exception still unretrieved (run() calls this at the end). */
  _reportAllUnretrieved(): void {
    for (const record of [...this.#unretrieved]) this.#reportUnretrieved(record);
  }

  /**
   * @internal `obj` (an AsyncClient, a Server, a wrapPromise wait) belongs to this loop
   * and must be closed before its run() ends; `_closeLeftovers` closes and names those
   * that were not. asyncio leaves this to `ResourceWarning` from `__del__`; a JS object
   * has no destructor that is sure to run, and a forgotten server would keep the
   * process alive for ever, so the runner asks at the end instead. `stack` is where it
   * was made, in debug mode ('' otherwise: a stack costs microseconds).
   */
  _registerResource<O extends object>(obj: O, kind: string, stack: string, detail?: () => string | null, close?: (this: O) => void, report = true): void {
    this.#openResources.set(obj, { kind, stack, detail, close: close as ((this: object) => void) | undefined, report });
  }

  /** @internal `obj` was closed: nothing to report. */
  _resourceClosed(obj: object): void {
    this.#openResources.delete(obj);
  }

  /**
   * @internal run() is ending: every resource still open is reported once through the
   * exception handler — what it was, what it still held and, in debug mode, where it
   * was made — and closed, so that nothing of this loop outlives it.
   */
  _closeLeftovers(): void {
    const leftovers = [...this.#openResources];
    this.#openResources.clear();
    for (const [obj, resource] of leftovers) {
      if (!resource.report) {
        resource.close?.call(obj);
        continue;
      }
      const detail = resource.detail?.() ?? null;
      const [site, ...frames] = resource.stack === '' ? [] : callerFrames(resource.stack);
      const where = site === undefined ? '' : ` created at ${site}`;
      const closed = resource.close === undefined ? '' : '; closed at the end of run()';
      this.callExceptionHandler({
        message: `${resource.kind}${where} was never closed${detail === null ? '' : ` (${detail})`}${closed}` +
          (frames.length > 0 ? `\n${frames.map((f) => `    at ${f}`).join('\n')}` : ''),
      });
      resource.close?.call(obj);
    }
  }

  /** @internal The live timers, for deadlock reports. */
  _liveTimerCount(): number {
    return this.#timers.length - this.#cancelledTimers;
  }

  #reportUnretrieved(record: Unretrieved): void {
    if (!this.#unretrieved.delete(record)) return;
    const isTask = record.label.startsWith('<Task');
    this.callExceptionHandler({
      message: `${isTask ? 'Task' : 'Future'} exception was never retrieved: ${record.label}`,
      exception: record.exception,
      sourceTraceback: record.sourceTraceback,
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new RuntimeError('the event loop is closed: this run() has ended, so nothing more can be scheduled on it.');
  }

  #dropCancelledTop(): void {
    const timers = this.#timers;
    let top = timers.peek();
    while (top !== undefined && top.cancelled()) {
      timers.pop();
      top._scheduled = false;
      this.#cancelledTimers--;
      top = timers.peek();
    }
  }

  /** Rebuilds the heap without cancelled timers once they are the majority (as asyncio). */
  #sweepCancelledTimers(): void {
    const cancelled = this.#cancelledTimers;
    if (cancelled < MIN_CANCELLED_TIMERS_FOR_SWEEP || cancelled * 2 < this.#timers.length) return;
    this.#timers.filter((timer) => {
      if (!timer.cancelled()) return true;
      timer._scheduled = false;
      return false;
    });
    this.#cancelledTimers = 0;
  }

  #moveExpiredTimers(): void {
    this.#dropCancelledTop();
    const timers = this.#timers;
    if (timers.length === 0) return;
    // A timer due within 1 ms counts as expired: Node's setTimeout has millisecond
    // granularity and may wake us a fraction early (asyncio's `clock_resolution`).
    // Virtual time is exact: there, `sleep(0.0005)` must see the clock move.
    const end = this.#clock === null ? this.time() + 0.001 : this.#clock.time();
    let top = timers.peek();
    while (top !== undefined && top._when <= end) {
      timers.pop();
      top._scheduled = false;
      if (top.cancelled()) this.#cancelledTimers--;
      else this.#ready.push(top);
      top = timers.peek();
    }
  }

  /** Debug mode: runs one handle and reports it if it held the loop too long. */
  #runTimed(runnable: Runnable): void {
    if (runnable instanceof Future && runnable.done()) {
      // A done future (or task) stands for the callbacks it scheduled (Future._run):
      // time each on its own, as asyncio times each call_soon handle.
      for (const fn of runnable._takeDueCallbacks()) {
        this.#timeOne(() => runnable._runCallback(fn), () => (typeof fn === 'function' ? `done-callback ${fn.name || '(anonymous)'} of ${runnable.toString()}` : describeRunnable(fn)));
      }
      return;
    }
    this.#timeOne(() => runnable._run(), () => describeRunnable(runnable));
  }

  /** Debug mode: runs `run`, and reports it (named by `describe`, only then) if it held the loop too long. */
  #timeOne(run: () => void, describe: () => string): void {
    const t0 = performance.now();
    run();
    const seconds = (performance.now() - t0) / 1000;
    if (seconds >= this.slowCallbackDuration) {
      const what = describe();
      this.callExceptionHandler({ message: `Executing ${what} took ${seconds.toFixed(3)} seconds` });
    }
  }
}

/** How a slow-callback report names what ran: a task's step, or the handle itself. */
function describeRunnable(runnable: Runnable): string {
  return runnable instanceof Task ? `step of ${runnable.toString()}` : String(runnable);
}

/** A mistake caught where it is made, not later as "Exception in callback (anonymous)". */
function checkCallable(fn: unknown, where: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${where}() needs a function to call, got ${typeof fn}.`);
}

/**
 * The frames of `stack` below yieldio's own (lib/…), without "at ", for a creation
 * site. Generator plumbing (`main.next (<anonymous>)`) and Node's internals go too.
 */
function callerFrames(stack: string): string[] {
  return stack
    .split('\n')
    .slice(1)
    .filter((line) => !/[\\/]lib[\\/](?:http[\\/])?[\w-]+\.[jt]s:\d|\(<anonymous>\)$|\(node:internal/.test(line))
    .slice(0, 6)
    .map((line) => line.trim().replace(/^at /, ''));
}

/** The default exception handler: a report on stderr, with the cause's stack. */
export function defaultExceptionHandler(_loop: EventLoop, context: ExceptionContext): void {
  const lines = [context.message];
  if (context.exception !== undefined) {
    const err = context.exception;
    lines.push(err instanceof Error && err.stack ? err.stack : describeError(err));
  }
  if (context.sourceTraceback) lines.push(`The task was created at:\n${context.sourceTraceback}`);
  process.stderr.write(`yieldio: ${lines.join('\n')}\n`);
}
