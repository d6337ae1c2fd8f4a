/**
 * Context variables — Python's `contextvars`, as asyncio uses them.
 *
 * A `ContextVar` is a variable whose value depends on which task reads it: a request
 * id, a database transaction, a logger's fields. asyncio gives each task a *copy* of
 * the context current when it was created, so what a task sets is seen by the task
 * and the tasks it creates later — never by its parent or its siblings.
 *
 * ## How a context is held: immutable snapshots
 *
 * A context is a mapping from variables to values, and a copy must be cheap, because
 * every task takes one (CPython uses a HAMT for the same reason). Here a mapping is a
 * `Map` that is never changed once made; `set()` makes a new one with the change. So:
 *
 * - copying a context is copying a reference — a task creation pays one field, no
 *   allocation (W1, W5 in docs/benchmarks.md);
 * - `set()` costs a copy of the map: there are few variables, and sets are rare
 *   compared with task switches.
 *
 * `CURRENT.vars` is the mapping of the code running now. A task's step swaps its own
 * mapping in and, when the step ends, keeps what the step left there and swaps the
 * caller's back (tasks.ts `Task.step`); `Context.run` and the loop's callbacks do the same.
 * Nothing else ever changes `CURRENT.vars`, so a value set inside a step cannot leak
 * out of it.
 *
 * Departures from CPython, for cost (docs/decisions.md): a task runs in a copy even
 * when `createTask(coro, {context})` names a context (CPython runs it in that context
 * itself); `reset()` does not check that the token was made in the current context;
 * done-callbacks run in the context of the loop's `run()`, not one captured when they
 * were added.
 */
import { LookupError, RuntimeError, ValueError } from './exceptions.ts';

/** One context's mapping. Never modified once made. */
export type ContextMapping = ReadonlyMap<ContextVar<any>, unknown>;

/** The mapping with no variable set. @internal */
export const EMPTY_MAPPING: ContextMapping = new Map();
const EMPTY = EMPTY_MAPPING;

/**
 * The mapping of the code running now. A shared object rather than an exported `let`,
 * so that the task's step can swap it with two property writes (tasks.ts).
 * @internal
 */
export const CURRENT: { vars: ContextMapping } = { vars: EMPTY };

/** The value a ContextVar had before `set()`, when it had none. */
const MISSING: unique symbol = Symbol('Token.MISSING');

/**
 * What `ContextVar.set()` returns: enough to undo that set with `reset(token)`.
 * asyncio: `contextvars.Token`.
 */
export class Token<T> {
  static readonly MISSING: typeof MISSING = MISSING;
  #used = false;

  /** @internal Made by `ContextVar.set()`. */
  constructor(
    readonly variable: ContextVar<T>,
    readonly oldValue: T | typeof MISSING,
  ) {}

  /** @internal Marks the token spent; false if it was already. */
  _use(): boolean {
    if (this.#used) return false;
    this.#used = true;
    return true;
  }
}

export interface ContextVarOptions<T> {
  /** What `get()` returns when the variable has no value in the current context. */
  default?: T;
}

/**
 * A variable with one value per context — in practice, per task.
 *
 * @example
 * const requestId = new ContextVar<string>('requestId', { default: '-' });
 * function* handle(id: string): Coro<void> {
 *   requestId.set(id);            // seen by this task and the tasks it creates
 *   yield* createTask(log());     // log() reads requestId.get() === id
 * }
 * @see Python `contextvars.ContextVar(name, *, default)`
 */
export class ContextVar<T> {
  readonly name: string;
  readonly #hasDefault: boolean;
  readonly #default: T | undefined;

  constructor(name: string, options: ContextVarOptions<T> = {}) {
    if (typeof name !== 'string') throw new TypeError(`ContextVar() needs a name (a string), got ${typeof name}.`);
    this.name = name;
    this.#hasDefault = 'default' in options;
    this.#default = options.default;
  }

