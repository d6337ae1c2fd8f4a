/**
 * timeout, timeoutAt — asyncio/timeouts.py (Python 3.11+).
 *
 * A Timeout bounds the time a block of code may take. It does not interrupt anything by
 * itself: when the deadline passes it calls `task.cancel()` on the task that entered it,
 * and the usual cancellation machinery throws a CancelledError into that task at its
 * current `yield*`. On the way out, `exit()` decides whether that CancelledError is
 * *ours* — then it becomes a TimeoutError — or someone else's, which must go on.
 *
 * ## Telling our cancellation from someone else's
 *
 * A task counts the cancel requests it has received and not yet withdrawn
 * (`task.cancelling()`; `task.uncancel()` withdraws one). The timeout notes the count
 * on entry. At exit, if it fired, it withdraws its own request; if the count is then
 * back at the entry value, nobody else asked for cancellation in between, and the
 * CancelledError is the timeout's doing: it is replaced by a TimeoutError (with the
 * CancelledError as its `cause`). If the count is higher, an outer timeout or an
 * explicit `task.cancel()` also asked, and the CancelledError propagates untouched, so
 * that the outer party sees its own cancellation. This is what makes nested timeouts
 * and an outside cancel() impossible to confuse.
 */
import type { Handle } from './events.ts';
import { getRunningLoop } from './events.ts';
import type { Task } from './tasks.ts';
import { currentTask } from './tasks.ts';
import { CancelledError, RuntimeError, TimeoutError } from './exceptions.ts';
import type { Coro } from './coroutines.ts';
import { asyncWith } from './contextlib.ts';

/**
 * The life of a Timeout:
 *
 *     CREATED ──enter()──▶ ENTERED ──exit()──────────────────────────────▶ EXITED
 *                             │
 *                             └──deadline: task.cancel()──▶ EXPIRING ──exit()──▶ EXPIRED
 *
 * As data below: docs/diagrams/timeout.md is drawn from it by scripts/diagrams.ts.
 */
export const TIMEOUT_TRANSITIONS = {
  CREATED: { enter: 'ENTERED' },
  ENTERED: { reschedule: 'ENTERED', deadline: 'EXPIRING', exit: 'EXITED' },
  EXPIRING: { exit: 'EXPIRED' },
  EXPIRED: {},
  EXITED: {},
} as const;

export type TimeoutState = keyof typeof TIMEOUT_TRANSITIONS;

/**
 * An async context manager that cancels the task running its body once a deadline
 * passes, and turns that cancellation into a `TimeoutError`. Make one with `timeout()`
 * or `timeoutAt()`.
 *
 * Invariants:
 * - CREATED: `#task` is null, `#timer` is null; `#when` may be set by the constructor.
 * - ENTERED: `#task` is the task that entered; `#cancellingOnEntry` its `cancelling()`
 *   then; `#timer` is armed for `#when`, or null when `#when` is null (no deadline).
 *   `reschedule()` is allowed only here.
 * - EXPIRING: the timer fired and called `#task.cancel()` once; `#timer` is null. The
 *   one cancel request is ours and `exit()` must withdraw it with `uncancel()`.
 * - EXPIRED / EXITED: final; `#timer` is null. `expired()` is true in EXPIRING and EXPIRED.
 *
 * @example
 * yield* asyncWith(timeout(10), function* () {
 *   yield* longRunning();
 * }); // throws TimeoutError after 10 s
 * @see asyncio `asyncio.Timeout`
 */
export class Timeout {
  #state: TimeoutState = 'CREATED';
  #when: number | null;
  #timer: Handle | null = null;
  #task: Task<unknown> | null = null;
  #cancellingOnEntry = 0;

  /** Use `timeout(seconds)` or `timeoutAt(when)`. `when` is loop time, or null for none. */
  constructor(when: number | null) {
    this.#when = when;
  }

  /** CREATED, ENTERED, EXPIRING, EXPIRED or EXITED. */
  get state(): TimeoutState {
    return this.#state;
  }

  /** The deadline in loop time (`loop.time()`), or null for none. asyncio: `Timeout.when()`. */
  when(): number | null {
    return this.#when;
  }

