/**
 * TaskGroup — asyncio/taskgroups.py (Python 3.11+, with 3.15's `cancel()`).
 *
 * A TaskGroup is structured concurrency: every task created in it is awaited before
 * the group's block ends, and when one fails the others are cancelled.
 *
 *     yield* asyncWith(new TaskGroup(), function* (tg) {
 *       tg.createTask(a());
 *       tg.createTask(b());
 *     }); // here a() and b() are both done
 *
 * ## Who cancels whom
 *
 * When a child fails, the group *aborts*: it cancels the other children and also the
 * task running the block (the parent), because the body may be stuck waiting for
 * something that will now never come. That parent cancellation is the group's own
 * doing, so at exit the group withdraws it with `parent.uncancel()`; when no other
 * cancel request remains, the CancelledError that unwound the body is swallowed and
 * the failures surface as one ExceptionGroup. A cancel() from outside (a timeout, a
 * caller) leaves the count above zero and propagates as a CancelledError, after the
 * children have been cancelled and awaited — the same counting trick as timeouts.ts.
 */
import { _registerAwaits } from './callgraph.ts';
import type { EventLoop } from './loop.ts';
import { getRunningLoop } from './events.ts';
import type { Future } from './futures.ts';
import { type Task, type TaskOptions, currentTask } from './tasks.ts';
import { CancelledError, ExceptionGroup, RuntimeError } from './exceptions.ts';
import type { Coro } from './coroutines.ts';

/**
 * The life of a TaskGroup:
 *
 *     CREATED ──enter()──▶ OPEN ──exit()──▶ EXITING ──children all done──▶ CLOSED
 */
export type TaskGroupState = 'CREATED' | 'OPEN' | 'EXITING' | 'CLOSED';

/** Why a group is aborting (cancelling its children and body), once it is. */
export type AbortReason = 'CHILD_FAILED' | 'BODY_FAILED' | 'PARENT_CANCELLED' | 'CANCEL_CALLED';

const GROUP_MESSAGE = 'unhandled errors in a TaskGroup';

/**
 * An async context manager holding a group of tasks: all are awaited at exit; the
 * first to fail cancels the rest and the body; the failures are thrown together as
 * one `ExceptionGroup` (a CancelledError alone is not a failure).
 *
 * Invariants:
 * - CREATED: no parent, no tasks. `#abortReason` is 'CANCEL_CALLED' if `cancel()` was
 *   called before entry (the group then cancels itself on entry), else null.
 * - OPEN: the body runs in `#parent`; `#tasks` are the children not yet done.
 * - EXITING: `exit()` runs in `#parent` and waits on `#allDone` until `#tasks` is
 *   empty. Children (and their children) may still add tasks unless aborting.
 * - CLOSED: `#tasks` is empty for good; `createTask()` is refused.
 * - `#abortReason` is set once, by `#abort()`, and never cleared: from then on every
 *   child has been sent cancel() and `createTask()` is refused.
 * - `#parentCancelRequested`: the group itself called `#parent.cancel()`, and `exit()`
 *   owes exactly one `#parent.uncancel()` for it.
 * - `#errors`: the children's failures in completion order (the body's is added last).
 *
 * @example
 * yield* asyncWith(new TaskGroup(), function* (tg) {
 *   const user = tg.createTask(fetchUser(1));
 *   const posts = tg.createTask(fetchPosts(1));
 * });
 * @see asyncio `asyncio.TaskGroup`
 */
export class TaskGroup {
  #state: TaskGroupState = 'CREATED';
  #abortReason: AbortReason | null = null;
  #loop: EventLoop | null = null;
  #parent: Task<unknown> | null = null;
  #parentCancelRequested = false;
  readonly #tasks = new Set<Task<unknown>>();
  #errors: unknown[] = [];
  /** While EXITING: resolved by the last child to finish. */
  #allDone: Future<void> | null = null;

  /** CREATED, OPEN, EXITING or CLOSED. */
  get state(): TaskGroupState {
    return this.#state;
  }

  /** Why the group is aborting, or null if it is not. */
  get abortReason(): AbortReason | null {
    return this.#abortReason;
  }