  /**
   * The value in the current context; else `fallback` if given; else the variable's
   * default; else a LookupError (Python raises `LookupError` too).
   */
  get(fallback?: T): T {
    const vars = CURRENT.vars;
    if (vars.has(this)) return vars.get(this) as T;
    if (arguments.length > 0) return fallback as T;
    if (this.#hasDefault) return this.#default as T;
    throw new LookupError(`ContextVar '${this.name}' has no value in the current context and no default: set() it first, or pass a fallback to get(fallback).`);
  }

  /** Sets the value in the current context; returns a Token for `reset()`. */
  set(value: T): Token<T> {
    const vars = CURRENT.vars;
    const token = new Token<T>(this, vars.has(this) ? (vars.get(this) as T) : MISSING);
    CURRENT.vars = new Map(vars).set(this, value);
    return token;
  }

  /** Restores the value the variable had before the `set()` that returned `token`. */
  reset(token: Token<T>): void {
    if (!(token instanceof Token)) throw new TypeError(`reset() needs the Token returned by set(), got ${typeof token}.`);
    if (token.variable !== this) {
      throw new ValueError(`reset(): the token was made by ContextVar '${token.variable.name}', not by '${this.name}'.`);
    }
    if (!token._use()) throw new RuntimeError(`reset(): this token of ContextVar '${this.name}' has already been used once.`);
    const vars = new Map(CURRENT.vars);
    if (token.oldValue === MISSING) vars.delete(this);
    else vars.set(this, token.oldValue);
    CURRENT.vars = vars;
  }

  toString(): string {
    return `<ContextVar name=${JSON.stringify(this.name)}${this.#hasDefault ? ` default=${String(this.#default)}` : ''}>`;
  }
}

/**
 * A context: a mapping of ContextVars to values, to run code in.
 *
 * @example
 * const ctx = copyContext();
 * ctx.run(() => requestId.set('abc'));   // changes ctx, not the current context
 * ctx.get(requestId);                     // 'abc'
 * @see Python `contextvars.Context`
 */
export class Context {
  /** @internal The mapping; replaced (never modified) when code inside `run()` sets a variable. */
  _vars: ContextMapping;
  #entered = false;

  /** An empty context (Python's `Context()`); `copyContext()` copies the current one. */
  constructor(vars: ContextMapping = EMPTY) {
    this._vars = vars;
  }

  /**
   * Calls `fn(...args)` with this context as the current one; what `fn` sets stays in
   * this context. Entering a context that is already entered is a RuntimeError.
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    if (this.#entered) throw new RuntimeError('Context.run(): this context is already entered; copy it with ctx.copy() to run in it again.');
    this.#entered = true;
    const outer = CURRENT.vars;
    CURRENT.vars = this._vars;
    try {
      return fn(...args);
    } finally {
      this._vars = CURRENT.vars;
      CURRENT.vars = outer;
      this.#entered = false;
    }
  }

  /** A shallow copy (Python's `ctx.copy()`). */
  copy(): Context {
    return new Context(this._vars);
  }

  get<T>(variable: ContextVar<T>, fallback?: T): T | undefined {
    return this._vars.has(variable) ? (this._vars.get(variable) as T) : fallback;
  }

  has(variable: ContextVar<unknown>): boolean {
    return this._vars.has(variable);
  }

  get size(): number {
    return this._vars.size;
  }

  keys(): IterableIterator<ContextVar<unknown>> {
    return this._vars.keys();
  }

  values(): IterableIterator<unknown> {
    return this._vars.values();
  }

  entries(): IterableIterator<[ContextVar<unknown>, unknown]> {
    return this._vars.entries();
  }

  [Symbol.iterator](): IterableIterator<ContextVar<unknown>> {
    return this._vars.keys();
  }
}

/** The options a loop's `callSoon`/`callLater`/`callAt` take after the callback's arguments. */
export interface CallOptions {
  /** Run the callback in this context (what it sets stays there), not a copy of the current one. */
  context: Context;
}

/**
 * `callSoon(fn, ...args, {context})`: the trailing options object, if the last
 * argument is one — a plain object whose only key is `context`, holding a Context.
 * (JS has no keyword arguments; a callback argument of exactly that shape would be
 * taken for options — see docs/decisions.md.)
 * @internal
 */
export function _takeCallOptions(args: unknown[]): Context | undefined {
  const last = args[args.length - 1];
  if (typeof last !== 'object' || last === null || Object.getPrototypeOf(last) !== Object.prototype) return undefined;
  const context = (last as Partial<CallOptions>).context;
  if (!(context instanceof Context) || Object.keys(last).length !== 1) return undefined;
  args.pop();
  return context;
}

/**
 * A copy of the current context: what a task gets when it is created.
 *
 * @example
 * const ctx = copyContext();
 * loop.callSoon(report, { context: ctx });
 * @see Python `contextvars.copy_context()`
 */
export function copyContext(): Context {
  return new Context(CURRENT.vars);
}
