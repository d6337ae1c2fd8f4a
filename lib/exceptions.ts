/**
 * The errors of yieldio — asyncio/exceptions.py.
 *
 * Every class sets `name` so stack traces and `String(err)` say which error it is
 * (an Error subclass otherwise prints as plain "Error").
 */

/**
 * The task or future was cancelled. Thrown into a coroutine at its next step after
 * `task.cancel(msg)`; catching it is allowed (the task then goes on), as in asyncio.
 *
 * asyncio: `asyncio.CancelledError` (a BaseException there; JS has only Error).
 */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message?: string) {
    super(message ?? '');
  }
}

/**
 * Ctrl-C: `run()` rejects with it when a SIGINT cancelled the main task and the task
 * ended cancelled, after every `finally` block ran. `cause` is the main task's
 * CancelledError. Python's built-in `KeyboardInterrupt` (a BaseException there).
 *
 * @example
 * try { await run(main()); } catch (e) { if (e instanceof KeyboardInterrupt) process.exitCode = 130; else throw e; }
 * @see asyncio `asyncio.run` / `asyncio.Runner.run` on SIGINT
 */
export class KeyboardInterrupt extends Error {
  override name = 'KeyboardInterrupt';
  constructor(message = 'interrupted by SIGINT (Ctrl-C): the main task was cancelled and has cleaned up', options?: ErrorOptions) {
    super(message, options);
  }
}

/** A deadline passed (`timeout()`, `waitFor()`, `asCompleted()`). asyncio: `TimeoutError`. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** An operation is not allowed in the object's current state. asyncio: `InvalidStateError`. */
export class InvalidStateError extends Error {
  override name = 'InvalidStateError';
}

/** `getNowait()` on an empty queue. asyncio: `QueueEmpty`. */
export class QueueEmpty extends Error {
  override name = 'QueueEmpty';
  constructor(message = 'the queue is empty') {
    super(message);
  }
}

/** `putNowait()` on a full queue. asyncio: `QueueFull`. */
export class QueueFull extends Error {
  override name = 'QueueFull';
  constructor(message = 'the queue is full') {
    super(message);
  }
}

/** `put()`/`get()` on a queue after `shutdown()`. asyncio 3.13: `QueueShutDown`. */
export class QueueShutDown extends Error {
  override name = 'QueueShutDown';
  constructor(message = 'the queue was shut down') {
    super(message);
  }
}

/** `Barrier.wait()` on a barrier that was aborted or reset. asyncio: `BrokenBarrierError`. */
export class BrokenBarrierError extends Error {
  override name = 'BrokenBarrierError';
  constructor(message = 'the barrier is broken') {
    super(message);
  }
}

/**
 * The stream ended before `expected` bytes arrived (`readexactly`, `readuntil`).
 * `partial` holds what did arrive. asyncio: `IncompleteReadError`.
 */
export class IncompleteReadError extends Error {
  override name = 'IncompleteReadError';
  constructor(
    readonly partial: Uint8Array,
    readonly expected: number | null,
  ) {
    const want = expected === null ? 'undefined' : String(expected);
    super(`${partial.length} bytes read on a total of ${want} expected bytes`);
  }
}

/**
 * The separator was not found within the reader's limit (`readuntil`, `readline`).
 * `consumed` is how many bytes must be read to get past the problem. asyncio: `LimitOverrunError`.
 */
export class LimitOverrunError extends Error {
  override name = 'LimitOverrunError';
  constructor(
    message: string,
    readonly consumed: number,
  ) {
    super(message);
  }
}

/**
 * Several errors at once: TaskGroup raises one when its children fail. `exceptions`
 * holds each; the message lists them. Python 3.11's `ExceptionGroup`, which JS lacks
 * (`AggregateError` exists, but prints none of its members).
 */
export class ExceptionGroup extends Error {
  override name = 'ExceptionGroup';
  constructor(
    message: string,
    readonly exceptions: readonly unknown[],
  ) {
    super(`${message} (${exceptions.length} sub-exception${exceptions.length === 1 ? '' : 's'})\n` +
      exceptions.map((e, i) => `  [${i + 1}] ${describeError(e)}`).join('\n'));
  }
}

/** One line naming an error: `Name: message`, for reports and groups. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message ? `${err.name}: ${err.message}` : err.name;
  return `non-Error value thrown: ${String(err)}`;
}

/**
 * The API was used in a way the current situation does not allow: awaiting a future of
 * another loop, a task awaiting itself, `run()` inside a running loop. Python's
 * built-in `RuntimeError`, which asyncio raises for these.
 */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/**
 * `run()` found its loop with nothing ready, no timer armed and no I/O pending while
 * tasks still wait: nothing can ever wake them. The message names each pending task and
 * what it waits on. asyncio would hang here forever; yieldio reports it.
 */
export class DeadlockError extends RuntimeError {
  override name = 'DeadlockError';
}

/**
 * An argument has the right type but a wrong value: over-releasing a BoundedSemaphore,
 * `taskDone()` called too often, `new Semaphore(-1)`. Python's built-in `ValueError`.
 *
 * @example
 * try { queue.taskDone(); } catch (e) { if (e instanceof ValueError) console.error('unbalanced taskDone()'); }
 * @see Python's `ValueError`, as raised by `BoundedSemaphore.release()` and `Queue.task_done()`
 */
export class ValueError extends Error {
  override name = 'ValueError';
}

/**
 * The connection was lost while writing or draining. Node sockets report resets with
 * `code: 'ECONNRESET'`; this error carries the same code. Python's built-in
 * `ConnectionResetError`, which asyncio's `drain()` raises as "Connection lost".
 */
export class ConnectionResetError extends Error {
  override name = 'ConnectionResetError';
  readonly code = 'ECONNRESET';
  constructor(message = 'Connection lost') {
    super(message);
  }
}

/** Python's `LookupError`: `ContextVar.get()` with no value, no fallback and no default. */
export class LookupError extends Error {
  override name = 'LookupError';
}
