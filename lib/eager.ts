/**
 * Eager tasks — asyncio 3.12's `eager_task_factory` (asyncio/tasks.py).
 *
 * A task normally starts on the next loop iteration: `createTask()` only queues its
 * first step. An eager task runs its first step inside `createTask()` itself, while the
 * creating task waits, up to the coroutine's first real suspension. A coroutine that
 * never suspends (a cache hit, a full buffer) is then done before `createTask()`
 * returns and never costs a trip through the ready queue.
 *
 * The mechanism is `Task`'s `eagerStart` option (tasks.ts); this file only provides
 * the factory that turns it on for every task of a loop.
 */
import type { EventLoop } from './loop.ts';
import { Task, type TaskOptions } from './tasks.ts';
import type { Coro } from './coroutines.ts';

/** What `loop.setTaskFactory()` takes. */
export type TaskFactory = (loop: EventLoop, coro: Coro<unknown>, options?: TaskOptions) => Task<unknown>;

/** A Task subclass's constructor, as `createEagerTaskFactory` takes it. */
export type TaskConstructor = new (coro: Coro<unknown>, loop?: EventLoop, options?: TaskOptions) => Task<unknown>;

/**
 * A task factory that makes eager tasks of class `taskClass`. An explicit
 * `{eagerStart: false}` in `createTask`'s options still wins.
 *
 * @example
 * class TracedTask<T> extends Task<T> { ... }
 * loop.setTaskFactory(createEagerTaskFactory(TracedTask));
 * @see asyncio `asyncio.create_eager_task_factory(custom_task_constructor)`
 */
export function createEagerTaskFactory(taskClass: TaskConstructor): TaskFactory {
  // A fresh options object per task, as CPython builds fresh keyword arguments: a
  // constructor may fill in defaults on the object it is given.
  return (loop, coro, options) => new taskClass(coro, loop, { ...options, eagerStart: options?.eagerStart ?? true });
}

/**
 * The task factory that makes every task of the loop eager.
 *
 * @example
 * await run(main(), { setup: (loop) => loop.setTaskFactory(eagerTaskFactory) });
 * @see asyncio `asyncio.eager_task_factory`
 */
export const eagerTaskFactory: TaskFactory = createEagerTaskFactory(Task);
