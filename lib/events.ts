/**
 * Handles and the running loop — asyncio/events.py.
 *
 * A Handle is a callback waiting in the loop's ready queue; a TimerHandle is one
 * waiting in the timer heap for its deadline. Both can be cancelled: the loop skips
 * a cancelled handle when it reaches it instead of searching the queue for it.
 */
import type { EventLoop } from './loop.ts';
import { RuntimeError } from './exceptions.ts';
import { CURRENT, Context, EMPTY_MAPPING, type ContextMapping } from './contextvars.ts';

type Callback = (...args: any[]) => void;

/**
 * A scheduled callback: what `callSoon` returns.
 *
 * States: scheduled (`cancelled()` false) → run once by the loop, or cancelled before
 * that. After cancel() the callback and its arguments are dropped, so a cancelled
 * handle keeps nothing alive while it waits to be skipped.
 */
export class Handle {
  /** @internal */ _callback: Callback | null;
  /** @internal */ _args: readonly unknown[];
  /** @internal */ readonly _loop: EventLoop;
  /**
   * @internal What the callback runs in (contextvars.ts): a snapshot of the context
   * current at scheduling — its sets are dropped afterwards, as in a copy — or a
   * Context given with `{context}`, which keeps what the callback sets.
   */
  _context: ContextMapping | Context;
  #cancelled = false;

  constructor(callback: Callback, args: readonly unknown[], loop: EventLoop, context?: Context) {
    this._callback = callback;
    this._args = args;
    this._loop = loop;
    this._context = context ?? CURRENT.vars;
  }

  /** Prevents the callback from running. Does nothing if it already ran. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this._callback = null;
    this._args = [];
    this._context = EMPTY_MAPPING;
  }

  cancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * Runs the callback. An error it throws goes to the loop's exception handler and the
   * loop goes on, as `Handle._run` does in asyncio: one failing callback must not stop
   * every other task.
   * @internal
   */
  _run(): void {
    const callback = this._callback;
    if (callback === null) return;
    const context = this._context;
    if (context instanceof Context) return void context.run(() => this.invoke(callback));
    const outer = CURRENT.vars;
    CURRENT.vars = context;
    try {
      this.invoke(callback);
    } finally {
      CURRENT.vars = outer;
    }
  }

  /** The call itself (TypeScript-private, not `#`: see the note atop Task in tasks.ts). */
  private invoke(callback: Callback): void {
    try {
      const args = this._args;
      // Spreading an empty array still allocates an iterator; the common cases skip it.
      if (args.length === 0) callback();
      else if (args.length === 1) callback(args[0]);
      else callback(...args);
    } catch (err) {
      this._loop.callExceptionHandler({
        message: `Exception in callback ${callback.name || '(anonymous)'}`,
        exception: err,
        handle: this,
      });
    }
  }

  toString(): string {
    const name = this._callback?.name || '(anonymous)';
    return `<Handle ${this.#cancelled ? 'cancelled' : name}>`;
  }
}

let timerSeq = 0;

/**
 * A callback scheduled for a deadline: what `callLater` / `callAt` return.
 * `when()` is the deadline in loop time (seconds). Cancelling one tells the loop, which
 * counts cancelled timers and sweeps the heap when they are the majority (as asyncio).
 */
export class TimerHandle extends Handle {
  /** @internal */ readonly _when: number;
  /** @internal */ readonly _seq = timerSeq++;
  /** @internal True while the timer sits in the loop's heap. */ _scheduled = true;

  constructor(when: number, callback: Callback, args: readonly unknown[], loop: EventLoop, context?: Context) {
    super(callback, args, loop, context);
    this._when = when;
  }

  when(): number {
    return this._when;
  }

  override cancel(): void {
    if (!this.cancelled() && this._scheduled) this._loop._timerHandleCancelled(this);
    super.cancel();
  }

  override toString(): string {
    return `<TimerHandle when=${this._when.toFixed(3)} ${this.cancelled() ? 'cancelled' : this._callback?.name || '(anonymous)'}>`;
  }
}

let runningLoop: EventLoop | null = null;

/**
 * The loop whose iteration is running right now.
 *
 * @throws RuntimeError outside a coroutine or callback of a running loop — e.g. calling
 * `createTask()` at the top level of a module instead of inside `run()`.
 * @example
 * function* main(): Coro<void> { const loop = getRunningLoop(); loop.callSoon(() => {}); }
 * @see asyncio `asyncio.get_running_loop()`
 */
export function getRunningLoop(): EventLoop {
  if (runningLoop === null) {
    throw new RuntimeError('no running event loop: this must be called from a coroutine or callback running inside run(main()).');
  }
  return runningLoop;
}

/** The running loop, or null. asyncio: `events._get_running_loop()`. @internal */
export function _getRunningLoop(): EventLoop | null {
  return runningLoop;
}

/** Set by the loop around each iteration; returns the previous value to restore. @internal */
export function _setRunningLoop(loop: EventLoop | null): EventLoop | null {
  const previous = runningLoop;
  runningLoop = loop;
  return previous;
}
