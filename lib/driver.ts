/**
 * The driver: how yieldio's loop runs inside Node's — trio's "guest mode".
 *
 * Node owns the process's real event loop (libuv) and the thread. yieldio's loop must
 * never block it: sockets, Node timers and other libraries' callbacks all need their
 * turn. So the loop does not "run forever"; it is driven in *ticks*:
 *
 *  1. A tick runs loop iterations back to back while there is ready work (or a timer
 *     that is already due), for at most one time slice (5 ms). A CPU-only program that
 *     switches tasks a million times thus costs a million iterations but only a few
 *     hundred trips through Node — not one per switch.
 *  2. Then it hands control back to Node, choosing how to be called again:
 *     - ready work remains (the slice ran out): `setImmediate` — after Node's I/O
 *       callbacks, so a task spinning on `sleep(0)` cannot starve a socket;
 *     - only timers remain: one `setTimeout` for the nearest deadline;
 *     - only I/O waits remain: nothing at all. A socket callback will schedule a
 *       callback on the loop; `callSoon` between ticks calls the driver's `wake()`.
 *     - nothing remains, yet the program is not finished: a deadlock. Nothing can ever
 *       wake the pending tasks; the runner is told (`onStuck`) and reports them.
 *
 * States:  IDLE ─wake()─▶ IMMEDIATE ─tick─▶ RUNNING ─▶ IMMEDIATE | TIMER | IDLE | MICROTASK | AUTOJUMP
 *          TIMER, AUTOJUMP ─wake()─▶ IMMEDIATE (the timer is cleared); MICROTASK ─resume─▶
 *          RUNNING; AUTOJUMP ─quiet─▶ RUNNING (the clock jumped);
 *          any ─requestStop()─▶ STOPPING ─next tick─▶ STOPPED (then `onStopped`, outside
 *          any loop iteration).
 *
 * Promises settled during a tick (the MICROTASK state). A coroutine that awaits a
 * Promise already settled — a cache hit, `Promise.resolve(x)`, an async function that
 * did not really wait — gets its wake-up from the Promise's reaction, a microtask that
 * runs only once the tick has returned to Node. Handing back with `setImmediate` then
 * costs a whole trip through Node's event loop per await (~5 µs: bench/border.ts). So
 * when a tick runs out of ready work while outside waits are pending and its slice is
 * not over, it ends with one microtask hop instead: the reactions queued during the
 * tick run first, and the tick goes on with whatever they made ready, in the same
 * slice. The coroutine still resumes in a loop iteration (`runOnce`), never in the
 * Promise's reaction itself; and the slice still bounds how long the thread is kept,
 * as it does for a task spinning on `sleep(0)` — sockets are not starved. Nothing
 * ready after the microtasks: hand back as usual (docs/decisions.md).
 *
 * Why `setImmediate` and not a microtask (`queueMicrotask`) for the hand-back: a
 * microtask runs before Node polls for I/O, so a loop that always has work would
 * starve sockets forever. See docs/decisions.md for the measurements.
 *
 * Virtual time (clock.ts): when nothing is ready and no outside wait is pending, the
 * clock jumps to the next timer's deadline inside the tick, so timers fire at once in
 * real time. With outside waits pending the tick ends in AUTOJUMP: one real `setTimeout`
 * of the clock's threshold; any wake-up before it fires (data, a settled Promise)
 * clears it, and if it fires — real quiet for that long — the clock jumps to the next
 * timer. The time slice stays in real time: it bounds how long the thread is held.
 */
import type { EventLoop } from './loop.ts';

/**
 * The header's states as data: each row maps what happens (a method call, or how a
 * tick ends in `#handBack`) to the next state. docs/diagrams/driver.md is drawn from
 * this table by scripts/diagrams.ts.
 */
