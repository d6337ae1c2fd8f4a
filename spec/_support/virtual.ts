/**
 * Helpers for the core specs: deterministic time and order.
 *
 * - `runVirtual(main)` runs a coroutine on a virtual clock: timers fire as soon as
 *   nothing else is ready, so `sleep(3600)` costs nothing and order is exact.
 * - `loopbackClock()` is the virtual clock for specs that talk to loopback servers:
 *   an HTTP timeout of 5 s fires after 20 ms of real quiet.
 * - `manualLoop()` is a loop driven by hand with `loop.runOnce()` (no driver, no Node
 *   timers), for specs that count iterations.
 * - `trace()` records an order of events, asserted whole: `['a1', 'b1', 'a2']`.
 */
import { run, type RunOptions } from '../../lib/runners.ts';
import { VirtualClock } from '../../lib/clock.ts';
import { EventLoop, type ExceptionContext } from '../../lib/loop.ts';
import type { Coro } from '../../lib/coroutines.ts';
import type { Task } from '../../lib/tasks.ts';

/** `run(main, {virtualTime: true, ...options})`. */
export function runVirtual<T>(main: Coro<T>, options: RunOptions = {}): Promise<T> {
  return run(main, { virtualTime: true, ...options });
}

/**
 * Seconds of real quiet after which a loopback spec's clock jumps (lib/clock.ts,
 * "Autojump"). The servers of spec/_support live in this process and answer within a
 * millisecond, so this much quiet means nobody will; the default threshold (0.1 s)
 * would make each timeout cost more real time than the 0.05 s ones it replaces.
 */
export const LOOPBACK_QUIET = 0.02;

/**
 * A virtual clock for a spec against loopback servers, `run(main, { clock:
 * loopbackClock() })`: a read timeout of 5 s fires at loop time 5 after 20 ms of real
 * quiet, and while the server talks, the clock does not move at all.
 */
export function loopbackClock(): VirtualClock {
  return new VirtualClock({ autojumpThreshold: LOOPBACK_QUIET });
}

/** An order-trace recorder: `log(x)` appends, `entries` is the order so far. */
export interface Trace {
  log(entry: unknown): void;
  readonly entries: unknown[];
}

export function trace(): Trace {
  const entries: unknown[] = [];
  return { log: (entry) => void entries.push(entry), entries };
}

/** A loop on a virtual clock, to be stepped with `runOnce()`. */
export function manualLoop(options: { debug?: boolean } = {}): EventLoop {
  return new EventLoop({ virtualTime: true, ...options });
}

/** Runs `loop.runOnce()` `n` times. */
export function spin(loop: EventLoop, n: number): void {
  for (let i = 0; i < n; i++) loop.runOnce();
}

/**
 * Runs iterations until nothing is ready, jumping the virtual clock to the next timer
 * when needed (what the driver does in virtual time). Bounded, so a bug cannot hang.
 */
export function drain(loop: EventLoop, maxIterations = 10_000): number {
  for (let i = 0; i < maxIterations; i++) {
    if (loop._readyCount() === 0) {
      const when = loop._nextTimerWhen();
      if (when === null) return i;
      loop._advanceTo(when);
    }
    loop.runOnce();
  }
  throw new Error(`drain(): still busy after ${maxIterations} iterations`);
}

/** An exception handler that records each context instead of printing it. */
export function collectErrors(): { handler: (loop: EventLoop, context: ExceptionContext) => void; contexts: ExceptionContext[] } {
  const contexts: ExceptionContext[] = [];
  return { handler: (_loop, context) => void contexts.push(context), contexts };
}

/** Captures what `process.stderr.write` receives while `fn` runs (sync or async). */
export async function captureStderr(fn: () => unknown): Promise<string> {
  const original = process.stderr.write;
  let written = '';
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return written;
}

/** The error `fn` throws (fails if it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

/** The error a Promise rejects with (fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

/** Runs `body()` on virtual time (the specs' `go(function* () { ... })`). */
export function go(body: () => Coro<void>): Promise<void> {
  return runVirtual(body());
}

/** Lets every ready task run a few steps. */
export function* settle(): Coro<void> {
  for (let i = 0; i < 5; i++) yield;
}

/** uvu's `assert.throws` takes a predicate, not a class. */
export function isA(cls: new (...args: any[]) => Error): (e: unknown) => boolean {
  return (e) => e instanceof cls;
}

/** 'ok', 'cancelled', or the name of the error a finished task failed with. */
export function outcome(task: Task<unknown>): string {
  if (task.cancelled()) return 'cancelled';
  const e = task.exception();
  return e === null ? 'ok' : (e as Error).name;
}

/** The error `body` throws (the spec fails if it throws none). */
export function* caught(body: () => Coro<unknown>): Coro<unknown> {
  try {
    yield* body();
  } catch (err) {
    return err;
  }
  throw new Error('expected the body to throw');
}
