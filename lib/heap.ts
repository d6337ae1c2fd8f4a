/**
 * A binary min-heap — the timer queue (asyncio uses `heapq` on a list of TimerHandles).
 *
 * Timers are ordered by deadline and, for equal deadlines, by the order they were
 * scheduled: `callLater(1, a); callLater(1, b)` runs `a` first. A binary heap is not
 * stable, so each entry carries a sequence number as the tie-breaker. (CPython's
 * TimerHandles compare by `when` alone, so there the order of equal deadlines is an
 * accident of heapq; yieldio promises FIFO — see docs/decisions.md.)
 *
 * Array layout: the children of index i are 2i+1 and 2i+2; the root (index 0) is the
 * earliest entry. push and pop are O(log n); peek is O(1).
 */
export interface HeapEntry {
  /** Deadline in loop time (seconds). @internal */
  readonly _when: number;
  /** Scheduling order, the tie-breaker for equal deadlines. @internal */
  readonly _seq: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a._when < b._when || (a._when === b._when && a._seq < b._seq);
}

export class Heap<T extends HeapEntry> {
  #items: T[] = [];

  get length(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    // Sift up: swap with the parent while the new entry comes first.
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) this.#siftDown(last);
    return top;
  }

  /** Keeps only the entries for which `keep` is true, then restores heap order (O(n)). */
  filter(keep: (item: T) => boolean): void {
    const kept = this.#items.filter(keep);
    this.#items = [];
    for (const item of kept) this.push(item);
  }

  /** Entries in no particular order (for reports). */
  values(): readonly T[] {
    return this.#items;
  }

  #siftDown(item: T): void {
    const items = this.#items;
    const n = items.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(items[right] as T, items[child] as T)) child = right;
      const c = items[child] as T;
      if (!before(c, item)) break;
      items[i] = c;
      i = child;
    }
    items[i] = item;
  }
}
