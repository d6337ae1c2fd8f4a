/**
 * The floor for W3: a generator runner with nothing but the mechanism — no cancellation,
 * no current task, no misuse errors, no debug hooks, no time slice. Not a library: it
 * exists so that `bench/ab.ts` can say how far yieldio's task switch is from the least a
 * Future + Task + ready queue can cost (docs/benchmarks-core.md).
 *
 *   node --expose-gc --import tsx bench/ab.ts w3 lib bench/minimal
 *
 * It exports the four names W3 uses, with the same meaning as lib/'s.
 */
type Gen = Generator<unknown, unknown, unknown>;

let running: Loop | null = null;

class Loop {
  queue: Array<Task | undefined> = [];
  head = 0;
  createFuture<T>(): Fut<T> {
    return new Fut<T>(this);
  }
}

class Fut<T> {
  done = false;
  value: T | undefined = undefined;
  waiter: Task | null = null;
  constructor(readonly loop: Loop) {}
  setResult(value: T): void {
    this.value = value;
    this.done = true;
    if (this.waiter !== null) this.loop.queue.push(this.waiter);
    this.waiter = null;
  }
  next(): IteratorResult<unknown, T> {
    return this.done ? { done: true, value: this.value as T } : { done: false, value: this };
  }
  [Symbol.iterator](): this {
    return this;
  }
}

class Task extends Fut<unknown> {
  constructor(readonly gen: Gen, loop: Loop) {
    super(loop);
    loop.queue.push(this);
  }
  step(): void {
    const r = this.gen.next();
    if (r.done) this.setResult(r.value);
    else (r.value as Fut<unknown>).waiter = this;
  }
}

export function getRunningLoop(): Loop {
  return running as Loop;
}

export function createTask(gen: Gen): Task {
  return new Task(gen, running as Loop);
}

/** Runs `gen` to completion, handing back to Node every 5 ms, like lib/driver.ts. */
export function run<T>(gen: Generator<unknown, T, unknown>): Promise<T> {
  return new Promise((resolve) => {
    const loop = new Loop();
    running = loop;
    const main = new Task(gen, loop);
    const tick = (): void => {
      const end = performance.now() + 5;
      const q = loop.queue;
      while (loop.head < q.length && performance.now() < end) {
        for (let k = 0; k < 128 && loop.head < q.length; k++) {
          const task = q[loop.head] as Task;
          q[loop.head++] = undefined;
          task.step();
        }
      }
      if (loop.head > 4096) {
        loop.queue = q.slice(loop.head);
        loop.head = 0;
      }
      if (main.done) resolve(main.value as T);
      else setImmediate(tick);
    };
    setImmediate(tick);
  });
}

/** W1 is not for this runner (no gather); ab.ts only calls it for w3. */
export function gather(): never {
  throw new Error('bench/minimal has no gather: use it with `bench/ab.ts w3` only.');
}