  /**
   * Moves the deadline to loop time `when` (null: no deadline). A deadline already in
   * the past fires on the next loop iteration. Only while ENTERED.
   *
   * @example
   * yield* asyncWith(timeout(null), function* (t) {
   *   t.reschedule(getRunningLoop().time() + 5);
   *   yield* work();
   * });
   * @see asyncio `Timeout.reschedule(when)`
   */
  reschedule(when: number | null): void {
    if (this.#state !== 'ENTERED') {
      const why = this.#state === 'CREATED' ? 'it has not been entered yet' : `it is ${this.#state}`;
      throw new RuntimeError(`reschedule() of a Timeout: ${why}; a deadline can only be moved while the body runs.`);
    }
    this.#when = when;
    this.#timer?.cancel();
    this.#timer = null;
    if (when === null) return;
    const loop = getRunningLoop();
    const onDeadline = (): void => this.#onDeadline();
    // A deadline already past goes through the ready queue (asyncio's call_soon): the
    // cancel lands before the body's next step, never inside this call.
    this.#timer = when <= loop.time() ? loop.callSoon(onDeadline) : loop.callAt(when, onDeadline);
  }

  /** True once the deadline has passed and cancelled the task. asyncio: `Timeout.expired()`. */
  expired(): boolean {
    return this.#state === 'EXPIRING' || this.#state === 'EXPIRED';
  }

  /** Starts the clock for the current task. asyncio: `Timeout.__aenter__`. */
  *enter(): Coro<Timeout> {
    if (this.#state !== 'CREATED') {
      throw new RuntimeError(`enter() of a Timeout that is ${this.#state}: a Timeout can be entered only once.`);
    }
    const task = currentTask();
    if (task === null) throw new RuntimeError('a Timeout must be entered inside a task (a coroutine run by run() or createTask()).');
    this.#state = 'ENTERED';
    this.#task = task;
    this.#cancellingOnEntry = task.cancelling();
    this.reschedule(this.#when);
    return this;
  }

  /**
   * Stops the clock. If the deadline fired, withdraws its cancel request and, when the
   * body ended with a CancelledError that no one else asked for, throws a TimeoutError
   * in its place. Never suppresses an error. asyncio: `Timeout.__aexit__`.
   */
  *exit(error?: unknown): Coro<void> {
    if (this.#state !== 'ENTERED' && this.#state !== 'EXPIRING') {
      throw new RuntimeError(`exit() of a Timeout that is ${this.#state}: exit() must follow one enter().`);
    }
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#state === 'ENTERED') {
      this.#state = 'EXITED';
      return;
    }
    this.#state = 'EXPIRED';
    const task = this.#task as Task<unknown>;
    // Back at the entry count: no cancel request but ours — the CancelledError is ours.
    if (task.uncancel() <= this.#cancellingOnEntry && error instanceof CancelledError) {
      throw new TimeoutError('the timeout expired', { cause: error });
    }
  }

  /** ENTERED → EXPIRING: the deadline passed while the body runs. */
  #onDeadline(): void {
    this.#timer = null;
    this.#state = 'EXPIRING';
    (this.#task as Task<unknown>).cancel();
  }

  toString(): string {
    return `<Timeout ${this.#state} when=${this.#when}>`;
  }
}

/**
 * A Timeout whose deadline is `seconds` from now (null: no deadline, until rescheduled).
 * As in asyncio, the deadline is computed here, from the running loop's clock, not
 * when the Timeout is entered.
 *
 * @example
 * yield* asyncWith(timeout(1.5), function* () {
 *   yield* fetchSomething();
 * });
 * @see asyncio `asyncio.timeout(delay)`
 */
export function timeout(seconds: number | null): Timeout {
  return new Timeout(seconds === null ? null : getRunningLoop().time() + seconds);
}

/**
 * A Timeout with an absolute deadline in loop time (`loop.time()`), or null for none.
 *
 * @example
 * const deadline = getRunningLoop().time() + 10;
 * yield* asyncWith(timeoutAt(deadline), function* () { yield* step1(); });
 * @see asyncio `asyncio.timeout_at(when)`
 */
export function timeoutAt(when: number | null): Timeout {
  return new Timeout(when);
}

/**
 * Runs `body` under `timeout(seconds)`: a shorthand for
 * `asyncWith(timeout(seconds), body)` that needs no context-manager helper.
 *
 * @example
 * const page = yield* withTimeout(5, function* () { return yield* client.get(url); });
 * @see asyncio `async with asyncio.timeout(delay): ...`
 */
export function* withTimeout<T>(seconds: number | null, body: (t: Timeout) => Coro<T>): Coro<T> {
  // A generator, so the deadline is computed when the coroutine starts, not when it is made.
  return yield* asyncWith(timeout(seconds), body);
}