export const DRIVER_TRANSITIONS = {
  IDLE: { wake: 'IMMEDIATE', requestStop: 'STOPPING' },
  IMMEDIATE: { tick: 'RUNNING', requestStop: 'STOPPING' },
  TIMER: { tick: 'RUNNING', wake: 'IMMEDIATE', requestStop: 'STOPPING' },
  RUNNING: {
    readyLeft: 'IMMEDIATE', onlyTimersLeft: 'TIMER', onlyIoOrStuck: 'IDLE', outsideWaitsInSlice: 'MICROTASK',
    virtualTimersAndIo: 'AUTOJUMP', requestStop: 'STOPPING',
  },
  AUTOJUMP: { quiet: 'RUNNING', wake: 'IMMEDIATE', requestStop: 'STOPPING' },
  MICROTASK: { resume: 'RUNNING', requestStop: 'STOPPING' },
  STOPPING: { tick: 'STOPPED' },
  STOPPED: {},
} as const;

export type DriverState = keyof typeof DRIVER_TRANSITIONS;

/** The longest a tick keeps the thread before handing back to Node (ms). */
export const TIME_SLICE_MS = 5;

/** A settled Promise: `.then(fn)` queues `fn` as a microtask — cheaper than queueMicrotask, which makes an AsyncResource per call (bench/border.ts). */
const RESOLVED = Promise.resolve();

/**
 * Reading the clock costs ~25 ns, as much as a task switch; so the slice is checked
 * once per this many handles run, not per handle (W3 ping-pong in bench/).
 */
const HANDLES_PER_CLOCK_CHECK = 128;

/**
 * The longest delay Node's `setTimeout` takes (2^31 - 1 ms, ~24.8 days); past it Node
 * warns and waits 1 ms, so a long `sleep()` would poll the thread every millisecond.
 * A later deadline is reached in several waits of this length.
 */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface DriverHooks {
  /** Nothing is ready, no timer is set, no I/O is pending. */
  onStuck(): void;
  /** The driver stopped after `requestStop()`; the loop is not running. */
  onStopped(): void;
}

export class Driver {
  #state: DriverState = 'IDLE';
  readonly #loop: EventLoop;
  readonly #hooks: DriverHooks;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** When the current tick's slice ends (performance.now() ms). */
  #sliceEnd = 0;
  /** Node ticks so far (a spec checks CPU-only switching does not return to Node each time). */
  ticks = 0;

  /** The wake-up hook installed on the loop (kept to know whether it is still ours). */
  readonly #onWork = (): void => this.wake();

  constructor(loop: EventLoop, hooks: DriverHooks) {
    this.#loop = loop;
    this.#hooks = hooks;
    loop._onWork = this.#onWork;
    loop._stopping = false;
  }

  get state(): DriverState {
    return this.#state;
  }

  /** Starts driving (the first tick runs on the next Node turn). */
  start(): void {
    this.wake();
  }