  /** Binds the group to the current task. asyncio: `TaskGroup.__aenter__`. */
  *enter(): Coro<TaskGroup> {
    if (this.#state !== 'CREATED') throw new RuntimeError(`enter() of a TaskGroup that is ${this.#state}: a TaskGroup can be entered only once.`);
    this.#loop = getRunningLoop();
    const parent = currentTask(this.#loop);
    if (parent === null) throw new RuntimeError('a TaskGroup must be entered inside a task (a coroutine run by run() or createTask()).');
    this.#parent = parent;
    this.#state = 'OPEN';
    // cancel() before entry (3.15): the group is born cancelled.
    if (this.#abortReason === 'CANCEL_CALLED') this.#cancelParent();
    return this;
  }

  /**
   * Starts `coro` as a child task of the group.
   *
   * @example
   * const t = tg.createTask(worker(1), { name: 'worker-1' });
   * @see asyncio `TaskGroup.create_task(coro, name=None)`
   */
  createTask<T>(coro: Coro<T>, options?: Pick<TaskOptions, 'name'>): Task<T> {
    this.#checkCanCreate();
    const task = (this.#loop as EventLoop).createTask(coro, options);
    // Registered even if an eager task is already done: its failure must still abort
    // the group, but from a callback, not on createTask's stack (gh-128550).
    this.#tasks.add(task as Task<unknown>);
    task.addDoneCallback((t) => this.#onTaskDone(t as Task<unknown>));
    return task;
  }

  /**
   * Cancels every child and the body, and lets the group exit quietly: unlike a
   * failure, this cancellation is not an error and no CancelledError leaves the block.
   * Before entry, the group is cancelled as soon as it is entered; after it closed,
   * nothing happens. asyncio 3.15: `TaskGroup.cancel()`.
   *
   * @example
   * yield* asyncWith(new TaskGroup(), function* (tg) {
   *   tg.createTask(server());
   *   yield* shutdownRequested.wait();
   *   tg.cancel();
   * });
   */
  cancel(): void {
    if (this.#state === 'CLOSED' || (this.#state === 'EXITING' && this.#tasks.size === 0)) return;
    if (this.#state === 'CREATED') {
      this.#abortReason = 'CANCEL_CALLED';
      return;
    }
    if (this.#abortReason === null) this.#abort('CANCEL_CALLED');
    this.#cancelParent();
  }

  /**
   * Waits for every child; throws the failures as one ExceptionGroup, or the
   * CancelledError of an outside cancellation. Returns true (suppress) only when the
   * body's CancelledError came from the group's own `cancel()`. asyncio: `TaskGroup.__aexit__`.
   */
  *exit(error?: unknown): Coro<boolean | void> {
    if (this.#state !== 'OPEN') throw new RuntimeError(`exit() of a TaskGroup that is ${this.#state}: exit() must follow one enter().`);
    this.#state = 'EXITING';
    let cancellation = error instanceof CancelledError ? error : null;
    // The body was cancelled (from outside) or failed: the children must stop too.
    if (error !== undefined && this.#abortReason === null) this.#abort(cancellation ? 'PARENT_CANCELLED' : 'BODY_FAILED');
    cancellation = (yield* this.#joinChildren()) ?? cancellation;
    this.#state = 'CLOSED';
    cancellation = this.#withdrawOwnCancel(cancellation);
    // A CancelledError propagates only if nothing failed: failures have priority.
    if (cancellation !== null && this.#errors.length === 0) throw cancellation;
    if (error !== undefined && !(error instanceof CancelledError)) this.#errors.push(error);
    if (this.#errors.length > 0) this.#throwErrors();
    // The body ended with a CancelledError that was only the group's own (cancel()):
    // swallow it, or the block would re-throw it after exit() returns.
    return error instanceof CancelledError;
  }

  /**
   * Waits until no child is left. Returns the CancelledError of an outside cancel() of
   * the parent that arrived while waiting (the group then aborts and keeps waiting:
   * children are always awaited), or null.
   */
  *#joinChildren(): Coro<CancelledError | null> {
    let cancellation: CancelledError | null = null;
    while (this.#tasks.size > 0) {
      if (this.#allDone === null) {
        this.#allDone = (this.#loop as EventLoop).createFuture<void>();
        _registerAwaits(this.#allDone, 'TaskGroup', () => this.#tasks);
      }
      try {
        yield* this.#allDone;
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        // Cancelled while aborting is the group's own doing (or a repeat): keep waiting.
        if (this.#abortReason === null) {
          cancellation = err;
          this.#abort('PARENT_CANCELLED');
        }
      }
      this.#allDone = null;
    }
    return cancellation;
  }

  /**
   * Matches the group's own `parent.cancel()` with `uncancel()`. If no cancel request
   * remains, the CancelledError was only ours and must not leave the block.
   */
  #withdrawOwnCancel(cancellation: CancelledError | null): CancelledError | null {
    if (!this.#parentCancelRequested) return cancellation;
    this.#parentCancelRequested = false;
    return (this.#parent as Task<unknown>).uncancel() === 0 ? null : cancellation;
  }

  /** Throws the collected failures as one ExceptionGroup. */
  #throwErrors(): never {
    const parent = this.#parent as Task<unknown>;
    // The parent is also being cancelled from outside: uncancel + cancel keeps its count
    // and re-arms the cancellation, so the caller still sees it after handling the group.
    if (parent.cancelling() > 0) {
      parent.uncancel();
      parent.cancel();
    }
    const errors = this.#errors;
    this.#errors = [];
    throw new ExceptionGroup(GROUP_MESSAGE, errors);
  }

  #checkCanCreate(): void {
    if (this.#state === 'CREATED') throw new RuntimeError('createTask() on a TaskGroup that has not been entered: enter it first (asyncWith(new TaskGroup(), body)).');
    if (this.#state === 'CLOSED' || (this.#state === 'EXITING' && this.#tasks.size === 0)) {
      throw new RuntimeError('createTask() on a TaskGroup that is finished: all its tasks are done and it cannot take new ones.');
    }
    if (this.#abortReason !== null) {
      throw new RuntimeError(`createTask() on a TaskGroup that is shutting down (${this.#abortReason}): its tasks are being cancelled.`);
    }
  }

  /** Cancels every child not yet done; from now on no child can be added. */
  #abort(reason: AbortReason): void {
    this.#abortReason = reason;
    for (const task of this.#tasks) {
      if (!task.done()) task.cancel();
    }
  }

  /** Cancels the body, once; exit() withdraws this request (see `#withdrawOwnCancel`). */
  #cancelParent(): void {
    if (this.#parentCancelRequested || this.#parent === null) return;
    this.#parentCancelRequested = true;
    this.#parent.cancel();
  }

  /** A child is done: forget it, wake exit() if it was the last, abort on a failure. */
  #onTaskDone(task: Task<unknown>): void {
    this.#tasks.delete(task);
    if (this.#tasks.size === 0 && this.#allDone !== null && !this.#allDone.done()) this.#allDone.setResult();
    // A cancelled child is not a failure. (`_hasException`, not `exception() === null`:
    // JS code may throw any value, null included.)
    if (task.cancelled() || !task._hasException()) return;
    const error = task.exception();
    this.#errors.push(error);
    const parent = this.#parent as Task<unknown>;
    if (parent.done()) {
      // The body's task ended without exit() awaiting this child: nowhere to throw.
      (this.#loop as EventLoop).callExceptionHandler({
        message: `Task ${task.toString()} has errored out but its parent task ${parent.toString()} is already done`,
        exception: error,
        task,
      });
      return;
    }
    // First failure: stop the siblings, and the body — which may wait on something
    // that will now never come. exit() withdraws this cancel (`#withdrawOwnCancel`).
    if (this.#abortReason === null && !this.#parentCancelRequested) {
      this.#abort('CHILD_FAILED');
      this.#cancelParent();
    }
  }

  toString(): string {
    const abort = this.#abortReason === null ? '' : ` aborting=${this.#abortReason}`;
    return `<TaskGroup ${this.#state} tasks=${this.#tasks.size} errors=${this.#errors.length}${abort}>`;
  }
}
