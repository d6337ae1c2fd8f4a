/**
 * Async context managers — Python's `async with` statement (and the part of
 * contextlib.py that speaks its protocol).
 *
 * Python runs `async with cm as x: body` as:
 *
 *     x = await cm.__aenter__()
 *     try:     body
 *     except:  if not await cm.__aexit__(*sys.exc_info()): raise
 *     else:    await cm.__aexit__(None, None, None)
 *
 * JavaScript has no such statement, so `asyncWith(cm, body)` is that expansion as a
 * coroutine. The protocol is two coroutine methods, `enter()` and `exit(error?)`.
 * `exit` receives the error the body threw — including a CancelledError, so a lock is
 * released when the task holding it is cancelled — or `undefined` after a normal exit.
 * Returning `true` suppresses the error, as a truthy `__aexit__` does in Python.
 */
import type { Coro } from './coroutines.ts';

/**
 * An object usable with `asyncWith`: `enter()` acquires and returns the value the body
 * receives; `exit(error)` releases, and may return `true` to suppress `error`.
 *
 * @example
 * class Connection implements AsyncContextManager<Connection> {
 *   *enter(): Coro<Connection> { yield* this.open(); return this; }
 *   *exit(): Coro<void> { yield* this.close(); }
 * }
 * @see asyncio: any object with `__aenter__` / `__aexit__` (`contextlib.AbstractAsyncContextManager`)
 */
export interface AsyncContextManager<T> {
  enter(): Coro<T>;
  exit(error?: unknown): Coro<boolean | void>;
}

/**
 * A context manager that never suppresses: its `exit` returns nothing (or `false`).
 * `asyncWith` over one is typed `Coro<R>`, not `Coro<R | undefined>` (Lock, Semaphore,
 * Condition are of this kind).
 *
 * @example
 * const n: number = yield* asyncWith(new Lock(), function* () { return 1; });
 * @see asyncio: an `__aexit__` that always returns None
 */
export interface NonSuppressingContextManager<T> extends AsyncContextManager<T> {
  exit(error?: unknown): Coro<void | false>;
}

/**
 * Runs `body(value)` between `cm.enter()` and `cm.exit(error)`: `async with cm as value`.
 *
 * `exit` runs in every case — normal return, a thrown error, a CancelledError. An error
 * from the body is rethrown unless `exit` returns `true`; then `asyncWith` returns
 * `undefined`. If `enter` throws, the body and `exit` do not run (as in Python). An
 * error thrown by `exit` replaces the body's.
 *
 * @example
 * const lock = new Lock();
 * const n = yield* asyncWith(lock, function* () {
 *   yield* sleep(0.1);      // the lock is held here, and released on any exit
 *   return 42;
 * });
 * @see asyncio `async with cm as value: ...`
 */
export function asyncWith<T, R>(cm: NonSuppressingContextManager<T>, body: (value: T) => Coro<R>): Coro<R>;
export function asyncWith<T, R>(cm: AsyncContextManager<T>, body: (value: T) => Coro<R>): Coro<R | undefined>;
export function* asyncWith<T, R>(cm: AsyncContextManager<T>, body: (value: T) => Coro<R>): Coro<R | undefined> {
  const value = yield* cm.enter();
  let result: R;
  try {
    result = yield* body(value);
  } catch (error) {
    if ((yield* cm.exit(error)) === true) return undefined;
    throw error;
  }
  yield* cm.exit(undefined);
  return result;
}
