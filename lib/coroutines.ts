/**
 * Coroutines — asyncio/coroutines.py.
 *
 * A yieldio coroutine is a generator object. `function* f(): Coro<T>` is the
 * counterpart of `async def f() -> T`, and `yield* x` the counterpart of `await x`.
 * What a coroutine may yield to the task that runs it (see `Task` in tasks.ts):
 *
 * - nothing (a bare `yield`): "run me again on the next loop iteration" — what
 *   `sleep(0)` does, asyncio's bare `yield` inside `__sleep0`;
 * - a pending Future, through `yield* fut` (futures.ts: the `AWAITING` marker).
 *
 * Anything else is a mistake, and the helpers here name it for the error message.
 */

/** A coroutine returning `T`: what `async def` makes in Python. */
export type Coro<T> = Generator<unknown, T, unknown>;

/** A generator function, the counterpart of an `async def` function. */
export type CoroFunction<T, A extends unknown[] = []> = (...args: A) => Coro<T>;

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as FunctionConstructor;
const generatorPrototype = Object.getPrototypeOf(Object.getPrototypeOf((function* () {})()));

/**
 * True for a generator object (what calling a `function*` returns), or a `sleep(0)`.
 * Asked for every task created. Each generator function gives its objects a map of
 * their own, so in a real program this check sees many shapes: `isPrototypeOf` stays
 * ~7 ns there, where two `Object.getPrototypeOf` calls cost ~23 (W1). It is looser:
 * any object with %GeneratorPrototype% somewhere up its chain passes (a generator
 * function's own `prototype` object, `Object.create(gen)`); such an object fails at its
 * first step with V8's "incompatible receiver" TypeError, which fails the task.
 */
export function isCoroutine(value: unknown): value is Coro<unknown> {
  return typeof value === 'object' && value !== null
    && (generatorPrototype.isPrototypeOf(value) || value instanceof SleepZero);
}

/**
 * `sleep(0)`: one bare `yield`, as asyncio's `__sleep0`, but without a generator.
 *
 * A generator object per `sleep(0)` cost ~50 ns, more than the task switch itself
 * (W2: ~95 ns per switch with a generator, ~45 ns with this; bench/core.ts). This is one
 * small object whose `next()` yields once and then returns; the IteratorResults are
 * shared frozen constants (`yield*` only reads them). It behaves as a coroutine
 * everywhere one is accepted (`createTask(sleep(0))`, `gather(sleep(0))`).
 */
class SleepZero<T> {
  #state: 'CREATED' | 'YIELDED' | 'DONE' = 'CREATED';
  readonly #result: T;

  constructor(result: T) {
    this.#result = result;
  }

  next(): IteratorResult<unknown, T> {
    if (this.#state === 'CREATED') {
      this.#state = 'YIELDED';
      return YIELD_BARE;
    }
    this.#state = 'DONE';
    return this.#result === undefined ? (RETURN_UNDEFINED as IteratorResult<unknown, T>) : { done: true, value: this.#result };
  }

  /** An error thrown in while suspended (a cancellation) surfaces at the `yield*`. */
  throw(err: unknown): IteratorResult<unknown, T> {
    this.#state = 'DONE';
    throw err;
  }

  return(value: T): IteratorResult<unknown, T> {
    this.#state = 'DONE';
    return { done: true, value };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

const YIELD_BARE: IteratorResult<unknown, never> = Object.freeze({ done: false, value: undefined });
const RETURN_UNDEFINED: IteratorResult<unknown, undefined> = Object.freeze({ done: true, value: undefined });

/** @internal The `sleep(0)` coroutine; see SleepZero. */
export function sleepZero<T>(result: T): Coro<T> {
  return new SleepZero(result) as unknown as Coro<T>;
}

/** True for a `function*` itself: the caller forgot to call it. */
export function isCoroutineFunction(value: unknown): boolean {
  return value instanceof GeneratorFunction;
}

/** A short description of a value for error messages: `a Promise`, `the number 3`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined': return 'undefined';
    case 'string': return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
    case 'number': case 'bigint': case 'boolean': return `the ${typeof value} ${String(value)}`;
    case 'function': return `the function ${value.name || '(anonymous)'}`;
    case 'symbol': return String(value);
  }
  if (value instanceof Promise) return 'a Promise';
  const ctor = (value as object).constructor;
  return ctor && ctor.name ? `a ${ctor.name} object` : 'an object';
}

/**
 * Throws the TypeError for `createTask(main)` / `run(main)` given something that is
 * not a generator object: most often the generator *function*, not called.
 */
export function checkCoroutine(value: unknown, where: string): asserts value is Coro<unknown> {
  if (isCoroutine(value)) return;
  if (isCoroutineFunction(value)) {
    const name = (value as { name: string }).name || 'main';
    throw new TypeError(`${where} expects a coroutine (a generator object), but got the generator function ${name}: call it — ${where.replace(/\(\)$/, '')}(${name}()).`);
  }
  if (value instanceof Promise) {
    throw new TypeError(`${where} expects a coroutine (a generator object), but got a Promise: yieldio runs function* coroutines, not async functions.`);
  }
  throw new TypeError(`${where} expects a coroutine (a generator object returned by a function*), but got ${describeValue(value)}.`);
}