  /** Work arrived from outside a tick: make sure a tick is coming. */
  wake(): void {
    if (this.#state === 'IDLE' || this.#state === 'TIMER' || this.#state === 'AUTOJUMP') {
      this.#clearTimer();
      this.#state = 'IMMEDIATE';
      setImmediate(this.#tick);
    }
  }

  /** Stop after the current iteration; `onStopped` follows in a tick of its own. */
  requestStop(): void {
    if (this.#state === 'STOPPED' || this.#state === 'STOPPING') return;
    const wasRunning = this.#state === 'RUNNING';
    this.#loop._stopping = true; // ends the iterations in progress after the current one
    this.#clearTimer();
    this.#state = 'STOPPING';
    if (!wasRunning) setImmediate(this.#tick);
  }

  #tick = (): void => {
    if (this.#state === 'STOPPING') return this.#stop();
    if (this.#state !== 'IMMEDIATE' && this.#state !== 'TIMER') return;
    this.#timer = null;
    this.ticks++;
    this.#sliceEnd = performance.now() + TIME_SLICE_MS;
    this.#run();
  };

  /** RUNNING: iterations back to back until nothing is due or the slice is over. */
  #run(): void {
    this.#state = 'RUNNING';
    const loop = this.#loop;
    const sliceEnd = this.#sliceEnd;
    for (;;) {
      // Up to HANDLES_PER_CLOCK_CHECK handles without looking at the clock.
      loop._runIterations(HANDLES_PER_CLOCK_CHECK);
      if ((this.#state as DriverState) === 'STOPPING') return this.#stop();
      if (loop._readyCount() === 0 && !this.#timerDue()) break;
      if (performance.now() > sliceEnd) return this.#handBack();
    }
    // Out of work, outside waits pending, slice not over: let the Promise reactions
    // queued by this tick run, then go on (the header's MICROTASK state). The clock is
    // read here too, or a task awaiting settled Promises would hop for ever.
    if (loop._ioWaitCount() > 0 && performance.now() <= sliceEnd) {
      this.#state = 'MICROTASK';
      RESOLVED.then(this.#resume);
      return;
    }
    this.#handBack();
  }

  /** MICROTASK → RUNNING: the reactions have run; go on in the same slice if they made work. */
  #resume = (): void => {
    // Stopped meanwhile: requestStop() has queued the tick that stops.
    if (this.#state !== 'MICROTASK') return;
    // Nothing came of the hop: hand back. Something did: run it, and perhaps hop again —
    // bounded by the slice, and ended by the first hop that brings nothing.
    if (this.#loop._readyCount() === 0) return this.#handBack();
    this.#run();
  };

  /** Is a timer due now? In virtual time, make the next one due by jumping the clock. */
  #timerDue(): boolean {
    const loop = this.#loop;
    const when = loop._nextTimerWhen();
    if (when === null) return false;
    if (loop._isVirtualTime() && loop._ioWaitCount() === 0) {
      loop._advanceTo(when);
      return true;
    }
    return when <= loop.time() + 0.001;
  }

  /** Step 2 of the header: how the next tick will come. */
  #handBack(): void {
    const loop = this.#loop;
    if (loop._readyCount() > 0) {
      this.#state = 'IMMEDIATE';
      setImmediate(this.#tick);
      return;
    }
    const when = loop._nextTimerWhen();
    const threshold = loop._autojumpThreshold();
    if (when !== null && threshold !== null && loop._ioWaitCount() > 0) {
      // Virtual time, a timer, and the outside world may still answer: wait for real
      // quiet before jumping (clock.ts, "Autojump"). Anything that arrives first wakes
      // the driver, which clears this timer.
      if (threshold === Infinity) return this.#idle();
      this.#state = 'AUTOJUMP';
      this.#timer = setTimeout(this.#autojump, Math.min(MAX_TIMEOUT_MS, Math.ceil(threshold * 1000)));
      return;
    }
    if (when !== null) {
      this.#state = 'TIMER';
      const delayMs = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil((when - loop.time()) * 1000)));
      this.#timer = setTimeout(this.#tick, delayMs);
      return;
    }
    this.#idle();
  }

  /** Nothing to run and no timer to wait for: idle on I/O, or stuck if there is none. */
  #idle(): void {
    this.#state = 'IDLE';
    // No outside wait: stuck — unless async code is about to call in. Microtasks queued
    // by this tick (the continuation after `await loop.runCoroutine(...)` or
    // `await toPromise(task)`, which may set a future) have not run yet; the verdict
    // waits for them. A setImmediate runs after every one of them, however long the
    // chain of awaits; it costs one Node turn, and only on the way to a deadlock report.
    if (this.#loop._ioWaitCount() === 0) setImmediate(this.#confirmStuck);
  }

  /** Still idle with nothing ready, no timer and no outside wait: report it. */
  #confirmStuck = (): void => {
    const loop = this.#loop;
    if (this.#state !== 'IDLE' || loop._readyCount() > 0 || loop._nextTimerWhen() !== null || loop._ioWaitCount() > 0) return;
    this.#hooks.onStuck();
  };

  /** AUTOJUMP → RUNNING: the threshold of real quiet passed; jump to the next timer. */
  #autojump = (): void => {
    if (this.#state !== 'AUTOJUMP') return;
    const when = this.#loop._nextTimerWhen();
    if (when !== null) this.#loop._advanceTo(when);
    this.#state = 'TIMER'; // as if that timer had fired
    this.#tick();
  };

  #stop(): void {
    this.#clearTimer();
    this.#state = 'STOPPED';
    // A driver attached to the loop after this one was told to stop owns the loop now:
    // leave its hook and its stop flag alone.
    if (this.#loop._onWork === this.#onWork) {
      this.#loop._stopping = false;
      this.#loop._onWork = null;
    }
    this.#hooks.onStopped();
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
