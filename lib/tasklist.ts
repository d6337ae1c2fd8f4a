/**
 * The loop's list of waiting tasks — the part of "every pending task" (what `allTasks()`
 * returns and `run()` cancels at exit) that nothing else can find. asyncio keeps a
 * WeakSet of all tasks.
 *
 * Which tasks are in it: a task joins the first time it waits on a future and leaves
 * when it is done. A pending task that has never waited is not lost: it is in the ready
 * queue (its first step, or a bare `yield`, is due) or it is running, and
 * `EventLoop._allTasks()` looks there too. Why: most spawned tasks finish in their first
 * step (W1 spawns 100k that return at once), and for those the list's upkeep — linking
 * at creation, unlinking at the end, the extra pointers for the GC to trace — cost
 * 10–15 % of the whole spawn (docs/benchmarks-core.md).
 *
 * An intrusive doubly linked list: each task carries its own `_prevTask` / `_nextTask`
 * links, so adding and removing a task are a few pointer writes — no hashing, no table
 * to grow, no entry object (a `Set` spent ~15 % of W1 in add/delete and rehashing).
 * Order is the order of first waits.
 *
 *     #head ⇄ task ⇄ task ⇄ task ⇄ #tail
 *
 * Invariant: a task is in the list iff it is `#head` or its `_prevTask` is non-null.
 * A strong reference is fine (unlike asyncio's WeakSet): a pending task is reachable
 * from the future it waits on or the ready queue anyway, and a task that waits on a
 * future nobody references is exactly what the deadlock report must be able to name.
 */
export interface Linked<T> {
  /** @internal */
  _prevTask: T | null;
  /** @internal */
  _nextTask: T | null;
}

export class TaskList<T extends Linked<T>> {
  #head: T | null = null;
  #tail: T | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(task: T): void {
    task._prevTask = this.#tail;
    task._nextTask = null;
    if (this.#tail !== null) this.#tail._nextTask = task;
    else this.#head = task;
    this.#tail = task;
    this.#size++;
  }

  /** Removes `task`; false if it was not in the list. */
  delete(task: T): boolean {
    const prev = task._prevTask;
    const next = task._nextTask;
    if (prev !== null) prev._nextTask = next;
    else if (this.#head === task) this.#head = next;
    else return false;
    if (next !== null) next._prevTask = prev;
    else this.#tail = prev;
    task._prevTask = null;
    task._nextTask = null;
    this.#size--;
    return true;
  }

  has(task: T): boolean {
    return task._prevTask !== null || this.#head === task;
  }

  *[Symbol.iterator](): Generator<T, void, undefined> {
    for (let task = this.#head; task !== null; ) {
      const next: T | null = task._nextTask; // read first: the consumer may delete `task`
      yield task;
      task = next;
    }
  }
}
