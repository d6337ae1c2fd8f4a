/**
 * The virtual clock — trio's `MockClock`, for tests.
 *
 * A loop reads the time from its clock: Node's monotonic clock by default, or a
 * `VirtualClock` given as `run(main, {clock})` (`virtualTime: true` is the short form,
 * with the default threshold). Every timer of yieldio is on the loop's clock — `sleep`,
 * `timeout()`, `waitFor`, `wait`, `asCompleted`, the HTTP connect/read/write/pool
 * timeouts, keep-alive expiry — so a test can jump over an hour of them in
 * milliseconds, sockets included. Only the driver's time slice (5 ms of CPU before
 * handing back to Node) stays in real time: it measures how long the thread is held,
 * which virtual time cannot.
 *
 * ## When virtual time moves
 *
 * Never on its own while anything can run. Exactly these three ways:
 *
 * 1. **Jump at once.** Nothing is ready and no outside wait is pending (no socket, no
 *    Promise, no stream, no signal handler): nothing but a timer can ever make
 *    progress, so the clock jumps to the earliest timer's deadline and the loop goes
 *    on without waiting. `sleep(3600)` returns in microseconds.
 * 2. **Autojump after real quiet.** Nothing is ready, but outside waits are pending: the
 *    outside world may still answer. The driver waits `autojumpThreshold` seconds of
 *    real time; if nothing arrives in that time — no socket data, no settled Promise,
 *    nothing scheduled — the clock jumps to the earliest timer. Anything that does
 *    arrive resets the wait. So a server that never answers meets its `ReadTimeout`
 *    after the threshold, while a Promise that settles sooner wins the race, as it would
 *    in real time. The default threshold (0.1 s) is long enough for loopback I/O and
 *    short Promises, short enough to keep a test fast; `autojumpThreshold: Infinity`
 *    turns it off (then only 1 and 3 move the clock).
 * 3. **`clock.jump(seconds)`** by hand, from a test: the timers now due run in the next
 *    iteration.
 *
 * The deadlock report is unchanged: with nothing ready, no timer and no outside wait,
 * no jump can help, and run() reports the pending tasks as it does in real time.
 */
import type { EventLoop } from './loop.ts';
import { RuntimeError } from './exceptions.ts';

export interface VirtualClockOptions {
  /** Where the clock starts (seconds; default 0). */
  start?: number;
  /**
   * Seconds of real quiet, while outside waits are pending, after which the clock jumps
   * to the next timer (trio: `autojump_threshold`). Default 0.1; Infinity: never.
   */
  autojumpThreshold?: number;
}

/** The default autojump threshold (seconds of real time). */
export const DEFAULT_AUTOJUMP_THRESHOLD = 0.1;

/**
 * A clock that moves only as the file header says.
 *
 * @example
 * const clock = new VirtualClock({ autojumpThreshold: 0.05 });
 * await run(main(), { clock });   // main's sleep(60) returns at once; clock.time() is 60
 * @see trio `trio.testing.MockClock(rate=0, autojump_threshold=...)`
 */
export class VirtualClock {
  #now: number;
  readonly autojumpThreshold: number;
  /** The loop reading this clock, once one does (to wake it on a jump by hand). */
  #loop: EventLoop | null = null;

  constructor(options: VirtualClockOptions = {}) {
    const start = options.start ?? 0;
    const threshold = options.autojumpThreshold ?? DEFAULT_AUTOJUMP_THRESHOLD;
    if (typeof start !== 'number' || !Number.isFinite(start)) throw new TypeError(`VirtualClock start must be a finite number of seconds, got ${String(start)}.`);
    if (typeof threshold !== 'number' || !(threshold >= 0)) {
      throw new TypeError(`VirtualClock autojumpThreshold must be a number of seconds ≥ 0 (Infinity: never), got ${String(threshold)}.`);
    }
    this.#now = start;
    this.autojumpThreshold = threshold;
  }

  /** The virtual time in seconds: what `loop.time()` returns. */
  time(): number {
    return this.#now;
  }

  /**
   * Moves the clock forward by `seconds`; the timers now due run in the loop's next
   * iteration. trio: `MockClock.jump`.
   */
  jump(seconds: number): void {
    if (typeof seconds !== 'number' || !(seconds >= 0)) throw new RangeError(`jump() takes a number of seconds ≥ 0 (time does not go back), got ${String(seconds)}.`);
    this.#now += seconds;
    this.#loop?._clockJumped();
  }

  /** @internal Moves the clock to `when` if that is later (the driver's jumps). */
  _advanceTo(when: number): void {
    if (when > this.#now) this.#now = when;
  }

  /** @internal A loop reads this clock from now on; one loop per clock. */
  _attach(loop: EventLoop): void {
    if (this.#loop !== null && this.#loop !== loop && !this.#loop.isClosed()) {
      throw new RuntimeError('this VirtualClock already drives another event loop that is still open: make one clock per run().');
    }
    this.#loop = loop;
  }

  toString(): string {
    return `<VirtualClock time=${this.#now} autojumpThreshold=${this.autojumpThreshold}>`;
  }
}
