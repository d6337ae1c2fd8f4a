/**
 * A ring-buffer FIFO — the ready queue (asyncio uses `collections.deque`).
 *
 * Why not an Array? `Array.prototype.shift()` is O(n) once an array leaves V8's
 * fast-elements mode, and `length = 0` on a big array makes V8 reallocate its
 * backing store on the next push. The loop pushes and shifts every callback it runs,
 * so both costs land on the hottest path there is.
 *
 * The layout: a power-of-two array `#items` used as a circle. `#head` is the index of
 * the oldest item; `#length` items follow it, wrapping past the end. The capacity
 * doubles when full (the items are copied in order, so `#head` becomes 0) and never
 * shrinks: a loop that once had 10k ready callbacks will have them again.
 *
 *     #items:  [ d, e, _, _, a, b, c ]      #head = 4, #length = 5
 *                     tail ^     ^ head
 *
 * Shifted slots are set to `undefined` so the deque never keeps a finished callback
 * (and through it a task and its whole coroutine) alive.
 */
export class Deque<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  constructor(initialCapacity = 16) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.#items = new Array<T | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
  }

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes every item (and drops the references, see the header). */
  clear(): void {
    while (this.#length > 0) this.shift();
    this.#head = 0;
  }

  *[Symbol.iterator](): Generator<T, void, undefined> {
    for (let i = 0; i < this.#length; i++) yield this.#items[(this.#head + i) & this.#mask] as T;
  }

  #grow(): void {
    const old = this.#items;
    const capacity = old.length * 2;
    const items = new Array<T | undefined>(capacity).fill(undefined);
    for (let i = 0; i < this.#length; i++) items[i] = old[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
